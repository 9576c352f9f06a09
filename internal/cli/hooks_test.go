package cli_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/cli"
	"github.com/open-sspm/open-sspm/internal/kinds"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// `open-sspm hooks register` registers an Okta connector's event hook with the simulated org (which verifies it
// against this deployment's real webhook endpoint), stores it and prints the hook URL and the provider's id;
// `hooks show` prints the stored registration; `okta register-hook` does the same for Okta connectors only.
// Kinds without a registration API and URLs that are not https are refused with a clear message.
func TestHooksRegisterAndShow(t *testing.T) {
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := oktasim.New(company, oktasim.Options{})
	t.Cleanup(sim.Close)
	gh := githubsim.New(company, githubsim.Options{})
	t.Cleanup(gh.Close)
	url := postgrestest.URL(t)
	data := t.TempDir()
	t.Setenv("DATABASE_URL", url)
	t.Setenv("CONNECTOR_SECRET_KEY", testKey)
	t.Setenv("OPEN_SSPM_DATA", data)
	ko := kinds.Options{AllowLoopback: true, Outbound: outbound.Allowing(sim.URL(), gh.URL())}
	secret := filepath.Join(data, "token")
	if err := os.WriteFile(secret, []byte(oktasim.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	ghSecret := filepath.Join(data, "gh-token")
	if err := os.WriteFile(ghSecret, []byte(githubsim.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	exec := func(args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"open-sspm"}, args...), &stdout, &stderr, ko)
		return code, stdout.String(), stderr.String()
	}
	run := func(args ...string) string {
		t.Helper()
		code, out, errs := exec(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errs)
		}
		return out
	}
	run("migrate")
	run("connectors", "add", "--id", "okta1", "--kind", "okta", "--name", "Okta",
		"--config", `{"org_url":"`+sim.URL()+`","auth":"api_token"}`, "--secret-file", secret)
	run("connectors", "add", "--id", "gh1", "--kind", "github", "--name", "GitHub",
		"--config", `{"org":"`+gh.Org()+`","auth":"token","base_url":"`+gh.URL()+`/"}`, "--secret-file", ghSecret)

	// This deployment's webhook endpoint, which answers Okta's verification with the connector's secret.
	db := openDB(t, url)
	key, err := secrets.NewLocalKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{DB: db, Keys: key, Registry: kinds.NewRegistry(ko)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Health: db, Hooks: a.NewHooks(db.Queue(app.InboxQueue, 5))}).Handler())
	t.Cleanup(srv.Close)
	hookURL := srv.URL + "/hooks/okta/okta1"

	if code, _, errs := exec("hooks", "show", "--connector", "okta1"); code == 0 || !strings.Contains(errs, "no push hook registered") {
		t.Fatalf("show before registering: exit %d\n%s", code, errs)
	}
	out := run("hooks", "register", "--connector", "okta1", "--url", srv.URL+"/")
	if !strings.Contains(out, "push hook of okta1 registered: "+hookURL+"\n") || !strings.Contains(out, "provider ids: ") {
		t.Fatalf("register printed:\n%s", out)
	}
	first := strings.TrimSpace(out[strings.Index(out, "provider ids: ")+len("provider ids: "):])
	if first == "" {
		t.Fatalf("no provider id printed:\n%s", out)
	}
	out = run("hooks", "show", "--connector", "okta1")
	if !strings.Contains(out, "hook URL:      "+hookURL+"\n") || !strings.Contains(out, "provider ids:  "+first+"\n") || !strings.Contains(out, "registered at: ") {
		t.Fatalf("show printed:\n%s", out)
	}
	if hook, _, err := a.PushHook(context.Background(), mustConnector(t, a, "okta1")); err != nil || hook != hookURL {
		t.Fatalf("PushHook = %q, %v", hook, err)
	}

	// The Okta command is an alias: the full hook URL is taken as is, and the hook is registered again.
	out = run("okta", "register-hook", "--connector", "okta1", "--url", hookURL)
	if !strings.Contains(out, "registered: "+hookURL+"\n") || strings.Contains(out, "provider ids: "+first+"\n") {
		t.Fatalf("okta register-hook printed:\n%s", out)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"alias on another kind", []string{"okta", "register-hook", "--connector", "gh1", "--url", srv.URL}, "connector gh1 is a github connector, not okta"},
		{"kind without registration", []string{"hooks", "register", "--connector", "gh1", "--url", srv.URL}, "github connectors have no push hook to register"},
		{"plain http", []string{"hooks", "register", "--connector", "okta1", "--url", "http://sspm.example.com"}, "the hook URL must use https"},
		{"another connector's hook", []string{"hooks", "register", "--connector", "okta1", "--url", srv.URL + "/hooks/okta/okta2"}, "is the hook URL of another connector"},
		{"unknown connector", []string{"hooks", "register", "--connector", "nope", "--url", srv.URL}, "connector nope"},
		{"missing url", []string{"hooks", "register", "--connector", "okta1"}, "--connector and --url are required"},
		{"show on unknown", []string{"hooks", "show", "--connector", "nope"}, "connector nope"},
		{"unknown subcommand", []string{"hooks", "list"}, "want register"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := exec(tt.args...)
			if code == 0 || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant an error containing %q", code, errs, tt.want)
			}
		})
	}
	// The refused attempts left the registration in force.
	if out := run("hooks", "show", "--connector", "okta1"); !strings.Contains(out, "hook URL:      "+hookURL+"\n") {
		t.Fatalf("show after refused attempts:\n%s", out)
	}
	if _, out, _ := exec("help"); !strings.Contains(out, "open-sspm hooks register --connector ID --url URL") || !strings.Contains(out, "open-sspm hooks show --connector ID") {
		t.Fatalf("usage does not list the hooks commands:\n%s", out)
	}
}

func mustConnector(t *testing.T, a *app.App, id string) sspm.Connector {
	t.Helper()
	c, err := a.DB.Connector(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
