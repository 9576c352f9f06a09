package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/api"
)

func TestSecretsNeverInResponses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const (
		created   = "created-SECRET-7f3a9c"
		replaced  = "replaced-SECRET-1b2c3d"
		tried     = "tried-SECRET-9e8d7c"
		rejected  = "rej"              // too short: the kind refuses it
		overlong  = "overlong-SECRET-" // too long: huma's validation refuses it
		newTested = "new-tested-SECRET-4455"
	)
	b.createConnector("c1", created)
	b.must(http.StatusOK, http.MethodPut, "/api/connectors/c1/secret", b.admin, map[string]any{"secret": replaced}, nil)
	b.must(http.StatusOK, http.MethodPost, "/api/connectors/c1/test", b.admin, map[string]any{"secret": tried}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPut, "/api/connectors/c1/secret", b.admin, map[string]any{"secret": rejected + "x"}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPut, "/api/connectors/c1/secret", b.admin,
		map[string]any{"secret": overlong + strings.Repeat("x", 70000)}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPost, "/api/connectors", b.admin,
		map[string]any{"id": "Bad Id", "kind": "test", "name": "x", "secret": overlong + strings.Repeat("y", 70000)}, nil)
	b.must(http.StatusOK, http.MethodPost, "/api/connector-tests", b.admin,
		map[string]any{"id": "c2", "kind": "test", "name": "x", "config": map[string]any{"url": "https://x"}, "secret": newTested}, nil)
	b.must(http.StatusAccepted, http.MethodPost, "/api/connectors/c1/sync", b.admin, nil, nil)
	// Passwords and refresh tokens: a wrong and an overlong password are not echoed; a refresh token is in the one
	// answer that hands it out.
	const wrongPassword = "wrong-PASSWORD-5a6b7c"
	b.must(http.StatusUnauthorized, http.MethodPost, "/auth/login", "", map[string]any{"email": viewerEmail, "password": wrongPassword}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPost, "/auth/login", "", map[string]any{"email": viewerEmail,
		"password": wrongPassword + strings.Repeat("z", 2000)}, nil)
	var signedIn, refreshed api.Session
	b.must(http.StatusOK, http.MethodPost, "/auth/login", "", map[string]any{"email": viewerEmail, "password": password}, &signedIn)
	b.must(http.StatusOK, http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": signedIn.RefreshToken}, &refreshed)
	b.must(http.StatusUnauthorized, http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": signedIn.RefreshToken}, nil)
	viewerUser, err := b.db.UserByEmail(context.Background(), viewerEmail)
	if err != nil {
		t.Fatal(err)
	}

	var hook api.Webhook
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1/webhook", b.admin, nil, &hook)
	if len(hook.Secret) < 32 || hook.Path != "/hooks/test/c1" {
		t.Fatalf("webhook = %+v", hook)
	}
	sealed, err := b.db.ConnectorSecret(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	sealedHook, err := b.db.WebhookSecret(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	fill := map[string]string{"id": "c1", "external_id": "u1", "key": "app.example.com", "scope": "global", "ruleset": "t.controls",
		"rule": "T-MANUAL"}
	for _, r := range routes(t, fill) {
		if r.method != http.MethodGet || r.adminOnly {
			continue
		}
		for _, tok := range []string{b.admin, b.viewer} {
			b.do(r.method, r.path, tok, nil)
		}
	}
	b.must(http.StatusOK, http.MethodGet, "/api/audit?limit=500", b.admin, nil, nil)

	secretsOf := map[string]string{"created": created, "replaced": replaced, "tried": tried, "overlong": overlong,
		"new tested": newTested, "sealed secret": base64.StdEncoding.EncodeToString(sealed),
		"sealed webhook secret": base64.StdEncoding.EncodeToString(sealedHook), "password": password,
		"wrong password": wrongPassword, "password hash": viewerUser.PasswordHash}
	for name, s := range secretsOf {
		if got := contains(b.bodies, s); len(got) > 0 {
			t.Errorf("the %s secret is in %d responses, e.g. %.300s", name, len(got), got[0])
		}
	}
	for tok, answer := range map[string]string{signedIn.RefreshToken: "POST /auth/login", refreshed.RefreshToken: "POST /auth/refresh"} {
		if got := contains(b.bodies, tok); len(got) != 1 || !strings.HasPrefix(got[0], answer) {
			t.Errorf("a refresh token is in %d responses, want only the %s that handed it out", len(got), answer)
		}
	}
	if got := contains(b.bodies, hook.Secret); len(got) != 1 || !strings.HasPrefix(got[0], "GET /api/connectors/c1/webhook") {
		t.Errorf("the webhook secret is in %d responses, want only the admin's webhook read", len(got))
	}
	var c api.Connector
	b.must(http.StatusOK, http.MethodGet, "/api/connectors/c1", b.viewer, nil, &c)
	if !c.HasSecret || c.SecretUpdatedAt == nil || c.SecretStale || c.SecretAgeDays == nil || *c.SecretAgeDays != 0 {
		t.Fatalf("connector = %+v", c)
	}
}
