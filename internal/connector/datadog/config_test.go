package datadog_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestConfigErrorsNameWhatToFix: a wrong site, a missing one, an address given for a site, a loopback address
// outside demo mode and a bad share are each refused with a CodeInvalid error naming the field and the fix.
func TestConfigErrorsNameWhatToFix(t *testing.T) {
	for _, tt := range []struct {
		name, config string
		loopback     bool
		want         string // "" means valid
	}{
		{"US1 by domain", `{"site":"datadoghq.com"}`, false, ""},
		{"EU1 by region", `{"site":"EU1"}`, false, ""},
		{"US1-FED", `{"site":"us1-fed"}`, false, ""},
		{"AP1 with share", `{"site":"ap1.datadoghq.com","rate_limit_share":1}`, false, ""},
		{"simulator in demo mode", `{"site":"http://127.0.0.1:8080"}`, true, ""},
		{"empty config", ``, false, "site is required"},
		{"no site", `{}`, false, "site is required"},
		{"a typo", `{"site":"datadoghq.con"}`, false, `"datadoghq.con" is not a Datadog site: use one of`},
		{"the app address", `{"site":"app.datadoghq.eu"}`, false, "use datadoghq.eu"},
		{"the API address as a URL", `{"site":"https://api.us5.datadoghq.com"}`, false, "use us5.datadoghq.com"},
		{"a custom sub-domain", `{"site":"acme.datadoghq.com"}`, false, "custom sub-domain"},
		{"loopback outside demo mode", `{"site":"http://127.0.0.1:8080"}`, false, "loopback"},
		{"share above 1", `{"site":"datadoghq.com","rate_limit_share":2}`, false, "rate_limit_share must be"},
		{"unknown field", `{"site":"datadoghq.com","api_key":"x"}`, false, `unknown field "api_key"`},
		{"site not a string", `{"site":1}`, false, "site must be a string"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := datadog.Options{AllowLoopback: tt.loopback}.Validate(json.RawMessage(tt.config), nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || sspm.ErrorCode(err) != sspm.CodeInvalid || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v; want CodeInvalid containing %q", err, tt.want)
			}
		})
	}
}

// TestSecretErrorsNameWhatToFix: an API key without an application key (and the other missing cases) is refused
// before anything is called, naming the missing key; no error repeats a key.
func TestSecretErrorsNameWhatToFix(t *testing.T) {
	const api, app = "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef01234567"
	for _, tt := range []struct {
		name, secret, want string
	}{
		{"both", `{"api_key":"` + api + `","application_key":"` + app + `"}`, ""},
		{"app_key alias", `{"api_key":"` + api + `","app_key":"` + app + `"}`, ""},
		{"an API key alone", `{"api_key":"` + api + `"}`, "has an API key but no application key"},
		{"an API key as the whole secret", api, "both keys are needed"},
		{"an application key alone", `{"application_key":"` + app + `"}`, "no API key"},
		{"empty", ` `, "is empty"},
		{"the same key twice", `{"api_key":"` + api + `","application_key":"` + api + `"}`, "are the same"},
		{"swapped", `{"api_key":"` + app + `","application_key":"` + api + `"}`, "swap them"},
		{"a space in a key", `{"api_key":"abc def","application_key":"` + app + `"}`, "api_key contains spaces"},
		{"unknown field", `{"api_key":"` + api + `","application_key":"` + app + `","site":"x"}`, `unknown field "site"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := datadog.Options{}.Validate(json.RawMessage(`{"site":"datadoghq.com"}`), []byte(tt.secret))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || sspm.ErrorCode(err) != sspm.CodeInvalid || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v; want CodeInvalid containing %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), api) || strings.Contains(err.Error(), app)) {
				t.Fatalf("the error repeats a key: %v", err)
			}
		})
	}
}
