package githubsim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
)

func newSim(t *testing.T, opts githubsim.Options) *githubsim.Server {
	t.Helper()
	c, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	s := githubsim.New(c, opts)
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, s *githubsim.Server, path, token, etag string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestConditionalRequestsAreFree: a matching If-None-Match gets 304 and spends no budget.
func TestConditionalRequestsAreFree(t *testing.T) {
	s := newSim(t, githubsim.Options{RateLimit: 100})
	first := get(t, s, "/orgs/"+s.Org()+"/members?per_page=5", githubsim.DefaultToken, "")
	etag := first.Header.Get("ETag")
	if first.StatusCode != 200 || etag == "" || s.Used() != 1 {
		t.Fatalf("first: %d etag %q used %d", first.StatusCode, etag, s.Used())
	}
	links := first.Header.Values("Link")
	if len(links) != 1 || !strings.Contains(links[0], `rel="next"`) || !strings.Contains(links[0], `, <`) {
		t.Errorf("Link = %q; want one header with comma-separated relations", links)
	}
	again := get(t, s, "/orgs/"+s.Org()+"/members?per_page=5", githubsim.DefaultToken, etag)
	if again.StatusCode != http.StatusNotModified || s.Used() != 1 || again.Header.Get("X-RateLimit-Remaining") != "99" {
		t.Errorf("conditional: %d used %d remaining %s", again.StatusCode, s.Used(), again.Header.Get("X-RateLimit-Remaining"))
	}
}

// TestPrimaryBudget: once the hourly budget is spent the answer is 403 with X-RateLimit-Remaining: 0.
func TestPrimaryBudget(t *testing.T) {
	s := newSim(t, githubsim.Options{RateLimit: 2})
	for range 2 {
		if r := get(t, s, "/orgs/"+s.Org(), githubsim.DefaultToken, ""); r.StatusCode != 200 {
			t.Fatal(r.StatusCode)
		}
	}
	r := get(t, s, "/orgs/"+s.Org(), githubsim.DefaultToken, "")
	if r.StatusCode != http.StatusForbidden || r.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("over budget: %d remaining %q", r.StatusCode, r.Header.Get("X-RateLimit-Remaining"))
	}
	if r := get(t, s, "/orgs/"+s.Org(), "wrong", ""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad token: %d", r.StatusCode)
	}
}
