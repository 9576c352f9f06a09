package github_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestMain(m *testing.M) {
	if os.Getenv(simChildEnv) == "1" { // the benchmark's simulator process (bench_test.go)
		serveSimChild()
		return
	}
	postgrestest.Main(m)
}

type env struct {
	sim  *githubsim.Server
	opts ghc.Options
	conn sspm.Connector
}

// newEnv serves the small company and configures a connector with 10-item pages (so every listing pages) and
// a sleep that returns at once.
func newEnv(t testing.TB, simOpts githubsim.Options) *env {
	t.Helper()
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := githubsim.New(company, simOpts)
	t.Cleanup(sim.Close)
	cfg, _ := json.Marshal(map[string]any{"org": sim.Org(), "auth": "token", "base_url": sim.URL() + "/"})
	return &env{sim: sim, conn: sspm.Connector{ID: "gh-test", Kind: sspm.KindGitHub, Name: "GitHub", Enabled: true, Config: cfg},
		opts: ghc.Options{AllowLoopback: true, Outbound: outbound.Allowing(sim.URL()), PerPage: 10, Sleep: func(context.Context, time.Duration) error { return nil }}}
}

func (e *env) source(t testing.TB) *ghc.Source {
	t.Helper()
	src, err := e.opts.NewSource(context.Background(), e.conn, []byte(githubsim.DefaultToken))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

type drained struct {
	page        sspm.Page
	unavailable []sspm.Entity
	messages    []string
	steps       int
}

// drain runs every full-lane stage to its end.
func drain(t testing.TB, src *ghc.Source) (drained, error) {
	t.Helper()
	var d drained
	err := sourcetest.StepAll(context.Background(), src, sspm.LaneFull, nil, nil, func(_ string, res sspm.StepResult) {
		d.steps++
		sourcetest.AppendPage(&d.page, &res.Page)
		d.unavailable = append(d.unavailable, res.Unavailable...)
		if res.Message != "" {
			d.messages = append(d.messages, res.Message)
		}
	})
	return d, err
}
