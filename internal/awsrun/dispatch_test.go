package awsrun_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// dispatchEvent decodes a dispatch event as the Lambda runtime would.
func dispatchEvent(t *testing.T, raw string) awsrun.DispatchInput {
	t.Helper()
	var in awsrun.DispatchInput
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

const scheduledEvent = `{"version":"0","id":"6a7e8feb","detail-type":"Scheduled Event","source":"aws.events",
	"account":"111122223333","time":"2026-11-26T10:05:00Z","region":"us-east-1",
	"resources":["arn:aws:events:us-east-1:111122223333:rule/open-sspm-tail"],"detail":%s}`

func TestDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		give          string
		wantFull      int
		wantDiscovery int
		wantTails     int
		wantErr       string
	}{
		{name: "schedule input: full", give: `{"lanes":["full"]}`, wantFull: 1},
		{name: "schedule input: full and discovery", give: `{"lanes":["full","discovery"]}`, wantFull: 1, wantDiscovery: 1},
		{name: "scheduled event, no lanes: full and discovery", give: strings.Replace(scheduledEvent, "%s", `{}`, 1), wantFull: 1, wantDiscovery: 1},
		{name: "scheduled event with lanes in detail: tail", give: strings.Replace(scheduledEvent, "%s", `{"lanes":["tail"]}`, 1), wantTails: 1},
		{name: "unknown lane", give: `{"lanes":["nightly"]}`, wantErr: "unknown lane"},
		{name: "lane dispatch does not schedule", give: `{"lanes":["evaluator"]}`, wantErr: "not scheduled by dispatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			out, err := e.rt.Dispatch(t.Context(), dispatchEvent(t, tt.give))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(e.lambda.Invocations(fullFunction)); got != tt.wantFull {
				t.Fatalf("full invocations = %d, want %d", got, tt.wantFull)
			}
			if got := len(e.lambda.Invocations(discoveryFunction)); got != tt.wantDiscovery {
				t.Fatalf("discovery invocations = %d, want %d", got, tt.wantDiscovery)
			}
			if len(out.Invoked) != tt.wantFull+tt.wantDiscovery || out.TailStreams != tt.wantTails {
				t.Fatalf("output = %+v", out)
			}
			if got := len(e.sfn.Executions(e.machine)); got != tt.wantTails {
				t.Fatalf("tail executions = %d, want %d", got, tt.wantTails)
			}
			for _, inv := range e.lambda.Invocations() {
				var got sspm.Invocation
				if err := json.Unmarshal(inv.Payload, &got); err != nil || got.ConnectorID != "t1" || got.Trigger != sspm.TriggerSchedule {
					t.Fatalf("payload %s: %+v %v", inv.Payload, got, err)
				}
			}
		})
	}
}

func TestDispatchSkipsWhatIsNotDue(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	if out, err := e.rt.Sync(lambdaContext(t, "req", time.Minute), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1"}); err != nil || out.Outcome != "succeeded" {
		t.Fatalf("sync: %+v %v", out, err)
	}
	e.disable(t, "t1")
	out, err := e.rt.Dispatch(ctx, dispatchEvent(t, `{"lanes":["full","discovery","tail"]}`))
	if err != nil {
		t.Fatal(err)
	}
	// full ran just now; discovery and tail are for enabled connectors only.
	if len(out.Invoked) != 0 || out.TailStreams != 0 || len(e.lambda.Invocations()) != 0 || len(e.sfn.Executions(e.machine)) != 0 {
		t.Fatalf("dispatched %+v", out)
	}
}

func TestDispatchReportsFailedInvocations(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.lambda.FailNext(fullFunction, http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded")
	out, err := e.rt.Dispatch(t.Context(), dispatchEvent(t, `{"lanes":["full","discovery"]}`))
	if err == nil || !strings.Contains(err.Error(), "TooManyRequestsException") {
		t.Fatalf("err = %v, want the throttle", err)
	}
	if len(out.Invoked) != 1 || out.Invoked[0].Lane != sspm.LaneDiscovery {
		t.Fatalf("the other lane was not invoked: %+v", out)
	}
}
