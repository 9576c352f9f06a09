package lane_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// limitedSource answers the page at `at` with a rate-limit wait until `until` (once), as a connector's transport
// does when the provider's reset is beyond the step's budget. It records the wait budget each step saw.
type limitedSource struct {
	*testSource
	at      string
	until   time.Time
	mu      sync.Mutex
	fired   bool
	budgets []time.Duration
}

func (s *limitedSource) Step(ctx context.Context, l sspm.Lane, stage, cursor string) (sspm.StepResult, error) {
	s.mu.Lock()
	rem, ok := sspm.WaitBudget(ctx)
	if !ok {
		rem = -1
	}
	s.budgets = append(s.budgets, rem)
	fire := !s.fired && stage+":"+cursor == s.at
	s.fired = s.fired || fire
	s.mu.Unlock()
	if fire {
		s.testSource.mu.Lock()
		s.calls = append(s.calls, stage+":"+cursor)
		s.testSource.mu.Unlock()
		return sspm.StepResult{}, &sspm.WaitError{Bucket: "core", Until: s.until, Throttled: true}
	}
	return s.testSource.Step(ctx, l, stage, cursor)
}

func (s *testSource) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// TestRateLimitPausesTheRunUntilTheReset: a step that must wait for a rate limit beyond the budget pauses the run
// (checkpoint, counts and lease kept as after the last committed page; nothing expired; no failure recorded) with
// OutcomeWaiting and ResumeAt. Before ResumeAt neither the dispatcher nor a manual invocation runs a step, and the
// run is not closed as stale; after it the dispatcher continues the run, which resumes from the checkpoint.
func TestRateLimitPausesTheRunUntilTheReset(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	start := time.Now().Truncate(time.Second)
	clock := start
	e.runner.Now = func() time.Time { return clock }
	until := start.Add(40 * time.Minute)
	src := &limitedSource{testSource: e.src, at: "users:10", until: until}
	e.runner.Sources = func(context.Context, sspm.Connector) (sspm.Source, error) { return src, nil }

	res, err := e.runner.Run(ctx, full, "inv-1", start.Add(10*time.Minute))
	if err != nil || res.Outcome != lane.OutcomeWaiting {
		t.Fatalf("outcome %s err %v (run err %v), want waiting", res.Outcome, err, res.Err)
	}
	if !res.ResumeAt.Equal(until) || sspm.ErrorCode(res.Err) != sspm.CodeRateLimited {
		t.Fatalf("resume at %s (err %v), want %s", res.ResumeAt, res.Err, until)
	}
	if len(src.budgets) == 0 || src.budgets[0] != 10*time.Minute {
		t.Errorf("the steps saw wait budgets %v, want the 10m left of the invocation", src.budgets)
	}
	stored, err := e.db.Run(ctx, res.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != sspm.RunRunning || !stored.ResumeAt.Equal(until) || stored.Checkpoint.Stage != "users" ||
		stored.Checkpoint.Cursor != "10" || stored.Counts["accounts"] != 10 {
		t.Fatalf("paused run = %+v", stored)
	}
	if msg := stored.Progress.Message; !strings.Contains(msg, "rate limit until "+until.UTC().Format(time.RFC3339)) {
		t.Errorf("progress message %q does not say what the run waits for", msg)
	}
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 10 {
		t.Fatalf("counts while waiting = %v", got)
	}
	sched, _ := e.db.Schedule(ctx, "test-1", sspm.LaneFull)
	if sched.ConsecutiveFailures != 0 || sched.LastStatus == string(sspm.RunFailed) {
		t.Errorf("a rate-limit pause was recorded as a failure: %+v", sched)
	}

	// Before the reset: the dispatcher neither resumes nor restarts the lane, nor closes the run as stale (even
	// when the wait is longer than StaleAfter), and an early invocation runs no step.
	inv := &recordingInvoker{}
	d := &lane.Dispatcher{Store: e.db, Invoker: inv, StaleAfter: 20 * time.Minute}
	for _, at := range []time.Duration{time.Minute, 30 * time.Minute, 39 * time.Minute} {
		d.Now = func() time.Time { return start.Add(at) }
		if got, err := d.Dispatch(ctx, sspm.LaneFull); err != nil || len(got) != 0 {
			t.Fatalf("dispatch at +%s = %+v (err %v); want nothing before the reset", at, got, err)
		}
	}
	calls := e.src.callCount()
	clock = start.Add(5 * time.Minute)
	early, err := e.runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "test-1", Trigger: sspm.TriggerManual}, "inv-2", clock.Add(10*time.Minute))
	if err != nil || early.Outcome != lane.OutcomeWaiting || !early.ResumeAt.Equal(until) || e.src.callCount() != calls {
		t.Fatalf("early invocation: %s resume %s err %v, %d steps; want waiting until %s and no step", early.Outcome,
			early.ResumeAt, err, e.src.callCount()-calls, until)
	}
	if stored, _ := e.db.Run(ctx, res.Run.ID); stored.Status != sspm.RunRunning || !stored.ResumeAt.Equal(until) {
		t.Fatalf("after the early invocation: %+v", stored)
	}

	// After the reset the dispatcher continues the run; it resumes from the checkpoint and completes.
	d.Now = func() time.Time { return until.Add(time.Second) }
	got, err := d.Dispatch(ctx, sspm.LaneFull)
	if err != nil || len(got) != 1 || !got[0].Resume {
		t.Fatalf("dispatch after the reset = %+v (err %v), want the paused run continued", got, err)
	}
	clock = until.Add(time.Second)
	done, err := e.runner.Run(ctx, full, "inv-3", clock.Add(10*time.Minute))
	if err != nil || done.Outcome != lane.OutcomeSucceeded || !done.Resumed || done.Run.ID != res.Run.ID {
		t.Fatalf("after the reset: %s resumed %v run %d err %v (%v)", done.Outcome, done.Resumed, done.Run.ID, err, done.Err)
	}
	e.src.mu.Lock()
	after := e.src.calls[calls:]
	e.src.mu.Unlock()
	if len(after) == 0 || after[0] != "users:10" {
		t.Fatalf("steps after the reset %v: want the run to resume at users:10", after)
	}
	if got := counts(t, e.db); got[sspm.EntityAccounts] != 25 || got[sspm.EntityGroups] != 7 {
		t.Fatalf("counts = %v", got)
	}
	for ent, n := range done.Expired {
		if n != 0 {
			t.Errorf("expired %d %s", n, ent)
		}
	}
}

// TestShortRateLimitWaitContinuesAtOnce: a wait that ends within lane.ImmediateResume returns OutcomeContinue
// (the caller invokes again at once); the next invocation sleeps the rest of the wait and goes on.
func TestShortRateLimitWaitContinuesAtOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	clock := time.Now().Truncate(time.Second) // PostgreSQL keeps microseconds
	e.runner.Now = func() time.Time { return clock }
	var slept []time.Duration
	e.runner.Sleep = func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		clock = clock.Add(d)
		return nil
	}
	until := clock.Add(20 * time.Second)
	src := &limitedSource{testSource: e.src, at: "groups:", until: until}
	e.runner.Sources = func(context.Context, sspm.Connector) (sspm.Source, error) { return src, nil }

	res, err := e.runner.Run(ctx, full, "inv-1", clock.Add(10*time.Second))
	if err != nil || res.Outcome != lane.OutcomeContinue || !res.ResumeAt.Equal(until) {
		t.Fatalf("outcome %s resume %s err %v, want continue at %s", res.Outcome, res.ResumeAt, err, until)
	}
	res, err = e.runner.Run(ctx, full, "inv-2", clock.Add(10*time.Minute))
	if err != nil || res.Outcome != lane.OutcomeSucceeded || !res.Resumed {
		t.Fatalf("next invocation: %s err %v (%v)", res.Outcome, err, res.Err)
	}
	if len(slept) != 1 || slept[0] != 20*time.Second {
		t.Fatalf("slept %v, want the 20s left of the wait", slept)
	}
}
