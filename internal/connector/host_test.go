package connector_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestIsLoopback(t *testing.T) {
	for _, tt := range []struct {
		give string
		want bool
	}{
		{"localhost", true}, {"LOCALHOST", true}, {"LocalHost.", true}, {"api.localhost", true}, {"API.LOCALHOST", true},
		{"127.0.0.1", true}, {"127.1.2.3", true}, {"[::1]", true}, {"::1", true},
		{"localhost.example.com", false}, {"acme.okta.com", false}, {"10.0.0.1", false},
	} {
		if got := connector.IsLoopback(tt.give); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestEndpointHost(t *testing.T) {
	gh := connector.Endpoint{Field: "base_url", Default: "https://api.github.com/"}
	dd := connector.Endpoint{Field: "site"}
	for _, tt := range []struct {
		name string
		e    connector.Endpoint
		give string
		want string
	}{
		{"URL", connector.Endpoint{Field: "org_url"}, `{"org_url":"https://Acme.Okta.com/"}`, "acme.okta.com"},
		{"default", gh, `{"org":"x"}`, "api.github.com"},
		{"empty means default", gh, `{"base_url":""}`, "api.github.com"},
		{"default port dropped", gh, `{"base_url":"https://api.github.com:443/"}`, "api.github.com"},
		{"other port kept", gh, `{"base_url":"https://ghe.corp:8443/api/v3/"}`, "ghe.corp:8443"},
		{"bare host", dd, `{"site":"datadoghq.eu"}`, "datadoghq.eu"},
		{"no field declared", connector.Endpoint{}, `{"org_url":"https://a.okta.com"}`, ""},
		{"not a string", dd, `{"site":3}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Host(json.RawMessage(tt.give)); got != tt.want {
				t.Fatalf("Host = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEndpointHostChange(t *testing.T) {
	e := connector.Endpoint{Field: "base_url", Default: "https://api.github.com/"}
	if err := e.HostChange(json.RawMessage(`{}`), json.RawMessage(`{"base_url":"https://api.github.com/","org":"y"}`)); err != nil {
		t.Fatalf("same host: %v", err)
	}
	err := e.HostChange(json.RawMessage(`{}`), json.RawMessage(`{"base_url":"https://ghe.evil.example/api/v3/"}`))
	if sspm.ErrorCode(err) != sspm.CodeInvalid || !strings.Contains(err.Error(), "config.base_url") ||
		!strings.Contains(err.Error(), "api.github.com to ghe.evil.example") || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v, want a CodeInvalid error naming the field and both hosts", err)
	}
}
