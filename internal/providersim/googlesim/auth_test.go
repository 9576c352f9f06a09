package googlesim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
)

// TestJWTBearerWithDelegation walks the service account flow: a good assertion for an admin gets a token that
// reads users; each way of getting it wrong is refused as Google refuses it.
func TestJWTBearerWithDelegation(t *testing.T) {
	s, clk := newSim(t, googlesim.Options{})
	k := parseKey(t, s.KeyJSON())
	other := parseKey(t, googlesim.KeyJSON(googlesim.ServiceAccount{ClientEmail: k.email, KeyID: k.kid}, mustKey(t), ""))
	var nonAdmin string
	for _, u := range s.Users() {
		if !u.IsAdmin && !u.IsDelegatedAdmin && !u.Suspended && !u.Archived {
			nonAdmin = u.PrimaryEmail
			break
		}
	}
	admin, now := s.AdminEmail(), clk.Now()
	for _, tc := range []struct {
		name      string
		jwt       string
		status    int
		err       string
		apiStatus int // status of users.list with the token
		apiReason string
	}{
		{name: "admin subject", jwt: assertion(t, k, s.TokenURL(), admin, googlesim.ReadScopes, now, time.Hour), status: 200, apiStatus: 200},
		{name: "google's audience", jwt: assertion(t, k, "https://oauth2.googleapis.com/token", admin, googlesim.ReadScopes[:1], now, time.Hour), status: 200, apiStatus: 200},
		{name: "not an admin", jwt: assertion(t, k, s.TokenURL(), nonAdmin, googlesim.ReadScopes, now, time.Hour), status: 200, apiStatus: 403, apiReason: "forbidden"},
		{name: "scope not granted to the route", jwt: assertion(t, k, s.TokenURL(), admin, []string{googlesim.ScopeGroupReadonly}, now, time.Hour), status: 200, apiStatus: 403, apiReason: "insufficientPermissions"},
		{name: "scope not delegated", jwt: assertion(t, k, s.TokenURL(), admin, []string{googlesim.ScopeUser}, now, time.Hour), status: 401, err: "unauthorized_client"},
		{name: "unknown subject", jwt: assertion(t, k, s.TokenURL(), "nobody@acme.example", googlesim.ReadScopes, now, time.Hour), status: 400, err: "invalid_grant"},
		{name: "another key", jwt: assertion(t, other, s.TokenURL(), admin, googlesim.ReadScopes, now, time.Hour), status: 400, err: "invalid_grant"},
		{name: "expired", jwt: assertion(t, k, s.TokenURL(), admin, googlesim.ReadScopes, now.Add(-2*time.Hour), time.Hour), status: 400, err: "invalid_grant"},
		{name: "too long-lived", jwt: assertion(t, k, s.TokenURL(), admin, googlesim.ReadScopes, now, 2*time.Hour), status: 400, err: "invalid_grant"},
		{name: "wrong audience", jwt: assertion(t, k, "https://example.com/token", admin, googlesim.ReadScopes, now, time.Hour), status: 400, err: "invalid_grant"},
		{name: "not a JWT", jwt: "abc", status: 400, err: "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := exchange(t, s, tc.jwt)
			if status != tc.status || (tc.err != "" && body["error"] != tc.err) {
				t.Fatalf("token: %d %v, want %d %s", status, body, tc.status, tc.err)
			}
			if tc.status != 200 {
				return
			}
			tok, _ := body["access_token"].(string)
			var e apiErr
			code, _ := get(t, s, tok, "/admin/directory/v1/users?customer=my_customer&maxResults=2", &e)
			if code != tc.apiStatus || (tc.apiReason != "" && e.reason() != tc.apiReason) {
				t.Fatalf("users.list: %d %q, want %d %q", code, e.reason(), tc.apiStatus, tc.apiReason)
			}
		})
	}
	if code, _ := get(t, s, "ya29.unknown", "/admin/directory/v1/users?customer=my_customer", nil); code != http.StatusUnauthorized {
		t.Fatalf("an unknown token: %d", code)
	}
}

// TestWithoutDelegation: a service account without domain-wide delegation cannot act as anyone.
func TestWithoutDelegation(t *testing.T) {
	priv := mustKey(t)
	sa := googlesim.ServiceAccount{ClientEmail: "x@p.iam.gserviceaccount.com", ClientID: "1", KeyID: "k1", PublicKey: &priv.PublicKey}
	s, clk := newSim(t, googlesim.Options{ServiceAccounts: []googlesim.ServiceAccount{sa}})
	k := parseKey(t, googlesim.KeyJSON(sa, priv, ""))
	status, body := exchange(t, s, assertion(t, k, s.TokenURL(), s.AdminEmail(), googlesim.ReadScopes, clk.Now(), time.Hour))
	if status != http.StatusUnauthorized || body["error"] != "unauthorized_client" {
		t.Fatalf("%d %v", status, body)
	}
	// Without a subject the service account acts as itself, and is no admin.
	status, body = exchange(t, s, assertion(t, k, s.TokenURL(), "", googlesim.ReadScopes, clk.Now(), time.Hour))
	if status != http.StatusOK {
		t.Fatalf("%d %v", status, body)
	}
	if code, _ := get(t, s, body["access_token"].(string), "/admin/directory/v1/users?customer=my_customer", nil); code != http.StatusForbidden {
		t.Fatalf("users.list as the service account: %d", code)
	}
}
