package okta_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// FuzzValidate: a connector config and secret from the admin API or the CLI never panic the validator; a rejection
// is a CodeInvalid error that never repeats the secret; what is accepted is a JSON object.
func FuzzValidate(f *testing.F) {
	f.Add(`{"org_url":"https://acme.okta.com","auth":"api_token"}`, []byte("00abc-DEF_123"))
	f.Add(`{"org_url":"https://acme.okta.com","auth":"oauth","client_id":"0oa1","scopes":["okta.users.read"]}`, []byte("-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"))
	f.Add(`{"org_url":"http://127.0.0.1:8080","auth":"api_token"}`, []byte("tok"))
	f.Add(`{"org_url":"https://acme.okta.com/../x?y#z","auth":"api_token","factor_budget":-1}`, []byte(nil))
	f.Add(`[]`, []byte("x"))
	f.Add(`{"org_url":"https://LOCALHOST:443","auth":"api_token"}`, []byte("secret-value-123"))
	opts := okta.Options{}
	f.Fuzz(func(t *testing.T, config string, secret []byte) {
		err := opts.Validate(json.RawMessage(config), secret)
		if err == nil {
			var obj map[string]json.RawMessage
			if json.Unmarshal([]byte(config), &obj) != nil || obj == nil {
				t.Fatalf("accepted a config that is not a JSON object: %q", config)
			}
			return
		}
		if sspm.ErrorCode(err) != sspm.CodeInvalid {
			t.Fatalf("error %v is not CodeInvalid", err)
		}
		if len(secret) >= 6 && strings.Contains(err.Error(), string(secret)) {
			t.Fatalf("error repeats the secret: %v", err)
		}
	})
}
