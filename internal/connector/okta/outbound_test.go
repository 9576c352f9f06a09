package okta_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func noSleep(context.Context, time.Duration) error { return nil }

// An org that redirects to another host: the SDK's request (API token or OAuth token exchange) never reaches
// that host, although the test lets the connector reach its address.
func TestRedirectToAnotherHostCarriesNoCredential(t *testing.T) {
	isolate(t)
	var stolen atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	t.Cleanup(evil.Close)
	evilURL, _ := url.Parse(evil.URL)
	var asked atomic.Int32
	org := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Redirect(w, r, "http://"+evilURL.Host+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(org.Close)
	pemKey, _ := rsaPEM(t)
	opts := okta.Options{AllowLoopback: true, Sleep: noSleep, NoReadAhead: true,
		Outbound: outbound.New(outbound.Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})}
	for _, tt := range []struct {
		name   string
		config map[string]any
		secret []byte
	}{
		{"api token", map[string]any{"org_url": org.URL, "auth": "api_token"}, []byte("00s3cret")},
		{"oauth", map[string]any{"org_url": org.URL, "auth": "oauth", "client_id": "0oa1"}, pemKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := json.Marshal(tt.config)
			src, err := opts.NewSource(context.Background(), sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Config: cfg}, tt.secret)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Step(context.Background(), sspm.LaneFull, okta.StageUsers, "")
			if err == nil || !strings.Contains(err.Error(), "redirect") {
				t.Fatalf("err = %v, want the redirect refused", err)
			}
		})
	}
	if asked.Load() == 0 || stolen.Load() != 0 {
		t.Fatalf("the org got %d requests, the other host %d", asked.Load(), stolen.Load())
	}
}

// An org URL on an Okta domain whose name resolves to a private address is refused when dialled.
func TestNameResolvingToPrivateAddressIsRefused(t *testing.T) {
	isolate(t)
	cfg, _ := json.Marshal(map[string]any{"org_url": "https://acme.okta.com", "auth": "api_token"})
	opts := okta.Options{Sleep: noSleep, NoReadAhead: true, Outbound: outbound.New(outbound.Config{
		LookupIP: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		}})}
	src, err := opts.NewSource(context.Background(), sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Config: cfg}, []byte("00tok"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Step(context.Background(), sspm.LaneFull, okta.StageUsers, "")
	if sspm.ErrorCode(err) != sspm.CodeUnavailable || !strings.Contains(err.Error(), "169.254.169.254, a link-local address") {
		t.Fatalf("err = %v, want the link-local address refused", err)
	}
}

// Demo mode (AllowLoopback and a policy allowing the simulator's address) reaches the simulator and nothing
// else on the loopback interface.
func TestDemoModeReachesOnlyTheSimulator(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, nil)
	other := newEnv(t, providersim.Small(), oktasim.Options{}, nil)
	if _, err := e.source(t).Step(context.Background(), sspm.LaneFull, okta.StageUsers, ""); err != nil {
		t.Fatalf("the simulator: %v", err)
	}
	other.opts.Outbound = e.opts.Outbound // the first simulator's allowance, pointed at the second
	_, err := other.source(t).Step(context.Background(), sspm.LaneFull, okta.StageUsers, "")
	if err == nil || !strings.Contains(err.Error(), "a loopback address") {
		t.Fatalf("another loopback service: err = %v, want refused", err)
	}
	if n := other.sim.Stats().Total; n != 0 {
		t.Fatalf("the other service got %d requests", n)
	}
}

// The operator's allowance (OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS, bound by the composition root) lets a kind built
// without a policy reach a private network; without it the kind is strict.
func TestAllowedPrivateNetworkThroughTheRegistry(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, nil)
	opts := e.opts
	opts.Outbound = nil
	kind := okta.NewKind(opts)
	step := func(k connector.Kind) error {
		src, err := k.NewSource(context.Background(), e.conn, []byte(oktasim.DefaultToken))
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Step(context.Background(), sspm.LaneFull, okta.StageUsers, "")
		return err
	}
	if err := step(kind); err == nil || !strings.Contains(err.Error(), "a loopback address") {
		t.Fatalf("strict: err = %v, want the loopback address refused", err)
	}
	nets, err := outbound.ParseNetworks("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	bound, err := connector.NewRegistry(kind).Bind(connector.Deps{Outbound: outbound.New(outbound.Config{AllowedNetworks: nets})}).Lookup(sspm.KindOkta)
	if err != nil {
		t.Fatal(err)
	}
	if err := step(bound); err != nil {
		t.Fatalf("allowed network: %v", err)
	}
}
