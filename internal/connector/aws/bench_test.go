package aws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	awsc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/providersim/simproc"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// simChildEnv makes the test binary serve the benchmark instance instead of running tests (see TestMain).
const simChildEnv = "OPEN_SSPM_AWS_BENCH_SIM"

// benchOptions is the instance: 20,000 users, 2,000 groups, 100 permission sets across 500 accounts.
var benchOptions = awssim.Options{Users: 20000, Groups: 2000, PermissionSets: 100, Accounts: 500}

// childStats is what the simulator child reports: its counters, the minimum requests of a full read, and the
// instance's ids.
type childStats struct {
	Stats       awssim.Stats
	Floor       map[string]int
	InstanceARN string
	StoreID     string
	Region      string
}

// serveSimChild serves the benchmark instance (20,000 of a company of 80,000 people have an AWS account; 2,000 groups) on a loopback port.
func serveSimChild() {
	cfg := providersim.Large()
	cfg.Users, cfg.Groups, cfg.Apps, cfg.SignIns, cfg.OAuthGrants = 80000, 2000, 100, 100, 10
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sim := awssim.NewHandler(company, benchOptions)
	simproc.Serve(simproc.Mux(sim, func() any {
		return childStats{Stats: sim.Stats(), Floor: sim.MinRequests(100), InstanceARN: sim.InstanceARN(), StoreID: sim.IdentityStoreID(), Region: sim.Region()}
	}, sim.ResetStats))
}

// BenchmarkFullSync runs a full sync of the instance (20,000 users, 2,000 groups, 100 permission sets
// assigned across 500 accounts) through the lane runner into PostgreSQL, paced at Identity Center's 20 requests
// a second on a simulated clock (no real waiting). It reports the requests made against the fewest that read the
// whole instance (awssim.MinRequests), the paced time against that floor at 20 requests/s (the issue asks for
// at most 1.1), and peak memory of the sync process (the simulator runs in a child process).
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test -run '^$' -bench BenchmarkFullSync -benchtime 1x ./internal/connector/aws/
func BenchmarkFullSync(b *testing.B) {
	sim := simproc.Start(b, simChildEnv)
	var st childStats
	sim.Stats(b, &st)
	db := postgrestest.New(b)
	ctx := context.Background()
	conf, _ := json.Marshal(map[string]any{"region": st.Region, "instance_arn": st.InstanceARN, "identity_store_id": st.StoreID,
		"endpoint": sim.URL, "requests_per_second": 20})
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "aws-bench", Kind: sspm.KindAWSIDC, Name: "AWS", Enabled: true, Config: conf}, nil, ""); err != nil {
		b.Fatal(err)
	}
	keys, _ := json.Marshal(map[string]string{"access_key_id": awssim.DefaultAccessKeyID, "secret_access_key": awssim.DefaultSecretAccessKey})
	clk := clocktest.New(time.Now())
	opts := awsc.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
	runner := &lane.Runner{Store: db, LeaseTTL: 10 * time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, keys)
	}}
	baseHeap, baseRSS := simproc.Baseline()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sim.ResetStats(b)
		start := clk.Now()
		var res lane.Result
		var err error
		m := sim.Measure(func() {
			res, err = runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "aws-bench"}, fmt.Sprint("bench-", i), time.Time{})
		})
		if err != nil || res.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		paced := clk.Now().Sub(start)
		sim.Stats(b, &st)
		floor := 0
		for _, n := range st.Floor {
			floor += n
		}
		floorTime := time.Duration(float64(floor) / 20 * float64(time.Second))
		rows := simproc.Rows(res.Run.Counts)
		m.Report(b, rows)
		b.ReportMetric(float64(st.Stats.Total)/float64(floor), "req/floor")
		b.ReportMetric(paced.Seconds()/floorTime.Seconds(), "paced/floor")
		b.ReportMetric(paced.Seconds(), "paced-s")
		b.Logf("wall %s; rows %d %v; requests %d, floor %d (%v); paced %s at 20/s, floor %s; by operation %v; "+
			"errors %v; sync process: peak RSS %d MiB, peak Go heap %d MiB (before: %d MiB heap, %d MiB RSS); simulator: peak RSS %d MiB",
			m.Wall.Round(time.Millisecond), rows, res.Run.Counts, st.Stats.Total, floor, st.Floor, paced.Round(time.Second), floorTime.Round(time.Second),
			st.Stats.ByOperation, st.Stats.Errors, m.RSS>>20, m.Heap>>20, baseHeap>>20, baseRSS>>20, m.SimRSS>>20)
		if r := paced.Seconds() / floorTime.Seconds(); r > 1.1 {
			b.Logf("paced time %.3f× the floor: above the issue's 1.1× (retried requests add their back-off)", r)
		}
	}
}

// BenchmarkTail50k tails the sign-in stream while 50,000 sign-ins arrive (a thousand a minute, the tail reading
// every minute on a simulated clock, 2 LookupEvents a second): every event is read, none twice outside the
// overlap the store de-duplicates, and the reads are paced to LookupEvents' limit.
//
//	go test -run '^$' -bench BenchmarkTail50k -benchtime 1x ./internal/connector/aws/
func BenchmarkTail50k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := mustEnv(b, awssim.Options{Users: 200})
		e.clk.Advance(time.Minute)
		_, cursor := e.readAll(b, awsc.StreamSignin, "") // the history before the benchmark
		before := map[string]bool{}
		for _, ev := range e.sim.Events() {
			before[ev.ID] = true
		}
		const total, perMinute = 50000, 1000
		seen := map[string]int{}
		reads, start := 0, e.clk.Now()
		b.ResetTimer()
		for added := 0; added < total; added += perMinute {
			e.sim.AddSignIns(perMinute, e.clk.Now().Add(-time.Minute), time.Minute/perMinute)
			var evs []sspm.Event
			evs, cursor = e.readAll(b, awsc.StreamSignin, cursor)
			reads++
			for _, ev := range evs {
				if !before[ev.ProviderEventID] {
					seen[ev.ProviderEventID]++
				}
			}
			e.clk.Advance(time.Minute)
		}
		b.StopTimer()
		missing, dup := 0, 0
		for _, ev := range e.sim.Events() {
			if ev.Source != awssim.SourceSignin || before[ev.ID] {
				continue
			}
			switch n := seen[ev.ID]; {
			case n == 0:
				missing++
			case n > 1:
				dup += n - 1
			}
		}
		st := e.sim.Stats()
		lookups := st.ByOperation["CloudTrail_20131101.LookupEvents"]
		elapsed := e.clk.Now().Sub(start)
		b.ReportMetric(float64(len(seen)), "events")
		b.ReportMetric(float64(missing), "missing")
		b.ReportMetric(float64(dup), "overlap-rereads")
		b.ReportMetric(float64(lookups)/elapsed.Seconds(), "lookups/s")
		b.Logf("%d new events read in %d reads, %d missing, %d read again in the overlap (stored once); %d lookups (%d throttled) over %s simulated",
			len(seen), reads, missing, dup, lookups, st.Throttled, elapsed.Round(time.Second))
		if missing != 0 || len(seen) != total {
			b.Fatalf("%d of %d events read, %d missing", len(seen), total, missing)
		}
	}
}
