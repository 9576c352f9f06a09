// Package invokertest is the conformance suite every sspm.Invoker passes: the local pool, the Lambda async
// invoker and the Step Functions starter (against their in-process fakes) alike.
package invokertest

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Config describes the invoker under test. New returns an invoker and a function listing the invocations that
// reached the other side (the handler, the function, the state machine), in the order they arrived. Lanes are
// the lanes the invoker routes.
type Config struct {
	New   func(t *testing.T) (sspm.Invoker, func() []sspm.Invocation)
	Lanes []sspm.Lane
}

// Run runs the suite.
func Run(t *testing.T, cfg Config) {
	t.Run("an accepted invocation arrives intact", func(t *testing.T) {
		inv, received := cfg.New(t)
		for _, l := range cfg.Lanes {
			give := sspm.Invocation{Lane: l, ConnectorID: "okta-1", Trigger: sspm.TriggerManual}
			if l == sspm.LaneTail {
				give.Stream, give.Trigger = "system_log", ""
			}
			if err := inv.Invoke(context.Background(), give); err != nil {
				t.Fatalf("invoke %s: %v", l, err)
			}
			got := waitFor(t, received, func(all []sspm.Invocation) bool { return contains(all, give) })
			if !contains(got, give) {
				t.Fatalf("lane %s: received %+v, want %+v among them", l, got, give)
			}
		}
	})
	t.Run("invocations for different connectors all arrive", func(t *testing.T) {
		inv, received := cfg.New(t)
		l := cfg.Lanes[0]
		var want []sspm.Invocation
		for _, id := range []string{"a-1", "b-2", "c-3"} {
			give := sspm.Invocation{Lane: l, ConnectorID: id}
			if l == sspm.LaneTail {
				give.Stream = "system_log"
			}
			want = append(want, give)
			if err := inv.Invoke(context.Background(), give); err != nil {
				t.Fatal(err)
			}
		}
		got := waitFor(t, received, func(all []sspm.Invocation) bool {
			for _, w := range want {
				if !contains(all, w) {
					return false
				}
			}
			return true
		})
		for _, w := range want {
			if !contains(got, w) {
				t.Fatalf("received %+v, missing %+v", got, w)
			}
		}
	})
}

func contains(all []sspm.Invocation, want sspm.Invocation) bool {
	for _, got := range all {
		if got.Lane == want.Lane && got.ConnectorID == want.ConnectorID && got.Stream == want.Stream &&
			(got.Trigger == want.Trigger || got.Trigger == "" || want.Trigger == "") {
			return true
		}
	}
	return false
}

// waitFor polls received until done holds or two seconds pass (the local pool delivers asynchronously).
func waitFor(t *testing.T, received func() []sspm.Invocation, done func([]sspm.Invocation) bool) []sspm.Invocation {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := received()
		if done(got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}
