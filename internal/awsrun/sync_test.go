package awsrun_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// lambdaContext is the context the Lambda runtime gives an invocation: a request id and a deadline.
func lambdaContext(t *testing.T, requestID string, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: requestID}), timeout)
	t.Cleanup(cancel)
	return ctx
}

// clockDeadline is a Lambda invocation's context whose deadline is on a test's clock: it never ends by itself;
// the runner, reading the same clock, stops taking pages before it.
type clockDeadline struct {
	context.Context
	deadline time.Time
}

func (c clockDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

// onClock puts rt's sync runs on clock (and the provider's pages, each taking pageTime), and returns the contexts
// of invocations with timeout left on that clock.
func onClock(t *testing.T, e *env, rt *awsrun.Runtime, pageTime time.Duration) (clock *clocktest.Clock, invocation func(requestID string, timeout time.Duration) context.Context) {
	clock = clocktest.New(time.Date(2026, 11, 26, 10, 5, 0, 0, time.UTC))
	rt.App.Runner.Now, rt.App.Runner.Sleep = clock.Now, clock.Sleep
	e.provider.clock, e.provider.pageTime = clock, pageTime
	return clock, func(requestID string, timeout time.Duration) context.Context {
		return clockDeadline{lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: requestID}), clock.Now().Add(timeout)}
	}
}

// TestSyncContinuesThroughTheLambdaInvoker runs a full sync that cannot finish before its function's deadline:
// it checkpoints, invokes its own function again through Lambda, and the next invocation finishes the same run.
// The invocation's time is the test's clock, on which each page takes 30 ms.
func TestSyncContinuesThroughTheLambdaInvoker(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.provider.users = 20
	e.rt.Config.SyncMargin = 200 * time.Millisecond
	_, invocation := onClock(t, e, e.rt, 30*time.Millisecond)
	inv := sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1", Trigger: sspm.TriggerSchedule}

	// 600 ms left: pages stop 200 ms before the deadline: the 14th page ends at 420 ms, past 400 ms.
	out, err := e.rt.Sync(invocation("req-1", 600*time.Millisecond), inv)
	if err != nil {
		t.Fatal(err)
	}
	if out.Outcome != lane.OutcomeContinue || out.RunID == 0 {
		t.Fatalf("first invocation: %+v, want continue", out)
	}
	if run, err := e.rt.DB.Run(t.Context(), out.RunID); err != nil || run.Counts["accounts"] != 14 {
		t.Fatalf("paused run = %+v (%v), want the 14 accounts read before the deadline", run, err)
	}
	again := e.lambda.Invocations(fullFunction)
	if len(again) != 1 || again[0].Type != "Event" {
		t.Fatalf("lambda invocations = %+v, want one Event invoke of %s", again, fullFunction)
	}
	var next sspm.Invocation
	if err := json.Unmarshal(again[0].Payload, &next); err != nil || next != inv {
		t.Fatalf("continuation payload %s = %+v (%v), want %+v", again[0].Payload, next, err, inv)
	}
	if _, sets := e.metrics.sum(t, "SyncSucceeded"); sets != 0 {
		t.Fatal("a paused run reported success")
	}

	// The continuation, as Lambda would deliver it, finishes the same run.
	out, err = e.rt.Sync(invocation("req-2", time.Minute), next)
	if err != nil {
		t.Fatal(err)
	}
	if out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("continuation: %+v, want succeeded", out)
	}
	run, err := e.rt.DB.Run(t.Context(), out.RunID)
	if err != nil || run.Attempts != 2 || run.Counts["accounts"] != 20 {
		t.Fatalf("run = %+v (%v), want 2 attempts and 20 accounts", run, err)
	}
	if len(e.lambda.Invocations(fullFunction)) != 1 {
		t.Fatal("a finished run invoked itself again")
	}
	if n, _ := e.metrics.sum(t, "SyncSucceeded"); n != 1 {
		t.Fatalf("SyncSucceeded = %v, want 1", n)
	}
	if n, _ := e.metrics.sum(t, "RowsWritten"); n != 20 {
		t.Fatalf("RowsWritten = %v, want 20", n)
	}
}

func TestSyncOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		give        sspm.Invocation
		prepare     func(t *testing.T, e *env)
		wantOutcome lane.Outcome
		wantErr     bool
		wantMetric  string
	}{
		{name: "succeeds", give: sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1"},
			wantOutcome: lane.OutcomeSucceeded, wantMetric: "SyncSucceeded"},
		{name: "provider fails: recorded, not an error", give: sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1"},
			prepare:     func(t *testing.T, e *env) { e.provider.failSync = true },
			wantOutcome: lane.OutcomeFailed, wantMetric: "SyncFailures"},
		{name: "disabled connector is skipped", give: sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1"},
			prepare:     func(t *testing.T, e *env) { e.disable(t, "t1") },
			wantOutcome: awsrun.OutcomeSkipped},
		{name: "deleted connector is skipped", give: sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "gone"},
			wantOutcome: awsrun.OutcomeSkipped},
		{name: "discovery off is skipped", give: sspm.Invocation{Lane: sspm.LaneDiscovery, ConnectorID: "t1"},
			wantOutcome: awsrun.OutcomeSkipped},
		{name: "not a sync lane", give: sspm.Invocation{Lane: sspm.LaneTail, ConnectorID: "t1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			if tt.prepare != nil {
				tt.prepare(t, e)
			}
			out, err := e.rt.Sync(lambdaContext(t, "req", time.Minute), tt.give)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && out.Outcome != tt.wantOutcome {
				t.Fatalf("outcome = %q, want %q", out.Outcome, tt.wantOutcome)
			}
			for _, name := range []string{"SyncSucceeded", "SyncFailures"} {
				_, sets := e.metrics.sum(t, name)
				if want := name == tt.wantMetric; (sets == 1) != want || sets > 1 {
					t.Fatalf("%s emitted %d times", name, sets)
				}
			}
			if tt.wantMetric != "" {
				m := e.metrics.metrics(t)[0]
				if m["Lane"] != string(tt.give.Lane) || m["Connector"] != tt.give.ConnectorID {
					t.Fatalf("metric dimensions: %v", m)
				}
			}
		})
	}
}

// TestSyncContinuesThroughItself checks the full function's own setup: no FULL_FUNCTION_NAME (the function cannot
// name itself in its environment), so the continuation goes to AWS_LAMBDA_FUNCTION_NAME. Outside Sync, a lane
// without its variable is refused, so the dispatch function never invokes itself with a sync payload.
func TestSyncContinuesThroughItself(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.provider.users = 20
	rt := e.newRuntime(t, func(c *awsrun.Config) {
		c.FullFunction, c.DiscoveryFunction, c.SelfFunction = "", "", fullFunction
		c.SyncMargin = 200 * time.Millisecond
	})
	_, invocation := onClock(t, e, rt, 30*time.Millisecond)
	inv := sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1", Trigger: sspm.TriggerManual}
	if err := rt.App.Invoker().Invoke(t.Context(), inv); err == nil || !strings.Contains(err.Error(), "FULL_FUNCTION_NAME is not set") {
		t.Fatalf("invoke outside Sync: %v", err)
	}
	out, err := rt.Sync(invocation("req-1", 600*time.Millisecond), inv)
	if err != nil || out.Outcome != lane.OutcomeContinue {
		t.Fatalf("sync: %+v %v", out, err)
	}
	got := e.lambda.Invocations(fullFunction)
	var next sspm.Invocation
	if len(got) != 1 || json.Unmarshal(got[0].Payload, &next) != nil || next != inv {
		t.Fatalf("continuation = %+v", got)
	}
}
