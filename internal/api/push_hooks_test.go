package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
)

// TestPushHookRegistration: an admin registers a connector's push hook through the App (its kind's
// Push.Register), gets the stored registration back and anyone may read it; viewers may not register; bad URLs
// answer 422, a provider's refusal 502 with its reason (never 401, never a secret), and the failure is kept next to
// the registration in force; every attempt is audited.
func TestPushHookRegistration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	path := "/api/connectors/c1/push-hook"
	b.createConnector("c1", "good-secret-value")
	b.createConnector("c2", "wrong-secret")
	b.createConnector("c3", "internal-boom")

	// Without a registrar the server says so.
	b.must(http.StatusServiceUnavailable, http.MethodPost, path, b.admin, map[string]any{"url": "https://sspm.example.com"}, nil)
	a, err := app.New(app.Deps{DB: b.db, Keys: b.keys, Registry: connector.NewRegistry(testKind())})
	if err != nil {
		t.Fatal(err)
	}
	b.api.PushHooks = a

	b.must(http.StatusNotFound, http.MethodGet, path, b.viewer, nil, nil)
	b.must(http.StatusForbidden, http.MethodPost, path, b.viewer, map[string]any{"url": "https://sspm.example.com"}, nil)
	b.must(http.StatusNotFound, http.MethodPost, "/api/connectors/zz/push-hook", b.admin, map[string]any{"url": "https://sspm.example.com"}, nil)
	var got api.PushHook
	b.must(http.StatusOK, http.MethodPost, path, b.admin, map[string]any{"url": "https://sspm.example.com/"}, &got)
	if got.ConnectorID != "c1" || got.URL != "https://sspm.example.com/hooks/test/c1" || got.ProviderRef != "sub-c1 sub-c1-groups" ||
		got.RegisteredAt == nil || got.LastError != "" {
		t.Fatalf("registered = %+v", got)
	}
	var read api.PushHook
	b.must(http.StatusOK, http.MethodGet, path, b.viewer, nil, &read)
	if read.URL != got.URL || read.ProviderRef != got.ProviderRef || !read.RegisteredAt.Equal(*got.RegisteredAt) {
		t.Fatalf("read back = %+v, want %+v", read, got)
	}

	var problem struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	for _, tt := range []struct {
		name, id, url string
		status        int
		want          string
	}{
		{"plain http", "c1", "http://sspm.example.com", http.StatusUnprocessableEntity, "must use https"},
		{"loopback", "c1", "http://127.0.0.1:8080", http.StatusUnprocessableEntity, "demo mode only"},
		{"empty", "c1", "", http.StatusUnprocessableEntity, ""},
		{"refused credentials", "c2", "https://sspm.example.com", http.StatusBadGateway, "connector c2: the test registration failed: 401 from the provider"},
		{"transport error", "c3", "https://sspm.example.com", http.StatusBadGateway, "the provider call failed; the server log has the details"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.must(tt.status, http.MethodPost, "/api/connectors/"+tt.id+"/push-hook", b.admin, map[string]any{"url": tt.url}, &problem)
			if !strings.Contains(problem.Detail, tt.want) {
				t.Fatalf("detail = %q, want %q", problem.Detail, tt.want)
			}
		})
	}
	// The refused attempt is kept, with no registration in force.
	var failed api.PushHook
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c2/push-hook", b.admin, nil, &failed)
	if failed.URL != "" || failed.RegisteredAt != nil || !strings.Contains(failed.LastError, "401 from the provider") ||
		failed.LastErrorURL != "https://sspm.example.com/hooks/test/c2" || failed.LastErrorAt == nil {
		t.Fatalf("after a refusal = %+v", failed)
	}
	// Input refused before the provider is called leaves the registration as it was.
	b.must(http.StatusOK, http.MethodGet, path, b.viewer, nil, &read)
	if read.URL != got.URL || read.LastError != "" {
		t.Fatalf("after refused input = %+v", read)
	}

	// The webhook secret never reaches a response of these operations.
	hookSecret, err := a.WebhookSecret(context.Background(), "c3")
	if err != nil {
		t.Fatal(err)
	}
	if leaks := contains(b.bodies, hookSecret); len(leaks) > 0 {
		t.Fatalf("the webhook secret is in responses: %v", leaks)
	}
	for _, id := range []string{"c1", "c2"} {
		if s, err := a.WebhookSecret(context.Background(), id); err != nil || len(contains(b.bodies, s)) > 0 {
			t.Fatalf("webhook secret of %s in a response (%v)", id, err)
		}
	}

	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?target_type=connector&sort=at", b.viewer, nil, &audit)
	n := 0
	for _, e := range audit.Items {
		if e.Action == "connector.push_hook.register" {
			n++
			if e.Actor != b.adminActor {
				t.Errorf("audited actor %q", e.Actor)
			}
		}
	}
	if n != 5 { // c1 registered, then refused (http, loopback) after the audit; c2 and c3; the empty URL never reached the handler
		t.Fatalf("%d registrations audited, want 5", n)
	}
}
