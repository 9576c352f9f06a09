package github_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestCollaboratorRolesAreHonest: the collaborators listing's role_name is the highest role from every source
// (documented; the simulator answers so). A member granted read directly on a repository its team administers
// is listed with role_name admin: the connector stores that as the member's effective role (Via "effective"),
// never as a direct admin grant; an outside collaborator's role is its direct grant (Via "direct").
func TestCollaboratorRolesAreHonest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{})
	var slug, repo, member string
	for _, s := range e.sim.Teams() {
		members := e.sim.TeamMembers(s, false)
		for r, perm := range e.sim.TeamRepos(s) {
			if perm == "admin" && len(members) > 0 {
				slug, repo, member = s, r, members[0]
			}
		}
	}
	if member == "" {
		t.Fatal("no team administers a repository")
	}
	if err := e.sim.AddCollaborator(repo, member, "pull"); err != nil {
		t.Fatal(err)
	}
	if got := restRoleName(t, e, repo, member); got != "admin" {
		t.Fatalf("the simulator lists %s on %s with role_name %q; GitHub documents the highest role (admin via team %s)", member, repo, got, slug)
	}

	d, err := drain(t, e.source(t))
	if err != nil {
		t.Fatal(err)
	}
	ids, repoIDs := map[string]string{}, map[string]string{} // login → id, id → repository name
	for _, a := range d.page.Accounts {
		ids[a.Username] = a.ExternalID
	}
	for _, r := range d.page.Resources {
		repoIDs[r.ExternalID] = r.Name
	}
	outside := map[string]bool{}
	for _, l := range e.sim.OutsideCollaborators() {
		outside[ids[l]] = true
	}
	var effective []sspm.Grant
	direct := 0
	for _, g := range d.page.Grants {
		if g.PrincipalKind != sspm.MemberAccount || repoIDs[g.ResourceExternalID] == "" || strings.HasPrefix(g.ResourceExternalID, "org:") {
			continue
		}
		switch g.Via {
		case "direct":
			direct++
			if !outside[g.PrincipalExternalID] {
				t.Errorf("a member's grant stored as direct: %+v (role_name is the highest role from every source)", g)
			}
		case "effective":
			if outside[g.PrincipalExternalID] {
				t.Errorf("an outside collaborator's grant labelled effective: %+v", g)
			}
			if g.PrincipalExternalID == ids[member] {
				effective = append(effective, g)
			}
		}
	}
	if direct == 0 {
		t.Error("no outside collaborator's direct grant")
	}
	for _, l := range e.sim.OutsideCollaborators() {
		for _, r := range e.sim.Repos() {
			if want := e.sim.DirectPermission(r, l); want != "" && !slices.ContainsFunc(d.page.Grants, func(g sspm.Grant) bool {
				return g.PrincipalExternalID == ids[l] && repoIDs[g.ResourceExternalID] == e.sim.Org()+"/"+r && g.Via == "direct" && g.Permission == want
			}) {
				t.Errorf("outside collaborator %s: no direct %s grant on %s", l, want, r)
			}
		}
	}
	if !slices.ContainsFunc(effective, func(g sspm.Grant) bool {
		return repoIDs[g.ResourceExternalID] == e.sim.Org()+"/"+repo && g.Permission == "admin"
	}) {
		t.Errorf("%s on %s: grants %+v, want the effective admin", member, repo, effective)
	}
}

// restRoleName is the role_name the collaborators listing gives a user on a repository.
func restRoleName(t *testing.T, e *env, repo, login string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.sim.URL()+"/repos/"+e.sim.Org()+"/"+repo+"/collaborators?affiliation=direct&per_page=100", nil)
	req.Header.Set("Authorization", "Bearer "+githubsim.DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var users []struct {
		Login    string `json:"login"`
		ID       int64  `json:"id"`
		RoleName string `json:"role_name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&users); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Login == login {
			return u.RoleName
		}
	}
	t.Fatalf("%s is not listed on %s", login, repo)
	return ""
}
