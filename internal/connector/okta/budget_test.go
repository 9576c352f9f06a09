package okta_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestWaitBeyondTheBudgetEndsTheStep: when pacing would wait for a bucket's reset beyond the step's budget, the
// step ends with the transport's *sspm.WaitError intact through the SDK and the retrier (CodeRateLimited, not a
// provider failure), without sleeping; with budget enough the same wait is made in-process.
func TestWaitBeyondTheBudgetEndsTheStep(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{
		PageCaps:   map[string]int{"/api/v1/users": 3},
		RateLimits: map[string]int{oktasim.BucketUsers: 6},
	}, map[string]any{"rate_limit_share": 0.5})
	src := e.source(t)
	ctx := sspm.WithWaitBudget(context.Background(), e.clk.Now().Add(10*time.Second), e.clk.Now)
	cursor := ""
	for i := 0; ; i++ {
		if i > 20 {
			t.Fatal("no step ran into the budget")
		}
		res, err := src.Step(ctx, sspm.LaneFull, okta.StageUsers, cursor)
		if err != nil {
			w, ok := sspm.AsWait(err)
			if !ok || sspm.ErrorCode(err) != sspm.CodeRateLimited || w.Bucket != "/api/v1/users" || !w.Until.After(e.clk.Now().Add(10*time.Second)) {
				t.Fatalf("step %d: err %v (code %s); want a WaitError for the users bucket beyond the budget", i, err, sspm.ErrorCode(err))
			}
			break
		}
		if res.Next == "" {
			t.Fatal("the stage ended without running into the budget")
		}
		cursor = res.Next
	}
	if e.clk.Slept() != 0 {
		t.Errorf("slept %s with 10s of budget", e.clk.Slept())
	}
	// A budget past the reset: the wait is made and the step goes on.
	ctx = sspm.WithWaitBudget(context.Background(), e.clk.Now().Add(time.Hour), e.clk.Now)
	if _, err := src.Step(ctx, sspm.LaneFull, okta.StageUsers, cursor); err != nil || e.clk.Slept() == 0 {
		t.Fatalf("with budget: %v, slept %s", err, e.clk.Slept())
	}
}
