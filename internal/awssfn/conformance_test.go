package awssfn_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awssfn"
	"github.com/open-sspm/open-sspm/internal/awssfn/sfnfake"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/invokertest"
)

func TestStarterConformance(t *testing.T) {
	invokertest.Run(t, invokertest.Config{
		Lanes: []sspm.Lane{sspm.LaneTail},
		New: func(t *testing.T) (sspm.Invoker, func() []sspm.Invocation) {
			srv := sfnfake.NewServer()
			t.Cleanup(srv.Close)
			arn := srv.CreateStateMachine("tail")
			return awssfn.New(srv.Client(), arn, awssfn.Options{Window: time.Hour}), func() []sspm.Invocation {
				var out []sspm.Invocation
				for _, e := range srv.Executions(arn) {
					var in awssfn.TailInput
					if err := json.Unmarshal([]byte(e.Input), &in); err != nil {
						t.Fatalf("execution input %q: %v", e.Input, err)
					}
					out = append(out, sspm.Invocation{Lane: sspm.LaneTail, ConnectorID: in.ConnectorID, Stream: in.Stream})
				}
				return out
			}
		},
	})
}
