package entra_test

import (
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestValidate: the config names the tenant and app by id, picks an auth mode, and reaches only Microsoft's
// hosts (a loopback simulator only in demo mode); the secret fits the auth mode. Errors name the field and never
// hold the secret.
func TestValidate(t *testing.T) {
	const tenant, client = `"tenant_id":"c2aee89a-5be9-47fa-9343-90b486ebdb1c"`, `"client_id":"5f1c0b8e-5a2e-4c47-9d8f-2c1a7e6b3d10"`
	ok := "{" + tenant + "," + client + `,"auth":"client_secret"}`
	for _, tc := range []struct {
		name, config, secret, field string
		loopback                    bool
	}{
		{"valid secret", ok, "s3cr3t~value", "", false},
		{"domain tenant", `{"tenant_id":"contoso.onmicrosoft.com",` + client + `,"auth":"client_secret"}`, "s3cr3t~value", "", false},
		{"us government", "{" + tenant + "," + client + `,"auth":"client_secret","graph_url":"https://graph.microsoft.us/v1.0","authority_host":"https://login.microsoftonline.us"}`, "s3cr3t~value", "", false},
		{"missing tenant", "{" + client + `,"auth":"client_secret"}`, "s3cr3t~value", "tenant_id", false},
		{"bad tenant", `{"tenant_id":"not a tenant",` + client + `,"auth":"client_secret"}`, "s3cr3t~value", "tenant_id", false},
		{"bad client", "{" + tenant + `,"client_id":"app","auth":"client_secret"}`, "s3cr3t~value", "client_id", false},
		{"bad auth", "{" + tenant + "," + client + `,"auth":"password"}`, "s3cr3t~value", "auth", false},
		{"unknown field", "{" + tenant + "," + client + `,"auth":"client_secret","org_url":"x"}`, "s3cr3t~value", "org_url", false},
		{"other graph host", "{" + tenant + "," + client + `,"auth":"client_secret","graph_url":"https://graph.evil.example/v1.0"}`, "s3cr3t~value", "graph_url", false},
		{"plain http", "{" + tenant + "," + client + `,"auth":"client_secret","authority_host":"http://login.microsoftonline.com"}`, "s3cr3t~value", "authority_host", false},
		{"loopback outside demo", "{" + tenant + "," + client + `,"auth":"client_secret","graph_url":"http://127.0.0.1:8080/v1.0"}`, "s3cr3t~value", "graph_url", false},
		{"loopback in demo", "{" + tenant + "," + client + `,"auth":"client_secret","graph_url":"http://127.0.0.1:8080/v1.0","authority_host":"https://127.0.0.1:8443"}`, "s3cr3t~value", "", true},
		{"negative resync", "{" + tenant + "," + client + `,"auth":"client_secret","full_resync_hours":-1}`, "s3cr3t~value", "full_resync_hours", false},
		{"pem as client secret", ok, "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----", "secret", false},
		{"not a certificate", "{" + tenant + "," + client + `,"auth":"certificate"}`, "hunter2-not-pem", "secret", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := entra.Options{AllowLoopback: tc.loopback}.Validate([]byte(tc.config), []byte(tc.secret))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if sspm.ErrorCode(err) != sspm.CodeInvalid || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want invalid naming %s", err, tc.field)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("the error holds the secret: %v", err)
			}
		})
	}
}
