package okta_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func rsaPEM(t testing.TB) ([]byte, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), key
}

func TestValidate(t *testing.T) {
	key, _ := rsaPEM(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	p384PEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p384DER})
	tests := []struct {
		name      string
		give      string
		secret    []byte
		loopback  bool
		wantField string // "" = valid
	}{
		{name: "okta.com token", give: `{"org_url":"https://acme.okta.com","auth":"api_token"}`, secret: []byte("00abc-DEF_123")},
		{name: "oktapreview oauth", give: `{"org_url":"https://acme.oktapreview.com/","auth":"oauth","client_id":"0oa1"}`, secret: key},
		{name: "emea, gov and mil", give: `{"org_url":"https://x-1.okta-emea.com","auth":"api_token"}`},
		{name: "custom domain allowed", give: `{"org_url":"https://login.example.com","auth":"api_token","allowed_custom_domains":["login.example.com"]}`},
		{name: "all fields", give: `{"org_url":"https://acme.okta-gov.com","auth":"oauth","client_id":"0oa1","key_id":"k1","scopes":["okta.users.read","okta.eventHooks.manage"],"rate_limit_share":0.25,"factor_budget":0}`},
		{name: "loopback in demo mode", give: `{"org_url":"http://127.0.0.1:8080","auth":"api_token"}`, loopback: true},
		{name: "missing config", give: ``, wantField: "org_url"},
		{name: "http", give: `{"org_url":"http://acme.okta.com","auth":"api_token"}`, wantField: "org_url"},
		{name: "other domain", give: `{"org_url":"https://acme.example.com","auth":"api_token"}`, wantField: "org_url"},
		{name: "look-alike domain", give: `{"org_url":"https://acme.okta.com.evil.net","auth":"api_token"}`, wantField: "org_url"},
		{name: "nested subdomain", give: `{"org_url":"https://a.b.okta.com","auth":"api_token"}`, wantField: "org_url"},
		{name: "bare okta.com", give: `{"org_url":"https://okta.com","auth":"api_token"}`, wantField: "org_url"},
		{name: "admin console URL", give: `{"org_url":"https://acme-admin.okta.com","auth":"api_token"}`, wantField: "org_url"},
		{name: "path", give: `{"org_url":"https://acme.okta.com/api/v1","auth":"api_token"}`, wantField: "org_url"},
		{name: "credentials in URL", give: `{"org_url":"https://u:p@acme.okta.com","auth":"api_token"}`, wantField: "org_url"},
		{name: "port", give: `{"org_url":"https://acme.okta.com:8443","auth":"api_token"}`, wantField: "org_url"},
		{name: "IP address", give: `{"org_url":"https://169.254.169.254","auth":"api_token"}`, wantField: "org_url"},
		{name: "loopback without demo mode", give: `{"org_url":"http://127.0.0.1:8080","auth":"api_token"}`, wantField: "org_url"},
		{name: "localhost without demo mode", give: `{"org_url":"https://localhost","auth":"api_token"}`, wantField: "org_url"},
		{name: "custom domain not listed", give: `{"org_url":"https://login.example.com","auth":"api_token","allowed_custom_domains":["sso.example.com"]}`, wantField: "org_url"},
		{name: "custom domain that is an IP", give: `{"org_url":"https://10.0.0.1","auth":"api_token","allowed_custom_domains":["10.0.0.1"]}`, wantField: "org_url"},
		{name: "bad custom domain entry", give: `{"org_url":"https://login.example.com","auth":"api_token","allowed_custom_domains":["*.example.com"]}`, wantField: "allowed_custom_domains"},
		{name: "no auth", give: `{"org_url":"https://acme.okta.com"}`, wantField: "auth"},
		{name: "unknown auth", give: `{"org_url":"https://acme.okta.com","auth":"password"}`, wantField: "auth"},
		{name: "oauth without client id", give: `{"org_url":"https://acme.okta.com","auth":"oauth"}`, wantField: "client_id"},
		{name: "client id with a token", give: `{"org_url":"https://acme.okta.com","auth":"api_token","client_id":"0oa1"}`, wantField: "client_id"},
		{name: "write scope", give: `{"org_url":"https://acme.okta.com","auth":"oauth","client_id":"0oa1","scopes":["okta.users.manage"]}`, wantField: "scopes"},
		{name: "not a scope", give: `{"org_url":"https://acme.okta.com","auth":"oauth","client_id":"0oa1","scopes":["openid"]}`, wantField: "scopes"},
		{name: "share above 1", give: `{"org_url":"https://acme.okta.com","auth":"api_token","rate_limit_share":1.5}`, wantField: "rate_limit_share"},
		{name: "negative share", give: `{"org_url":"https://acme.okta.com","auth":"api_token","rate_limit_share":-0.5}`, wantField: "rate_limit_share"},
		{name: "negative factor budget", give: `{"org_url":"https://acme.okta.com","auth":"api_token","factor_budget":-1}`, wantField: "factor_budget"},
		{name: "unknown field", give: `{"org_url":"https://acme.okta.com","auth":"api_token","orgurl":"x"}`, wantField: "orgurl"},
		{name: "wrong type", give: `{"org_url":"https://acme.okta.com","auth":"api_token","factor_budget":"lots"}`, wantField: "factor_budget"},
		{name: "empty token", give: `{"org_url":"https://acme.okta.com","auth":"api_token"}`, secret: []byte(" \n"), wantField: "secret"},
		{name: "token with spaces", give: `{"org_url":"https://acme.okta.com","auth":"api_token"}`, secret: []byte("SSWS abc"), wantField: "secret"},
		{name: "key that is not PEM", give: `{"org_url":"https://acme.okta.com","auth":"oauth","client_id":"0oa1"}`, secret: []byte("hunter2"), wantField: "secret"},
		{name: "P-384 key the SDK cannot sign with", give: `{"org_url":"https://acme.okta.com","auth":"oauth","client_id":"0oa1"}`, secret: p384PEM, wantField: "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := okta.NewKind(okta.Options{AllowLoopback: tt.loopback})
			err := kind.Validate(json.RawMessage(tt.give), tt.secret)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if sspm.ErrorCode(err) != sspm.CodeInvalid || !strings.Contains(err.Error(), tt.wantField) {
				t.Fatalf("got %v, want a CodeInvalid error naming %q", err, tt.wantField)
			}
			if len(tt.secret) > 0 && strings.TrimSpace(string(tt.secret)) != "" && strings.Contains(err.Error(), strings.TrimSpace(string(tt.secret))) {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
}

func TestKindDescription(t *testing.T) {
	k := okta.NewKind(okta.Options{})
	if k.Kind != sspm.KindOkta || !k.Authoritative || k.NewSource == nil || k.NewStreams == nil || k.Push == nil {
		t.Fatalf("kind %+v", k)
	}
}

// TestConfigSchemaDescribesEveryField keeps the admin UI's schema in step with Config.
func TestConfigSchemaDescribesEveryField(t *testing.T) {
	var schema struct {
		Properties map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	if err := json.Unmarshal([]byte(okta.ConfigSchema), &schema); err != nil {
		t.Fatalf("ConfigSchema is not JSON: %v", err)
	}
	typ := reflect.TypeOf(okta.Config{})
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if p, ok := schema.Properties[name]; !ok || p.Description == "" {
			t.Errorf("ConfigSchema lacks a description of %s", name)
		}
	}
	if len(schema.Properties) != typ.NumField() || strings.Join(schema.Required, ",") != "org_url,auth" {
		t.Errorf("schema properties %d, Config fields %d, required %v", len(schema.Properties), typ.NumField(), schema.Required)
	}
	for _, s := range okta.DefaultScopes {
		if !strings.Contains(okta.ConfigSchema, s) || strings.HasSuffix(s, ".manage") {
			t.Errorf("default scope %s: missing from the schema, or not read-only", s)
		}
	}
}
