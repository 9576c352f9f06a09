package aws_test

import (
	"context"
	"encoding/json"
	"testing"

	awsc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// env is a simulated instance and a source of the connector reading it on a fake clock.
type env struct {
	sim *awssim.Server
	clk *clocktest.Clock
	src *awsc.Source
}

// newEnv starts a simulator of the small company; cfg edits the connector's config, secret replaces the static
// keys when not nil.
func newEnv(t testing.TB, opts awssim.Options, cfg func(map[string]any), secret []byte) (*env, error) {
	t.Helper()
	clk := clocktest.New(sourcetest.Start)
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	opts.Clock = clk.Now
	sim := awssim.New(company, opts)
	t.Cleanup(sim.Close)
	c := map[string]any{"region": sim.Region(), "instance_arn": sim.InstanceARN(), "identity_store_id": sim.IdentityStoreID(), "endpoint": sim.URL()}
	if cfg != nil {
		cfg(c)
	}
	raw, _ := json.Marshal(c)
	if secret == nil {
		secret, _ = json.Marshal(map[string]string{"access_key_id": awssim.DefaultAccessKeyID, "secret_access_key": awssim.DefaultSecretAccessKey})
	}
	o := awsc.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
	src, err := o.NewSource(context.Background(), sspm.Connector{ID: "aws", Kind: sspm.KindAWSIDC, Config: raw}, secret)
	return &env{sim: sim, clk: clk, src: src}, err
}

func mustEnv(t testing.TB, opts awssim.Options) *env {
	t.Helper()
	e, err := newEnv(t, opts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fullSync runs every stage of the full lane to its end and returns the pages, merged, and the steps' results.
func (e *env) fullSync(t testing.TB) (sspm.Page, []sspm.StepResult) {
	t.Helper()
	var all sspm.Page
	var results []sspm.StepResult
	err := sourcetest.StepAll(context.Background(), e.src, sspm.LaneFull, nil, nil, func(_ string, res sspm.StepResult) {
		results = append(results, res)
		sourcetest.AppendPage(&all, &res.Page)
	})
	if err != nil {
		t.Fatal(err)
	}
	return all, results
}

// readAll reads a stream until it has nothing more waiting, from cursor; it returns the events and the cursor.
func (e *env) readAll(t testing.TB, stream, cursor string) ([]sspm.Event, string) {
	t.Helper()
	var out []sspm.Event
	for range 10000 {
		p, err := e.src.ReadStream(context.Background(), stream, cursor)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Events...)
		cursor = p.Cursor
		if !p.More {
			return out, cursor
		}
	}
	t.Fatal("the stream never ends")
	return nil, ""
}
