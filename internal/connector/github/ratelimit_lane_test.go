package github_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestPrimaryRateLimitPausesTheRun: against an organization whose hourly budget runs out mid-sync, an
// invocation with 10 minutes of budget does not sleep until the reset: the run pauses (OutcomeWaiting) with
// ResumeAt at the reset, having slept nothing, and the invocations after each reset complete it with the same
// rows as an unlimited sync.
func TestPrimaryRateLimitPausesTheRun(t *testing.T) {
	t.Parallel()
	want := newLaneEnv(t, newEnv(t, githubsim.Options{}))
	if res := want.run(t, "ref"); res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("reference sync: %s %v", res.Outcome, res.Err)
	}
	// Share 0.5: our transport paces and finds the reset beyond the budget. Share 1: the budget is spent to 0,
	// so go-github refuses the next request itself (RateLimitError), which pauses the run the same way.
	for _, share := range []float64{0.5, 1} {
		t.Run(fmt.Sprintf("share=%g", share), func(t *testing.T) { primaryRateLimitPauses(t, want, share) })
	}
}

func primaryRateLimitPauses(t *testing.T, want *laneEnv, share float64) {
	clk := clocktest.New(time.Now().Truncate(time.Second))
	e := newEnv(t, githubsim.Options{RateLimit: 100, Clock: clk.Now})
	e.opts.Now, e.opts.Sleep = clk.Now, clk.Sleep
	e.conn.Config, _ = json.Marshal(map[string]any{"org": e.sim.Org(), "auth": "token", "base_url": e.sim.URL() + "/", "rate_limit_share": share})
	le := newLaneEnv(t, e)
	le.runner.Now = clk.Now
	inv := sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: le.conn.ID}
	pauses := 0
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("the sync never completes")
		}
		res, err := le.runner.Run(context.Background(), inv, "inv", clk.Now().Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == lane.OutcomeSucceeded {
			break
		}
		if res.Outcome != lane.OutcomeWaiting || res.ResumeAt.Sub(clk.Now()) < 10*time.Minute {
			t.Fatalf("invocation %d: %s until %s (now %s), err %v; want a pause until the hourly reset", i, res.Outcome, res.ResumeAt, clk.Now(), res.Err)
		}
		run, _ := le.db.Run(context.Background(), res.Run.ID)
		if !strings.Contains(run.Progress.Message, "waiting for the provider's core rate limit until") {
			t.Errorf("progress while paused: %q", run.Progress.Message)
		}
		pauses++
		clk.Set(res.ResumeAt)
	}
	if pauses == 0 {
		t.Fatal("the budget never ran out: the test organization is too small for the limit")
	}
	t.Logf("share %g: %d pauses", share, pauses)
	if clk.Slept() > 10*time.Minute {
		t.Errorf("slept %s in-process; the hourly waits must be pauses", clk.Slept())
	}
	got, ref := le.counts(t), want.counts(t)
	for _, ent := range []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityResources, sspm.EntityGrants} {
		if got[ent] != ref[ent] {
			t.Errorf("%s: %d after %d pauses, want %d", ent, got[ent], pauses, ref[ent])
		}
	}
}
