package github_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestTeamMembersAreImmediate: GitHub's REST team members listing includes the members of child teams (the
// simulator answers so, as documented); the connector stores each team's own (immediate) members only, and the
// child teams as members of their parent carry the rest.
func TestTeamMembersAreImmediate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{})
	d, err := drain(t, e.source(t))
	if err != nil {
		t.Fatal(err)
	}
	teamID := map[string]string{} // slug → id
	for _, g := range d.page.Groups {
		var raw struct {
			Slug string `json:"slug"`
		}
		if g.Kind == "team" && json.Unmarshal(g.Raw, &raw) == nil {
			teamID[raw.Slug] = g.ExternalID
		}
	}
	login := map[string]string{} // account id → login
	for _, a := range d.page.Accounts {
		login[a.ExternalID] = a.Username
	}
	stored := map[string][]string{} // team id → member logins
	for _, m := range d.page.GroupMembers {
		if m.MemberKind == sspm.MemberAccount {
			stored[m.GroupExternalID] = append(stored[m.GroupExternalID], login[m.MemberExternalID])
		}
	}
	inherited := 0
	for _, slug := range e.sim.Teams() {
		immediate, all := e.sim.TeamMembers(slug, false), e.sim.TeamMembers(slug, true)
		inherited += len(all) - len(immediate)
		got := slices.Sorted(slices.Values(stored[teamID[slug]]))
		if want := slices.Sorted(slices.Values(immediate)); !slices.Equal(got, want) {
			t.Errorf("team %s: stored members %v, want its immediate members %v", slug, got, want)
		}
		if rest := restTeamMembers(t, e, slug); len(rest) != len(all) {
			t.Errorf("team %s: the simulator's REST listing has %d members, want %d with the child teams' (as documented)", slug, len(rest), len(all))
		}
	}
	if inherited == 0 {
		t.Fatal("no team inherits members from a child team: the test shows nothing")
	}
}

// restTeamMembers lists a team's members with the REST listing, as GitHub answers it.
func restTeamMembers(t *testing.T, e *env, slug string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.sim.URL()+"/orgs/"+e.sim.Org()+"/teams/"+slug+"/members?per_page=100", nil)
	req.Header.Set("Authorization", "Bearer "+githubsim.DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var users []struct {
		Login string `json:"login"`
		ID    int64  `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&users); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range users {
		out = append(out, u.Login+"#"+strconv.FormatInt(u.ID, 10))
	}
	return out
}
