package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// loopbackNames resolves every name to 127.0.0.1, like a DNS answer pointing at a private address.
func loopbackNames(_ context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// A GitHub API that redirects every request to another host: go-github, the App token exchange and the
// token transport must not send the token, the App JWT or anything else there.
func TestRedirectToAnotherHostCarriesNoCredential(t *testing.T) {
	var stolen atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	t.Cleanup(evil.Close)
	evilURL, _ := url.Parse(evil.URL)
	var asked atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		target := "http://collect.example.net:" + evilURL.Port() + r.URL.Path
		if strings.HasSuffix(r.URL.Path, "/access_tokens") { // the App token exchange: same scheme, other host
			target = "http://" + evilURL.Host + r.URL.Path
		}
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(api.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	// Both servers are reachable (the test allows loopback): only the pin and the redirect policy stop the leak.
	opts := ghc.Options{AllowLoopback: true, PerPage: 10, Sleep: func(context.Context, time.Duration) error { return nil },
		Outbound: outbound.New(outbound.Config{LookupIP: loopbackNames, AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})}
	for _, tt := range []struct {
		name   string
		config map[string]any
		secret []byte
	}{
		{"token", map[string]any{"org": "acme", "auth": "token", "base_url": api.URL + "/"}, []byte("ghp_s3cret")},
		{"app", map[string]any{"org": "acme", "auth": "app", "app_id": 1, "installation_id": 2, "base_url": api.URL + "/"}, pemKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := json.Marshal(tt.config)
			src, err := opts.NewSource(context.Background(), sspm.Connector{ID: "gh", Kind: sspm.KindGitHub, Config: cfg}, tt.secret)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Step(context.Background(), sspm.LaneFull, ghc.StageMembers, "")
			if !errors.Is(err, outbound.ErrRedirect) {
				t.Fatalf("err = %v, want the redirect refused", err)
			}
		})
	}
	if asked.Load() == 0 || stolen.Load() != 0 {
		t.Fatalf("the API got %d requests, the other host %d", asked.Load(), stolen.Load())
	}
}

// A base_url whose name resolves to a private address is refused when dialled, with an error that says so.
func TestNameResolvingToPrivateAddressIsRefused(t *testing.T) {
	cfg, _ := json.Marshal(map[string]any{"org": "acme", "auth": "token", "base_url": "https://ghe.example.com/api/v3/"})
	opts := ghc.Options{Outbound: outbound.New(outbound.Config{LookupIP: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
	}})}
	src, err := opts.NewSource(context.Background(), sspm.Connector{ID: "gh", Kind: sspm.KindGitHub, Config: cfg}, []byte("ghp_x"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Step(context.Background(), sspm.LaneFull, ghc.StageMembers, "")
	var re *outbound.RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "10.1.2.3, a private address") {
		t.Fatalf("err = %v, want the private address refused", err)
	}
}

func TestBaseURLHosts(t *testing.T) {
	allowVPC := outbound.New(outbound.Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}})
	for _, tt := range []struct {
		name      string
		baseURL   string
		opts      ghc.Options
		wantError bool
	}{
		{"github.com", "https://api.github.com/", ghc.Options{}, false},
		{"GHES", "https://ghe.example.com/api/v3/", ghc.Options{}, false},
		{"LOCALHOST in upper case", "https://LOCALHOST/api/v3/", ghc.Options{}, true},
		{"loopback IP", "http://127.0.0.1:8080/", ghc.Options{}, true},
		{"private IP", "https://10.20.0.5/api/v3/", ghc.Options{}, true},
		{"metadata IP", "https://169.254.169.254/", ghc.Options{}, true},
		{"CGNAT IP", "https://100.64.0.1/", ghc.Options{}, true},
		{"private IP in an allowed network", "https://10.20.0.5/api/v3/", ghc.Options{Outbound: allowVPC}, false},
		{"private IP outside the allowed network", "https://10.30.0.5/api/v3/", ghc.Options{Outbound: allowVPC}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := json.Marshal(map[string]any{"org": "acme", "auth": "token", "base_url": tt.baseURL})
			err := tt.opts.Validate(cfg, nil)
			if (err != nil) != tt.wantError || (err != nil && !strings.Contains(err.Error(), "base_url")) {
				t.Fatalf("err = %v, want error %v naming base_url", err, tt.wantError)
			}
		})
	}
}

// The operator's allowance (OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS, bound by the composition root) lets a kind
// built without a policy reach a private network; without it the kind is strict.
func TestAllowedPrivateNetworkThroughTheRegistry(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	kind := ghc.NewKind(ghc.Options{AllowLoopback: true, PerPage: 10, Sleep: func(context.Context, time.Duration) error { return nil }})
	step := func(k connector.Kind) error {
		src, err := k.NewSource(context.Background(), e.conn, []byte(githubsim.DefaultToken))
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Step(context.Background(), sspm.LaneFull, ghc.StageMembers, "")
		return err
	}
	var re *outbound.RefusedError
	if err := step(kind); !errors.As(err, &re) {
		t.Fatalf("strict: err = %v, want the loopback address refused", err)
	}
	nets, err := outbound.ParseNetworks("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	bound, err := connector.NewRegistry(kind).Bind(connector.Deps{Outbound: outbound.New(outbound.Config{AllowedNetworks: nets})}).Lookup(sspm.KindGitHub)
	if err != nil {
		t.Fatal(err)
	}
	if err := step(bound); err != nil {
		t.Fatalf("allowed network: %v", err)
	}
}
