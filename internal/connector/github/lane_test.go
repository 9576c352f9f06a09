package github_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type laneEnv struct {
	*env
	db     *postgres.DB
	runner *lane.Runner
}

func newLaneEnv(t *testing.T, e *env) *laneEnv {
	t.Helper()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(context.Background(), e.conn, nil, ""); err != nil {
		t.Fatal(err)
	}
	return &laneEnv{env: e, db: db, runner: &lane.Runner{Store: db, LeaseTTL: time.Minute,
		Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
			return e.opts.NewSource(ctx, c, []byte(githubsim.DefaultToken))
		}}}
}

func (le *laneEnv) run(t *testing.T, owner string) lane.Result {
	t.Helper()
	res, err := le.runner.Run(context.Background(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: le.conn.ID}, owner, time.Time{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func (le *laneEnv) counts(t *testing.T) map[sspm.Entity]int64 {
	t.Helper()
	c, err := le.db.Counts(context.Background(), le.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFailedRunExpiresNothingAndTheNextRunExpiresWhatWasDeleted: a 502 mid-sync fails the run and keeps every
// row; once GitHub answers again, the run expires exactly the member, team and collaborator the sim removed.
func TestFailedRunExpiresNothingAndTheNextRunExpiresWhatWasDeleted(t *testing.T) {
	t.Parallel()
	le := newLaneEnv(t, newEnv(t, githubsim.Options{}))
	if res := le.run(t, "first"); res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("first run: %+v", res)
	}
	before := le.counts(t)

	teams, repos := le.sim.Teams(), le.sim.Repos()
	var collabRepo, collab string
	for _, r := range repos {
		if cs := le.sim.Collaborators(r); len(cs) > 0 {
			collabRepo, collab = r, cs[0]
			break
		}
	}
	if err := le.sim.RemoveCollaborator(collabRepo, collab); err != nil {
		t.Fatal(err)
	}
	if err := le.sim.DeleteTeam(teams[len(teams)-1]); err != nil {
		t.Fatal(err)
	}
	le.sim.AddFault(githubsim.Fault{Path: "GET /orgs/{org}/repos", Page: 2, Status: http.StatusBadGateway})
	res := le.run(t, "failing")
	if res.Outcome != lane.OutcomeFailed || sspm.ErrorCode(res.Err) != sspm.CodeUnavailable {
		t.Fatalf("run with a 502: outcome %s err %v", res.Outcome, res.Err)
	}
	if after := le.counts(t); !sameCounts(after, before) {
		t.Fatalf("a failed run changed the live rows: %v, before %v", after, before)
	}

	le.sim.ClearFaults()
	if res = le.run(t, "recovered"); res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("recovered run: %+v", res)
	}
	after := le.counts(t)
	if res.Expired[sspm.EntityGroups] != 1 || res.Expired[sspm.EntityAccounts] != 0 {
		t.Errorf("expired %v; want the one deleted team and no account", res.Expired)
	}
	for _, ent := range []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants} {
		if res.Expired[ent] == 0 || res.Expired[ent] != before[ent]-after[ent] {
			t.Errorf("%s: expired %d, live went %d → %d", ent, res.Expired[ent], before[ent], after[ent])
		}
	}
}

// TestMembersWithoutEmailNeedAnAnchor: after linking, every member the sim gives no email is listed under
// "needs anchor".
func TestMembersWithoutEmailNeedAnAnchor(t *testing.T) {
	t.Parallel()
	le := newLaneEnv(t, newEnv(t, githubsim.Options{}))
	if res := le.run(t, "first"); res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("run: %+v", res)
	}
	ctx := context.Background()
	if _, err := le.db.LinkAccounts(ctx, le.conn.ID, false, time.Now().Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	rows, err := le.db.NeedsAnchor(ctx, le.conn.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range rows {
		listed[r.ExternalID] = true
		if r.Email == "" && r.IdentityID != nil {
			t.Errorf("%s has no email but an identity", r.ExternalID)
		}
	}
	live, err := le.db.LiveAccounts(ctx, le.conn.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	noEmail := 0
	for _, a := range live {
		if a.Email == "" {
			noEmail++
			if !listed[a.ExternalID] {
				t.Errorf("%s (no email) is not listed under needs anchor", a.Username)
			}
		}
	}
	if noEmail == 0 {
		t.Fatal("want members without email")
	}
}

func sameCounts(a, b map[sspm.Entity]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
