package entrasim

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestThrottling(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		cost      int
		budget    int
		wantAdmit int // requests admitted before the first 429
	}{
		{name: "users list costs 2", path: "/v1.0/users", cost: 2, budget: 10, wantAdmit: 5},
		{name: "users with $select costs 1", path: "/v1.0/users?$select=id", cost: 1, budget: 10, wantAdmit: 10},
		{name: "transitive members cost 5", path: "/v1.0/groups/{g}/transitiveMembers", cost: 5, budget: 12, wantAdmit: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newServer(t, Options{ResourceUnits: tt.budget})
			path := tt.path
			if path == "/v1.0/groups/{g}/transitiveMembers" {
				path = "/v1.0/groups/" + s.GroupIDs()[0] + "/transitiveMembers"
			}
			admitted := 0
			var h http.Header
			var body map[string]any
			for {
				var status int
				status, h, body = get(t, s, DefaultToken, path)
				if status == http.StatusTooManyRequests {
					break
				}
				if status != http.StatusOK || h.Get("x-ms-resource-unit") != strconv.Itoa(tt.cost) {
					t.Fatalf("status %d, x-ms-resource-unit %q, want 200 and %d", status, h.Get("x-ms-resource-unit"), tt.cost)
				}
				admitted++
				used := float64(admitted*tt.cost) / float64(tt.budget)
				if got := h.Get("x-ms-throttle-limit-percentage"); (used >= 0.8) != (got != "") || (got != "" && got != strconv.FormatFloat(used, 'f', 2, 64)) {
					t.Errorf("after %d requests (%.2f of the budget): x-ms-throttle-limit-percentage %q", admitted, used, got)
				}
				if admitted > tt.wantAdmit {
					t.Fatalf("more than %d requests admitted", tt.wantAdmit)
				}
			}
			if admitted != tt.wantAdmit || graphCode(body) != codeThrottled {
				t.Fatalf("admitted %d, want %d; 429 body %v", admitted, tt.wantAdmit, body)
			}
			if st := s.Stats(); st.Units != admitted*tt.cost || st.Throttled != 1 {
				t.Errorf("Stats: %d units, %d throttled; want %d and 1", st.Units, st.Throttled, admitted*tt.cost)
			}
			wait, err := strconv.Atoi(h.Get("Retry-After"))
			if err != nil || wait < 1 {
				t.Fatalf("Retry-After %q", h.Get("Retry-After"))
			}
			clk.Advance(time.Duration(wait-1) * time.Second)
			if status, _, _ := get(t, s, DefaultToken, path); status != http.StatusTooManyRequests {
				t.Fatalf("admitted a second before Retry-After elapsed: %d", status)
			}
			clk.Advance(time.Second)
			if status, _, body := get(t, s, DefaultToken, path); status != http.StatusOK {
				t.Fatalf("refused after Retry-After: %d %v", status, body)
			}
		})
	}
}

func TestThrottleIsPerApp(t *testing.T) {
	second := App{ClientID: "44444444-3333-4444-5555-666666666666", Secret: "s4"}
	s, _ := newServer(t, Options{ResourceUnits: 2, Apps: []App{{ClientID: DefaultClientID, Secret: DefaultSecret}, second}})
	if status, _, _ := get(t, s, DefaultToken, "/v1.0/users"); status != 200 {
		t.Fatal(status)
	}
	if status, _, _ := get(t, s, DefaultToken, "/v1.0/users"); status != 429 {
		t.Fatalf("first app's budget not spent: %d", status)
	}
	_, tok := postToken(t, s, s.TenantID(), map[string][]string{"grant_type": {"client_credentials"},
		"client_id": {second.ClientID}, "client_secret": {second.Secret}, "scope": {GraphScope}})
	if status, _, body := get(t, s, tok["access_token"].(string), "/v1.0/users"); status != 200 {
		t.Fatalf("second app throttled by the first's use: %d %v", status, body)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		path       string
		wantStatus int
		wantCode   string
		wantRetry  string
	}{
		{name: "503 on members", fault: Fault{Path: "/v1.0/groups/{id}/members", Status: 503, RetryAfter: 2, Times: 1}, path: "/v1.0/groups/{g}/members", wantStatus: 503, wantCode: codeUnavailable, wantRetry: "2"},
		{name: "403 on groups", fault: Fault{Path: "/v1.0/groups", Status: 403, Times: 1}, path: "/v1.0/groups", wantStatus: 403, wantCode: codeDenied},
		{name: "410 on users delta", fault: Fault{Path: "/v1.0/users/delta", Status: 410, Times: 1}, path: "/v1.0/users/delta", wantStatus: 410, wantCode: codeSyncStateNotFund},
		{name: "429 on users", fault: Fault{Status: 429, Times: 1}, path: "/v1.0/users", wantStatus: 429, wantCode: codeThrottled, wantRetry: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, Options{Faults: []Fault{tt.fault}})
			path := tt.path
			if path == "/v1.0/groups/{g}/members" {
				path = "/v1.0/groups/" + s.GroupIDs()[0] + "/members"
			}
			if tt.fault.Path != "" {
				if status, _, _ := get(t, s, DefaultToken, "/v1.0/groups/"+s.GroupIDs()[1]); status != 200 {
					t.Fatalf("fault hit another route: %d", status)
				}
			}
			status, h, body := get(t, s, DefaultToken, path)
			if status != tt.wantStatus || graphCode(body) != tt.wantCode || h.Get("Retry-After") != tt.wantRetry {
				t.Fatalf("%d %q %v, want %d %q %s", status, h.Get("Retry-After"), body, tt.wantStatus, tt.wantRetry, tt.wantCode)
			}
			if status, _, _ := get(t, s, DefaultToken, path); status != 200 {
				t.Fatalf("fault fired beyond Times: %d", status)
			}
		})
	}
}

// TestThrottleWithoutWarning: WithoutThrottleWarning spends the same budget without the early warning; the
// 429 still carries Retry-After.
func TestThrottleWithoutWarning(t *testing.T) {
	s, _ := newServer(t, Options{ResourceUnits: 10, WithoutThrottleWarning: true})
	for i := range 10 {
		status, h, _ := get(t, s, DefaultToken, "/v1.0/users?$select=id")
		if status != http.StatusOK || h.Get("x-ms-throttle-limit-percentage") != "" {
			t.Fatalf("request %d: %d, x-ms-throttle-limit-percentage %q", i, status, h.Get("x-ms-throttle-limit-percentage"))
		}
	}
	status, h, _ := get(t, s, DefaultToken, "/v1.0/users?$select=id")
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" {
		t.Fatalf("over budget: %d, Retry-After %q", status, h.Get("Retry-After"))
	}
	if st := s.Stats(); st.Units != 10 || st.Throttled != 1 {
		t.Errorf("Stats: %d units, %d throttled", st.Units, st.Throttled)
	}
}
