package awsrun_test

import (
	"encoding/json"
	"testing"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const evaluatorFunction = "open-sspm-evaluator"

// A successful full sync asks the evaluator function to run (async invoke), and the evaluator handler evaluates
// what the invocation names, or sweeps when its schedule asks.
func TestFullSyncInvokesTheEvaluator(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.lambda.CreateFunction(evaluatorFunction, nil)
	rt := e.newRuntime(t, func(c *awsrun.Config) { c.EvaluatorFunction = evaluatorFunction })
	inv := sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1", Trigger: sspm.TriggerManual}
	if out, err := rt.Sync(t.Context(), inv); err != nil || out.Outcome != "succeeded" {
		t.Fatalf("sync: %+v %v", out, err)
	}
	calls := e.lambda.Invocations(evaluatorFunction)
	if len(calls) != 1 || calls[0].Type != "Event" {
		t.Fatalf("evaluator invocations = %+v, want one async invoke", calls)
	}
	var got sspm.Invocation
	if err := json.Unmarshal(calls[0].Payload, &got); err != nil || got.Lane != sspm.LaneEvaluator || got.ConnectorID != "t1" {
		t.Fatalf("payload = %s (%v)", calls[0].Payload, err)
	}

	rep, err := rt.Evaluate(t.Context(), awsrun.EvaluateInput{Invocation: got})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Statuses) == 0 {
		t.Fatalf("evaluation after a full sync evaluated no rule: %+v", rep)
	}
	if _, err := rt.Evaluate(t.Context(), awsrun.EvaluateInput{Sweep: true}); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}
