package awslambda_test

import (
	"encoding/json"
	"testing"

	"github.com/open-sspm/open-sspm/internal/awslambda"
	"github.com/open-sspm/open-sspm/internal/awslambda/lambdafake"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/invokertest"
)

func TestInvokerConformance(t *testing.T) {
	lanes := []sspm.Lane{sspm.LaneFull, sspm.LaneDiscovery, sspm.LaneEvaluator}
	invokertest.Run(t, invokertest.Config{
		Lanes: lanes,
		New: func(t *testing.T) (sspm.Invoker, func() []sspm.Invocation) {
			srv := lambdafake.NewServer()
			t.Cleanup(srv.Close)
			functions := map[sspm.Lane]string{}
			for _, l := range lanes {
				functions[l] = "fn-" + string(l)
				srv.CreateFunction(functions[l], nil)
			}
			return awslambda.NewInvoker(srv.Client(), functions), func() []sspm.Invocation {
				var out []sspm.Invocation
				for _, c := range srv.Invocations() {
					var inv sspm.Invocation
					if err := json.Unmarshal(c.Payload, &inv); err != nil || c.Type != "Event" {
						t.Fatalf("invocation %+v: %v (want an async Event invoke)", c, err)
					}
					out = append(out, inv)
				}
				return out
			}
		},
	})
}
