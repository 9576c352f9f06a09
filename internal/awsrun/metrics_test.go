package awsrun_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/emf"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestEveryLaneWritesSyncFailures: the stack alarms on SyncFailures per lane (dimension Lane only), so each lane's
// handler must write that metric, in the Lane dimension set, when it fails. The infra template test checks that
// the alarms watch exactly sspm.Lanes.
func TestEveryLaneWritesSyncFailures(t *testing.T) {
	// gone stands in for a database that does not answer: the function's own pool is closed.
	gone := func(t *testing.T, e *env) *awsrun.Runtime {
		rt := e.newRuntime(t, func(c *awsrun.Config) { c.Discovery = true })
		rt.DB.Close()
		return rt
	}
	tests := []struct {
		give sspm.Lane
		run  func(t *testing.T, e *env) error
	}{
		{sspm.LaneFull, func(t *testing.T, e *env) error {
			e.provider.failSync = true
			out, err := e.rt.Sync(lambdaContext(t, "req", time.Minute), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1"})
			if err == nil && out.Outcome != "failed" {
				return errors.New("outcome " + string(out.Outcome) + ", want failed")
			}
			return err
		}},
		{sspm.LaneDiscovery, func(t *testing.T, e *env) error {
			_, err := gone(t, e).Sync(lambdaContext(t, "req", time.Minute), sspm.Invocation{Lane: sspm.LaneDiscovery, ConnectorID: "t1"})
			return err
		}},
		{sspm.LaneEventInbox, func(t *testing.T, e *env) error {
			_, err := gone(t, e).Inbox(t.Context(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: "{}"}}})
			return err
		}},
		{sspm.LaneTail, func(t *testing.T, e *env) error {
			e.provider.streamErr = errors.New("provider answered 500")
			_, err := e.rt.TailStep(t.Context(), awsrun.TailStepInput{ConnectorID: "t1", Stream: "system_log"})
			return err
		}},
		{sspm.LaneEvaluator, func(t *testing.T, e *env) error {
			_, err := gone(t, e).Evaluate(t.Context(), awsrun.EvaluateInput{Sweep: true})
			return err
		}},
	}
	var covered []sspm.Lane
	for _, tt := range tests {
		covered = append(covered, tt.give)
		t.Run(string(tt.give), func(t *testing.T) {
			e := setup(t)
			_ = tt.run(t, e) // a failure may or may not be an error of the handler; the metric is what counts
			total, sets := e.metrics.sum(t, emf.SyncFailures)
			if total < 1 || sets != 1 {
				t.Fatalf("%s = %v over %d sets, want at least 1 in one set", emf.SyncFailures, total, sets)
			}
			for _, m := range e.metrics.metrics(t) {
				if _, ok := m[emf.SyncFailures]; !ok {
					continue
				}
				if m[emf.DimLane] != string(tt.give) {
					t.Errorf("Lane = %v, want %s", m[emf.DimLane], tt.give)
				}
				if !hasDimensionSet(m, emf.DimLane) {
					t.Errorf("no dimension set of Lane alone (the alarm's): %v", m["_aws"])
				}
			}
		})
	}
	for _, l := range sspm.Lanes {
		if !slices.Contains(covered, l) {
			t.Errorf("lane %s: no case shows it writes %s", l, emf.SyncFailures)
		}
	}
}

// hasDimensionSet reports whether a metric set declares exactly the dimension set dims.
func hasDimensionSet(m map[string]any, dims ...string) bool {
	aws, _ := m["_aws"].(map[string]any)
	directives, _ := aws["CloudWatchMetrics"].([]any)
	for _, d := range directives {
		sets, _ := d.(map[string]any)["Dimensions"].([]any)
		for _, s := range sets {
			var got []string
			for _, x := range s.([]any) {
				got = append(got, x.(string))
			}
			if slices.Equal(got, dims) {
				return true
			}
		}
	}
	return false
}
