package lane_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }

// testSource is a connector written for these tests: two stages ("users", "groups"), each a number of pages of
// accounts and groups. Hooks let a test fail, crash or block at a given page.
type testSource struct {
	mu        sync.Mutex
	users     []string // external ids of the accounts the "provider" holds
	groups    []string
	pageSize  int
	calls     []string // "stage:cursor" of every Step
	failAt    string   // "stage:cursor" that returns an error
	panicAt   string   // "stage:cursor" that panics (a crash)
	blockAt   string   // "stage:cursor" that waits for release
	release   chan struct{}
	reachedCh chan struct{}
}

func (s *testSource) Stages(l sspm.Lane) []string {
	if l == sspm.LaneFull {
		return []string{"users", "groups"}
	}
	return nil
}

func (s *testSource) Step(ctx context.Context, l sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	s.mu.Lock()
	key := stage + ":" + cursor
	s.calls = append(s.calls, key)
	s.mu.Unlock()
	switch key {
	case s.failAt:
		return sspm.StepResult{}, errors.New("provider answered 503 on " + key)
	case s.panicAt:
		panic("crash at " + key)
	case s.blockAt:
		close(s.reachedCh)
		select {
		case <-s.release:
		case <-ctx.Done():
			return sspm.StepResult{}, ctx.Err()
		}
	}
	start := 0
	if cursor != "" {
		start, _ = strconv.Atoi(cursor)
	}
	items := s.users
	if stage == "groups" {
		items = s.groups
	}
	end := min(start+s.pageSize, len(items))
	var res sspm.StepResult
	for _, id := range items[start:end] {
		if stage == "users" {
			res.Page.Accounts = append(res.Page.Accounts, sspm.Account{ExternalID: id, Kind: sspm.AccountUser, Email: id + "@Example.com", Active: true})
		} else {
			res.Page.Groups = append(res.Page.Groups, sspm.Group{ExternalID: id, Name: "Group " + id})
		}
	}
	if end < len(items) {
		res.Next = strconv.Itoa(end)
	}
	return res, nil
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

type env struct {
	db     *postgres.DB
	src    *testSource
	runner *lane.Runner
	conn   sspm.Connector
}

func setup(t *testing.T, opts ...postgres.Option) *env {
	t.Helper()
	db := postgrestest.New(t, opts...)
	conn, err := db.CreateConnector(context.Background(), sspm.Connector{ID: "test-1", Kind: sspm.KindTestSource, Name: "Test", Enabled: true}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	src := &testSource{users: ids("u", 25), groups: ids("g", 7), pageSize: 10}
	r := &lane.Runner{
		Store:    db,
		Sources:  func(context.Context, sspm.Connector) (sspm.Source, error) { return src, nil },
		LeaseTTL: time.Minute,
	}
	return &env{db: db, src: src, runner: r, conn: conn}
}

var full = sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "test-1", Trigger: sspm.TriggerSchedule}

func mustRun(t *testing.T, e *env, owner string, want lane.Outcome) lane.Result {
	t.Helper()
	res, err := e.runner.Run(context.Background(), full, owner, time.Time{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Outcome != want {
		t.Fatalf("outcome = %s (err %v), want %s", res.Outcome, res.Err, want)
	}
	return res
}

func counts(t *testing.T, db *postgres.DB) map[sspm.Entity]int64 {
	t.Helper()
	c, err := db.Counts(context.Background(), "test-1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRunStoresEveryPageAndSweepsWhatDisappeared(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res := mustRun(t, e, "a", lane.OutcomeSucceeded)
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 25 || got[sspm.EntityGroups] != 7 {
		t.Fatalf("counts after first run = %v", got)
	}
	if res.Run.Counts["accounts"] != 25 {
		t.Errorf("run counts = %v", res.Run.Counts)
	}
	accts, err := e.db.LiveAccounts(context.Background(), "test-1", 1)
	if err != nil || accts[0].Email != "u000@example.com" {
		t.Fatalf("email not lower-cased: %+v %v", accts, err)
	}

	e.src.users = e.src.users[:20] // the provider deleted five users and two groups
	e.src.groups = e.src.groups[2:]
	res = mustRun(t, e, "b", lane.OutcomeSucceeded)
	if res.Expired[sspm.EntityAccounts] != 5 || res.Expired[sspm.EntityGroups] != 2 {
		t.Fatalf("expired = %v, want 5 accounts and 2 groups", res.Expired)
	}
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 20 || got[sspm.EntityGroups] != 5 {
		t.Fatalf("live counts = %v", got)
	}
	e.src.users = ids("u", 25) // they come back: un-expired
	mustRun(t, e, "c", lane.OutcomeSucceeded)
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 25 {
		t.Fatalf("live accounts = %d, want 25 again", got[sspm.EntityAccounts])
	}
}

func TestFailedRunExpiresNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	mustRun(t, e, "a", lane.OutcomeSucceeded)

	e.src.users = e.src.users[:15] // deletions that a failed run must not apply
	e.src.failAt = "groups:"
	res := mustRun(t, e, "b", lane.OutcomeFailed)
	if res.Run.ErrorText == "" || res.Run.Status != sspm.RunFailed {
		t.Fatalf("failed run not recorded: %+v", res.Run)
	}
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 25 || got[sspm.EntityGroups] != 7 {
		t.Fatalf("a failed run expired rows: %v", got)
	}
	stored, err := e.db.Run(context.Background(), res.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != sspm.RunFailed || stored.ErrorKind != "error" || stored.ErrorText != "stage groups: provider answered 503 on groups:" {
		t.Fatalf("stored run = %+v", stored)
	}

	e.src.failAt = ""
	res = mustRun(t, e, "c", lane.OutcomeSucceeded)
	if res.Expired[sspm.EntityAccounts] != 10 {
		t.Fatalf("expired accounts = %d, want exactly the 10 deleted", res.Expired[sspm.EntityAccounts])
	}
}

func TestCrashMidRunThenResume(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Now())
	e := setup(t, postgres.WithClock(clock.Now))
	e.src.panicAt = "users:20" // the process dies while reading the third page
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("expected the crash")
			}
		}()
		_, _ = e.runner.Run(context.Background(), full, "crashed", time.Time{})
	}()
	// While the crashed invocation's lease is live, a new trigger does not start a second run.
	if res := mustRun(t, e, "early", lane.OutcomeBusy); res.Run.ID != 0 {
		t.Fatalf("busy result carries a run: %+v", res)
	}
	clock.Advance(59 * time.Second) // the lease (setup's LeaseTTL, a minute) is nearly over
	if res := mustRun(t, e, "still early", lane.OutcomeBusy); res.Run.ID != 0 {
		t.Fatalf("busy result carries a run: %+v", res)
	}
	clock.Advance(2 * time.Second) // the lease expires

	e.src.panicAt = ""
	e.src.calls = nil
	res := mustRun(t, e, "next", lane.OutcomeSucceeded)
	if !res.Resumed || res.Run.Attempts != 2 {
		t.Fatalf("resumed = %v attempts = %d, want a resumed run on its second attempt", res.Resumed, res.Run.Attempts)
	}
	if e.src.calls[0] != "users:20" {
		t.Fatalf("resumed at %q, want the checkpoint users:20 (calls %v)", e.src.calls[0], e.src.calls)
	}
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 25 || got[sspm.EntityGroups] != 7 {
		t.Fatalf("counts = %v", got)
	}
	if res.Run.Counts["accounts"] != 25 {
		t.Fatalf("run counts carried across invocations = %v", res.Run.Counts)
	}
}

func TestBudgetPausesAndNextInvocationContinues(t *testing.T) {
	t.Parallel()
	e := setup(t)
	now := time.Now()
	clock := now
	e.runner.Now = func() time.Time { return clock }
	var steps int
	e.runner.Sources = func(context.Context, sspm.Connector) (sspm.Source, error) {
		return stepHook{e.src, func() { steps++; clock = clock.Add(time.Second) }}, nil
	}
	res, err := e.runner.Run(context.Background(), full, "inv-1", now.Add(2*time.Second))
	if err != nil || res.Outcome != lane.OutcomeContinue {
		t.Fatalf("outcome %s err %v, want continue", res.Outcome, err)
	}
	if steps != 2 || res.Run.Checkpoint.Stage != "users" || res.Run.Checkpoint.Cursor != "20" {
		t.Fatalf("paused after %d steps at %+v", steps, res.Run.Checkpoint)
	}
	res, err = e.runner.Run(context.Background(), full, "inv-2", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeSucceeded || !res.Resumed {
		t.Fatalf("continue: outcome %s resumed %v err %v", res.Outcome, res.Resumed, err)
	}
	if steps != 2+1+1 { // users:20, groups:
		t.Fatalf("steps = %d: pages were read twice", steps)
	}
}

type stepHook struct {
	*testSource
	before func()
}

func (h stepHook) Step(ctx context.Context, l sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	h.before()
	return h.testSource.Step(ctx, l, stage, cursor)
}

func TestTwoTriggersAtOnceGiveOneRun(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.src.blockAt, e.src.release, e.src.reachedCh = "users:10", make(chan struct{}), make(chan struct{})
	first := make(chan lane.Result, 1)
	go func() {
		res, _ := e.runner.Run(context.Background(), full, "first", time.Time{})
		first <- res
	}()
	<-e.src.reachedCh
	manual := full
	manual.Trigger = sspm.TriggerManual
	res, err := e.runner.Run(context.Background(), manual, "second", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeBusy {
		t.Fatalf("second trigger: outcome %s err %v, want busy", res.Outcome, err)
	}
	close(e.src.release)
	if got := <-first; got.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("first run: %s %v", got.Outcome, got.Err)
	}
	runs, err := e.db.Runs(context.Background(), "test-1", sspm.LaneFull, 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %d (%v), want exactly one", len(runs), err)
	}
}

// TestLostLeaseCancelsTheRun: the heartbeat's next beat after an operator cancels the run finds the lease lost and
// cancels the blocked step. The test beats the heartbeat itself: no wall-clock time passes.
func TestLostLeaseCancelsTheRun(t *testing.T) {
	t.Parallel()
	e := setup(t)
	beat := make(chan time.Time)
	e.runner.Tick = func(time.Duration) (<-chan time.Time, func()) { return beat, func() {} }
	e.src.blockAt, e.src.release, e.src.reachedCh = "users:10", make(chan struct{}), make(chan struct{})
	done := make(chan lane.Result, 1)
	go func() {
		res, _ := e.runner.Run(context.Background(), full, "holder", time.Time{})
		done <- res
	}()
	<-e.src.reachedCh
	runs, _ := e.db.Runs(context.Background(), "test-1", sspm.LaneFull, 1)
	if err := e.db.CancelRun(context.Background(), runs[0].ID, "operator canceled"); err != nil {
		t.Fatal(err)
	}
	beat <- time.Time{}
	res := <-done // the heartbeat notices and cancels the blocked step
	if res.Outcome != lane.OutcomeCanceled {
		t.Fatalf("outcome = %s, want canceled", res.Outcome)
	}
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 10 {
		t.Fatalf("accounts = %d, want only the page committed before the cancel", got[sspm.EntityAccounts])
	}
	stored, _ := e.db.Run(context.Background(), runs[0].ID)
	if stored.Status != sspm.RunCanceled {
		t.Fatalf("status = %s", stored.Status)
	}
}

func TestBackoffGrowsAndManualTriggerBypassesIt(t *testing.T) {
	t.Parallel()
	e := setup(t)
	clock := time.Now()
	e.runner.Now = func() time.Time { return clock }
	e.runner.Backoff = lane.Backoff{Base: time.Minute, Max: 10 * time.Minute}
	e.src.failAt = "users:"
	d := &lane.Dispatcher{Store: e.db, Invoker: &recordingInvoker{}, Now: func() time.Time { return clock }}

	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute} {
		mustRun(t, e, fmt.Sprintf("try-%d", i), lane.OutcomeFailed)
		s, err := e.db.Schedule(context.Background(), "test-1", sspm.LaneFull)
		if err != nil {
			t.Fatal(err)
		}
		if s.ConsecutiveFailures != i+1 || s.NextDueAt.Sub(clock).Round(time.Second) != want {
			t.Fatalf("after failure %d: failures %d, next due in %s, want %s", i+1, s.ConsecutiveFailures, s.NextDueAt.Sub(clock), want)
		}
		got, err := d.Dispatch(context.Background(), sspm.LaneFull)
		if err != nil || len(got) != 0 {
			t.Fatalf("dispatch during back-off invoked %v (err %v)", got, err)
		}
	}

	// A manual trigger bypasses the back-off, and its success resets it.
	e.src.failAt = ""
	manual := full
	manual.Trigger = sspm.TriggerManual
	res, err := e.runner.Run(context.Background(), manual, "manual", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeSucceeded || res.Run.Trigger != sspm.TriggerManual {
		t.Fatalf("manual run: %s %v %v", res.Outcome, res.Err, err)
	}
	s, _ := e.db.Schedule(context.Background(), "test-1", sspm.LaneFull)
	if s.ConsecutiveFailures != 0 || s.NextDueAt.Sub(clock).Round(time.Second) != sspm.LaneFull.DefaultInterval() {
		t.Fatalf("after success: %+v", s)
	}

	// Once the back-off is over, the schedule dispatches the lane again.
	e.src.failAt = "users:"
	mustRun(t, e, "fail-again", lane.OutcomeFailed)
	clock = clock.Add(61 * time.Second)
	got, err := d.Dispatch(context.Background(), sspm.LaneFull)
	if err != nil || len(got) != 1 || got[0].ConnectorID != "test-1" {
		t.Fatalf("dispatch after back-off = %v (err %v), want test-1", got, err)
	}
}

func TestDispatchNothingDueIsNotAnError(t *testing.T) {
	t.Parallel()
	e := setup(t)
	inv := &recordingInvoker{}
	d := &lane.Dispatcher{Store: e.db, Invoker: inv}
	got, err := d.Dispatch(context.Background(), sspm.LaneFull)
	if err != nil || len(got) != 1 { // a new connector is due at once
		t.Fatalf("first dispatch = %v, %v", got, err)
	}
	mustRun(t, e, "a", lane.OutcomeSucceeded)
	got, err = d.Dispatch(context.Background(), sspm.LaneFull)
	if err != nil || len(got) != 0 {
		t.Fatalf("second dispatch = %v, %v; want nothing due and no error", got, err)
	}
}

func TestDispatchContinuesPausedRunsAndClosesStaleOnes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	clock := time.Now()
	e.runner.Now = func() time.Time { return clock }
	res, err := e.runner.Run(context.Background(), full, "inv-1", clock) // budget already spent: pause at once
	if err != nil || res.Outcome != lane.OutcomeContinue {
		t.Fatalf("pause: %s %v", res.Outcome, err)
	}
	inv := &recordingInvoker{}
	d := &lane.Dispatcher{Store: e.db, Invoker: inv, Now: func() time.Time { return clock }}
	got, err := d.Dispatch(context.Background(), sspm.LaneFull)
	if err != nil || len(got) != 1 || !got[0].Resume {
		t.Fatalf("dispatch = %+v (err %v), want the paused run to continue", got, err)
	}
	// Nobody continued it for longer than StaleAfter: it is closed as stale and the lane is due afresh.
	d.Now = func() time.Time { return clock.Add(2 * time.Hour) }
	got, err = d.Dispatch(context.Background(), sspm.LaneFull)
	if err != nil || len(got) != 1 || got[0].Resume {
		t.Fatalf("dispatch after stale = %+v (err %v)", got, err)
	}
	stored, _ := e.db.Run(context.Background(), res.Run.ID)
	if stored.Status != sspm.RunFailed || stored.ErrorKind != "stale" {
		t.Fatalf("stale run = %+v", stored)
	}
}

type recordingInvoker struct {
	mu   sync.Mutex
	invs []sspm.Invocation
}

func (r *recordingInvoker) Invoke(_ context.Context, inv sspm.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invs = append(r.invs, inv)
	return nil
}
