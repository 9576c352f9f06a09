package app_test

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }

// testDelivery is the push format of the test connector kind.
type testDelivery struct {
	Events []struct {
		ID   string    `json:"id"`
		Type string    `json:"type"`
		At   time.Time `json:"at"`
	} `json:"events"`
}

func parseTest(body []byte) ([]sspm.Event, error) {
	var d testDelivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	out := make([]sspm.Event, 0, len(d.Events))
	for _, e := range d.Events {
		if e.ID == "" || e.At.IsZero() {
			return nil, sspm.Errorf(sspm.CodeInvalid, "event without id or time")
		}
		out = append(out, sspm.Event{ProviderEventID: e.ID, Type: e.Type, OccurredAt: e.At})
	}
	return out, nil
}

var testKind = connector.Kind{
	Kind: sspm.KindTestSource,
	Push: &connector.Push{
		Verify: func(r *http.Request, body, secret []byte) (connector.Verified, error) {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), secret) != 1 {
				return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "bad authorization")
			}
			if r.Method == http.MethodGet {
				return connector.Verified{Challenge: []byte(`{"verification":"` + r.Header.Get("X-Challenge") + `"}`)}, nil
			}
			if _, err := parseTest(body); err != nil {
				return connector.Verified{}, sspm.Errorf(sspm.CodeInvalid, "malformed delivery")
			}
			return connector.Verified{}, nil
		},
		Parse: parseTest,
	},
}

type pushEnv struct {
	app    *app.App
	hooks  *api.Hooks
	secret string
	srv    *httptest.Server
}

func setupPush(t *testing.T) *pushEnv {
	t.Helper()
	db := postgrestest.New(t)
	key, _ := secrets.GenerateLocalKey()
	k, err := secrets.NewLocalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{DB: db, Keys: k, Registry: connector.NewRegistry(testKind), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.CreateConnector(ctx, sspm.Connector{ID: "t1", Kind: sspm.KindTestSource, Name: "T", Enabled: true}, nil); err != nil {
		t.Fatal(err)
	}
	secret, err := a.WebhookSecret(ctx, "t1")
	if err != nil || len(secret) < 40 {
		t.Fatalf("webhook secret %q: %v", secret, err)
	}
	hooks := a.NewHooks(db.Queue(app.InboxQueue, 3))
	hooks.MaxBody = 4096
	srv := httptest.NewServer((&api.Server{Health: db, Hooks: hooks}).Handler())
	t.Cleanup(srv.Close)
	return &pushEnv{app: a, hooks: hooks, secret: secret, srv: srv}
}

func (e *pushEnv) post(t *testing.T, path, auth, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (e *pushEnv) drain(t *testing.T) {
	t.Helper()
	q := e.app.DB.Queue(app.InboxQueue, 3)
	inbox := e.app.NewInbox()
	for {
		msgs, err := q.Receive(context.Background(), 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return
		}
		if failed := inbox.Process(context.Background(), msgs); len(failed) > 0 {
			t.Fatalf("failed: %+v", failed)
		}
		for _, m := range msgs {
			_ = q.Ack(context.Background(), m.Receipt)
		}
	}
}

func delivery(ids ...string) string {
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"id":"` + id + `","type":"user.session.start","at":"2026-11-26T10:00:00Z"}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

func TestPushIsVerifiedBeforeQueuedAndStoredOnce(t *testing.T) {
	t.Parallel()
	e := setupPush(t)
	ctx := context.Background()
	q := e.app.DB.Queue(app.InboxQueue, 3)
	tests := []struct {
		name   string
		path   string
		auth   string
		body   string
		status int
	}{
		{"bad secret", "/hooks/test/t1", "wrong", delivery("e1"), http.StatusUnauthorized},
		{"no secret", "/hooks/test/t1", "", delivery("e1"), http.StatusUnauthorized},
		{"malformed", "/hooks/test/t1", e.secret, `{"events":[{"id":`, http.StatusBadRequest},
		{"oversized", "/hooks/test/t1", e.secret, delivery(strings.Split(strings.Repeat("x,", 200), ",")...), http.StatusRequestEntityTooLarge},
		{"unknown connector", "/hooks/test/nope", e.secret, delivery("e1"), http.StatusUnauthorized},
		{"wrong kind", "/hooks/okta/t1", e.secret, delivery("e1"), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.post(t, tt.path, tt.auth, tt.body); got != tt.status {
				t.Fatalf("status = %d, want %d", got, tt.status)
			}
			if ready, _, _ := q.Depth(ctx); ready != 0 {
				t.Fatalf("a rejected delivery was queued")
			}
		})
	}

	// Good deliveries, one duplicated and one out of order: each event is stored once.
	for _, body := range []string{delivery("e1", "e2"), delivery("e2", "e1"), delivery("e3"), delivery("e1")} {
		if got := e.post(t, "/hooks/test/t1", e.secret, body); got != http.StatusOK {
			t.Fatalf("good delivery: %d", got)
		}
	}
	e.drain(t)
	n, err := e.app.DB.CountEvents(ctx, "t1")
	if err != nil || n != 3 {
		t.Fatalf("events = %d (%v), want 3", n, err)
	}
	processed, failed, _, _ := e.app.DB.InboxCounts(ctx, "t1")
	if processed != 4 || failed != 0 {
		t.Fatalf("inbox processed %d failed %d", processed, failed)
	}
}

func TestPushVerificationChallenge(t *testing.T) {
	t.Parallel()
	e := setupPush(t)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/hooks/test/t1", nil)
	req.Header.Set("Authorization", e.secret)
	req.Header.Set("X-Challenge", "abc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != 200 || got["verification"] != "abc" {
		t.Fatalf("challenge answer: %d %v", resp.StatusCode, got)
	}
}
