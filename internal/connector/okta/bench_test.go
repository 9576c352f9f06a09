package okta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/providersim/simproc"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// BenchmarkFullSync runs a full sync of the benchmark org (providersim.Large: 50,000 users, 5,000 groups, about
// 500,000 memberships, 500 apps and about 100,000 app assignments; no added latency, no rate limits) through
// the lane runner into PostgreSQL, and reports rows/s, requests against the minimum the listings need
// (sum of ceil(n / page size)), and peak memory.
//
// The simulator runs in a child process (this test binary re-executed as TestMain's simulator), so the
// benchmark process holds only what a deployment holds: the connector, the lane runner and the database
// client. peak-RSS-MB and peak-heap-MB are that process's; sim-RSS-MB is the child's peak RSS, and the log
// line gives both and their sum.
//
// It runs at three sizes: users=50000 (Large), users=100000 and users=250000 (Large scaled: a tenth as many
// groups, ten memberships a user, an app per hundred users); pick one with -bench 'BenchmarkFullSync/users=100000'.
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test -run '^$' -bench BenchmarkFullSync/users=50000 -benchtime 1x ./internal/connector/okta/
func BenchmarkFullSync(b *testing.B) {
	for _, users := range []int{50000, 100000, 250000} {
		b.Run(fmt.Sprint("users=", users), func(b *testing.B) {
			b.Setenv(simUsersEnv, fmt.Sprint(users))
			benchFullSync(b)
		})
	}
}

// simUsersEnv sizes the benchmark org of the simulator child (see benchCompany).
const simUsersEnv = "OPEN_SSPM_OKTA_BENCH_USERS"

// benchCompany is providersim.Large scaled to the users simUsersEnv asks for (Large's 50,000 when unset).
func benchCompany() providersim.CompanyConfig {
	cfg := providersim.Large()
	n, err := strconv.Atoi(os.Getenv(simUsersEnv))
	if err != nil || n <= 0 || n == cfg.Users {
		return cfg
	}
	scale := func(x int) int { return max(1, int(int64(x)*int64(n)/int64(cfg.Users))) }
	cfg.Groups, cfg.Apps, cfg.SignIns, cfg.OAuthGrants = scale(cfg.Groups), scale(cfg.Apps), scale(cfg.SignIns), scale(cfg.OAuthGrants)
	cfg.Users = n
	return cfg
}

func benchFullSync(b *testing.B) {
	isolate(b)
	sim := simproc.Start(b, simChildEnv)
	db := postgrestest.New(b)
	ctx := context.Background()
	conf := mustJSON(b, map[string]any{"org_url": sim.URL, "auth": "api_token"})
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-bench", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Config: conf}, nil, ""); err != nil {
		b.Fatal(err)
	}
	opts := okta.Options{AllowLoopback: true, Outbound: sourcetest.Loopback} // the simulator child listens on loopback
	runner := &lane.Runner{Store: db, LeaseTTL: 10 * time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
	}}
	baseHeap, baseRSS := simproc.Baseline()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sim.ResetStats(b)
		var res lane.Result
		var err error
		m := sim.Measure(func() {
			res, err = runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "okta-bench"}, fmt.Sprint("bench-", i), time.Time{})
		})
		if err != nil || res.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		rows := simproc.Rows(res.Run.Counts)
		var stats oktasim.Stats
		sim.Stats(b, &stats)
		b.StopTimer()
		minimum, listings := minimumRequests(b, sim.URL)
		b.StartTimer()
		listed := 0
		for _, route := range listings {
			listed += stats.ByRoute[route]
		}
		m.Report(b, rows)
		b.ReportMetric(float64(listed)/float64(minimum), "listing-req/min")
		b.ReportMetric(float64(stats.Total), "requests")
		b.Logf("wall %s; rows %d %v; inventory listing requests %d vs minimum %d; all requests %d %v; "+
			"sync process: peak RSS %d MiB, peak Go heap in use %d MiB (before the sync: %d MiB heap, %d MiB RSS); "+
			"simulator process: peak RSS %d MiB; both: %d MiB",
			m.Wall.Round(time.Millisecond), rows, res.Run.Counts, listed, minimum, stats.Total, stats.ByRoute,
			m.RSS>>20, m.Heap>>20, baseHeap>>20, baseRSS>>20, m.SimRSS>>20, (m.RSS+m.SimRSS)>>20)
	}
}

// simChildEnv makes the test binary serve the benchmark org instead of running tests (see TestMain).
const simChildEnv = "OPEN_SSPM_OKTA_BENCH_SIM"

// serveSimChild serves providersim.Large as an Okta org on a loopback port (see simproc.Serve).
// /__bench/stats returns the request counters (?reset=1 zeroes them).
func serveSimChild() {
	company, err := providersim.NewCompany(benchCompany())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sim := oktasim.NewHandler(company, oktasim.Options{})
	simproc.Serve(simproc.Mux(sim.Handler(), func() any { return sim.Stats() }, sim.ResetStats))
}

// minimumRequests counts, with plain HTTP, the requests each inventory listing needs at Okta's page sizes:
// sum of ceil(n / page size), at least one per listing.
func minimumRequests(b *testing.B, url string) (int, []string) {
	pagesOf := func(n, size int) int { return max(1, int(math.Ceil(float64(n)/float64(size)))) }
	count := func(path string) []string { return listIDs(b, url, path) }
	n := pagesOf(len(count("/api/v1/users?limit=200")), 200) +
		pagesOf(len(count("/api/v1/users?limit=200&search="+q(`status eq "DEPROVISIONED"`))), 200) +
		pagesOf(len(count("/api/v1/iam/assignees/users?limit=100")), 100)
	groups, apps := count("/api/v1/groups?limit=10000"), count("/api/v1/apps?limit=200")
	n += pagesOf(len(groups), 10000) + pagesOf(len(apps), 200)
	for _, g := range groups {
		n += pagesOf(len(count("/api/v1/groups/"+g+"/users?limit=1000")), 1000)
	}
	for _, a := range apps {
		n += pagesOf(len(count("/api/v1/apps/"+a+"/users?limit=500")), 500)
		n += pagesOf(len(count("/api/v1/apps/"+a+"/groups?limit=200")), 200)
	}
	return n, []string{"GET /api/v1/users", "GET /api/v1/groups", "GET /api/v1/groups/{groupId}/users", "GET /api/v1/apps",
		"GET /api/v1/apps/{appId}/users", "GET /api/v1/apps/{appId}/groups", "GET /api/v1/iam/assignees/users"}
}

// listIDs lists the ids of a listing with plain HTTP (a list, or the assignees' {"value": [...]}).
func listIDs(b *testing.B, url, path string) []string {
	var out []string
	next := url + path
	for next != "" {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Authorization", "SSWS "+oktasim.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var page []struct{ ID string }
		next = ""
		if err := json.Unmarshal(body, &page); err != nil {
			var obj struct {
				Value []struct{ ID string }
				Links struct{ Next struct{ Href string } } `json:"_links"`
			}
			if err := json.Unmarshal(body, &obj); err != nil {
				b.Fatalf("%s: %v", path, err)
			}
			page, next = obj.Value, obj.Links.Next.Href
		}
		for _, it := range page {
			out = append(out, it.ID)
		}
		for _, l := range resp.Header.Values("Link") {
			if strings.Contains(l, `rel="next"`) {
				next = strings.Trim(strings.SplitN(l, ";", 2)[0], "<> ")
			}
		}
	}
	return out
}
