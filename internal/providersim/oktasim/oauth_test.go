package oktasim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// signJWT makes a compact JWS with RS256 or ES256.
func signJWT(t *testing.T, key crypto.Signer, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:]); err != nil {
			t.Fatal(err)
		}
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTokenEndpoint(t *testing.T) {
	c := company(t, providersim.Small())
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clock := clocktest.New(time.Now())
	s := New(c, Options{Clock: clock.Now, OAuthClients: []OAuthClient{
		{ClientID: "rsa-client", PublicKey: &rsaKey.PublicKey},
		{ClientID: "ec-client", PublicKey: &ecKey.PublicKey, Scopes: []string{"okta.logs.read"}},
	}})
	defer s.Close()
	aud := s.URL() + "/oauth2/v1/token"
	claims := func(iss, aud string, exp time.Time) map[string]any {
		return map[string]any{"iss": iss, "sub": iss, "aud": aud, "exp": exp.Unix(), "iat": clock.Now().Unix(), "jti": "j"}
	}
	later := clock.Now().Add(time.Hour)
	tests := []struct {
		name, grant, assertion, scope string
		wantStatus                    int
		wantError                     string
	}{
		{"rsa", "client_credentials", signJWT(t, rsaKey, "RS256", claims("rsa-client", aud, later)), "okta.users.read", 200, ""},
		{"ec", "client_credentials", signJWT(t, ecKey, "ES256", claims("ec-client", aud, later)), "okta.logs.read", 200, ""},
		{"ec scope not allowed", "client_credentials", signJWT(t, ecKey, "ES256", claims("ec-client", aud, later)), "okta.users.read", 400, "invalid_scope"},
		{"wrong grant", "password", "x", "okta.users.read", 400, "unsupported_grant_type"},
		{"not a jwt", "client_credentials", "abc", "okta.users.read", 401, "invalid_client"},
		{"unknown client", "client_credentials", signJWT(t, rsaKey, "RS256", claims("who", aud, later)), "okta.users.read", 401, "invalid_client"},
		{"wrong audience", "client_credentials", signJWT(t, rsaKey, "RS256", claims("rsa-client", "https://x.okta.com/oauth2/v1/token", later)), "okta.users.read", 401, "invalid_client"},
		{"expired", "client_credentials", signJWT(t, rsaKey, "RS256", claims("rsa-client", aud, clock.Now().Add(-time.Minute))), "okta.users.read", 401, "invalid_client"},
		{"wrong key", "client_credentials", signJWT(t, ecKey, "ES256", claims("rsa-client", aud, later)), "okta.users.read", 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {tt.grant}, "scope": {tt.scope}, "client_assertion": {tt.assertion},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
			resp, err := s.Client().PostForm(aud, form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || (tt.wantError != "" && body["error"] != tt.wantError) {
				t.Fatalf("got %d %v", resp.StatusCode, body)
			}
			if tt.wantStatus != 200 {
				return
			}
			req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/logs", nil)
			req.Header.Set("Authorization", "Bearer "+body["access_token"].(string))
			logs, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			logs.Body.Close()
			want := map[string]int{"rsa": 403, "ec": 200}[tt.name]
			if logs.StatusCode != want {
				t.Errorf("logs with a %s token: %d, want %d", tt.scope, logs.StatusCode, want)
			}
		})
	}
	t.Run("expired token", func(t *testing.T) {
		tok := s.auth.issue("rsa-client", []string{"okta.users.read"}, clock.Now().Add(time.Minute))
		clock.Advance(2 * time.Minute)
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/users", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("expired access token: %d", resp.StatusCode)
		}
	})
}

// TestRevokeTokenMidRun models a token revoked or expired during a sync.
func TestRevokeTokenMidRun(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{Tokens: []string{"a", "b"}})
	defer s.Close()
	if resp, _ := do(t, s, http.MethodGet, "/api/v1/groups", "a", nil); resp.StatusCode != 200 {
		t.Fatalf("token a: %d", resp.StatusCode)
	}
	s.RevokeToken("a")
	if resp, _ := do(t, s, http.MethodGet, "/api/v1/groups", "a", nil); resp.StatusCode != 401 {
		t.Errorf("revoked token: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, http.MethodGet, "/api/v1/groups", "b", nil); resp.StatusCode != 200 {
		t.Errorf("token b: %d", resp.StatusCode)
	}
}
