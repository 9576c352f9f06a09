package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestAppInstallationAuth: with auth "app" the connector signs an App JWT the simulator verifies against the
// registered public key, exchanges it for an installation token, syncs with that token only (the simulator
// accepts no static token), and mints a new one five minutes before the hour is up.
func TestAppInstallationAuth(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := githubsim.New(company, githubsim.Options{Tokens: []string{}, Clock: clock.Now,
		Apps: []githubsim.App{{ID: 42, InstallationID: 77, Key: &key.PublicKey}}})
	t.Cleanup(sim.Close)
	conn := func(appID, installationID int64) sspm.Connector {
		cfg, _ := json.Marshal(map[string]any{"org": sim.Org(), "auth": "app", "app_id": appID, "installation_id": installationID,
			"base_url": sim.URL() + "/"})
		return sspm.Connector{ID: "gh-app", Kind: sspm.KindGitHub, Name: "GitHub", Enabled: true, Config: cfg}
	}
	opts := ghc.Options{AllowLoopback: true, Outbound: outbound.Allowing(sim.URL()), PerPage: 10, Now: clock.Now, Sleep: func(context.Context, time.Duration) error { return nil }}
	ctx := context.Background()

	src, err := opts.NewSource(ctx, conn(42, 77), pemKey)
	if err != nil {
		t.Fatal(err)
	}
	d, err := drain(t, src)
	if err != nil {
		t.Fatalf("sync with the installation token: %v", err)
	}
	if len(d.page.Accounts) != len(sim.Members())+len(sim.OutsideCollaborators()) {
		t.Errorf("accounts %d, want %d", len(d.page.Accounts), len(sim.Members())+len(sim.OutsideCollaborators()))
	}
	if n := sim.TokensMinted(); n != 1 {
		t.Fatalf("minted %d tokens for one sync, want 1", n)
	}
	step := func() {
		t.Helper()
		if _, err := src.Step(ctx, sspm.LaneFull, ghc.StageInstallations, ""); err != nil {
			t.Fatalf("step at %s: %v", clock.Now().Format(time.TimeOnly), err)
		}
	}
	clock.Advance(50 * time.Minute)
	step()
	if n := sim.TokensMinted(); n != 1 {
		t.Errorf("after 50 minutes minted %d tokens, want the first still used", n)
	}
	clock.Advance(6 * time.Minute) // 4 minutes before expiry: renewed
	step()
	if n := sim.TokensMinted(); n != 2 {
		t.Errorf("4 minutes before expiry minted %d tokens, want a renewal", n)
	}
	clock.Advance(2 * time.Hour) // the renewed token has expired too
	step()
	if n := sim.TokensMinted(); n != 3 {
		t.Errorf("after expiry minted %d tokens, want 3", n)
	}

	// A key the App does not have, another App id, or another installation: the step fails, the key is never quoted.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})
	for name, tc := range map[string]struct {
		conn sspm.Connector
		key  []byte
	}{"wrong key": {conn(42, 77), otherPEM}, "unknown app": {conn(43, 77), pemKey}, "other installation": {conn(42, 78), pemKey}} {
		src, err := opts.NewSource(ctx, tc.conn, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Step(ctx, sspm.LaneFull, ghc.StageMembers, "")
		if err == nil {
			t.Errorf("%s: step succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("%s: error quotes the key: %v", name, err)
		}
	}
	if n := sim.TokensMinted(); n != 3 {
		t.Errorf("bad JWTs minted tokens: %d", n)
	}
}
