package okta_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// laneEnv is an env with a database, the connector stored in it and a runner.
type laneEnv struct {
	*env
	db     *postgres.DB
	runner *lane.Runner
	// wrap, when set, wraps each Source the runner builds.
	wrap func(*okta.Source) sspm.Source
}

func newLaneEnv(t *testing.T, e *env, opts ...postgres.Option) *laneEnv {
	t.Helper()
	db := postgrestest.New(t, opts...)
	if _, err := db.CreateConnector(context.Background(), e.conn, nil, ""); err != nil {
		t.Fatal(err)
	}
	le := &laneEnv{env: e, db: db}
	le.runner = &lane.Runner{Store: db, LeaseTTL: time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		src, err := e.opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
		if err != nil {
			return nil, err
		}
		e.tune(src)
		if le.wrap == nil {
			return src, nil
		}
		return le.wrap(src), nil
	}}
	return le
}

func (le *laneEnv) counts(t *testing.T) map[sspm.Entity]int64 {
	t.Helper()
	c, err := le.db.Counts(context.Background(), le.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantCounts compares the store's live rows with what a fresh read of the org emits.
func (le *laneEnv) wantCounts(t *testing.T) {
	t.Helper()
	k := keys(drain(t, le.source(t), sspm.LaneFull, nil, okta.StageUsers, okta.StageGroups, okta.StageApps, okta.StageRoles).page)
	got := le.counts(t)
	for entity, name := range map[sspm.Entity]string{sspm.EntityAccounts: "accounts", sspm.EntityGroups: "groups",
		sspm.EntityGroupMembers: "group_members", sspm.EntityResources: "resources", sspm.EntityGrants: "grants"} {
		if got[entity] != int64(len(k[name])) {
			t.Errorf("live %s = %d, the org has %d", entity, got[entity], len(k[name]))
		}
	}
}

// TestBudgetPauseContinuesInANewSource pauses the run at its time budget after every step, so every step of
// the sync runs in a new Source from the saved cursor.
func TestBudgetPauseContinuesInANewSource(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: smallCaps}, map[string]any{"factor_budget": 5})
	e.stepRows, e.stepRequests = 20, 4
	le := newLaneEnv(t, e)
	now := time.Now()
	le.runner.Now = func() time.Time { return now }
	le.wrap = func(s *okta.Source) sspm.Source { return &advancing{Source: s, now: &now} }
	invocations := 0
	for {
		invocations++
		res, err := le.runner.Run(context.Background(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: e.conn.ID}, "inv", now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == lane.OutcomeSucceeded {
			break
		}
		if res.Outcome != lane.OutcomeContinue || invocations > 200 {
			t.Fatalf("invocation %d: %+v", invocations, res)
		}
	}
	if invocations < 10 {
		t.Fatalf("only %d invocations: the budget did not pause the run", invocations)
	}
	le.wantCounts(t)
}

// advancing moves the runner's clock past the budget with every step.
type advancing struct {
	*okta.Source
	now *time.Time
}

func (a *advancing) Step(ctx context.Context, l sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	*a.now = a.now.Add(2 * time.Second)
	return a.Source.Step(ctx, l, stage, cursor)
}
