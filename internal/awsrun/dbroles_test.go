package awsrun_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// tokenLog records the IAM token requests of runtimes signed in with DATABASE_IAM_AUTH.
type tokenLog struct {
	mu    sync.Mutex
	calls []string // endpoint/user
}

func (l *tokenLog) token(_ context.Context, endpoint, user string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, endpoint+"/"+user)
	return "iam-token-for-" + user, nil
}

// asFunction builds the named function's runtime as the stack does: signed in as its own database role with IAM
// authentication (the test server trusts local connections, so the token stands in for Aurora's check).
func (e *env) asFunction(t *testing.T, fn string, tokens *tokenLog, adjust func(*awsrun.Config)) *awsrun.Runtime {
	t.Helper()
	u, err := url.Parse(e.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(postgres.FunctionRoles[fn].Name)
	cfg := e.cfg
	cfg.DatabaseURL, cfg.DatabaseIAMAuth = u.String(), true
	if adjust != nil {
		adjust(&cfg)
	}
	rt, err := awsrun.New(t.Context(), cfg, awsrun.Deps{Clients: e.clients, Registry: connector.NewRegistry(e.provider.kind()),
		Metrics: e.metrics, Now: func() time.Time { return e.now }, DBAuthToken: tokens.token})
	if err != nil {
		t.Fatalf("%s as %s: %v", fn, postgres.FunctionRoles[fn].Name, err)
	}
	t.Cleanup(rt.Close)
	return rt
}

// TestFunctionsRunAsTheirDatabaseRoles: after the migrate handler created the function roles, each function does
// its work signed in as its own role with an IAM token per connection: a push delivery is verified and queued
// (webhook), stored (inbox), a full sync runs (full), a stream is tailed (tail), the evaluator evaluates and
// sweeps, dispatch dispatches, and the api answers its health check.
func TestFunctionsRunAsTheirDatabaseRoles(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	if _, err := e.rt.Migrate(ctx, awsrun.MigrateInput{RequestType: "Create"}); err != nil {
		t.Fatal(err)
	}
	tokens := &tokenLog{}

	webhook := e.asFunction(t, "webhook", tokens, nil)
	resp, err := webhook.Webhook(ctx, hookRequest("POST", "/hooks/test/t1", e.secret, delivery("e1", "e2"), false))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	inbox := e.asFunction(t, "inbox", tokens, nil)
	if out, err := inbox.Inbox(ctx, e.receive(t)); err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("inbox: %+v %v", out, err)
	}
	full := e.asFunction(t, "full", tokens, nil)
	if out, err := full.Sync(lambdaContext(t, "req", time.Minute), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "t1"}); err != nil || out.Outcome != "succeeded" {
		t.Fatalf("full sync: %+v %v", out, err)
	}
	e.provider.stream = []sspm.StreamPage{{Events: streamEvents("s1"), Cursor: "c1", HighWater: e.now.Add(-time.Minute)}}
	tail := e.asFunction(t, "tail", tokens, nil)
	if out, err := tail.TailStep(ctx, awsrun.TailStepInput{ConnectorID: "t1", Stream: "system_log"}); err != nil || out.Stored != 1 {
		t.Fatalf("tail step: %+v %v", out, err)
	}
	evaluator := e.asFunction(t, "evaluator", tokens, nil)
	if _, err := evaluator.Evaluate(ctx, awsrun.EvaluateInput{Invocation: sspm.Invocation{Lane: sspm.LaneEvaluator, ConnectorID: "t1"}}); err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	if _, err := evaluator.Evaluate(ctx, awsrun.EvaluateInput{Sweep: true}); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	dispatch := e.asFunction(t, "dispatch", tokens, nil)
	if _, err := dispatch.Dispatch(ctx, dispatchEvent(t, `{"lanes":["full","tail"]}`)); err != nil {
		t.Fatalf("dispatch: %v", err)
	}
	api := e.asFunction(t, "api", tokens, nil)
	if resp, err := api.API(ctx, hookRequest("GET", "/healthz", "", "", false)); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("api health: %d %s %v", resp.StatusCode, resp.Body, err)
	}

	n, err := e.rt.DB.CountEvents(ctx, "t1")
	if err != nil || n != 3 {
		t.Fatalf("events = %d (%v), want 3 (two pushed, one tailed)", n, err)
	}
	// Every connection asked for a token as its own role, at the database's address.
	host := hostPort(t, e.cfg.DatabaseURL)
	seen := map[string]bool{}
	tokens.mu.Lock()
	defer tokens.mu.Unlock()
	for _, c := range tokens.calls {
		seen[c] = true
	}
	for _, fn := range []string{"webhook", "inbox", "full", "tail", "evaluator", "dispatch", "api"} {
		if want := host + "/" + postgres.FunctionRoles[fn].Name; !seen[want] {
			t.Errorf("no token request %s in %v", want, tokens.calls)
		}
	}
}

func hostPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		return u.Hostname() + ":5432"
	}
	return u.Host
}
