package ddsim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestRateLimits: every answer carries the five X-RateLimit headers of its endpoint's bucket; once the
// bucket's budget of the window is spent the answer is 429 with Remaining 0 and Reset in seconds from now;
// other buckets are not charged; the next window serves again.
func TestRateLimits(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 12, 1, 10, 0, 3, 0, time.UTC))
	s := newSim(t, ddsim.Options{Clock: clock.Now, RatePeriod: 10 * time.Second,
		RateLimits: map[string]int{ddsim.BucketUsers: 2}})
	type want struct {
		status                        int
		limit, remaining, reset, name string
	}
	for _, tc := range []struct {
		name string
		path string
		want want
	}{
		{"first", "/api/v2/users", want{200, "2", "1", "7", ddsim.BucketUsers}},
		{"second", "/api/v2/users?page[number]=1", want{200, "2", "0", "7", ddsim.BucketUsers}},
		{"over budget", "/api/v2/users?page[number]=2", want{429, "2", "0", "7", ddsim.BucketUsers}},
		{"other bucket unmetered", "/api/v2/roles", want{200, "1000", "999", "7", ddsim.BucketRoles}},
		{"forbidden still has headers", "/api/v2/users", want{403, "2", "0", "7", ddsim.BucketUsers}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req{path: tc.path}
			if tc.want.status == 403 {
				r.appKey = "wrong"
			}
			a := do(t, s, r)
			got := want{a.status, a.header.Get("X-RateLimit-Limit"), a.header.Get("X-RateLimit-Remaining"),
				a.header.Get("X-RateLimit-Reset"), a.header.Get("X-RateLimit-Name")}
			if got != tc.want || a.header.Get("X-RateLimit-Period") != "10" {
				t.Errorf("got %+v period %q, want %+v period 10", got, a.header.Get("X-RateLimit-Period"), tc.want)
			}
			if a.status == http.StatusTooManyRequests && len(errorsOf(a)) != 1 {
				t.Errorf("429 body %v", a.body)
			}
		})
	}
	st := s.Stats()
	if st.Total != 5 || st.RateLimited != 1 || st.Forbidden != 1 || st.ByRoute["GET /api/v2/users"] != 4 || st.ByStatus[200] != 3 {
		t.Errorf("stats %+v", st)
	}
	s.ResetStats()
	clock.Advance(7 * time.Second)
	if a := do(t, s, req{path: "/api/v2/users"}); a.status != 200 || a.header.Get("X-RateLimit-Remaining") != "1" ||
		a.header.Get("X-RateLimit-Reset") != "10" {
		t.Errorf("next window: %d remaining %s reset %s", a.status, a.header.Get("X-RateLimit-Remaining"), a.header.Get("X-RateLimit-Reset"))
	}
}

// TestFaults: a fault answers its route with the status and Datadog's error body, Times times.
func TestFaults(t *testing.T) {
	s := newSim(t, ddsim.Options{Faults: []ddsim.Fault{{Path: "GET /api/v2/roles", Status: 503, Times: 1}}})
	if a := do(t, s, req{path: "/api/v2/roles"}); a.status != 503 || len(errorsOf(a)) != 1 {
		t.Errorf("faulted: %d %v", a.status, a.body)
	}
	if a := do(t, s, req{path: "/api/v2/roles"}); a.status != 200 {
		t.Errorf("after the fault retired: %d", a.status)
	}
	if a := do(t, s, req{path: "/api/v2/users"}); a.status != 200 {
		t.Errorf("other route: %d", a.status)
	}
}
