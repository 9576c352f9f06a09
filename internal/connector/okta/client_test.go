package okta_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestThrottledThenContinues: the org starts answering 429 mid-stage; the connector waits for the window to
// reset (on the fake clock: no real sleeping) and carries on, and the step reports the wait.
func TestThrottledThenContinues(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: map[string]int{"/api/v1/users": 5}}, map[string]any{"rate_limit_share": 1})
	users := len(truth(t, e, "/api/v1/users")) + len(truth(t, e, "/api/v1/users?search="+q(`status eq "DEPROVISIONED"`)))
	e.sim.ResetStats()
	calls := 0
	e.opts.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/api/v1/users" {
			if calls++; calls == 3 { // another client spends the users bucket: this request is answered 429
				e.sim.SetRateLimits(map[string]int{oktasim.BucketUsers: 1})
			}
		}
		return e.sim.Client().Transport.RoundTrip(r)
	})}
	start, began := time.Now(), e.clk.Now()
	got := drain(t, e.source(t), sspm.LaneFull, nil, okta.StageUsers)
	stats := e.sim.Stats()
	if stats.RateLimited != 1 {
		t.Fatalf("the org throttled %d requests, want the one", stats.RateLimited)
	}
	if len(got.page.Accounts) != users || !strings.Contains(strings.Join(got.messages, ";"), "for the /api/v1/users rate limit") {
		t.Fatalf("accounts %d of %d, messages %q", len(got.page.Accounts), users, got.messages)
	}
	if e.clk.Now().Sub(began) < time.Minute || time.Since(start) > 5*time.Second {
		t.Fatalf("fake clock moved %v, real time %v", e.clk.Now().Sub(began), time.Since(start))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPacesToItsShare: with half of each bucket, the connector waits for the reset before the org would
// throttle it, and never sees a 429.
func TestPacesToItsShare(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{
		PageCaps:   map[string]int{"/api/v1/users": 3},
		RateLimits: map[string]int{oktasim.BucketUsers: 6},
	}, map[string]any{"rate_limit_share": 0.5})
	got := drain(t, e.source(t), sspm.LaneFull, nil, okta.StageUsers)
	stats := e.sim.Stats()
	if stats.RateLimited != 0 {
		t.Fatalf("%d requests throttled; pacing should keep below the share", stats.RateLimited)
	}
	if stats.ByRoute["GET /api/v1/users"] < 10 || e.clk.Slept() < 2*time.Minute {
		t.Fatalf("%d user pages, slept %v: want several paced windows", stats.ByRoute["GET /api/v1/users"], e.clk.Slept())
	}
	if !strings.Contains(strings.Join(got.messages, ";"), "waited") {
		t.Fatalf("messages %q do not report the waits", got.messages)
	}
}

// TestProviderFailures: transient failures are retried; persistent ones fail the step with a coded error.
func TestProviderFailures(t *testing.T) {
	tests := []struct {
		name     string
		fault    oktasim.Fault
		token    string
		wantCode sspm.Code // "" = the stage succeeds
	}{
		{name: "one 500 is retried", fault: oktasim.Fault{Path: "/api/v1/groups/{groupId}/users", Page: 2, Status: 500, Times: 1}},
		{name: "a truncated body is retried", fault: oktasim.Fault{Path: "/api/v1/groups/{groupId}/users", Truncate: true, Times: 1}},
		{name: "a cursor that never ends", fault: oktasim.Fault{Path: "/api/v1/groups/{groupId}/users", EndlessCursor: true}},
		{name: "persistent 500 on page 2", fault: oktasim.Fault{Path: "/api/v1/groups/{groupId}/users", Page: 2, Status: 500}, wantCode: sspm.CodeUnavailable},
		{name: "persistent truncation", fault: oktasim.Fault{Path: "/api/v1/groups", Truncate: true}, wantCode: sspm.CodeUnavailable},
		// A 403 marks the groups unavailable and the run goes on (the conformance suite checks what is kept).
		{name: "403", fault: oktasim.Fault{Path: "/api/v1/groups", Status: 403}},
		{name: "bad token", token: "not-the-token", wantCode: sspm.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: smallCaps, Faults: []oktasim.Fault{tt.fault}}, nil)
			e.opts.NoReadAhead = true
			token := oktasim.DefaultToken
			if tt.token != "" {
				token = tt.token
			}
			src, err := e.opts.NewSource(context.Background(), e.conn, []byte(token))
			if err != nil {
				t.Fatal(err)
			}
			cursor := ""
			for {
				res, err := src.Step(context.Background(), sspm.LaneFull, okta.StageGroups, cursor)
				if err != nil {
					if tt.wantCode == "" || sspm.ErrorCode(err) != tt.wantCode {
						t.Fatalf("error %v (code %s), want code %q", err, sspm.ErrorCode(err), tt.wantCode)
					}
					if strings.Contains(err.Error(), token) {
						t.Fatalf("the error shows the token: %v", err)
					}
					return
				}
				if res.Next == "" {
					break
				}
				cursor = res.Next
			}
			if tt.wantCode != "" {
				t.Fatalf("the stage succeeded; want a %s error", tt.wantCode)
			}
		})
	}
}
