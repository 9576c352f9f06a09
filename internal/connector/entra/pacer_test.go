package entra_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestThrottledSyncNearTheFloor: under a resource-unit bucket that binds, a full sync takes at most 1.1× the
// least time the bucket allows (on the fake clock, where only the connector's waits take time). With Graph's
// early warning the connector paces itself and is never refused; without it, it waits each 429's Retry-After
// and no more.
func TestThrottledSyncNearTheFloor(t *testing.T) {
	const budget = 20 // resource units per 10 s
	tests := []struct {
		name      string
		noWarning bool
		max429    int
	}{
		{name: "paced by x-ms-throttle-limit-percentage", max429: 0},
		{name: "Retry-After only", noWarning: true, max429: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clocktest.New(sourcetest.Start)
			tn := newEntraTenant(t, clk, 0, entrasim.Options{ResourceUnits: budget, WithoutThrottleWarning: tt.noWarning})
			db := postgrestest.New(t, postgres.WithClock(clk.Now))
			conn := tn.Connector("throttled")
			if _, err := db.CreateConnector(ctx, conn, nil, ""); err != nil {
				t.Fatal(err)
			}
			opts := testOptions(clk)
			runner := &lane.Runner{Store: db, Now: clk.Now, Sleep: clk.Sleep, LeaseTTL: time.Hour,
				Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
					return opts.NewSource(ctx, c, tn.Secret())
				}}
			start := clk.Now()
			res, err := runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: conn.ID}, "t", time.Time{})
			if err != nil || res.Outcome != lane.OutcomeSucceeded {
				t.Fatalf("run: %v %s %v", err, res.Outcome, res.Err)
			}
			elapsed, st := clk.Now().Sub(start), tn.sim.Stats()
			floor := throttleFloor(st.Units, budget)
			report := fmt.Sprintf("%d units, %d answered 429: elapsed %s, floor %s", st.Units, st.Throttled, elapsed, floor)
			if floor < 30*time.Second {
				t.Fatalf("the bucket does not bind: %s", report)
			}
			if elapsed < floor || elapsed.Seconds() > 1.1*floor.Seconds() || st.Throttled > tt.max429 {
				t.Fatalf("%s; want within 1.1× the floor and at most %d 429s", report, tt.max429)
			}
			t.Log(report)
		})
	}
}
