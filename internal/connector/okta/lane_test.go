package okta_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
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

func (le *laneEnv) run(t *testing.T, l sspm.Lane, owner string) lane.Result {
	t.Helper()
	res, err := le.runner.Run(context.Background(), sspm.Invocation{Lane: l, ConnectorID: le.conn.ID}, owner, time.Time{})
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

// TestFailedRunExpiresNothingAndTheNextRunExpiresWhatWasDeleted: a 5xx mid-sync fails the run and keeps every
// row; once the org answers again, the run expires exactly what the simulator deleted.
func TestFailedRunExpiresNothingAndTheNextRunExpiresWhatWasDeleted(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: smallCaps}, map[string]any{"factor_budget": 0})
	le := newLaneEnv(t, e)
	if res := le.run(t, sspm.LaneFull, "first"); res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("first run: %+v", res)
	}
	le.wantCounts(t)
	before := le.counts(t)

	users := ids(truth(t, e, "/api/v1/users"))
	groups := ids(truth(t, e, "/api/v1/groups"))
	gone := users[3]
	if err := e.sim.DeleteUser(gone); err != nil {
		t.Fatal(err)
	}
	members := ids(truth(t, e, "/api/v1/groups/"+groups[2]+"/users"))
	if err := e.sim.RemoveGroupMember(groups[2], members[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.DeleteGroup(groups[len(groups)-1]); err != nil {
		t.Fatal(err)
	}
	e.sim.AddFault(oktasim.Fault{Path: "/api/v1/apps/{appId}/users", Status: 503})

	res := le.run(t, sspm.LaneFull, "failing")
	if res.Outcome != lane.OutcomeFailed || res.Run.ErrorKind != "provider" || sspm.ErrorCode(res.Err) != sspm.CodeUnavailable {
		t.Fatalf("run with a 503: outcome %s kind %q err %v", res.Outcome, res.Run.ErrorKind, res.Err)
	}
	if after := le.counts(t); !mapsEqual(after, before) {
		t.Fatalf("a failed run changed the live rows: %v, before %v", after, before)
	}

	e.sim.ClearFaults()
	res = le.run(t, sspm.LaneFull, "recovered")
	if res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("recovered run: %+v", res)
	}
	le.wantCounts(t)
	after := le.counts(t)
	for _, entity := range []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants} {
		if res.Expired[entity] != before[entity]-after[entity] || res.Expired[entity] == 0 {
			t.Errorf("%s: expired %d, live went %d → %d", entity, res.Expired[entity], before[entity], after[entity])
		}
	}
	if res.Expired[sspm.EntityAccounts] != 1 || res.Expired[sspm.EntityGroups] != 1 {
		t.Errorf("expired %v; want the one deleted user and the one deleted group", res.Expired)
	}
	live, _ := le.db.LiveAccounts(context.Background(), e.conn.ID, 1000)
	if slices.ContainsFunc(live, func(a sspm.Account) bool { return a.ExternalID == gone }) {
		t.Errorf("the deleted user %s is still live", gone)
	}
}

// crashing panics at the nth Step, as a process that dies mid-run.
type crashing struct {
	*okta.Source
	n, at int
}

func (c *crashing) Step(ctx context.Context, l sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	c.n++
	if c.n == c.at {
		panic("crash")
	}
	return c.Source.Step(ctx, l, stage, cursor)
}

// TestResumeAfterACrash kills the run at several points; a new invocation (a new Source) continues from the
// saved cursor and the result is the same org, each row once.
func TestResumeAfterACrash(t *testing.T) {
	for _, at := range []int{4, 17, 33} {
		e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: smallCaps}, map[string]any{"factor_budget": 5})
		e.stepRows, e.stepRequests = 20, 4
		clock := clocktest.New(time.Now())
		le := newLaneEnv(t, e, postgres.WithClock(clock.Now))
		le.wrap = func(s *okta.Source) sspm.Source { return &crashing{Source: s, at: at} }
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("crash at step %d did not happen", at)
				}
			}()
			le.run(t, sspm.LaneFull, "crashed")
		}()
		clock.Advance(le.runner.LeaseTTL + time.Second) // the crashed invocation's lease expires
		le.wrap = nil
		res := le.run(t, sspm.LaneFull, "resumed")
		if res.Outcome != lane.OutcomeSucceeded || !res.Resumed {
			t.Fatalf("crash at step %d: resumed run %+v", at, res)
		}
		le.wantCounts(t)
		if n := res.Run.Counts["accounts"]; n < le.counts(t)[sspm.EntityAccounts] {
			t.Errorf("crash at step %d: the run counted %d accounts", at, n)
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

// TestDatasetForbiddenKeepsItsRows: a 403 on one dataset marks it unavailable; the run succeeds and the
// dataset's stored rows stay while the others are refreshed.
func TestDatasetForbiddenKeepsItsRows(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, map[string]any{"factor_budget": 0})
	le := newLaneEnv(t, e)
	le.run(t, sspm.LaneFull, "first")
	ctx := context.Background()
	streams, _ := le.db.DatasetRows(ctx, e.conn.ID, okta.DatasetLogStreams)
	if len(streams) == 0 {
		t.Skip("the company streams no logs")
	}
	e.sim.AddFault(oktasim.Fault{Path: "/api/v1/logStreams", Status: 403})
	res := le.run(t, sspm.LaneFull, "second")
	if res.Outcome != lane.OutcomeSucceeded || !slices.Contains(res.Run.Unavailable, string(sspm.DatasetEntity(okta.DatasetLogStreams))) {
		t.Fatalf("run: %s unavailable %v err %v", res.Outcome, res.Run.Unavailable, res.Err)
	}
	kept, _ := le.db.DatasetRows(ctx, e.conn.ID, okta.DatasetLogStreams)
	pw, _ := le.db.DatasetRows(ctx, e.conn.ID, okta.DatasetPasswordPolicies)
	if len(kept) != len(streams) || len(pw) == 0 {
		t.Fatalf("log streams %d (had %d), password policies %d", len(kept), len(streams), len(pw))
	}
}

func mapsEqual(a, b map[sspm.Entity]int64) bool {
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
