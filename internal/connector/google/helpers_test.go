package google_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// env is a simulated domain and a source pointed at it, on a fake clock.
type env struct {
	sim *googlesim.Server
	clk *clocktest.Clock
	src *google.Source
}

// newEnv starts the Small company's domain with opts and a source acting as subject ("" for the super admin)
// with secret (nil for the domain's generated key).
func newEnv(t testing.TB, opts googlesim.Options, subject string, secret []byte, config map[string]any) *env {
	t.Helper()
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(sourcetest.Start)
	opts.Clock = clk.Now
	sim := googlesim.New(company, opts)
	t.Cleanup(sim.Close)
	if subject == "" {
		subject = sim.AdminEmail()
	}
	if secret == nil {
		secret = sim.KeyJSON()
	}
	cfg := map[string]any{"admin_email": subject, "token_url": sim.TokenURL(), "api_url": sim.URL() + "/"}
	for k, v := range config {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	o := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
	src, err := o.NewSource(context.Background(), sspm.Connector{ID: "g", Kind: sspm.KindGoogle, Config: raw}, secret)
	if err != nil {
		t.Fatal(err)
	}
	google.NoReadAhead(src)
	return &env{sim: sim, clk: clk, src: src}
}

// drain runs every stage of the full lane to its end and returns the pages and the unavailable entities.
func (e *env) drain(t testing.TB) (sspm.Page, []sspm.Entity, error) {
	t.Helper()
	var all sspm.Page
	var unavailable []sspm.Entity
	ctx := context.Background()
	for _, stage := range e.src.Stages(sspm.LaneFull) {
		cursor := ""
		for {
			res, err := e.src.Step(ctx, sspm.LaneFull, stage, cursor)
			if err != nil {
				return all, unavailable, err
			}
			all.Accounts = append(all.Accounts, res.Page.Accounts...)
			all.Groups = append(all.Groups, res.Page.Groups...)
			all.GroupMembers = append(all.GroupMembers, res.Page.GroupMembers...)
			all.Resources = append(all.Resources, res.Page.Resources...)
			all.Grants = append(all.Grants, res.Page.Grants...)
			all.Credentials = append(all.Credentials, res.Page.Credentials...)
			unavailable = append(unavailable, res.Unavailable...)
			if res.Next == "" {
				break
			}
			cursor = res.Next
		}
	}
	return all, unavailable, nil
}

// serviceAccount returns a new key and its service account with the given delegated scopes.
func serviceAccount(t testing.TB, delegated []string) (googlesim.ServiceAccount, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sa := googlesim.ServiceAccount{ClientEmail: "sspm@proj.iam.gserviceaccount.com", ClientID: "109876543210987654321",
		KeyID: "kid-1", PublicKey: &k.PublicKey, DelegatedScopes: delegated}
	return sa, googlesim.KeyJSON(sa, k, "")
}

var _ = time.Second
