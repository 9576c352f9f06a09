package entra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/providersim/simproc"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// BenchmarkFullSync runs a first full sync of the benchmark tenant (providersim.Large with 970 apps: 50,000
// users, 5,000 groups, about 500,000 memberships, 970 app registrations and about 1,030 service principals; no
// latency, no throttling) through the lane runner into PostgreSQL, then a delta sync after 1% of the users,
// groups and service principals changed. It reports rows/s, requests against the minimum the listings' paging
// allows, peak memory, and the delta sync's requests and time.
//
// The simulator runs in a child process (this test binary re-executed as TestMain's simulator), so the benchmark
// process holds only what a deployment holds: the connector, the lane runner and the database client.
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres go test -run '^$' -bench BenchmarkFullSync -benchtime 1x ./internal/connector/entra/
func BenchmarkFullSync(b *testing.B) {
	sim := simproc.Start(b, simChildEnv)
	db := postgrestest.New(b)
	ctx := context.Background()
	conf, _ := json.Marshal(map[string]any{"tenant_id": benchTenant, "client_id": entrasim.DefaultClientID, "auth": "client_secret",
		"graph_url": sim.URL + "/v1.0", "authority_host": sim.URL})
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "entra-bench", Kind: sspm.KindEntra, Name: "Entra", Enabled: true, Config: conf}, nil, ""); err != nil {
		b.Fatal(err)
	}
	opts := entra.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Credential: staticToken{}}
	runner := &lane.Runner{Store: db, LeaseTTL: 10 * time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, []byte(entrasim.DefaultSecret))
	}}
	baseHeap, baseRSS := simproc.Baseline()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sim.ResetStats(b)
		var res lane.Result
		var err error
		m := sim.Measure(func() {
			res, err = runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "entra-bench"}, fmt.Sprint("bench-", i), time.Time{})
		})
		if err != nil || res.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("run: %v %+v", err, res)
		}
		rows := simproc.Rows(res.Run.Counts)
		var stats entrasim.Stats
		sim.Stats(b, &stats)
		full := total(stats)
		b.StopTimer()
		minimum := minimumRequests(b, sim, res.Run.Counts)
		// The delta after 1% of the users and groups changed.
		sim.GetJSON(b, "/__bench/change?users=500&groups=50&sps=10", new(json.RawMessage))
		sim.ResetStats(b)
		b.StartTimer()
		start := time.Now()
		dres, err := runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "entra-bench"}, fmt.Sprint("delta-", i), time.Time{})
		deltaWall := time.Since(start)
		if err != nil || dres.Outcome != lane.OutcomeSucceeded {
			b.Fatalf("delta run: %v %+v", err, dres)
		}
		var dstats entrasim.Stats
		sim.Stats(b, &dstats)
		m.Report(b, rows)
		b.ReportMetric(float64(full)/float64(minimum), "req/min")
		b.ReportMetric(float64(full), "requests")
		b.ReportMetric(float64(total(dstats)), "delta-requests")
		b.ReportMetric(deltaWall.Seconds(), "delta-s")
		b.Logf("first sync: wall %s; rows %d %v; requests %d vs paging minimum %d (%.3fx) %v; "+
			"sync process: peak RSS %d MiB, peak Go heap in use %d MiB (before: %d MiB heap, %d MiB RSS); simulator: peak RSS %d MiB. "+
			"delta after 1%% changed: wall %s, requests %d (%.2f%% of the first sync's) %v, rows %v",
			m.Wall.Round(time.Millisecond), rows, res.Run.Counts, full, minimum, float64(full)/float64(minimum), stats.ByRoute,
			m.RSS>>20, m.Heap>>20, baseHeap>>20, baseRSS>>20, m.SimRSS>>20,
			deltaWall.Round(time.Millisecond), total(dstats), 100*float64(total(dstats))/float64(full), dstats.ByRoute, dres.Run.Counts)
	}
}

const (
	simChildEnv = "OPEN_SSPM_ENTRA_BENCH_SIM"
	benchTenant = "6e6b3a10-0000-4000-8000-000000000001"
)

func total(s entrasim.Stats) int {
	n := 0
	for _, c := range s.ByRoute {
		n += c
	}
	return n
}

// benchCompany is providersim.Large with 970 apps: about 2,000 applications and service principals.
func benchCompany() providersim.CompanyConfig {
	cfg := providersim.Large()
	cfg.Apps = 970
	return cfg
}

// serveSimChild serves the benchmark tenant on a loopback port (see simproc.Serve); /__bench/stats returns the
// request counters (?reset=1 zeroes them) and /__bench/change?users=N&groups=M&sps=K disables N users, adds a
// member to M groups and disables K service principals.
func serveSimChild() {
	company, err := providersim.NewCompany(benchCompany())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sim := entrasim.NewHandler(company, entrasim.Options{TenantID: benchTenant})
	mux := simproc.Mux(sim.Handler(), func() any { return sim.Stats() }, sim.ResetStats)
	mux.HandleFunc("/__bench/change", func(w http.ResponseWriter, r *http.Request) {
		users, groups := sim.UserIDs(), sim.GroupIDs()
		nu, _ := strconv.Atoi(r.URL.Query().Get("users"))
		ng, _ := strconv.Atoi(r.URL.Query().Get("groups"))
		for i := 0; i < nu && i < len(users); i++ {
			_ = sim.SetAccountEnabled(users[i*len(users)/nu], false)
		}
		for i := 0; i < ng && i < len(groups); i++ {
			_ = sim.AddMember(groups[i*len(groups)/ng], users[len(users)-1-i])
		}
		sps := sim.ServicePrincipalIDs()
		nsp, _ := strconv.Atoi(r.URL.Query().Get("sps"))
		for i := 0; i < nsp && i < len(sps); i++ {
			_ = sim.SetServicePrincipalEnabled(sps[i*len(sps)/nsp], false)
		}
		_, _ = w.Write([]byte("{}"))
	})
	simproc.Serve(mux)
}

// minimumRequests is the fewest requests the first sync's listings allow at Graph's page sizes: users 120 a page
// (signInActivity selected), every other listing 999, a child listing at least one request per parent, plus the
// four $deltatoken=latest requests (users, groups, service principals, applications); the directory roles, their members and the role groups' members count as
// the roles stage reads them. Counts come from the run (rows written) and the simulator.
func minimumRequests(b *testing.B, sim *simproc.Child, counts map[string]int64) int {
	pages := func(n, size int) int { return max(1, int(math.Ceil(float64(n)/float64(size)))) }
	count := func(path string) int {
		n := 0
		next := sim.URL + "/v1.0" + path
		for next != "" {
			req, _ := http.NewRequest(http.MethodGet, next, nil)
			req.Header.Set("Authorization", "Bearer "+entrasim.DefaultToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var p struct {
				Value []json.RawMessage `json:"value"`
				Next  string            `json:"@odata.nextLink"`
			}
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			n, next = n+len(p.Value), p.Next
		}
		return n
	}
	users, groups := count("/users?$select=id&$top=999"), count("/groups?$select=id&$top=999")
	sps, apps := count("/servicePrincipals?$select=id&$top=999"), count("/applications?$select=id&$top=999")
	grants, roles := count("/oauth2PermissionGrants?$top=999"), count("/directoryRoles")
	n := pages(users, 120) + pages(groups, 999) + groups + pages(sps, 999) + 2*sps + pages(apps, 999) + apps +
		pages(grants, 999) + 1 + roles + pages(users, 999) + 4
	return n
}
