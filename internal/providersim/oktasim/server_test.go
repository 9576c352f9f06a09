package oktasim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// get sends an authenticated GET and returns the response and body.
func get(t testing.TB, s *Server, path string) (*http.Response, []byte) {
	t.Helper()
	return do(t, s, http.MethodGet, path, DefaultToken, nil)
}

func do(t testing.TB, s *Server, method, path, token string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "SSWS "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// nextLink returns the rel="next" URL path and query, or "".
func nextLink(t testing.TB, s *Server, resp *http.Response) string {
	t.Helper()
	for _, l := range resp.Header.Values("Link") {
		if strings.HasSuffix(l, `rel="next"`) {
			u := strings.TrimSuffix(strings.TrimPrefix(strings.Split(l, ">")[0], "<"), " ")
			if !strings.HasPrefix(u, s.URL()) {
				t.Fatalf("next link %q is not absolute on %s", u, s.URL())
			}
			return strings.TrimPrefix(u, s.URL())
		}
	}
	return ""
}

// TestEveryEndpointAnswersValidJSON reads every GET endpoint and checks the
// body, the content type and the rate-limit headers.
func TestEveryEndpointAnswersValidJSON(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	user, _ := s.UserID(c.People[0].ID)
	group, _ := s.GroupID("IT Administrators")
	app, _ := s.AppID(c.Apps[0].Key)
	var policy string
	func() {
		s.mu.RLock()
		defer s.mu.RUnlock()
		policy = s.org.policies[0].id
	}()
	paths := []string{
		"/api/v1/users", "/api/v1/users/" + user, "/api/v1/users/" + user + "/groups", "/api/v1/users/" + user + "/roles",
		"/api/v1/users/" + user + "/factors", "/api/v1/groups", "/api/v1/groups/" + group, "/api/v1/groups/" + group + "/users",
		"/api/v1/groups/" + group + "/roles", "/api/v1/apps", "/api/v1/apps/" + app, "/api/v1/apps/" + app + "/users?expand=user",
		"/api/v1/apps/" + app + "/groups?expand=group", "/api/v1/apps/" + app + "/grants", "/api/v1/iam/assignees/users",
		"/api/v1/policies?type=ACCESS_POLICY", "/api/v1/policies/" + policy, "/api/v1/policies/" + policy + "/rules",
		"/api/v1/authenticators", "/api/v1/logStreams", "/api/v1/brands", "/api/v1/first-party-app-settings/admin-console",
		"/api/v1/api-tokens", "/api/v1/org", "/api/v1/logs?limit=1000&since=2026-01-01T00:00:00Z", "/api/v1/eventHooks",
	}
	for _, p := range paths {
		resp, body := get(t, s, p)
		if resp.StatusCode != 200 || !json.Valid(body) {
			t.Errorf("GET %s: %d, valid JSON %v: %.200s", p, resp.StatusCode, json.Valid(body), body)
		}
		for _, h := range []string{"Content-Type", "Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "X-Okta-Request-Id"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("GET %s: no %s header", p, h)
			}
		}
	}
}

// TestErrorsHaveOktaShape checks error bodies and their headers.
func TestErrorsHaveOktaShape(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	tests := []struct {
		name, path, token string
		wantStatus        int
		wantCode          string
	}{
		{"missing token", "/api/v1/users", "", 401, "E0000011"},
		{"wrong token", "/api/v1/users", "nope", 401, "E0000011"},
		{"unknown user", "/api/v1/users/00uxxxxxxxxxxxxxxxxx", DefaultToken, 404, "E0000007"},
		{"unknown path", "/api/v1/nothing", DefaultToken, 404, "E0000007"},
		{"bad filter", "/api/v1/users?filter=status%20eq", DefaultToken, 400, "E0000031"},
		{"bad cursor", "/api/v1/users?after=%21%21", DefaultToken, 400, "E0000001"},
		{"policies without type", "/api/v1/policies", DefaultToken, 400, "E0000001"},
		{"bad limit", "/api/v1/users?limit=x", DefaultToken, 400, "E0000001"},
		{"negative limit", "/api/v1/groups?limit=-1", DefaultToken, 400, "E0000001"},
		{"bad limit on the System Log", "/api/v1/logs?limit=many", DefaultToken, 400, "E0000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, s, http.MethodGet, tt.path, tt.token, nil)
			var e struct {
				ErrorCode, ErrorSummary, ErrorLink, ErrorID string
				ErrorCauses                                 []map[string]string
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || e.ErrorCode != tt.wantCode || e.ErrorSummary == "" || e.ErrorLink != tt.wantCode || e.ErrorID == "" || e.ErrorCauses == nil {
				t.Errorf("got %d %s", resp.StatusCode, body)
			}
			if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Rate-Limit-Limit") == "" {
				t.Errorf("headers: %v", resp.Header)
			}
		})
	}
}

// TestLinkHeadersOneLinePerRelation protects the shape the Okta SDK needs:
// separate Link header lines for self and next, no next on the last page.
func TestLinkHeadersOneLinePerRelation(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	path, pages, seen := "/api/v1/users?limit=20", 0, 0
	for path != "" {
		resp, body := get(t, s, path)
		links := resp.Header.Values("Link")
		var page []json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		seen += len(page)
		pages++
		path = nextLink(t, s, resp)
		if want := 2; path == "" {
			want = 1
			if len(links) != want || !strings.HasSuffix(links[0], `rel="self"`) {
				t.Errorf("last page links %q", links)
			}
		} else if len(links) != want || !strings.Contains(path, "limit=20") {
			t.Errorf("page %d links %q", pages, links)
		}
	}
	if pages != (seen+19)/20 {
		t.Errorf("%d users over %d pages of 20", seen, pages)
	}
}

// TestSameSeedSameResponses protects determinism across servers.
func TestSameSeedSameResponses(t *testing.T) {
	clock := func() time.Time { return providersim.DefaultNow() }
	var bodies [2][]byte
	for i := range bodies {
		s := New(company(t, providersim.Small()), Options{Clock: clock})
		_, body := get(t, s, "/api/v1/users?limit=200")
		bodies[i] = bytes.ReplaceAll(body, []byte(s.URL()), []byte("ORG")) // ports differ
		s.Close()
	}
	if !bytes.Equal(bodies[0], bodies[1]) {
		t.Error("two servers for the same company answered differently")
	}
}

// TestRateLimitWindow checks the per-bucket budget, the headers and the
// reset of the window by the clock.
func TestRateLimitWindow(t *testing.T) {
	c := company(t, providersim.Small())
	clock := clocktest.New(c.Now)
	s := New(c, Options{Clock: clock.Now, RateLimits: map[string]int{BucketGroups: 2}})
	defer s.Close()
	wantStatus := []int{200, 200, 429}
	for i, want := range wantStatus {
		resp, body := get(t, s, "/api/v1/groups")
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d %s", i+1, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Rate-Limit-Remaining"); got != []string{"1", "0", "0"}[i] {
			t.Errorf("request %d: remaining %s", i+1, got)
		}
		if resp.Header.Get("X-Rate-Limit-Limit") != "2" || resp.Header.Get("X-Rate-Limit-Reset") != itoa64(c.Now.Add(time.Minute).Unix()) {
			t.Errorf("request %d: limit %s reset %s", i+1, resp.Header.Get("X-Rate-Limit-Limit"), resp.Header.Get("X-Rate-Limit-Reset"))
		}
	}
	if resp, _ := get(t, s, "/api/v1/users"); resp.StatusCode != 200 {
		t.Errorf("another bucket was limited: %d", resp.StatusCode)
	}
	clock.Advance(time.Minute)
	if resp, _ := get(t, s, "/api/v1/groups"); resp.StatusCode != 200 {
		t.Errorf("after the window: %d", resp.StatusCode)
	}
	st := s.Stats()
	if st.ByRoute["GET /api/v1/groups"] != 4 || st.ByStatus[429] != 1 || st.RateLimited != 1 || st.Total != 5 {
		t.Errorf("stats %+v", st)
	}
}
