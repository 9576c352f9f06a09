package google_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/providersim/simproc"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// simChildEnv makes the test binary serve the benchmark domain instead of running tests (see TestMain).
const simChildEnv = "OPEN_SSPM_GOOGLE_BENCH_SIM"

// benchStats is what the simulator child reports: its counters, the service account key and the admin.
type benchStats struct {
	Stats googlesim.Stats `json:"stats"`
	Key   string          `json:"key"`
	Admin string          `json:"admin"`
}

// serveSimChild serves 50,000 users and 10,000 groups (providersim.Large with 10,000 groups) as a Workspace
// domain that enforces Google's default quota of 2,400 queries a minute, on the wall clock.
func serveSimChild() {
	cfg := providersim.Large()
	cfg.Groups = 10000
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sim := googlesim.NewHandler(company, googlesim.Options{QueriesPerMinute: 2400})
	simproc.Serve(simproc.Mux(sim.Handler(), func() any {
		return benchStats{Stats: sim.Stats(), Key: string(sim.KeyJSON()), Admin: sim.AdminEmail()}
	}, func() {}))
}

// BenchmarkFullSyncProcess is the figure run as a deployment runs it: the lane runner and the
// PostgreSQL store in this process, the simulated domain (50,000 users, 10,000 groups, 2,400 queries a minute)
// in a child process, on the wall clock. It reports the sync's wall time against the floor the quota sets
// (requests / 2,400 a minute), the domain's quota answers (0: retries never exceed the quota), and this process's
// peak RSS and heap (sim-RSS-MB is the child's).
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test -run '^$' -bench BenchmarkFullSyncProcess -benchtime 1x -timeout 30m ./internal/connector/google/
func BenchmarkFullSyncProcess(b *testing.B) {
	sim := simproc.Start(b, simChildEnv)
	var st benchStats
	sim.Stats(b, &st)
	db := postgrestest.New(b)
	ctx := context.Background()
	conf, _ := json.Marshal(map[string]any{"admin_email": st.Admin, "token_url": sim.URL + "/token", "api_url": sim.URL + "/"})
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "google-bench", Kind: sspm.KindGoogle, Name: "Google", Enabled: true, Config: conf}, nil, ""); err != nil {
		b.Fatal(err)
	}
	opts := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback}
	runner := &lane.Runner{Store: db, LeaseTTL: 10 * time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, []byte(st.Key))
	}}
	baseHeap, baseRSS := simproc.Baseline()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before benchStats
		sim.Stats(b, &before)
		var res lane.Result
		var err error
		m := sim.Measure(func() {
			res, err = runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "google-bench"}, fmt.Sprint("bench-", i), time.Time{})
		})
		if err != nil || res.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		var after benchStats
		sim.Stats(b, &after)
		requests := after.Stats.Total - before.Stats.Total
		throttled := after.Stats.Throttled - before.Stats.Throttled
		floor := time.Duration(float64(requests) / 2400 * float64(time.Minute))
		m.Report(b, simproc.Rows(res.Run.Counts))
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(m.Wall.Seconds()/floor.Seconds(), "x-floor")
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(float64(throttled), "quota-answers")
		b.Logf("%d requests, rows %v: %s wall vs floor %s (%.3f×), %d quota answers; sync process peak RSS %d MiB, "+
			"peak heap %d MiB (before: %d MiB heap, %d MiB RSS); simulator process peak RSS %d MiB",
			requests, res.Run.Counts, m.Wall.Round(time.Second), floor.Round(time.Second), m.Wall.Seconds()/floor.Seconds(), throttled,
			m.RSS>>20, m.Heap>>20, baseHeap>>20, baseRSS>>20, m.SimRSS>>20)
	}
}
