package okta_test

import (
	"context"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestResumeFromEveryCursor hands every cursor of a stage to a new Source (as after a crash or the time
// budget): the rows read across the two Sources are the rows of one uninterrupted read, and app grants through
// groups still name their group although neither Source read the memberships in the groups stage.
func TestResumeFromEveryCursor(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: map[string]int{
		"/api/v1/users": 3, "/api/v1/groups": 2, "/api/v1/groups/{groupId}/users": 2, "/api/v1/apps": 2,
		"/api/v1/apps/{appId}/users": 2, "/api/v1/apps/{appId}/groups": 1, "/api/v1/iam/assignees/users": 1,
	}}, nil)
	e.opts.NoReadAhead = true
	e.stepRows, e.stepRequests = 10, 3
	ctx := context.Background()
	warm := e.source(t) // reads the stages in order, as one invocation
	for _, stage := range []string{okta.StageUsers, okta.StageGroups, okta.StageApps, okta.StageRoles} {
		var whole sspm.Page
		var cursors []string
		var steps []sspm.Page // what the warm source read before each cursor
		cursor := ""
		for {
			res, err := warm.Step(ctx, sspm.LaneFull, stage, cursor)
			if err != nil {
				t.Fatal(err)
			}
			sourcetest.AppendPage(&whole, &res.Page)
			steps = append(steps, res.Page)
			if res.Next == "" {
				break
			}
			cursors = append(cursors, res.Next)
			cursor = res.Next
		}
		if len(cursors) == 0 || (stage != okta.StageRoles && len(cursors) < 5) {
			t.Fatalf("stage %s took %d steps; want many to resume from", stage, len(cursors)+1)
		}
		want := keys(whole)
		for i, resumeAt := range cursors {
			var page sspm.Page
			for j := range i + 1 {
				sourcetest.AppendPage(&page, &steps[j])
			}
			rest := drain(t, e.source(t), sspm.LaneFull, map[string]string{stage: resumeAt}, stage).page
			sourcetest.AppendPage(&page, &rest)
			got := keys(page)
			for _, name := range []string{"accounts", "groups", "group_members", "resources", "grants", "datasets"} {
				if !sameSet(got[name], want[name]) {
					t.Fatalf("stage %s resumed at cursor %d: %s differ (%d rows, want %d)", stage, i, name, len(got[name]), len(want[name]))
				}
			}
		}
	}
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
