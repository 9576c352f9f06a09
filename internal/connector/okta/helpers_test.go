package okta_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

func TestMain(m *testing.M) {
	if os.Getenv(simChildEnv) == "1" { // the benchmark's simulator process (bench_test.go)
		serveSimChild()
		return
	}
	postgrestest.Main(m)
}

// env is a simulated Okta org and a connector pointed at it.
type env struct {
	sim  *oktasim.Server
	clk  *clocktest.Clock
	opts okta.Options
	conn sspm.Connector
	// stepRows and stepRequests, when set, make steps small (many cursors from a small org).
	stepRows, stepRequests int
}

// isolate keeps ~/.okta and OKTA_* variables away from the SDK.
func isolate(t testing.TB) {
	t.Setenv("HOME", t.TempDir())
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OKTA_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// newEnv serves a company as an Okta org on a fake clock an hour after the company's "now". extra merges into
// the connector's config.
func newEnv(t testing.TB, cfg providersim.CompanyConfig, simOpts oktasim.Options, extra map[string]any) *env {
	t.Helper()
	isolate(t)
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(company.Now.Add(time.Hour))
	simOpts.Clock = clk.Now
	sim := oktasim.New(company, simOpts)
	t.Cleanup(sim.Close)
	conf := map[string]any{"org_url": sim.URL(), "auth": "api_token"}
	for k, v := range extra {
		conf[k] = v
	}
	raw, _ := json.Marshal(conf)
	return &env{
		sim: sim, clk: clk,
		opts: okta.Options{AllowLoopback: true, Outbound: outbound.Allowing(sim.URL()), Now: clk.Now, Sleep: clk.Sleep},
		conn: sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, DiscoveryEnabled: true, Config: raw},
	}
}

func (e *env) source(t testing.TB) *okta.Source {
	t.Helper()
	src, err := e.opts.NewSource(context.Background(), e.conn, []byte(oktasim.DefaultToken))
	if err != nil {
		t.Fatal(err)
	}
	e.tune(src)
	return src
}

func (e *env) tune(src *okta.Source) {
	if e.stepRows > 0 {
		okta.SetStepLimits(src, e.stepRows, e.stepRequests)
	}
}

// drained is everything a lane's stages emitted, with the steps it took.
type drained struct {
	page       sspm.Page
	steps      int
	messages   []string
	unavail    []sspm.Entity
	watermarks map[string]string
}

// drain runs stages of a lane to the end as the runner would, starting from watermarks.
func drain(t testing.TB, src *okta.Source, lane sspm.Lane, watermarks map[string]string, stages ...string) drained {
	t.Helper()
	out := drained{watermarks: map[string]string{}}
	err := sourcetest.StepAll(context.Background(), src, lane, stages, watermarks, func(stage string, res sspm.StepResult) {
		out.steps++
		sourcetest.AppendPage(&out.page, &res.Page)
		out.unavail = append(out.unavail, res.Unavailable...)
		if res.Message != "" {
			out.messages = append(out.messages, res.Message)
		}
		if res.Next == "" && res.Watermark != "" {
			out.watermarks[stage] = res.Watermark
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// keys returns the distinct keys of a page's rows per entity, as the store keys them.
func keys(p sspm.Page) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	add := func(kind, k string) {
		if out[kind] == nil {
			out[kind] = map[string]bool{}
		}
		out[kind][k] = true
	}
	for _, a := range p.Accounts {
		add("accounts", a.ExternalID)
	}
	for _, g := range p.Groups {
		add("groups", g.ExternalID)
	}
	for _, m := range p.GroupMembers {
		add("group_members", m.GroupExternalID+"/"+m.MemberExternalID)
	}
	for _, r := range p.Resources {
		add("resources", r.ExternalID)
	}
	for _, g := range p.Grants {
		add("grants", strings.Join([]string{g.PrincipalExternalID, string(g.PrincipalKind), g.ResourceExternalID, g.Permission, g.Via, g.ViaExternalID}, "/"))
	}
	for _, d := range p.Datasets {
		add("datasets", d.Dataset+"/"+d.ExternalID)
	}
	for _, m := range p.MFA {
		add("mfa", m.AccountExternalID)
	}
	return out
}

// truth lists an endpoint of the simulator with plain HTTP (not the connector), following next links.
func truth(t testing.TB, e *env, path string) []map[string]any {
	t.Helper()
	return simTruth(t, e.sim, path)
}

// simTruth lists an endpoint of a simulator with plain HTTP, following next links.
func simTruth(t testing.TB, sim *oktasim.Server, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	next := sim.URL() + path
	for next != "" {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Authorization", "SSWS "+oktasim.DefaultToken)
		resp, err := sim.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("truth %s: %d %s", path, resp.StatusCode, body)
		}
		var page []map[string]any
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("truth %s: %v", path, err)
		}
		out = append(out, page...)
		next = ""
		for _, l := range resp.Header.Values("Link") {
			if strings.Contains(l, `rel="next"`) {
				next = strings.Trim(strings.SplitN(l, ";", 2)[0], "<> ")
			}
		}
	}
	return out
}

func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it["id"].(string)
	}
	return out
}

func q(s string) string { return url.QueryEscape(s) }

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
