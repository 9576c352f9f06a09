package github_test

import (
	"context"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestRefreshEventsRereadsWhatTheyTouch: a member, a team and a repository named by events are read again;
// a user who is no longer a member is skipped, not an error.
func TestRefreshEventsRereadsWhatTheyTouch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{})
	src := e.source(t)
	members, teams, repos := e.sim.Members(), e.sim.Teams(), e.sim.Repos()
	events := []sspm.Event{
		{Type: "member.added", Targets: []sspm.EventTarget{{Type: "user", ExternalID: "1", DisplayName: members[0]}}},
		{Type: "team.edited", Targets: []sspm.EventTarget{{Type: "team", ExternalID: "2", DisplayName: teams[0]}}},
		{Type: "repository.edited", Targets: []sspm.EventTarget{{Type: "repository", ExternalID: "3", DisplayName: e.sim.Org() + "/" + repos[0]}}},
		{Type: "organization.member_removed", Targets: []sspm.EventTarget{{Type: "user", ExternalID: "4", DisplayName: "no-such-user"}}},
	}
	p, err := src.RefreshEvents(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Accounts) != 1 || p.Accounts[0].Username != members[0] {
		t.Errorf("accounts %+v", p.Accounts)
	}
	if len(p.Groups) != 1 || len(p.Resources) != 1 || !strings.HasSuffix(p.Resources[0].Name, "/"+repos[0]) {
		t.Errorf("groups %d, resources %+v", len(p.Groups), p.Resources)
	}
	base := 0
	for _, g := range p.Grants {
		if g.Via == "org_base" {
			base++
		}
	}
	if base != 1 || len(p.GroupMembers) < 2 {
		t.Errorf("base grants %d, group members %d", base, len(p.GroupMembers))
	}
}
