package datadog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/providersim/simproc"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// The sizes: 10,000 users of the Large company, 50 roles (6 of the simulated org's own and 44 more),
// 2,000 keys (the org's own 445 and 1,555 more application keys).
var figures = ddsim.Options{Users: 10000, ExtraRoles: 44, ExtraKeys: 1555}

func figuresCompany(tb testing.TB) *providersim.Company {
	tb.Helper()
	c, err := providersim.NewCompany(providersim.Large())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// simChildEnv makes the test binary serve the figures' organization instead of running tests (see TestMain).
const simChildEnv = "OPEN_SSPM_DD_BENCH_SIM"

// serveSimChild serves the figures' organization on a loopback port (see simproc.Serve).
func serveSimChild() {
	c, err := providersim.NewCompany(providersim.Large())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sim := ddsim.NewHandler(c, figures)
	simproc.Serve(simproc.Mux(sim.Handler(), func() any { return sim.Stats() }, sim.ResetStats))
}

// BenchmarkFullSync runs a full sync of the figures' organization (10,000 users, 50 roles, about 2,000 keys; no
// rate limits) through the lane runner into PostgreSQL, the simulator in a child process, and reports rows/s,
// requests and the sync process's peak RSS and Go heap (the goal: peak RSS at most 100 MiB).
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test -run '^$' -bench BenchmarkFullSync -benchtime 1x ./internal/connector/datadog/
func BenchmarkFullSync(b *testing.B) {
	sim := simproc.Start(b, simChildEnv)
	db := postgrestest.New(b)
	ctx := context.Background()
	conf, _ := json.Marshal(map[string]any{"site": sim.URL})
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "dd-bench", Kind: sspm.KindDatadog, Name: "Datadog", Enabled: true, Config: conf}, nil, ""); err != nil {
		b.Fatal(err)
	}
	opts := datadog.Options{AllowLoopback: true, Outbound: sourcetest.Loopback}
	runner := &lane.Runner{Store: db, LeaseTTL: 10 * time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, defaultSecret())
	}}
	baseHeap, baseRSS := simproc.Baseline()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sim.ResetStats(b)
		var res lane.Result
		var err error
		m := sim.Measure(func() {
			res, err = runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "dd-bench"}, fmt.Sprint("bench-", i), time.Time{})
		})
		if err != nil || res.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		rows := simproc.Rows(res.Run.Counts)
		var stats ddsim.Stats
		sim.Stats(b, &stats)
		m.Report(b, rows)
		b.ReportMetric(float64(stats.Total), "requests")
		b.Logf("wall %s; rows %d %v; requests %d %v; sync process: peak RSS %d MiB, peak Go heap in use %d MiB "+
			"(before the sync: %d MiB heap, %d MiB RSS); simulator process: peak RSS %d MiB",
			m.Wall.Round(time.Millisecond), rows, res.Run.Counts, stats.Total, stats.ByRoute,
			m.RSS>>20, m.Heap>>20, baseHeap>>20, baseRSS>>20, m.SimRSS>>20)
	}
}

// benchLimits are per-minute budgets for the rate-limited sync: Datadog does not publish its buckets, so the
// users listing gets a tight one (the bucket that binds) and the others room for their requests.
var benchLimits = map[string]int{
	ddsim.BucketUsers: 20, ddsim.BucketRoles: 60, ddsim.BucketPermissions: 60, ddsim.BucketAPIKeys: 60, ddsim.BucketAppKeys: 60,
}

// BenchmarkRateLimitedSync reads the figures' organization through every full-lane stage against a simulator
// that meters each bucket per minute (benchLimits), on a fake clock (waits advance it: no real minutes pass), at
// rate_limit_share 1 and at the default 0.5. It reports the simulated sync time against the floor the
// X-RateLimit headers set:
//
//   - floor-min: for each bucket, ceil(requests / budget) one-minute windows, where the budget is what the share
//     lets the connector spend per window (limit − floor((1 − share) × limit)); the slowest bucket bounds the sync.
//   - strict-floor-min: the same less one window: the first window opens with the first request, so a client whose
//     requests took no time finishes in the last window as it opens. This is the bound a fake clock approaches.
//
// x-strict-floor is the ratio (goal ≤ 1.10); 429s counts rejected requests (goal 0).
//
//	go test -run '^$' -bench BenchmarkRateLimitedSync -benchtime 1x ./internal/connector/datadog/
func BenchmarkRateLimitedSync(b *testing.B) {
	company := figuresCompany(b)
	for _, share := range []float64{1, 0.5} {
		b.Run(fmt.Sprintf("share=%g", share), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				clk := clocktest.New(company.Now)
				opts := figures
				opts.Clock, opts.RateLimits = clk.Now, benchLimits
				sim := ddsim.New(company, opts)
				raw, _ := json.Marshal(map[string]any{"site": sim.URL(), "rate_limit_share": share})
				src, err := datadog.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}.NewSource(
					context.Background(), sspm.Connector{ID: "dd", Kind: sspm.KindDatadog, Config: raw}, defaultSecret())
				if err != nil {
					b.Fatal(err)
				}
				start := clk.Now()
				all := drainAll(b, src)
				elapsed := clk.Now().Sub(start)
				stats := sim.Stats()
				sim.Close()
				if len(all.Accounts) != 10000 {
					b.Fatalf("%d accounts", len(all.Accounts))
				}
				byBucket := map[string]int{
					ddsim.BucketUsers: stats.ByRoute["GET /api/v2/users"], ddsim.BucketRoles: stats.ByRoute["GET /api/v2/roles"],
					ddsim.BucketPermissions: stats.ByRoute["GET /api/v2/permissions"], ddsim.BucketAPIKeys: stats.ByRoute["GET /api/v2/api_keys"],
					ddsim.BucketAppKeys: stats.ByRoute["GET /api/v2/application_keys"],
				}
				floor, bound, slowest := 0, 0, ""
				for bucket, n := range byBucket {
					limit := benchLimits[bucket]
					budget := limit - int(math.Floor((1-share)*float64(limit)))
					if w := (n + budget - 1) / budget; w > floor {
						floor, bound, slowest = w, n, bucket
					}
				}
				floorD, strictD := time.Duration(floor)*time.Minute, time.Duration(floor-1)*time.Minute
				b.ReportMetric(elapsed.Seconds(), "sim-s/sync")
				b.ReportMetric(floorD.Minutes(), "floor-min")
				b.ReportMetric(strictD.Minutes(), "strict-floor-min")
				if strictD > 0 {
					b.ReportMetric(float64(elapsed)/float64(strictD), "x-strict-floor")
				}
				b.ReportMetric(float64(stats.RateLimited), "429s")
				b.Logf("share %g: simulated sync %s; floor %s (%s: %d requests, budget %d a minute), strict floor %s; "+
					"requests %d by bucket %v; 429s %d; %d keys, %d roles",
					share, elapsed.Round(time.Millisecond), floorD, slowest, bound,
					benchLimits[slowest]-int(math.Floor((1-share)*float64(benchLimits[slowest]))), strictD,
					stats.Total, byBucket, stats.RateLimited, len(all.Credentials), len(all.Groups))
			}
		})
	}
}

// BenchmarkTail100k tails 100,000 Audit Trail events of the figures' organization through the tailer into
// PostgreSQL while they happen: ten bursts of 10,000 events a minute apart, a tenth of each burst indexed late
// (stamped up to four minutes before the burst, inside the tail's five-minute overlap), the tail catching up
// after each burst. It fails unless every new event is stored exactly once (no duplicate, no gap), and reports
// events/s, reads and events read per event stored (the overlap's re-reads).
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test -run '^$' -bench BenchmarkTail100k -benchtime 1x ./internal/connector/datadog/
func BenchmarkTail100k(b *testing.B) {
	company := figuresCompany(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clk := clocktest.New(company.Now.Add(24 * time.Hour))
		opts := figures
		opts.Clock = clk.Now
		sim := ddsim.New(company, opts)
		db := postgrestest.New(b)
		ctx := context.Background()
		raw, _ := json.Marshal(map[string]any{"site": sim.URL()})
		c := sspm.Connector{ID: "dd-tail", Kind: sspm.KindDatadog, Name: "Datadog", Enabled: true, Config: raw}
		if _, err := db.CreateConnector(ctx, c, nil, ""); err != nil {
			b.Fatal(err)
		}
		dopts := datadog.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
		tailer := &lane.Tailer{Store: db, Now: clk.Now, Streams: func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
			return dopts.NewSource(ctx, c, defaultSecret())
		}}
		reads, read := 0, 0
		catchUp := func() {
			for {
				res, err := tailer.Step(ctx, c.ID, datadog.StreamAudit)
				if err != nil {
					b.Fatal(err)
				}
				reads++
				read += res.Read
				if res.Unavailable != "" {
					b.Fatalf("tail unavailable: %s", res.Unavailable)
				}
				if !res.More {
					return
				}
			}
		}
		b.StartTimer()
		start := time.Now()
		catchUp() // the organization's history: its last 90 days (the tail's first read)
		before := sim.Events()
		b.StopTimer()
		history, err := db.CountEvents(ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		const bursts, perBurst = 10, 10000
		for burst := range bursts {
			clk.Advance(time.Minute)
			for j := range perBurst {
				at := clk.Now().Add(-time.Duration(j%perBurst) * time.Millisecond)
				if j%10 == 0 { // indexed late
					at = clk.Now().Add(-time.Duration(1+j%4) * time.Minute)
				}
				sim.AppendEvent(ddsim.Event{Time: at, Action: "created", AssetType: "api_key",
					AssetID: fmt.Sprintf("k-%d-%d", burst, j), AssetName: "key", Message: "API key key was created."})
			}
			catchUp()
		}
		wall := time.Since(start)
		b.StopTimer()
		stored, err := db.CountEvents(ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		var distinct int64
		if err := db.Pool().QueryRow(ctx, `SELECT count(DISTINCT provider_event_id) FROM events WHERE connector_id = $1`, c.ID).Scan(&distinct); err != nil {
			b.Fatal(err)
		}
		total := int64(sim.Events())
		if stored != history+bursts*perBurst || distinct != stored || total-int64(before) != bursts*perBurst {
			b.Fatalf("stored %d (%d distinct): %d of the history and %d new events: a duplicate or a gap", stored, distinct, history, total-int64(before))
		}
		b.ReportMetric(float64(bursts*perBurst)/wall.Seconds(), "events/s")
		b.ReportMetric(float64(reads), "reads")
		b.ReportMetric(float64(read)/float64(total), "read/event")
		b.Logf("tailed %d new events after %d of the history (%d stored, %d distinct) in %s: %d reads (one request each) read %d events (overlap re-reads included)",
			bursts*perBurst, history, stored, distinct, wall.Round(time.Millisecond), reads, read)
		sim.Close()
		b.StartTimer()
	}
}
