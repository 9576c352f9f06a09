package awsrun_test

import (
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestSyncWaitingForARateLimitDoesNotInvokeItself: a run whose provider asks for a wait far beyond the
// invocation's budget pauses (outcome waiting, resume_at) and the function does not invoke itself: the dispatch
// schedule continues the run after resume_at, and not before.
func TestSyncWaitingForARateLimitDoesNotInvokeItself(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.provider.users = 5
	until := time.Now().Add(40 * time.Minute).Truncate(time.Second)
	e.provider.limitAt, e.provider.limitUntil = "2", until
	inv := sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1", Trigger: sspm.TriggerSchedule}
	out, err := e.rt.Sync(lambdaContext(t, "req-1", 15*time.Minute), inv)
	if err != nil {
		t.Fatal(err)
	}
	if out.Outcome != lane.OutcomeWaiting || out.ResumeAt == nil || !out.ResumeAt.Equal(until) {
		t.Fatalf("first invocation: %+v, want waiting until %s", out, until)
	}
	if got := e.lambda.Invocations(fullFunction); len(got) != 0 {
		t.Fatalf("the function invoked itself %d times while the run waits for the rate limit", len(got))
	}
	for _, name := range []string{"SyncSucceeded", "SyncFailures"} {
		if _, sets := e.metrics.sum(t, name); sets != 0 {
			t.Fatalf("a rate-limit pause emitted %s", name)
		}
	}
	run, err := e.rt.DB.Run(t.Context(), out.RunID)
	if err != nil || run.Status != sspm.RunRunning || run.Counts["accounts"] != 2 || !run.ResumeAt.Equal(until) {
		t.Fatalf("paused run = %+v (%v)", run, err)
	}
	// The schedule before the reset continues nothing; after it, it continues the paused run.
	before, err := e.rt.App.Dispatcher.Dispatch(t.Context(), sspm.LaneFull)
	if err != nil || len(before) != 0 {
		t.Fatalf("dispatch before the reset = %+v, %v", before, err)
	}
	e.rt.App.Dispatcher.Now = func() time.Time { return until.Add(time.Minute) }
	after, err := e.rt.App.Dispatcher.Dispatch(t.Context(), sspm.LaneFull)
	if err != nil || len(after) != 1 || !after[0].Resume {
		t.Fatalf("dispatch after the reset = %+v, %v", after, err)
	}
	if got := e.lambda.Invocations(fullFunction); len(got) != 1 {
		t.Fatalf("dispatch invoked %d times, want the one continuation", len(got))
	}
}

// TestSyncShortRateLimitWaitContinuesAtOnce: a wait that ends within lane.ImmediateResume is a plain continue:
// the function invokes itself, and that invocation sleeps the rest.
func TestSyncShortRateLimitWaitContinuesAtOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.provider.users = 3
	clock, invocation := onClock(t, e, e.rt, 0)
	e.provider.limitAt, e.provider.limitUntil = "1", clock.Now().Add(2*time.Second)
	inv := sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1", Trigger: sspm.TriggerSchedule}
	out, err := e.rt.Sync(invocation("req-1", 1500*time.Millisecond), inv)
	if err != nil || out.Outcome != lane.OutcomeContinue || out.ResumeAt == nil {
		t.Fatalf("first invocation: %+v, %v; want continue with resume_at", out, err)
	}
	if got := e.lambda.Invocations(fullFunction); len(got) != 1 {
		t.Fatalf("self invocations = %d, want 1", len(got))
	}
	out, err = e.rt.Sync(invocation("req-2", time.Minute), inv) // it sleeps the rest of the wait on the clock
	if err != nil || out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("continuation: %+v, %v", out, err)
	}
	if clock.Sleeps() != 1 || clock.Slept() <= 0 || clock.Slept() > 2*time.Second {
		t.Fatalf("the continuation slept %v in %d sleeps, want the rest of the 2 s wait once", clock.Slept(), clock.Sleeps())
	}
}

// TestTailStepUnavailableStreamEnds: a stream the connector cannot read ends the execution (done) without an
// error, says why, and records no error on the stream.
func TestTailStepUnavailableStreamEnds(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.provider.streamErr = sspm.StreamUnavailable("the log is not licensed (403)")
	out, err := e.rt.TailStep(t.Context(), awsrun.TailStepInput{ConnectorID: "t1", Stream: "system_log"})
	if err != nil || !out.Done || out.More || out.Unavailable != "the log is not licensed (403)" {
		t.Fatalf("tail step = %+v, %v", out, err)
	}
	cur, err := e.rt.DB.TailCursor(t.Context(), "t1", "system_log")
	if err != nil || cur.LastError != "" || cur.Unavailable == "" {
		t.Fatalf("cursor = %+v, %v", cur, err)
	}
}
