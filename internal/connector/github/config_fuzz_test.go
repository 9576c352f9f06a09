package github_test

import (
	"encoding/json"
	"strings"
	"testing"

	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// FuzzValidate: a connector config and secret from the admin API or the CLI never panic the validator; a rejection
// is a CodeInvalid error that never repeats the secret; what is accepted is a JSON object.
func FuzzValidate(f *testing.F) {
	f.Add(`{"org":"acme","auth":"token"}`, []byte("ghp_0123456789abcdef"))
	f.Add(`{"org":"acme","auth":"app","app_id":1,"installation_id":2}`, []byte("-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----\n"))
	f.Add(`{"org":"acme","auth":"token","base_url":"https://ghe.example.com/api/v3/"}`, []byte("tok"))
	f.Add(`{"org":"../x","auth":"token","base_url":"http://127.0.0.1:1/"}`, []byte(nil))
	f.Add(`{"org":"acme","auth":"token","base_url":"https://LOCALHOST/"}`, []byte("secret-value-123"))
	f.Add(`null`, []byte("x"))
	opts := ghc.Options{}
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
