package okta_test

import (
	"context"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestOAuthServiceApp signs in as an API service app (client credentials with private_key_jwt) with the
// default read-only scopes; a scope the app was not granted makes the token request fail as unauthorized.
func TestOAuthServiceApp(t *testing.T) {
	pemKey, key := rsaPEM(t)
	const clientID = "0oaopensspm"
	tests := []struct {
		name     string
		granted  []string
		wantCode sspm.Code
	}{
		{name: "default scopes granted", granted: okta.DefaultScopes},
		{name: "a scope not granted", granted: []string{"okta.users.read"}, wantCode: sspm.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, providersim.Small(), oktasim.Options{OAuthClients: []oktasim.OAuthClient{{
				ClientID: clientID, PublicKey: &key.PublicKey, Scopes: tt.granted,
			}}}, map[string]any{"auth": "oauth", "client_id": clientID, "key_id": "kid-1", "factor_budget": 3})
			src, err := e.opts.NewSource(context.Background(), e.conn, pemKey)
			if err != nil {
				t.Fatal(err)
			}
			res, err := src.Step(context.Background(), sspm.LaneFull, okta.StageUsers, "")
			if tt.wantCode != "" {
				t.Logf("error: %v", err)
				if sspm.ErrorCode(err) != tt.wantCode {
					t.Fatalf("err %v (code %s), want %s", err, sspm.ErrorCode(err), tt.wantCode)
				}
				return
			}
			if err != nil || len(res.Page.Accounts) == 0 {
				t.Fatalf("users over OAuth: %v, %d accounts", err, len(res.Page.Accounts))
			}
			got := drain(t, src, sspm.LaneFull, nil)
			if len(got.page.Datasets) == 0 || len(got.page.MFA) == 0 {
				t.Fatalf("datasets %d, mfa %d over OAuth", len(got.page.Datasets), len(got.page.MFA))
			}
			if e.sim.Stats().ByRoute["POST /oauth2/v1/token"] != 1 {
				t.Errorf("token requests %d: the access token should be reused", e.sim.Stats().ByRoute["POST /oauth2/v1/token"])
			}
		})
	}
}
