package okta_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// BenchmarkRateLimitedSync runs a full sync of providersim.Medium against a simulator that enforces Okta's
// published per-minute limits (oktasim.WorkforceLimits(1)), on a fake clock (waits advance it, so the benchmark
// takes no real minutes), at rate_limit_share 1 and at the default 0.5. It reports the simulated sync time
// against the floor the limits set:
//
//   - floor-min: for each bucket, ceil(requests / budget) minutes, where the budget is what the share lets the
//     connector spend per window (limit − floor((1 − share) × limit)); the slowest bucket bounds the sync.
//   - strict-floor-min: the same less one minute: the first window opens with the first request, so a client
//     whose requests took no time could finish the last window's requests as it opens. This is the bound
//     a fake clock can actually approach.
//
// x-floor and x-strict-floor are the ratios (goal ≤ 1.10); 429s counts rejected requests (goal 0).
//
//	go test -run '^$' -bench BenchmarkRateLimitedSync -benchtime 1x ./internal/connector/okta/
func BenchmarkRateLimitedSync(b *testing.B) {
	for _, share := range []float64{1, 0.5} {
		b.Run(fmt.Sprintf("share=%g", share), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				limits := oktasim.WorkforceLimits(1)
				e := newEnv(b, providersim.Medium(), oktasim.Options{RateLimits: limits}, map[string]any{"rate_limit_share": share})
				src := e.source(b)
				start := e.clk.Now()
				d := drain(b, src, sspm.LaneFull, nil)
				elapsed := e.clk.Now().Sub(start)
				stats := e.sim.Stats()
				var floor, bound int
				var slowest string
				for bucket, n := range stats.ByBucket {
					limit := limits[bucket]
					if limit <= 0 {
						continue
					}
					budget := limit - int(math.Floor((1-share)*float64(limit)))
					if m := (n + budget - 1) / budget; m > floor {
						floor, bound, slowest = m, n, bucket
					}
				}
				floorD, strictD := time.Duration(floor)*time.Minute, time.Duration(floor-1)*time.Minute
				b.ReportMetric(elapsed.Seconds(), "sim-s/sync")
				b.ReportMetric(floorD.Minutes(), "floor-min")
				b.ReportMetric(float64(elapsed)/float64(floorD), "x-floor")
				if strictD > 0 {
					b.ReportMetric(float64(elapsed)/float64(strictD), "x-strict-floor")
				}
				b.ReportMetric(float64(stats.RateLimited), "429s")
				b.Logf("share %g: simulated sync %s, %d steps; floor %s (%s: %d requests at %d a minute), strict floor %s; "+
					"requests %d by bucket %v; 429s %d; waits %d totalling %s",
					share, elapsed.Round(time.Millisecond), d.steps, floorD, slowest, bound,
					limits[slowest]-int(math.Floor((1-share)*float64(limits[slowest]))), strictD,
					stats.Total, stats.ByBucket, stats.RateLimited, e.clk.Sleeps(), e.clk.Slept().Round(time.Millisecond))
			}
		})
	}
}
