package awsrun_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func streamEvents(ids ...string) []sspm.Event {
	out := make([]sspm.Event, len(ids))
	for i, id := range ids {
		out[i] = sspm.Event{ProviderEventID: id, Type: "user.session.start", OccurredAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	}
	return out
}

// TestTailStepLoop runs the state machine's loop by hand: the execution input the dispatcher started feeds the
// first TailStep, each output feeds the next, as Step Functions passes state.
func TestTailStepLoop(t *testing.T) {
	t.Parallel()
	e := setup(t)
	high := e.now.Add(-90 * time.Second)
	e.provider.stream = []sspm.StreamPage{
		{Events: streamEvents("a", "b"), Cursor: "c1", HighWater: high.Add(-time.Minute), More: true},
		{Events: streamEvents("b", "c"), Cursor: "c2", HighWater: high},
	}
	if _, err := e.rt.Dispatch(t.Context(), dispatchEvent(t, `{"lanes":["tail"]}`)); err != nil {
		t.Fatal(err)
	}
	execs := e.sfn.Executions(e.machine)
	if len(execs) != 1 {
		t.Fatalf("executions = %d", len(execs))
	}
	var state awsrun.TailStepInput
	if err := json.Unmarshal([]byte(execs[0].Input), &state); err != nil {
		t.Fatal(err)
	}
	want := []awsrun.TailStepOutput{
		{ConnectorID: "t1", Stream: "system_log", Iteration: 1, More: true, Stored: 2},
		{ConnectorID: "t1", Stream: "system_log", Iteration: 2, More: false, Stored: 1},
		{ConnectorID: "t1", Stream: "system_log", Iteration: 3, More: false, Stored: 0},
	}
	for i, w := range want {
		out, err := e.rt.TailStep(t.Context(), state)
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		if out != w {
			t.Fatalf("step %d = %+v, want %+v", i+1, out, w)
		}
		// The output is the next step's input.
		wire, _ := json.Marshal(out)
		state = awsrun.TailStepInput{}
		if err := json.Unmarshal(wire, &state); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := e.rt.DB.CountEvents(t.Context(), "t1"); n != 3 {
		t.Fatalf("events = %d, want 3", n)
	}
	if total, sets := e.metrics.sum(t, "EventsStored"); total != 3 || sets != 3 {
		t.Fatalf("EventsStored = %v over %d sets", total, sets)
	}
	var lags []float64
	for _, m := range e.metrics.metrics(t) {
		if v, ok := m["TailLagSeconds"].(float64); ok {
			lags = append(lags, v)
		}
	}
	if !reflect.DeepEqual(lags, []float64{150, 90, 90}) {
		t.Fatalf("TailLagSeconds = %v, want [150 90 90]", lags)
	}
}

func TestTailStepShapes(t *testing.T) {
	t.Parallel()
	wire, err := json.Marshal(awsrun.TailStepOutput{ConnectorID: "t1", Stream: "s", Iteration: 2, More: true, Stored: 5})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	_ = json.Unmarshal(wire, &keys)
	want := map[string]any{"connector_id": "t1", "stream": "s", "iteration": 2.0, "more": true, "stored": 5.0, "done": false}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("output on the wire = %s", wire)
	}
}

func TestTailStepEnds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		give    awsrun.TailStepInput
		disable bool
		want    awsrun.TailStepOutput
		wantErr bool
	}{
		{name: "disabled connector", give: awsrun.TailStepInput{ConnectorID: "t1", Stream: "system_log", Iteration: 4}, disable: true,
			want: awsrun.TailStepOutput{ConnectorID: "t1", Stream: "system_log", Iteration: 5, Done: true}},
		{name: "deleted connector", give: awsrun.TailStepInput{ConnectorID: "gone", Stream: "system_log"},
			want: awsrun.TailStepOutput{ConnectorID: "gone", Stream: "system_log", Iteration: 1, Done: true}},
		{name: "no stream", give: awsrun.TailStepInput{ConnectorID: "t1"}, wantErr: true},
	}
	e := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.disable {
				e.disable(t, "t1")
			}
			out, err := e.rt.TailStep(t.Context(), tt.give)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantErr && out != tt.want {
				t.Fatalf("out = %+v, want %+v", out, tt.want)
			}
		})
	}
}
