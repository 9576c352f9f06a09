package githubsim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
)

// getJSON GETs path with the default token and decodes the body into out; it returns the response.
func getJSON(t *testing.T, s *githubsim.Server, path string, out any) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+githubsim.DefaultToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp
}

var nextLink = regexp.MustCompile(`<([^>]+)>; rel="next"`)

// TestAuditLogPagesByCursor: ascending pages of 7 follow the next link's after cursor through every entry once,
// in time order, with GitHub's fields; a created:>= phrase and action: filter narrow it; desc is newest first.
func TestAuditLogPagesByCursor(t *testing.T) {
	s := newSim(t, githubsim.Options{})
	base := "/orgs/" + s.Org() + "/audit-log"
	path := base + "?order=asc&per_page=7&include=web"
	seen := map[string]bool{}
	var last int64
	pages := 0
	for path != "" {
		var entries []map[string]any
		resp := getJSON(t, s, path, &entries)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		pages++
		for _, e := range entries {
			id, _ := e["_document_id"].(string)
			ts, _ := e["@timestamp"].(float64)
			if id == "" || seen[id] || e["action"] == "" || e["org"] != s.Org() || int64(ts) < last {
				t.Fatalf("entry %v (seen %v, previous @timestamp %d)", e, seen[id], last)
			}
			seen[id], last = true, int64(ts)
		}
		path = ""
		if m := nextLink.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			u, _ := url.Parse(m[1])
			if u.Query().Get("after") == "" {
				t.Fatalf("next link without after: %s", m[1])
			}
			path = u.RequestURI()
		}
	}
	if len(seen) != s.AuditEntries() || pages < 3 {
		t.Fatalf("read %d entries in %d pages, the log holds %d", len(seen), pages, s.AuditEntries())
	}

	var updates []map[string]any
	getJSON(t, s, base+"?phrase="+url.QueryEscape("action:org.update_member")+"&per_page=100", &updates)
	if len(updates) == 0 || updates[0]["permission"] != "admin" || updates[0]["user_id"] == nil {
		t.Fatalf("org.update_member entries: %v", updates)
	}
	var newest []map[string]any
	getJSON(t, s, base+"?per_page=1", &newest)
	if len(newest) != 1 || int64(newest[0]["@timestamp"].(float64)) != last {
		t.Fatalf("desc (the default) does not start with the newest entry: %v", newest)
	}
	cut := time.UnixMilli(last).UTC().Format(time.RFC3339)
	var recent []map[string]any
	getJSON(t, s, base+"?phrase="+url.QueryEscape("created:>="+cut)+"&per_page=100", &recent)
	if len(recent) == 0 || len(recent) > 2 {
		t.Fatalf("created:>=%s gave %d entries", cut, len(recent))
	}
	s.AuditLog("hook.destroy", map[string]any{"hook_id": 7})
	var after []map[string]any
	getJSON(t, s, base+"?phrase="+url.QueryEscape("created:>="+cut)+"&order=asc&per_page=100", &after)
	if len(after) != len(recent)+1 || after[len(after)-1]["action"] != "hook.destroy" {
		t.Fatalf("a new entry is not listed last: %v", after)
	}
}

// TestAuditLogUnavailable: 404 without Enterprise Cloud, 403 for a token that may not read it, 400 for a bad
// cursor.
func TestAuditLogUnavailable(t *testing.T) {
	if r := getJSON(t, newSim(t, githubsim.Options{NoAuditLog: true}), "/orgs/"+githubsim.DefaultOrg+"/audit-log", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("no audit log: %d", r.StatusCode)
	}
	s := newSim(t, githubsim.Options{Forbidden: []string{"GET /orgs/{org}/audit-log"}})
	if r := getJSON(t, s, "/orgs/"+s.Org()+"/audit-log", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("forbidden: %d", r.StatusCode)
	}
	s = newSim(t, githubsim.Options{})
	if r := getJSON(t, s, "/orgs/"+s.Org()+"/audit-log?after=%21%21", nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", r.StatusCode)
	}
}

// TestGraphQLUserEmails: nodes(ids:) answers the public email and the verified-domain emails of members; an
// unknown id is null with a NOT_FOUND error.
func TestGraphQLUserEmails(t *testing.T) {
	s := newSim(t, githubsim.Options{})
	var members []struct {
		Login  string `json:"login"`
		NodeID string `json:"node_id"`
	}
	getJSON(t, s, "/orgs/"+s.Org()+"/members?per_page=100", &members)
	ids := []string{"U_1"}
	for _, m := range members {
		ids = append(ids, m.NodeID)
	}
	body, _ := json.Marshal(map[string]any{"query": "query($org: String!, $ids: [ID!]!) { nodes(ids: $ids) { ... on User { login email organizationVerifiedDomainEmails(login: $org) } } }",
		"variables": map[string]any{"org": s.Org(), "ids": ids}})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/graphql", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+githubsim.DefaultToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		Data struct {
			Nodes []*struct {
				Login    string   `json:"login"`
				Email    string   `json:"email"`
				Verified []string `json:"organizationVerifiedDomainEmails"`
			} `json:"nodes"`
		} `json:"data"`
		Errors []struct{ Type string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Data.Nodes) != len(ids) || ans.Data.Nodes[0] != nil || len(ans.Errors) != 1 || ans.Errors[0].Type != "NOT_FOUND" {
		t.Fatalf("nodes %d, first %v, errors %v", len(ans.Data.Nodes), ans.Data.Nodes[0], ans.Errors)
	}
	sources := map[string]int{}
	for _, n := range ans.Data.Nodes[1:] {
		src := s.EmailSource(n.Login)
		sources[src]++
		switch src {
		case "verified_domain":
			if len(n.Verified) == 0 || n.Verified[0] != s.ResolvedEmail(n.Login) {
				t.Errorf("%s: verified %v, want %s", n.Login, n.Verified, s.ResolvedEmail(n.Login))
			}
		case "public":
			if n.Email != s.ResolvedEmail(n.Login) || len(n.Verified) != 0 {
				t.Errorf("%s: public %q verified %v", n.Login, n.Email, n.Verified)
			}
		}
	}
	for _, src := range []string{"saml", "scim", "verified_domain", "public", ""} {
		if sources[src] == 0 {
			t.Errorf("no member whose email source is %q (%v)", src, sources)
		}
	}
}
