package oktasim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// rsaKey returns a fresh RSA key and its PKCS#1 PEM.
func rsaKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// TestSDKPrivateKeyJWT runs the OAuth service-app flow: the SDK signs a
// client assertion, gets a Bearer token at /oauth2/v1/token and uses it; the
// token's scopes gate each route, and an assertion signed with another key
// gets no token.
func TestSDKPrivateKeyJWT(t *testing.T) {
	c := company(t, providersim.Small())
	key, keyPEM := rsaKey(t)
	_, otherPEM := rsaKey(t)
	const clientID = "0oaopensspm"
	s := New(c, Options{OAuthClients: []OAuthClient{{
		ClientID: clientID, PublicKey: &key.PublicKey, Scopes: []string{"okta.users.read", "okta.groups.read"},
	}}})
	defer s.Close()
	tests := []struct {
		name      string
		pem       string
		scopes    []string
		wantUsers bool
		wantApps  bool
	}{
		{name: "users scope", pem: keyPEM, scopes: []string{"okta.users.read"}, wantUsers: true},
		{name: "wrong key", pem: otherPEM, scopes: []string{"okta.users.read"}},
		{name: "scope not granted to client", pem: keyPEM, scopes: []string{"okta.apps.read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := sdkClient(t, s, okta.WithAuthorizationMode("PrivateKey"), okta.WithClientId(clientID),
				okta.WithScopes(tt.scopes), okta.WithPrivateKey(tt.pem), okta.WithPrivateKeyId("kid-1"))
			ctx := context.Background()
			_, _, err := client.UserAPI.ListUsers(ctx).Limit(5).Execute()
			if (err == nil) != tt.wantUsers {
				t.Fatalf("list users: err %v, want success %v", err, tt.wantUsers)
			}
			if !tt.wantUsers {
				return
			}
			_, resp, err := client.ApplicationAPI.ListApplications(ctx).Execute()
			if err == nil || resp.StatusCode != 403 {
				t.Fatalf("list apps without okta.apps.read: err %v; want 403", err)
			}
			if model, _ := err.(*okta.GenericOpenAPIError).Model().(okta.Error); model.GetErrorCode() != "E0000006" {
				t.Errorf("403 error code %q, want E0000006", model.GetErrorCode())
			}
		})
	}
}

// TestSDKWrongTokenGets401 checks the 401 body for a bad API token.
func TestSDKWrongTokenGets401(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	client := sdkClient(t, s, okta.WithToken("not-the-token"))
	_, resp, err := client.GroupAPI.ListGroups(context.Background()).Execute()
	if err == nil || resp.StatusCode != 401 {
		t.Fatalf("err %v; want 401", err)
	}
	// The generated client decodes a model only for the statuses its spec
	// lists (403, 404, 429 here); the raw body carries Okta's 401.
	var body okta.Error
	if err := json.Unmarshal(err.(*okta.GenericOpenAPIError).Body(), &body); err != nil || body.GetErrorCode() != "E0000011" {
		t.Errorf("401 body error code %q (%v), want E0000011", body.GetErrorCode(), err)
	}
}

// TestSDKOverTLS serves https and pages with next links that stay https.
func TestSDKOverTLS(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{TLS: true})
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %s is not https", s.URL())
	}
	client := sdkClient(t, s)
	users, pages := pageAll(t, client.UserAPI.ListUsers(context.Background()).Limit(10).Execute)
	if len(users) < 40 || pages < 4 {
		t.Errorf("got %d users in %d pages over TLS", len(users), pages)
	}
}
