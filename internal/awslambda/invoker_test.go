package awslambda_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/open-sspm/open-sspm/internal/awslambda"
	"github.com/open-sspm/open-sspm/internal/awslambda/lambdafake"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func setup(t *testing.T) (*lambdafake.Server, *awslambda.Invoker) {
	t.Helper()
	srv := lambdafake.NewServer()
	t.Cleanup(srv.Close)
	srv.CreateFunction("open-sspm-full", nil)
	discovery := srv.CreateFunction("open-sspm-discovery", nil)
	return srv, awslambda.NewInvoker(srv.Client(), map[sspm.Lane]string{
		sspm.LaneFull:      "open-sspm-full",
		sspm.LaneDiscovery: discovery, // an ARN works as well as a name
	})
}

func TestInvokeQueuesTheInvocationAsJSON(t *testing.T) {
	tests := []struct {
		give     sspm.Invocation
		wantFunc string
	}{
		{sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "okta-1", Trigger: sspm.TriggerSchedule}, "open-sspm-full"},
		{sspm.Invocation{Lane: sspm.LaneDiscovery, ConnectorID: "okta-2", Trigger: sspm.TriggerManual}, "open-sspm-discovery"},
	}
	for _, tt := range tests {
		t.Run(string(tt.give.Lane), func(t *testing.T) {
			srv, inv := setup(t)
			if err := inv.Invoke(t.Context(), tt.give); err != nil {
				t.Fatal(err)
			}
			got := srv.Invocations()
			if len(got) != 1 || got[0].Function != tt.wantFunc || got[0].Type != "Event" {
				t.Fatalf("invocations = %+v", got)
			}
			var back sspm.Invocation
			if err := json.Unmarshal(got[0].Payload, &back); err != nil || back != tt.give {
				t.Fatalf("payload %s round-trips to %+v (%v), want %+v", got[0].Payload, back, err, tt.give)
			}
		})
	}
}

func TestInvokeErrors(t *testing.T) {
	tests := []struct {
		name     string
		fault    string
		give     sspm.Invocation
		wantCode sspm.Code
		wantErr  string
	}{
		{name: "lane without a function", give: sspm.Invocation{Lane: sspm.LaneEvaluator, ConnectorID: "c"},
			wantCode: sspm.CodeInvalid, wantErr: "no function for lane evaluator"},
		{name: "throttled", fault: "TooManyRequestsException", give: sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "c"},
			wantCode: sspm.CodeInternal, wantErr: "lambda invoke open-sspm-full for full c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, inv := setup(t)
			if tt.fault != "" {
				srv.FailNext("open-sspm-full", http.StatusTooManyRequests, tt.fault, "Rate exceeded")
			}
			err := inv.Invoke(t.Context(), tt.give)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || sspm.ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v (code %s), want %q (code %s)", err, sspm.ErrorCode(err), tt.wantErr, tt.wantCode)
			}
			if len(srv.Invocations()) != 0 {
				t.Fatal("a refused invocation was recorded")
			}
		})
	}
}

func TestUnknownFunction(t *testing.T) {
	srv := lambdafake.NewServer()
	t.Cleanup(srv.Close)
	inv := awslambda.NewInvoker(srv.Client(), map[sspm.Lane]string{sspm.LaneFull: "gone"})
	err := inv.Invoke(t.Context(), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "c"})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("err = %v, want ResourceNotFoundException", err)
	}
}
