package github_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/providersim/simproc"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// The benchmark organization: 5,000 members, 500 teams and 5,000 repositories, from a company of 12,500 people
// (about 41% of them have a GitHub account).
func benchOrg() (*providersim.Company, githubsim.Options) {
	cfg := providersim.CompanyConfig{Seed: 1, Users: 12500, Groups: 700, Apps: 50, MembershipsPerUser: 6, AssignmentsPerApp: 20}
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		panic(err)
	}
	// A budget the sync cannot exhaust (the simulator's headers count down from it); the rate-limited benchmark
	// sets GitHub's 5,000.
	return company, githubsim.Options{Members: 5000, Teams: 500, Repos: 5000, RateLimit: 1_000_000}
}

// BenchmarkFullSync runs a full sync of the benchmark organization through the lane runner into PostgreSQL, with
// the store as the connector's response cache (as deployed), and then a second sync of the unchanged
// organization. It reports wall time, rows/s, the requests against the minimum the listings need at 100 a page
// (githubsim.MinimumRequests), peak memory, and the rate-limit budget the second sync spends against the first
// (goal: under 10%).
//
// The simulator runs in a child process (this test binary re-executed as TestMain's simulator), so the
// benchmark process holds only what a deployment holds: the connector, the lane runner and the database client.
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test -run '^$' -bench BenchmarkFullSync -benchtime 1x ./internal/connector/github/
func BenchmarkFullSync(b *testing.B) {
	sim := simproc.Start(b, simChildEnv)
	db := postgrestest.New(b)
	ctx := context.Background()
	conf, _ := json.Marshal(map[string]any{"org": githubsim.DefaultOrg, "auth": "token", "base_url": sim.URL + "/"})
	conn := sspm.Connector{ID: "gh-bench", Kind: sspm.KindGitHub, Name: "GitHub", Enabled: true, Config: conf}
	if _, err := db.CreateConnector(ctx, conn, nil, ""); err != nil {
		b.Fatal(err)
	}
	kind, _ := connector.NewRegistry(ghc.NewKind(ghc.Options{AllowLoopback: true, HTTPClient: &http.Client{}})).
		Bind(connector.Deps{HTTPCache: db}).Lookup(sspm.KindGitHub)
	runner := &lane.Runner{Store: db, LeaseTTL: 10 * time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return kind.NewSource(ctx, c, []byte(githubsim.DefaultToken))
	}}
	baseHeap, baseRSS := simproc.Baseline()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := db.EvictHTTPCache(ctx, conn.ID, 0); err != nil { // every iteration starts cold
			b.Fatal(err)
		}
		sim.ResetStats(b)
		b.StartTimer()
		var res lane.Result
		var err error
		m := sim.Measure(func() {
			res, err = runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: conn.ID}, fmt.Sprint("bench-", i), time.Time{})
		})
		if err != nil || res.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		rows := simproc.Rows(res.Run.Counts)
		b.StopTimer()
		var first githubsim.Stats
		sim.Stats(b, &first)
		minimum := map[string]int{}
		sim.GetJSON(b, "/__bench/minimum", &minimum)
		sim.ResetStats(b)
		start2 := time.Now()
		res2, err := runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: conn.ID}, fmt.Sprint("bench-again-", i), time.Time{})
		wall2 := time.Since(start2)
		if err != nil || res2.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("second run: %v %+v", err, res2)
		}
		var second githubsim.Stats
		sim.Stats(b, &second)
		entries, stored, bodies, _ := db.HTTPCacheSize(ctx, conn.ID)
		b.StartTimer()

		var minTotal, listed, minListed int
		for route, n := range minimum {
			minTotal += n
			if route != "POST /graphql" {
				minListed += n
				listed += first.ByRoute[route]
			}
		}
		budget1, budget2 := first.ByStatus[http.StatusOK], second.ByStatus[http.StatusOK]
		m.Report(b, rows)
		b.ReportMetric(float64(first.Total), "requests")
		b.ReportMetric(float64(first.Total)/float64(minTotal), "req/min")
		b.ReportMetric(wall2.Seconds(), "s/2nd-sync")
		b.ReportMetric(100*float64(budget2)/float64(budget1), "2nd-budget-%")
		b.Logf("first sync: wall %s; rows %d %v; requests %d vs minimum %d (listings %d vs %d, GraphQL %d vs %d); by route %v; "+
			"sync process: peak RSS %d MiB, peak Go heap in use %d MiB (before: %d MiB heap, %d MiB RSS); simulator process: peak RSS %d MiB",
			m.Wall.Round(time.Millisecond), rows, res.Run.Counts, first.Total, minTotal, listed, minListed,
			first.ByRoute["POST /graphql"], minimum["POST /graphql"], first.ByRoute, m.RSS>>20, m.Heap>>20, baseHeap>>20, baseRSS>>20, m.SimRSS>>20)
		b.Logf("second sync of the unchanged organization: wall %s; %d requests, %d answered 304; budget spent %d vs %d (%.2f%%); "+
			"expired %v; cache %d entries, %d MiB stored for %d MiB of bodies",
			wall2.Round(time.Millisecond), second.Total, second.NotModified, budget2, budget1, 100*float64(budget2)/float64(budget1),
			res2.Expired, entries, stored>>20, bodies>>20)
	}
}

// BenchmarkRateLimitedSync syncs the benchmark organization against a simulator that enforces 5,000 requests an
// hour, on a fake clock shared by the simulator and the connector (waits advance it, so no real hours pass), at
// rate_limit_share 1 and at the default 0.5, then syncs it again with the responses the first sync cached. It
// reports the simulated sync time against the floor the limit sets:
//
//   - floor-h: ceil(budget spent / budget per window) hourly windows, the budget per window being what the share
//     lets the connector spend (limit − floor((1 − share) × limit));
//   - strict-floor-h: the same less one hour (the first window opens with the first request; a client whose
//     requests took no time finishes as the last window opens): the bound a fake clock can approach.
//
// dup-fetches counts requests of the first sync answered 200 more than once (same method, URL and body; goal 0);
// rejected counts requests the simulator refused for the rate limit (403/429) and the connector sent again after
// the reset. 2nd-budget-% is the budget the second sync spends against the first's.
//
//	go test -run '^$' -bench BenchmarkRateLimitedSync -benchtime 1x ./internal/connector/github/
func BenchmarkRateLimitedSync(b *testing.B) {
	const limit = 5000
	company, simOpts := benchOrg()
	for _, share := range []float64{1, 0.5} {
		b.Run(fmt.Sprintf("share=%g", share), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				clk := clocktest.New(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
				opts := simOpts
				opts.Clock, opts.RateLimit = clk.Now, limit
				sim := githubsim.New(company, opts)
				rec := &fetchRecorder{base: http.DefaultTransport, seen: map[[32]byte]int{}}
				cfg, _ := json.Marshal(map[string]any{"org": sim.Org(), "auth": "token", "base_url": sim.URL() + "/", "rate_limit_share": share})
				conn := sspm.Connector{ID: "gh-rl", Kind: sspm.KindGitHub, Name: "GitHub", Enabled: true, Config: cfg}
				cache := &memCache{m: map[string]memEntry{}}
				copts := ghc.Options{AllowLoopback: true, HTTPClient: &http.Client{Transport: rec}, Now: clk.Now, Sleep: clk.Sleep, Cache: cache}
				src, err := copts.NewSource(context.Background(), conn, []byte(githubsim.DefaultToken))
				if err != nil {
					b.Fatal(err)
				}
				start := clk.Now()
				d, err := drain(b, src)
				if err != nil {
					b.Fatal(err)
				}
				elapsed := clk.Now().Sub(start)
				st, dups := sim.Stats(), rec.duplicates()
				spent := st.ByStatus[http.StatusOK]
				rejected := st.ByStatus[http.StatusForbidden] + st.ByStatus[http.StatusTooManyRequests]
				perWindow := limit - int(math.Floor((1-share)*limit))
				windows := (spent + perWindow - 1) / perWindow
				floor, strict := time.Duration(windows)*time.Hour, time.Duration(windows-1)*time.Hour

				sim.ResetStats()
				src2, _ := copts.NewSource(context.Background(), conn, []byte(githubsim.DefaultToken))
				start2 := clk.Now()
				if _, err := drain(b, src2); err != nil {
					b.Fatal(err)
				}
				elapsed2 := clk.Now().Sub(start2)
				st2 := sim.Stats()
				sim.Close()

				b.ReportMetric(elapsed.Hours(), "sim-h/sync")
				b.ReportMetric(floor.Hours(), "floor-h")
				b.ReportMetric(float64(elapsed)/float64(floor), "x-floor")
				if strict > 0 {
					b.ReportMetric(float64(elapsed)/float64(strict), "x-strict-floor")
				}
				b.ReportMetric(float64(dups), "dup-fetches")
				b.ReportMetric(float64(rejected), "rejected")
				b.ReportMetric(100*float64(st2.ByStatus[http.StatusOK])/float64(spent), "2nd-budget-%")
				b.Logf("share %g: simulated sync %s in %d steps, %d rows; budget spent %d (%d requests), %d a window: floor %s, strict floor %s; "+
					"rejected for the rate limit %d; fetched twice %d; waits %d totalling %s; "+
					"second sync: %s simulated, %d requests, %d answered 304, budget %d (%.2f%%)",
					share, elapsed.Round(time.Second), d.steps, len(d.page.Accounts)+len(d.page.Groups)+len(d.page.GroupMembers)+
						len(d.page.Resources)+len(d.page.Grants)+len(d.page.Credentials), spent, st.Total, perWindow, floor, strict,
					rejected, dups, clk.Sleeps(), clk.Slept().Round(time.Second),
					elapsed2.Round(time.Second), st2.Total, st2.NotModified, st2.ByStatus[http.StatusOK],
					100*float64(st2.ByStatus[http.StatusOK])/float64(spent))
			}
		})
	}
}

// fetchRecorder counts the requests answered 200 by method, URL and body.
type fetchRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen map[[32]byte]int
}

func (f *fetchRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := f.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusOK {
		key := sha256.Sum256([]byte(r.Method + " " + r.URL.String() + "\n" + string(body)))
		f.mu.Lock()
		f.seen[key]++
		f.mu.Unlock()
	}
	return resp, err
}

func (f *fetchRecorder) duplicates() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.seen {
		n += c - 1
	}
	return n
}

// memCache is an in-memory connector.HTTPCache for runs without a database.
type memCache struct {
	mu sync.Mutex
	m  map[string]memEntry
}

type memEntry struct {
	etag   string
	header http.Header
	body   []byte
}

func (c *memCache) GetHTTPCache(_ context.Context, id, key string) (string, http.Header, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id+" "+key]
	return e.etag, e.header, e.body, nil
}

func (c *memCache) PutHTTPCache(_ context.Context, id, key, etag string, h http.Header, body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[id+" "+key] = memEntry{etag: etag, header: http.Header{"Link": h.Values("Link"), "Content-Type": h.Values("Content-Type")}, body: body}
	return nil
}

func (c *memCache) EvictHTTPCache(context.Context, string, time.Duration) (int64, error) {
	return 0, nil
}

// simChildEnv makes the test binary serve the benchmark organization instead of running tests (see TestMain).
const simChildEnv = "OPEN_SSPM_GITHUB_BENCH_SIM"

// serveSimChild serves the benchmark organization on a loopback port (see simproc.Serve). /__bench/stats
// returns the request counters (?reset=1 zeroes them), /__bench/minimum the minimum requests by route at 100 a
// page.
func serveSimChild() {
	company, opts := benchOrg()
	sim := githubsim.NewHandler(company, opts)
	mux := simproc.Mux(sim.Handler(), func() any { return sim.Stats() }, sim.ResetStats)
	mux.HandleFunc("/__bench/minimum", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(sim.MinimumRequests(100))
	})
	simproc.Serve(mux)
}
