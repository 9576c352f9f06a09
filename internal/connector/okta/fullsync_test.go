package okta_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// smallCaps forces many pages out of a small org.
var smallCaps = map[string]int{
	"/api/v1/users": 7, "/api/v1/groups": 4, "/api/v1/groups/{groupId}/users": 3, "/api/v1/apps": 5,
	"/api/v1/apps/{appId}/users": 4, "/api/v1/apps/{appId}/groups": 2, "/api/v1/iam/assignees/users": 2,
}

func pages(n, capacity int) int { return max(1, int(math.Ceil(float64(n)/float64(capacity)))) }

// TestFullSyncReadsTheOrgInMinimalRequests pages every listing over many small pages and checks that the rows
// match the org and that each listing took exactly ceil(n/page size) requests.
func TestFullSyncReadsTheOrgInMinimalRequests(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: smallCaps}, map[string]any{"factor_budget": 0})
	users := truth(t, e, "/api/v1/users")
	deprovisioned := truth(t, e, "/api/v1/users?search="+q(`status eq "DEPROVISIONED"`))
	groups := truth(t, e, "/api/v1/groups")
	apps := truth(t, e, "/api/v1/apps")
	memberships, memberPages := 0, 0
	for _, g := range ids(groups) {
		n := len(truth(t, e, "/api/v1/groups/"+g+"/users"))
		memberships += n
		memberPages += pages(n, smallCaps["/api/v1/groups/{groupId}/users"])
	}
	appUserPages, appGroupPages, directOrGroup := 0, 0, 0
	for _, a := range ids(apps) {
		au := truth(t, e, "/api/v1/apps/"+a+"/users")
		ag := truth(t, e, "/api/v1/apps/"+a+"/groups")
		appUserPages += pages(len(au), smallCaps["/api/v1/apps/{appId}/users"])
		appGroupPages += pages(len(ag), smallCaps["/api/v1/apps/{appId}/groups"])
		directOrGroup += len(au)
	}
	e.sim.ResetStats()

	got := drain(t, e.source(t), sspm.LaneFull, nil)
	k := keys(got.page)
	if n := len(k["accounts"]); n != len(users)+len(deprovisioned) {
		t.Errorf("accounts %d, want %d users + %d deprovisioned", n, len(users), len(deprovisioned))
	}
	if n := len(k["groups"]); n != len(groups) {
		t.Errorf("groups %d, want %d", n, len(groups))
	}
	if n := len(k["group_members"]); n != memberships {
		t.Errorf("group members %d, want %d", n, memberships)
	}
	if n := len(k["resources"]); n != len(apps)+1 {
		t.Errorf("resources %d, want %d apps and the org", n, len(apps))
	}
	if len(got.page.Accounts) != len(k["accounts"]) || len(got.page.GroupMembers) != memberships {
		t.Errorf("rows were emitted twice: %d accounts, %d members", len(got.page.Accounts), len(got.page.GroupMembers))
	}
	// Every app user is granted, directly or through a group, and no grant lacks its group when the
	// memberships were read in the same invocation.
	appGrantees := map[string]bool{}
	for _, g := range got.page.Grants {
		if g.ResourceExternalID == okta.OrgResourceID {
			continue
		}
		if g.Via == "group" && g.ViaExternalID == "" {
			t.Errorf("grant %+v names no group", g)
		}
		if g.PrincipalKind == sspm.MemberAccount {
			appGrantees[g.ResourceExternalID+"/"+g.PrincipalExternalID] = true
		}
	}
	if len(appGrantees) != directOrGroup {
		t.Errorf("%d (app, user) pairs granted, want %d", len(appGrantees), directOrGroup)
	}

	stats := e.sim.Stats()
	want := map[string]int{
		"GET /api/v1/users":                  pages(len(users), 7) + pages(len(deprovisioned), 7),
		"GET /api/v1/groups":                 pages(len(groups), 4),
		"GET /api/v1/groups/{groupId}/users": memberPages,
		"GET /api/v1/apps":                   2 * pages(len(apps), 5), // the groups stage reads the apps' group assignments first
		"GET /api/v1/apps/{appId}/users":     appUserPages,
		"GET /api/v1/apps/{appId}/groups":    appGroupPages,
	}
	for route, n := range want {
		if stats.ByRoute[route] != n {
			t.Errorf("%s: %d requests, want the minimum %d", route, stats.ByRoute[route], n)
		}
	}
	if stats.ByRoute["GET /api/v1/iam/assignees/users"] == 0 || stats.RateLimited != 0 {
		t.Errorf("stats %+v", stats)
	}
	fmt.Printf("full sync of the small org: %d steps, %d requests\n", got.steps, stats.Total)
}
