package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/api"
)

// Moving a connector's endpoint to another host needs the secret entered again, in the same request: the
// saved secret is never sent to the new host, and the config and the secret change together.
func TestEndpointHostChangeNeedsTheSecret(t *testing.T) {
	b := setup(t)
	created := b.createConnector("c1", "first-secret-value")
	patch := func(body map[string]any) (int, string) {
		status, out := b.do(http.MethodPatch, "/api/connectors/c1", b.admin, body)
		return status, string(out)
	}
	for _, tt := range []struct {
		name       string
		give       map[string]any
		wantStatus int
		wantURL    string
	}{
		{"same host, other path", map[string]any{"config": map[string]any{"url": "https://C1.example.com/v2"}}, http.StatusOK, "https://C1.example.com/v2"},
		{"other host without the secret", map[string]any{"config": map[string]any{"url": "https://collect.example.net"}}, http.StatusUnprocessableEntity, "https://C1.example.com/v2"},
		{"other port without the secret", map[string]any{"config": map[string]any{"url": "https://c1.example.com:8443"}}, http.StatusUnprocessableEntity, "https://C1.example.com/v2"},
		{"other host with a bad secret", map[string]any{"config": map[string]any{"url": "https://collect.example.net"}, "secret": "short"}, http.StatusUnprocessableEntity, "https://C1.example.com/v2"},
		{"other host with the secret", map[string]any{"config": map[string]any{"url": "https://c2.example.net"}, "secret": "second-secret-value"}, http.StatusOK, "https://c2.example.net"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := patch(tt.give)
			if status != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", status, body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusUnprocessableEntity && tt.give["secret"] == nil &&
				(!strings.Contains(body, "config.url") || !strings.Contains(body, "enter the secret again")) {
				t.Fatalf("body %s does not name the field and ask for the secret", body)
			}
			var c api.Connector
			b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1", b.admin, nil, &c)
			if c.Config["url"] != tt.wantURL {
				t.Fatalf("url = %v, want %s", c.Config["url"], tt.wantURL)
			}
		})
	}
	var c api.Connector
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1", b.admin, nil, &c)
	if c.SecretUpdatedAt == nil || !c.SecretUpdatedAt.After(*created.SecretUpdatedAt) {
		t.Fatalf("secret updated at %v, created %v: the new secret was not stored", c.SecretUpdatedAt, created.SecretUpdatedAt)
	}
	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?target_type=connector&sort=at", b.admin, nil, &audit)
	var actions []string
	for _, e := range audit.Items {
		actions = append(actions, e.Action)
	}
	if want := "[connector.create connector.update connector.update connector.secret.set]"; fmt.Sprint(actions) != want {
		t.Fatalf("audit = %v, want %s", actions, want)
	}
	b.noSecretIn("first-secret-value", "second-secret-value")
}

// "Test connection" with settings other than the saved ones is audited (who tried which config, whether with
// a new secret) and, when the endpoint moves to another host, needs the secret.
func TestConnectionTestWithChangedConfigIsAudited(t *testing.T) {
	b := setup(t)
	b.createConnector("c1", "good-secret-value")
	var r api.TestResult
	b.must(http.StatusOK, http.MethodPost, "/api/connectors/c1/test", b.admin, nil, &r) // saved settings: not audited
	b.must(http.StatusOK, http.MethodPost, "/api/connectors/c1/test", b.admin,
		map[string]any{"config": map[string]any{"url": "https://c1.example.com"}}, &r) // the same settings: not audited
	status, body := b.do(http.MethodPost, "/api/connectors/c1/test", b.admin, map[string]any{"config": map[string]any{"url": "https://collect.example.net"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "config.url") {
		t.Fatalf("other host without the secret: %d %s, want 422 naming config.url", status, body)
	}
	b.must(http.StatusOK, http.MethodPost, "/api/connectors/c1/test", b.admin,
		map[string]any{"config": map[string]any{"url": "https://c1.example.com/v2"}}, &r)
	if !r.OK {
		t.Fatalf("same host, other path: %+v", r)
	}
	b.must(http.StatusOK, http.MethodPost, "/api/connectors/c1/test", b.admin,
		map[string]any{"config": map[string]any{"url": "https://c9.example.net"}, "secret": "other-secret-value"}, &r)
	if !r.OK {
		t.Fatalf("other host with a secret: %+v", r)
	}

	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?action=connector.test&sort=at", b.admin, nil, &audit)
	if len(audit.Items) != 2 {
		t.Fatalf("connector.test entries = %+v, want 2", audit.Items)
	}
	for i, want := range []struct {
		url    string
		secret bool
	}{{"https://c1.example.com/v2", false}, {"https://c9.example.net", true}} {
		e := audit.Items[i]
		raw, _ := json.Marshal(e)
		if e.Actor != b.adminActor || e.TargetID != "c1" || !strings.Contains(string(raw), `"url":"https://c1.example.com"`) ||
			!strings.Contains(string(raw), `"url":"`+want.url+`"`) || !strings.Contains(string(raw), fmt.Sprintf(`"secret_given":%v`, want.secret)) {
			t.Errorf("entry %d = %s, want before the saved url, after %s and secret_given %v", i, raw, want.url, want.secret)
		}
	}
	b.noSecretIn("good-secret-value", "other-secret-value")
}

// noSecretIn fails when any response body so far holds one of the secrets.
func (b *bundle) noSecretIn(secrets ...string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, body := range b.bodies {
		for _, s := range secrets {
			if strings.Contains(body, s) {
				b.t.Fatalf("a response holds a secret: %s", body)
			}
		}
	}
}
