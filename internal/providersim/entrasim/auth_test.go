package entrasim

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenEndpoint(t *testing.T) {
	rsaK, ecK, otherK := rsaKey(t), ecKey(t), rsaKey(t)
	rsaCert, ecCert, otherCert := newCert(t, rsaK), newCert(t, ecK), newCert(t, otherK)
	const certApp = "0c9a7c2e-1111-4d6b-9c1e-3a5b7c9d1e2f"
	s, clk := newServer(t, Options{Apps: []App{
		{ClientID: DefaultClientID, Secret: DefaultSecret},
		{ClientID: certApp, Certificates: []*x509.Certificate{rsaCert, ecCert}},
	}})
	tenant := s.TenantID()
	aud := s.URL() + "/" + tenant + "/oauth2/v2.0/token"
	now := clk.Now()
	claims := func(mut func(map[string]any)) map[string]any {
		c := map[string]any{"iss": certApp, "sub": certApp, "aud": aud, "exp": now.Add(10 * time.Minute).Unix(),
			"nbf": now.Add(-time.Minute).Unix(), "jti": "x"}
		if mut != nil {
			mut(c)
		}
		return c
	}
	secretForm := func(mut func(url.Values)) url.Values {
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
			"client_secret": {DefaultSecret}, "scope": {GraphScope}}
		if mut != nil {
			mut(f)
		}
		return f
	}
	certForm := func(jwt string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {certApp}, "scope": {GraphScope},
			"client_assertion_type": {assertionType}, "client_assertion": {jwt}}
	}
	tests := []struct {
		name       string
		tenant     string
		form       url.Values
		wantStatus int
		wantErr    string // "" = success
		wantCode   float64
	}{
		{name: "secret", form: secretForm(nil), wantStatus: 200},
		{name: "secret, tenant by domain", tenant: "acme.example", form: secretForm(nil), wantStatus: 200},
		{name: "secret, onmicrosoft domain", tenant: "acme.onmicrosoft.com", form: secretForm(nil), wantStatus: 200},
		{name: "wrong secret", form: secretForm(func(f url.Values) { f.Set("client_secret", "nope") }), wantStatus: 401, wantErr: "invalid_client", wantCode: 7000215},
		{name: "unknown tenant", tenant: "00000000-0000-0000-0000-000000000000", form: secretForm(nil), wantStatus: 400, wantErr: "invalid_request", wantCode: 90002},
		{name: "unknown client", form: secretForm(func(f url.Values) { f.Set("client_id", "11111111-2222-3333-4444-555555555555") }), wantStatus: 400, wantErr: "unauthorized_client", wantCode: 700016},
		{name: "no grant type", form: secretForm(func(f url.Values) { f.Del("grant_type") }), wantStatus: 400, wantErr: "invalid_request", wantCode: 900144},
		{name: "password grant", form: secretForm(func(f url.Values) { f.Set("grant_type", "password") }), wantStatus: 400, wantErr: "unsupported_grant_type", wantCode: 70003},
		{name: "no scope", form: secretForm(func(f url.Values) { f.Del("scope") }), wantStatus: 400, wantErr: "invalid_request", wantCode: 900144},
		{name: "delegated scope", form: secretForm(func(f url.Values) { f.Set("scope", "User.Read.All") }), wantStatus: 400, wantErr: "invalid_scope", wantCode: 1002012},
		{name: "no credential", form: secretForm(func(f url.Values) { f.Del("client_secret") }), wantStatus: 401, wantErr: "invalid_client", wantCode: 7000218},
		{name: "assertion RS256", form: certForm(assertion(t, rsaK, rsaCert, "RS256", claims(nil))), wantStatus: 200},
		{name: "assertion PS256", form: certForm(assertion(t, rsaK, rsaCert, "PS256", claims(nil))), wantStatus: 200},
		{name: "assertion ES256", form: certForm(assertion(t, ecK, ecCert, "ES256", claims(nil))), wantStatus: 200},
		{name: "assertion by unregistered certificate", form: certForm(assertion(t, otherK, otherCert, "RS256", claims(nil))), wantStatus: 401, wantErr: "invalid_client", wantCode: 700027},
		{name: "assertion signed by another key", form: certForm(assertion(t, otherK, rsaCert, "RS256", claims(nil))), wantStatus: 401, wantErr: "invalid_client", wantCode: 700027},
		{name: "assertion for another audience", form: certForm(assertion(t, rsaK, rsaCert, "RS256", claims(func(c map[string]any) { c["aud"] = "https://login.microsoftonline.com/other/oauth2/v2.0/token" }))), wantStatus: 401, wantErr: "invalid_client", wantCode: 700212},
		{name: "expired assertion", form: certForm(assertion(t, rsaK, rsaCert, "RS256", claims(func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() }))), wantStatus: 401, wantErr: "invalid_client", wantCode: 700024},
		{name: "assertion for another client", form: certForm(assertion(t, rsaK, rsaCert, "RS256", claims(func(c map[string]any) { c["iss"], c["sub"] = DefaultClientID, DefaultClientID }))), wantStatus: 401, wantErr: "invalid_client", wantCode: 700021},
		{name: "malformed assertion", form: certForm("not.a-jwt"), wantStatus: 401, wantErr: "invalid_client", wantCode: 50027},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := tt.tenant
			if tn == "" {
				tn = tenant
			}
			status, body := postToken(t, s, tn, tt.form)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, body)
			}
			if tt.wantErr == "" {
				tok, _ := body["access_token"].(string)
				if tok == "" || body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) {
					t.Fatalf("token response %v", body)
				}
				if st, _, b := get(t, s, tok, "/v1.0/users?$top=1"); st != 200 {
					t.Fatalf("issued token refused: %d %v", st, b)
				}
				return
			}
			if body["error"] != tt.wantErr {
				t.Errorf("error %v, want %s", body["error"], tt.wantErr)
			}
			codes, _ := body["error_codes"].([]any)
			if len(codes) != 1 || codes[0] != tt.wantCode {
				t.Errorf("error_codes %v, want [%v]", body["error_codes"], tt.wantCode)
			}
			desc, _ := body["error_description"].(string)
			if !strings.HasPrefix(desc, "AADSTS") || !strings.Contains(desc, "\r\nTrace ID: ") || !strings.Contains(desc, "\r\nCorrelation ID: ") {
				t.Errorf("error_description %q is not in the AADSTS shape", desc)
			}
			for _, k := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
				if s, _ := body[k].(string); s == "" {
					t.Errorf("%s missing from %v", k, body)
				}
			}
		})
	}
}

func TestBearer(t *testing.T) {
	limited := App{ClientID: "22222222-3333-4444-5555-666666666666", Secret: "s2", Roles: []string{"User.Read.All"}}
	s, clk := newServer(t, Options{Apps: []App{{ClientID: DefaultClientID, Secret: DefaultSecret}, limited}})
	tokenFor := func(id, secret string) string {
		_, body := postToken(t, s, s.TenantID(), url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
			"client_secret": {secret}, "scope": {GraphScope}})
		return body["access_token"].(string)
	}
	old := tokenFor(DefaultClientID, DefaultSecret)
	clk.Advance(time.Hour) // tokens live 3,599 s
	fresh := tokenFor(DefaultClientID, DefaultSecret)
	limitedTok := tokenFor(limited.ClientID, limited.Secret)
	tests := []struct {
		name, token, path string
		wantStatus        int
		wantCode          string
	}{
		{name: "no token", path: "/v1.0/users", wantStatus: 401, wantCode: codeInvalidAuth},
		{name: "unknown token", token: "eyJ.forged.token", path: "/v1.0/users", wantStatus: 401, wantCode: codeInvalidAuth},
		{name: "expired token", token: old, path: "/v1.0/users", wantStatus: 401, wantCode: codeInvalidAuth},
		{name: "static token", token: DefaultToken, path: "/v1.0/users", wantStatus: 200},
		{name: "issued token", token: fresh, path: "/v1.0/groups", wantStatus: 200},
		{name: "permission granted", token: limitedTok, path: "/v1.0/users", wantStatus: 200},
		{name: "permission missing", token: limitedTok, path: "/v1.0/groups", wantStatus: 403, wantCode: codeDenied},
		{name: "unknown segment", token: fresh, path: "/v1.0/nothingHere", wantStatus: 400, wantCode: codeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := get(t, s, tt.token, tt.path)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, body)
			}
			if tt.wantCode == "" {
				return
			}
			if got := graphCode(body); got != tt.wantCode {
				t.Errorf("code %q, want %q", got, tt.wantCode)
			}
			inner, _ := body["error"].(map[string]any)["innerError"].(map[string]any)
			if inner["request-id"] == "" || inner["date"] == "" {
				t.Errorf("innerError %v lacks request-id/date", inner)
			}
			if status == http.StatusUnauthorized && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	s, _ := newServer(t, Options{})
	status, _, body := get(t, s, "", "/"+s.TenantID()+"/v2.0/.well-known/openid-configuration")
	if status != 200 || body["token_endpoint"] != s.URL()+"/"+s.TenantID()+"/oauth2/v2.0/token" {
		t.Fatalf("%d %v", status, body)
	}
	if status, _, body := get(t, s, "", "/nosuchtenant.example/v2.0/.well-known/openid-configuration"); status != 400 {
		t.Fatalf("unknown tenant: %d %v", status, body)
	}
}
