package github_test

import (
	"context"
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
