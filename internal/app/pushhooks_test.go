package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// registrar is a kind's Push.Register that records what it was given and fails when told to.
type registrar struct {
	calls                     int
	secret                    string
	hookURL, hookSecret, conn string
	fail                      error
}

func (r *registrar) register(_ context.Context, c sspm.Connector, secret []byte, hookURL, hookSecret string) (string, error) {
	r.calls++
	r.conn, r.secret, r.hookURL, r.hookSecret = c.ID, string(secret), hookURL, hookSecret
	if r.fail != nil {
		return "", r.fail
	}
	return fmt.Sprintf("sub-%d", r.calls), nil
}

type pushAppEnv struct {
	app   *app.App
	reg   *registrar
	bound connector.Hooks // what the kinds were bound to
}

func newPushApp(t *testing.T, loopback bool) *pushAppEnv {
	t.Helper()
	e := &pushAppEnv{reg: &registrar{}}
	push := *testKind.Push
	push.Register = e.reg.register
	kind := testKind
	kind.Push = &push
	kind.Bind = func(d connector.Deps) connector.Kind {
		e.bound = d.Hooks
		return kind
	}
	manual := connector.Kind{Kind: "manual", Push: testKind.Push} // push without a registration API
	none := connector.Kind{Kind: "nopush"}
	b64, _ := secrets.GenerateLocalKey()
	key, err := secrets.NewLocalKey(b64)
	if err != nil {
		t.Fatal(err)
	}
	db := postgrestest.New(t)
	e.app, err = app.New(app.Deps{DB: db, Keys: key, Registry: connector.NewRegistry(kind, manual, none),
		Logger: slog.New(slog.DiscardHandler), LoopbackHooks: loopback})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []sspm.Connector{
		{ID: "t1", Kind: sspm.KindTestSource, Name: "T"},
		{ID: "m1", Kind: "manual", Name: "M"},
		{ID: "n1", Kind: "nopush", Name: "N"},
	} {
		if _, err := e.app.CreateConnector(ctx, c, []byte("provider-token-"+c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *pushAppEnv) connector(t *testing.T, id string) sspm.Connector {
	t.Helper()
	c, err := e.app.DB.Connector(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRegisterPushStoresTheRegistration: RegisterPush hands the kind the connector's credential, the hook URL
// under the base URL and the webhook secret, stores the registration, and the kinds are bound to the App, whose
// PushHook returns the stored URL with the webhook secret. A provider failure is stored as its message, the
// earlier registration staying in force, and comes back as an *api.ProviderError without anything the provider
// did not write to be shown.
func TestRegisterPushStoresTheRegistration(t *testing.T) {
	ctx := context.Background()
	e := newPushApp(t, false)
	if e.bound != connector.Hooks(e.app) {
		t.Fatalf("the kinds are bound to %v, not the App", e.bound)
	}
	t1 := e.connector(t, "t1")
	if _, _, err := e.app.PushHook(ctx, t1); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("PushHook before any registration: %v", err)
	}
	hookSecret, err := e.app.WebhookSecret(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}

	hookURL, ref, err := e.app.RegisterPush(ctx, "t1", " https://sspm.example.com/base/ ")
	want := "https://sspm.example.com/base/hooks/test/t1"
	if err != nil || hookURL != want || ref != "sub-1" {
		t.Fatalf("RegisterPush = %q, %q, %v", hookURL, ref, err)
	}
	if r := e.reg; r.conn != "t1" || r.secret != "provider-token-t1" || r.hookURL != want || r.hookSecret != hookSecret {
		t.Fatalf("the kind got connector %q, secret %q, hook %q, hook secret %q", r.conn, r.secret, r.hookURL, r.hookSecret)
	}
	reg, err := e.app.PushRegistration(ctx, "t1")
	if err != nil || reg.HookURL != want || reg.ProviderRef != "sub-1" || reg.RegisteredAt.IsZero() || reg.LastError != "" {
		t.Fatalf("stored: %+v, %v", reg, err)
	}
	if got, secret, err := e.bound.PushHook(ctx, t1); err != nil || got != want || secret != hookSecret {
		t.Fatalf("PushHook = %q, %q, %v", got, secret, err)
	}
	// The full hook URL is taken as is.
	if hookURL, ref, err := e.app.RegisterPush(ctx, "t1", want); err != nil || hookURL != want || ref != "sub-2" {
		t.Fatalf("RegisterPush(full URL) = %q, %q, %v", hookURL, ref, err)
	}

	for _, tt := range []struct {
		name     string
		fail     error
		code     sspm.Code
		wantMsg  string
		leakFree string
	}{
		{"refused credentials", sspm.Errorf(sspm.CodeUnauthorized, "okta: the API token was rejected"), sspm.CodeUnauthorized,
			"connector t1: the test registration failed: okta: the API token was rejected", ""},
		{"refused input", sspm.Errorf(sspm.CodeInvalid, "the hook URL must be an absolute https URL"), sspm.CodeInvalid,
			"the hook URL must be an absolute https URL", ""},
		{"transport error", fmt.Errorf("post https://provider/hooks?token=%s: connection reset", hookSecret), sspm.CodeInternal,
			"the provider call failed; the server log has the details", hookSecret},
		{"timeout", fmt.Errorf("watch: %w", context.DeadlineExceeded), sspm.CodeInternal, "the provider did not answer in time", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.reg.fail = tt.fail
			defer func() { e.reg.fail = nil }()
			_, _, err := e.app.RegisterPush(ctx, "t1", "https://other.example.com")
			var pe *api.ProviderError
			if !errors.As(err, &pe) || pe.Code != tt.code || !strings.Contains(pe.Message, tt.wantMsg) {
				t.Fatalf("err = %#v; want a provider error %s containing %q", err, tt.code, tt.wantMsg)
			}
			reg, err := e.app.PushRegistration(ctx, "t1")
			if err != nil || reg.HookURL != want || reg.LastError != pe.Message || reg.LastErrorURL != "https://other.example.com/hooks/test/t1" {
				t.Fatalf("stored after the failure: %+v, %v", reg, err)
			}
			if tt.leakFree != "" && (strings.Contains(pe.Message, tt.leakFree) || strings.Contains(reg.LastError, tt.leakFree)) {
				t.Fatalf("the secret leaked: %q / %q", pe.Message, reg.LastError)
			}
			if got, _, err := e.app.PushHook(ctx, t1); err != nil || got != want {
				t.Fatalf("PushHook after a failed attempt = %q, %v; want the registration in force", got, err)
			}
		})
	}
}

// TestRegisterPushRefusesBadInput: unknown connectors, kinds without a registration API and URLs that are not
// https (plain http to a loopback address only when the App allows it) are refused before the provider is
// called, and nothing is stored.
func TestRegisterPushRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	e := newPushApp(t, false)
	for _, tt := range []struct {
		name, id, url string
		code          sspm.Code
		want          string
	}{
		{"unknown connector", "nope", "https://sspm.example.com", sspm.CodeNotFound, "connector nope"},
		{"push without registration", "m1", "https://sspm.example.com", sspm.CodeInvalid, "manual connectors have no push hook to register"},
		{"no push", "n1", "https://sspm.example.com", sspm.CodeInvalid, "nopush connectors have no push hook to register"},
		{"empty URL", "t1", "  ", sspm.CodeInvalid, "the URL is required"},
		{"relative URL", "t1", "sspm.example.com", sspm.CodeInvalid, "not an absolute URL"},
		{"plain http", "t1", "http://sspm.example.com", sspm.CodeInvalid, "must use https"},
		{"other scheme", "t1", "ftp://sspm.example.com", sspm.CodeInvalid, "must use https"},
		{"loopback outside demo mode", "t1", "http://127.0.0.1:8080", sspm.CodeInvalid, "demo mode only"},
		{"credentials in the URL", "t1", "https://user:pw@sspm.example.com", sspm.CodeInvalid, "must not carry credentials"},
		{"query", "t1", "https://sspm.example.com/?x=1", sspm.CodeInvalid, "must not carry credentials, a query"},
		{"another connector's hook", "t1", "https://sspm.example.com/hooks/test/t2", sspm.CodeInvalid, "hook URL of another connector"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.app.RegisterPush(ctx, tt.id, tt.url)
			if sspm.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want %s containing %q", err, tt.code, tt.want)
			}
		})
	}
	if e.reg.calls != 0 {
		t.Fatalf("the provider was called %d times", e.reg.calls)
	}
	for _, id := range []string{"t1", "m1", "n1"} {
		if _, err := e.app.PushRegistration(ctx, id); sspm.ErrorCode(err) != sspm.CodeNotFound {
			t.Fatalf("%s: something was stored: %v", id, err)
		}
	}
	if _, _, err := e.app.PushHook(ctx, e.connector(t, "n1")); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("PushHook of a kind without push: %v", err)
	}

	// Demo mode and tests may register a loopback http URL.
	demo := newPushApp(t, true)
	if hookURL, _, err := demo.app.RegisterPush(ctx, "t1", "http://127.0.0.1:8080"); err != nil || hookURL != "http://127.0.0.1:8080/hooks/test/t1" {
		t.Fatalf("loopback in demo mode: %q, %v", hookURL, err)
	}
	if _, _, err := demo.app.RegisterPush(ctx, "t1", "http://sspm.example.com"); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("plain http to a public host in demo mode: %v", err)
	}
}

func TestHookURL(t *testing.T) {
	c := sspm.Connector{ID: "okta-main", Kind: sspm.KindOkta}
	for base, want := range map[string]string{
		"https://sspm.example.com":                             "https://sspm.example.com/hooks/okta/okta-main",
		"https://sspm.example.com//":                           "https://sspm.example.com/hooks/okta/okta-main",
		"https://sspm.example.com/prod":                        "https://sspm.example.com/prod/hooks/okta/okta-main",
		"https://sspm.example.com/hooks/okta/okta-main":        "https://sspm.example.com/hooks/okta/okta-main",
		"https://sspm.example.com/hooks/okta/okta-main/":       "https://sspm.example.com/hooks/okta/okta-main",
		"https://sspm.example.com/x-hooks/okta/okta-main-test": "https://sspm.example.com/x-hooks/okta/okta-main-test/hooks/okta/okta-main",
	} {
		if got := app.HookURL(base, c); got != want {
			t.Errorf("HookURL(%q) = %q, want %q", base, got, want)
		}
	}
}
