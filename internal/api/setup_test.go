package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }

const (
	localIssuer   = "open-sspm-local"
	localAudience = "open-sspm-api"
	adminEmail    = "admin@example.com"
	viewerEmail   = "viewer@example.com"
	password      = "a long enough password"
)

// bundle is one test's server: a real store on its own database, a local issuer, a test connector kind and a
// recording invoker.
type bundle struct {
	t       testing.TB
	db      *postgres.DB
	srv     *httptest.Server
	issuer  *auth.Issuer
	login   *auth.Login
	api     *api.Admin
	invoker *recordingInvoker
	rules   *app.RuleControls // over a catalog of one global test ruleset (testCatalog)
	keys    sspm.KeyWrapper
	admin   string // tokens
	viewer  string
	// adminActor is how the audit log and the change records name the admin.
	adminActor string
	// bodies collects every response body, for the secret check.
	mu     sync.Mutex
	bodies []string
}

type recordingInvoker struct {
	mu  sync.Mutex
	got []sspm.Invocation
}

func (r *recordingInvoker) Invoke(_ context.Context, inv sspm.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, inv)
	return nil
}

func (r *recordingInvoker) invocations() []sspm.Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sspm.Invocation(nil), r.got...)
}

// testKind is a connector kind whose config needs a "url", whose secret "wrong" the provider rejects, and which
// takes push deliveries and tails one stream.
func testKind() connector.Kind {
	return connector.Kind{
		Kind:         sspm.KindTestSource,
		ConfigSchema: json.RawMessage(`{"type":"object","required":["url"],"properties":{"url":{"type":"string"}}}`),
		Scopes:       []string{"read:all"},
		Endpoint:     connector.Endpoint{Field: "url"},
		Validate: func(config json.RawMessage, secret []byte) error {
			var c struct {
				URL string `json:"url"`
			}
			if err := json.Unmarshal(config, &c); err != nil || c.URL == "" {
				return sspm.Errorf(sspm.CodeInvalid, "config: url is required")
			}
			if secret != nil && len(secret) < 8 {
				return sspm.Errorf(sspm.CodeInvalid, "secret: too short")
			}
			return nil
		},
		NewSource: func(_ context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			return testSource{secret: string(secret)}, nil
		},
		NewStreams: func(_ context.Context, c sspm.Connector, secret []byte) (sspm.StreamSource, error) {
			return testSource{secret: string(secret)}, nil
		},
		Push: &connector.Push{Register: registerTestHook},
	}
}

// registerTestHook is the test kind's push registration: the credential "wrong-secret" is refused with a domain
// message, "internal-boom" fails with an error carrying the webhook secret (which must reach no client).
func registerTestHook(_ context.Context, c sspm.Connector, secret []byte, hookURL, hookSecret string) (string, error) {
	switch string(secret) {
	case "wrong-secret":
		return "", &sspm.Error{Code: sspm.CodeUnauthorized, Message: "401 from the provider", Err: io.EOF}
	case "internal-boom":
		return "", fmt.Errorf("post %s?token=%s: connection reset", hookURL, hookSecret)
	}
	if hookSecret == "" {
		return "", sspm.Errorf(sspm.CodeInvalid, "no hook secret")
	}
	return "sub-" + c.ID + " sub-" + c.ID + "-groups", nil
}

type testSource struct{ secret string }

func (s testSource) Stages(l sspm.Lane) []string {
	if l == sspm.LaneFull {
		return []string{"users"}
	}
	return nil
}

func (s testSource) Step(_ context.Context, _ sspm.Lane, stage, _ string) (sspm.StepResult, error) {
	switch s.secret {
	case "wrong-secret":
		return sspm.StepResult{}, &sspm.Error{Code: sspm.CodeUnauthorized, Message: "401 from the provider", Err: io.EOF}
	case "internal-boom":
		return sspm.StepResult{}, io.ErrUnexpectedEOF // no domain message: must not reach the client
	}
	return sspm.StepResult{Page: sspm.Page{Accounts: []sspm.Account{{ExternalID: "u1"}, {ExternalID: "u2"}}}}, nil
}

func (s testSource) Streams() []string { return []string{"log"} }

func (s testSource) ReadStream(context.Context, string, string) (sspm.StreamPage, error) {
	return sspm.StreamPage{}, nil
}

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func setup(t testing.TB) *bundle {
	t.Helper()
	ctx := context.Background()
	db := postgrestest.New(t)
	key, err := secrets.GenerateLocalKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.NewLocalKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := auth.NewIssuer(testKey(), localIssuer, localAudience, auth.IssuerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	users := postgres.AuthUsers{DB: db}
	login, err := auth.NewLogin(users, users, iss, auth.LoginOptions{Limiter: auth.NewLimiter(auth.LimiterOptions{Max: 3})})
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{t: t, db: db, issuer: iss, login: login, invoker: &recordingInvoker{}, keys: keys}
	b.rules = &app.RuleControls{Store: db, Evaluator: &lane.Evaluator{Store: db, Catalog: testCatalog(t)}}
	admin := &api.Admin{Store: db, Registry: connector.NewRegistry(testKind()), Sealer: secrets.NewSealer(keys), WebhookSealer: secrets.NewSealer(keys).For(secrets.PurposeWebhookVerification), KeyID: keys.KeyID,
		Invoker: b.invoker, Inbox: db.Queue("inbox", 5), Auth: login.Verifier(), Login: login, JWKS: iss.JWKSHandler(),
		DiscoveryEnabled: true, Rules: b.rules}
	b.api = admin
	mux := http.NewServeMux()
	admin.Mount(mux)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ email, role string }{{adminEmail, "admin"}, {viewerEmail, "viewer"}} {
		created, err := db.CreateUser(ctx, u.email, hash, u.role, "test")
		if err != nil {
			t.Fatal(err)
		}
		if u.role == "admin" {
			b.adminActor = fmt.Sprintf("sub:local:%d %s", created.ID, adminEmail)
		}
	}
	b.admin = b.token(adminEmail)
	b.viewer = b.token(viewerEmail)
	return b
}

// token starts a session for a user, as a sign-in does, and returns its access token.
func (b *bundle) token(email string) string {
	b.t.Helper()
	return b.session(email).AccessToken
}

func (b *bundle) session(email string) auth.Token {
	b.t.Helper()
	u, err := postgres.AuthUsers{DB: b.db}.UserByEmail(context.Background(), email)
	if err != nil {
		b.t.Fatal(err)
	}
	tok, _, err := b.login.StartSession(context.Background(), u)
	if err != nil {
		b.t.Fatal(err)
	}
	return tok
}

// do sends a request with a bearer token ("" for none) and a JSON body (nil for none), and returns the status
// and body.
func (b *bundle) do(method, path, token string, in any) (int, []byte) {
	b.t.Helper()
	return b.doAt(b.srv, method, path, token, in)
}

// doAt is do against another server.
func (b *bundle) doAt(srv *httptest.Server, method, path, token string, in any) (int, []byte) {
	b.t.Helper()
	var rd io.Reader
	if in != nil {
		j, err := json.Marshal(in)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	b.mu.Lock()
	b.bodies = append(b.bodies, method+" "+path+" -> "+string(body))
	b.mu.Unlock()
	return res.StatusCode, body
}

// must sends a request and fails the test unless the status is want; it decodes the body into out (when set).
func (b *bundle) must(want int, method, path, token string, in, out any) {
	b.t.Helper()
	status, body := b.do(method, path, token, in)
	if status != want {
		b.t.Fatalf("%s %s = %d %s, want %d", method, path, status, body, want)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			b.t.Fatalf("%s %s: decode %s: %v", method, path, body, err)
		}
	}
}

// createConnector creates a test connector through the API.
func (b *bundle) createConnector(id, secret string) api.Connector {
	b.t.Helper()
	var c api.Connector
	b.must(http.StatusCreated, http.MethodPost, "/api/connectors", b.admin, map[string]any{
		"id": id, "kind": "test", "name": "Test " + id, "config": map[string]any{"url": "https://" + id + ".example.com"},
		"secret": secret, "discovery_enabled": true}, &c)
	return c
}

// syncAccounts writes accounts as one complete, successful full run and links them.
func (b *bundle) syncAccounts(connectorID string, authoritative bool, accts ...sspm.Account) {
	b.t.Helper()
	ctx := context.Background()
	_, lease, _, err := b.db.StartRun(ctx, connectorID, sspm.LaneFull, sspm.TriggerSchedule, "t", time.Minute)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.db.WritePage(ctx, connectorID, lease, &sspm.Page{Accounts: accts}, sspm.RunState{Counts: map[string]int64{"accounts": int64(len(accts))}}); err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.db.FinishRun(ctx, connectorID, sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, Sweep: sspm.Entities, NextDueAt: time.Now().Add(time.Hour)}); err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.db.LinkAccounts(ctx, connectorID, authoritative, time.Now().Add(-90*24*time.Hour)); err != nil {
		b.t.Fatal(err)
	}
}

func contains(haystack []string, needle string) []string {
	var out []string
	for _, h := range haystack {
		if strings.Contains(h, needle) {
			out = append(out, h)
		}
	}
	return out
}
