package googlesim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
)

// TestQuotaAnswersAsGoogle: beyond the per-minute quota Directory answers 403 userRateLimitExceeded and Reports
// 503; the next minute is served again.
func TestQuotaAnswersAsGoogle(t *testing.T) {
	s, clk := newSim(t, googlesim.Options{QueriesPerMinute: 2})
	clk.t = clk.t.Truncate(time.Minute)
	users := "/admin/directory/v1/users?customer=my_customer&maxResults=1"
	for range 2 {
		if code, _ := get(t, s, googlesim.DefaultToken, users, nil); code != http.StatusOK {
			t.Fatalf("within the quota: %d", code)
		}
	}
	var e apiErr
	if code, _ := get(t, s, googlesim.DefaultToken, users, &e); code != http.StatusForbidden || e.reason() != "userRateLimitExceeded" || e.Error.Errors[0].Domain != "usageLimits" {
		t.Fatalf("beyond the quota: %d %+v", code, e)
	}
	if code, _ := get(t, s, googlesim.DefaultToken, "/admin/reports/v1/activity/users/all/applications/login", &e); code != http.StatusServiceUnavailable {
		t.Fatalf("reports beyond the quota: %d", code)
	}
	clk.t = clk.t.Add(time.Minute)
	if code, _ := get(t, s, googlesim.DefaultToken, users, nil); code != http.StatusOK {
		t.Fatalf("the next minute: %d", code)
	}
	if st := s.Stats(); st.Throttled != 2 || st.ByRoute[googlesim.RouteUsers] != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// TestFaults: each fault answers Google's error for its status on its route and page, as many times as asked.
func TestFaults(t *testing.T) {
	s, _ := newSim(t, googlesim.Options{})
	groups := "/admin/directory/v1/groups?customer=my_customer&maxResults=5"
	for _, tc := range []struct {
		f          googlesim.Fault
		status     int
		reason     string
		retryAfter string
	}{
		{googlesim.Fault{Path: googlesim.RouteGroups, Status: 403, Reason: "rateLimitExceeded", Times: 1}, 403, "rateLimitExceeded", ""},
		{googlesim.Fault{Path: googlesim.RouteGroups, Status: 429, RetryAfter: 30 * time.Second, Times: 1}, 429, "rateLimitExceeded", "30"},
		{googlesim.Fault{Path: googlesim.RouteGroups, Status: 503, Times: 1}, 503, "backendError", ""},
		{googlesim.Fault{Path: googlesim.RouteGroups, Status: 403, Times: 1}, 403, "forbidden", ""},
	} {
		s.AddFault(tc.f)
		var e apiErr
		code, h := get(t, s, googlesim.DefaultToken, groups, &e)
		if code != tc.status || e.reason() != tc.reason || h.Get("Retry-After") != tc.retryAfter || e.Error.Code != tc.status {
			t.Fatalf("%+v: %d %q Retry-After %q", tc.f, code, e.reason(), h.Get("Retry-After"))
		}
		if code, _ := get(t, s, googlesim.DefaultToken, groups, nil); code != http.StatusOK {
			t.Fatalf("after the fault fired once: %d", code)
		}
	}
	_, plain := listAll(t, s, "/admin/directory/v1/groups?customer=my_customer", "groups", 5)
	s.AddFault(googlesim.Fault{Path: googlesim.RouteGroups, EmptyLastPage: true})
	items, pages := listAll(t, s, "/admin/directory/v1/groups?customer=my_customer", "groups", 5)
	if pages != plain+1 || len(items) != len(s.Groups()) {
		t.Fatalf("empty last page: %d pages (%d without), %d items", pages, plain, len(items))
	}
	s.ClearFaults()
	s.AddFault(googlesim.Fault{Path: googlesim.RouteGroups, Page: 2, Status: 503})
	if code, _ := get(t, s, googlesim.DefaultToken, groups, nil); code != http.StatusOK {
		t.Fatalf("page 1 with a page-2 fault: %d", code)
	}
}
