package alert_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// A destination that redirects to another host: neither the alert, its signature nor the Slack URL's token
// reach that host, and the failure is permanent (retrying cannot help).
func TestRedirectToAnotherHostIsRefused(t *testing.T) {
	var stolen atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	t.Cleanup(evil.Close)
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(dest.Close)
	// Both are reachable: only the redirect policy and the pin stop the delivery.
	p := outbound.New(outbound.Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	wh, err := alert.NewWebhook(dest.URL+"/hook", "k", p)
	if err != nil {
		t.Fatal(err)
	}
	slack, err := alert.NewSlack(dest.URL+"/services/T0/B0/SECRET", p)
	if err != nil {
		t.Fatal(err)
	}
	a := alert.FromTransition(transition(sspm.ChangeOpened, "high"))
	for _, n := range []alert.Notifier{wh, slack} {
		err := n.Notify(context.Background(), a)
		if err == nil || !alert.IsPermanent(err) || !strings.Contains(err.Error(), "redirect") || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: err = %v, want a permanent redirect refusal without the path", n.Name(), err)
		}
	}
	if stolen.Load() != 0 {
		t.Fatalf("the other host got %d requests", stolen.Load())
	}
}

// Without an allowance, a destination on a private address is refused before anything is sent.
func TestPrivateDestinationIsRefused(t *testing.T) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	t.Cleanup(srv.Close)
	wh, err := alert.NewWebhook(srv.URL+"/hook", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = wh.Notify(context.Background(), alert.FromTransition(transition(sspm.ChangeOpened, "high")))
	if err == nil || !alert.IsPermanent(err) || !strings.Contains(err.Error(), outbound.EnvAllowedNetworks) || got.Load() != 0 {
		t.Fatalf("err = %v (%d requests), want a permanent refusal naming %s", err, got.Load(), outbound.EnvAllowedNetworks)
	}
}

func TestConfigFromEnvReadsAllowedNetworks(t *testing.T) {
	env := map[string]string{outbound.EnvAllowedNetworks: "10.0.0.0/8"}
	c, err := alert.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.AllowedPrivateNetworks != "10.0.0.0/8" {
		t.Fatalf("config %+v, err %v", c, err)
	}
	env[outbound.EnvAllowedNetworks] = "10.0.0.0/8,not-a-cidr"
	if _, err := alert.ConfigFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), outbound.EnvAllowedNetworks) {
		t.Fatalf("bad CIDR: err = %v", err)
	}
}

// OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS lets the configured destinations reach a receiver on a private network.
func TestNotifiersUseTheAllowedNetworks(t *testing.T) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	t.Cleanup(srv.Close)
	a := alert.FromTransition(transition(sspm.ChangeOpened, "high"))
	for _, tt := range []struct {
		allowed string
		reach   bool
	}{{"", false}, {"10.0.0.0/8", false}, {"127.0.0.0/8", true}} {
		ns, err := alert.Config{WebhookURL: srv.URL + "/hook", AllowedPrivateNetworks: tt.allowed}.Notifiers(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		before := got.Load()
		err = ns[alert.DestinationWebhook].Notify(context.Background(), a)
		if (err == nil) != tt.reach || (got.Load() > before) != tt.reach {
			t.Errorf("allowed %q: err = %v, want reached %v", tt.allowed, err, tt.reach)
		}
	}
}
