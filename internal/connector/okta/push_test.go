package okta_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestEventHooksEndToEnd registers the event hook through the Okta API (Okta verifies it against our endpoint),
// then has Okta deliver changes in duplicated, reversed batches: bad secrets and malformed bodies are refused
// before anything is queued, every event is stored once, push-assisted refresh re-reads what the events
// touched, and the System Log tail finds the same events already stored.
func TestEventHooksEndToEnd(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{Hooks: oktasim.HookOptions{BatchSize: 2, Duplicate: true, Reverse: true}}, nil)
	ctx := context.Background()
	db := postgrestest.New(t)
	key, _ := secrets.GenerateLocalKey()
	keys, err := secrets.NewLocalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{DB: db, Keys: keys, Registry: connector.NewRegistry(okta.NewKind(e.opts)), Logger: slog.New(slog.DiscardHandler),
		Invoker: noInvoker{}}) // the evaluator the inbox asks for is not part of this test
	if err != nil {
		t.Fatal(err)
	}
	conn, err := a.CreateConnector(ctx, e.conn, []byte(oktasim.DefaultToken))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := a.WebhookSecret(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	queue := db.Queue(app.InboxQueue, 3)
	hooks := a.NewHooks(queue)
	hooks.MaxBody = 64 << 10
	srv := httptest.NewServer((&api.Server{Health: db, Hooks: hooks}).Handler())
	defer srv.Close()
	hookURL := srv.URL + "/hooks/okta/" + conn.ID

	id, err := e.opts.RegisterHook(ctx, conn, []byte(oktasim.DefaultToken), hookURL, secret)
	if err != nil || id == "" {
		t.Fatalf("register: %q %v", id, err)
	}
	again, err := e.opts.RegisterHook(ctx, conn, []byte(oktasim.DefaultToken), hookURL, secret)
	if err != nil || again == "" {
		t.Fatalf("register again: %q %v", again, err)
	}
	if hooks := truthHooks(t, e); len(hooks) != 1 || hooks[0]["verificationStatus"] != "VERIFIED" || hooks[0]["status"] != "ACTIVE" {
		t.Fatalf("hooks after registering twice: %v", hooks)
	}
	if _, err := okta.RegisterHook(ctx, conn, []byte(oktasim.DefaultToken), hookURL, secret); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("without demo mode a loopback org or hook URL must be refused: %v", err)
	}

	// Refused before anything is queued.
	for _, tt := range []struct {
		auth, body string
		want       int
	}{
		{"wrong", envelope(event("x1", 1)), http.StatusUnauthorized},
		{"", envelope(event("x1", 1)), http.StatusUnauthorized},
		{secret, `{"eventType":"com.okta.event_hook","eventId":"d","data":{"events":[{"eventType":"x"}]}}`, http.StatusBadRequest},
		{secret, envelope(strings.Repeat(event("x1", 1)+",", 200) + event("x1", 1)), http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequest(http.MethodPost, hookURL, strings.NewReader(tt.body))
		req.Header.Set("Authorization", tt.auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
		}
		if ready, _, _ := queue.Depth(ctx); ready != 0 {
			t.Fatal("a refused delivery was queued")
		}
	}

	// Changes in the org, delivered twice each and newest batch first.
	users := ids(truth(t, e, "/api/v1/users"))
	group := ids(truth(t, e, "/api/v1/groups"))[3]
	e.clk.Advance(time.Minute)
	must(t, e.sim.AddGroupMember(group, users[0]))
	must(t, e.sim.DeactivateUser(users[1]))
	_, err = e.sim.ActivateFactor(users[2], providersim.FactorWebAuthn)
	must(t, err)
	rep, err := e.sim.DeliverHooks(ctx)
	if err != nil || rep.Failed != 0 || rep.Batches < 4 {
		t.Fatalf("deliver: %+v %v", rep, err)
	}
	pushed := drainInbox(t, a, queue)
	n, _ := db.CountEvents(ctx, conn.ID)
	if n != int64(rep.Events/2) || n != int64(len(pushed)) {
		t.Fatalf("stored %d events; Okta delivered %d (each twice), the inbox parsed %d distinct", n, rep.Events, len(pushed))
	}
	live, _ := db.LiveAccounts(ctx, conn.ID, 100)
	refreshed := map[string]sspm.Account{}
	for _, acc := range live {
		refreshed[acc.ExternalID] = acc
	}
	if refreshed[users[1]].Status != "deprovisioned" || refreshed[users[2]].MFAEnrolled == nil || !*refreshed[users[2]].MFAEnrolled {
		t.Fatalf("push-assisted refresh: %+v / %+v", refreshed[users[1]], refreshed[users[2]])
	}
	if c, _ := db.Counts(ctx, conn.ID); c[sspm.EntityGroupMembers] != int64(len(truth(t, e, "/api/v1/groups/"+group+"/users"))) {
		t.Fatalf("refreshed group members: %v", c)
	}

	// The tail reads the same events from the System Log: stored once.
	tailed := map[string]bool{}
	src := e.source(t)
	cursor := ""
	for {
		p, err := src.ReadStream(ctx, okta.StreamSystemLog, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range p.Events {
			tailed[ev.ProviderEventID] = true
		}
		cursor = p.Cursor
		if !p.More {
			break
		}
	}
	for uuid := range pushed {
		if !tailed[uuid] {
			t.Fatalf("pushed event %s is not in the System Log", uuid)
		}
	}
	for {
		res, err := a.Tailer.Step(ctx, conn.ID, okta.StreamSystemLog)
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			break
		}
	}
	if n, _ := db.CountEvents(ctx, conn.ID); n != int64(len(tailed)) {
		t.Fatalf("after the tail: %d events stored, the log holds %d (the pushed ones included)", n, len(tailed))
	}
}

type noInvoker struct{}

func (noInvoker) Invoke(context.Context, sspm.Invocation) error { return nil }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// drainInbox processes the queued deliveries and returns the event uuids they carried.
func drainInbox(t *testing.T, a *app.App, q interface {
	Receive(context.Context, int, time.Duration) ([]sspm.Message, error)
	Ack(context.Context, ...string) error
}) map[string]bool {
	t.Helper()
	inbox := a.NewInbox()
	out := map[string]bool{}
	for {
		msgs, err := q.Receive(context.Background(), 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, m := range msgs {
			var d sspm.Delivery
			_ = jsonUnmarshal(m.Body, &d)
			events, err := okta.ParseHook(d.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				out[ev.ProviderEventID] = true
			}
		}
		if failed := inbox.Process(context.Background(), msgs); len(failed) > 0 {
			t.Fatalf("inbox failures: %+v", failed)
		}
		for _, m := range msgs {
			_ = q.Ack(context.Background(), m.Receipt)
		}
	}
}

// truthHooks lists the org's event hooks with plain HTTP.
func truthHooks(t *testing.T, e *env) []map[string]any {
	return truth(t, e, "/api/v1/eventHooks")
}
