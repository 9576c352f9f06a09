package oktasim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// TestUserAndGroupExpressions checks the search/filter subset connectors use
// for deltas and leavers.
func TestUserAndGroupExpressions(t *testing.T) {
	c := company(t, providersim.Medium())
	s := New(c, Options{})
	defer s.Close()
	var leavers, recent, recentGroups, engineering int
	cut := c.Now.Add(-10 * 24 * time.Hour)
	func() {
		s.mu.RLock()
		defer s.mu.RUnlock()
		for _, u := range s.org.users {
			if u.status == "DEPROVISIONED" {
				leavers++
			}
			if u.lastUpdated.After(cut) {
				recent++
			}
			if strings.EqualFold(u.p.department, "engineering") && u.status == "ACTIVE" {
				engineering++
			}
		}
		for _, g := range s.org.groups {
			if g.lastMembershipUpdated.After(cut) || g.lastUpdated.After(cut) {
				recentGroups++
			}
		}
	}()
	ts := cut.Format("2006-01-02T15:04:05.000Z")
	email := c.People[3].Email
	tests := []struct {
		name, path string
		want       int
	}{
		{"leavers", `/api/v1/users?search=status eq "DEPROVISIONED"`, leavers},
		{"delta", `/api/v1/users?search=lastUpdated gt "` + ts + `"`, recent},
		{"delta, filter, offset time", `/api/v1/users?filter=lastUpdated gt "` + cut.In(time.FixedZone("x", 3600)).Format(time.RFC3339) + `"`, recent},
		{"email any case", `/api/v1/users?search=profile.email eq "` + strings.ToUpper(email) + `"`, 1},
		{"and", `/api/v1/users?search=profile.department eq "Engineering" and status eq "ACTIVE"`, engineering},
		{"groups delta", `/api/v1/groups?filter=lastUpdated gt "` + ts + `" or lastMembershipUpdated gt "` + ts + `"`, recentGroups},
		{"group type", `/api/v1/groups?filter=type eq "BUILT_IN"`, 1},
		{"group name prefix", `/api/v1/groups?q=Office`, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, path := 0, tt.path
			for path != "" {
				u, _ := url.Parse(path)
				u.RawQuery = u.Query().Encode()
				resp, body := get(t, s, u.String())
				var page []json.RawMessage
				if err := json.Unmarshal(body, &page); err != nil {
					t.Fatalf("%d %s", resp.StatusCode, body)
				}
				got += len(page)
				path = nextLink(t, s, resp)
			}
			if got != tt.want || tt.want == 0 {
				t.Errorf("got %d, want %d (non-zero)", got, tt.want)
			}
		})
	}
}

func TestParseExprRejects(t *testing.T) {
	for _, give := range []string{`status eq`, `status foo "x"`, `status eq "x" and`, `status eq "x" nand y eq "z"`, `status eq "x`} {
		if _, err := parseExpr(give); err == nil {
			t.Errorf("parseExpr(%q) succeeded", give)
		}
	}
}
