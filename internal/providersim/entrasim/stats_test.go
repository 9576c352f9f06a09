package entrasim

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"
)

// TestFaultPageAndEmptyLastPage: a fault with Page fires only on that page of a listing; EmptyLastPage gives the
// last page a nextLink to one more, empty page without one; Stats counts each request by route pattern.
func TestFaultPageAndEmptyLastPage(t *testing.T) {
	s, _ := newServer(t, Options{PageCap: 5})
	users, _, n := collect(t, s, DefaultToken, "/v1.0/users?$select=id")
	if n < 3 {
		t.Fatalf("%d pages; the test needs at least 3", n)
	}
	s.ResetStats()
	s.AddFault(Fault{Path: "/v1.0/users", Page: 2, Status: http.StatusServiceUnavailable, Times: 1})
	st, _, body := get(t, s, DefaultToken, "/v1.0/users?$select=id")
	if st != http.StatusOK {
		t.Fatalf("page 1: %d", st)
	}
	next, _ := body["@odata.nextLink"].(string)
	if st, _, _ := get(t, s, DefaultToken, next); st != http.StatusServiceUnavailable {
		t.Fatalf("page 2 with the fault: %d, want 503", st)
	}
	if st, _, _ := get(t, s, DefaultToken, next); st != http.StatusOK {
		t.Fatalf("page 2 after the fault retired: %d", st)
	}
	if got := s.Stats().ByRoute["/v1.0/users"]; got != 3 {
		t.Errorf("Stats counted %d requests of /v1.0/users, want 3", got)
	}

	s.AddFault(Fault{Path: "/v1.0/users", EmptyLastPage: true})
	again, _, m := collect(t, s, DefaultToken, "/v1.0/users?$select=id")
	if len(again) != len(users) || m != n+1 {
		t.Errorf("with EmptyLastPage: %d users in %d pages, want %d in %d", len(again), m, len(users), n+1)
	}
	s.ClearFaults()
	if _, _, m := collect(t, s, DefaultToken, "/v1.0/users?$select=id"); m != n {
		t.Errorf("after ClearFaults: %d pages, want %d", m, n)
	}
	for _, r := range []string{"/v1.0/users/delta", "/v1.0/users/delta()", "/v1.0/users/microsoft.graph.delta"} {
		if got := routeName(r); got != "/v1.0/users/delta" {
			t.Errorf("routeName(%s) = %s", r, got)
		}
	}
}

// TestGraphDefaultScope: the .default scope alone or with the OpenID scopes MSAL adds; never another resource's.
func TestGraphDefaultScope(t *testing.T) {
	for scope, want := range map[string]bool{
		GraphScope: true,
		GraphScope + " openid offline_access profile":         true,
		"openid offline_access profile":                       false,
		GraphScope + " " + GraphScope:                         false,
		GraphScope + " https://management.azure.com/.default": false,
		"User.Read": false,
	} {
		if got := graphDefaultScope(scope); got != want {
			t.Errorf("graphDefaultScope(%q) = %v, want %v", scope, got, want)
		}
	}
}

// TestThumbprintEncodings: x5t#S256 in base64url or in MSAL's standard base64 names the same certificate.
func TestThumbprintEncodings(t *testing.T) {
	cert := newCert(t, rsaKey(t))
	sum := sha256.Sum256(cert.Raw)
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if !certMatches(cert, "", enc.EncodeToString(sum[:]), nil) {
			t.Errorf("thumbprint %q does not match", enc.EncodeToString(sum[:]))
		}
	}
	if certMatches(cert, "", base64.StdEncoding.EncodeToString(make([]byte, 32)), nil) {
		t.Error("a zero thumbprint matches")
	}
}

// TestRecordSignIn: a recorded sign-in is listed first (newest) by auditLogs/signIns, for the user and the app.
func TestRecordSignIn(t *testing.T) {
	s, clk := newServer(t, Options{})
	clk.Advance(time.Minute)
	user, sp := s.UserIDs()[2], s.ServicePrincipalIDs()[0]
	if err := s.RecordSignIn(user, sp); err != nil {
		t.Fatal(err)
	}
	_, _, body := get(t, s, DefaultToken, "/v1.0/auditLogs/signIns?$top=1")
	got := values(body)
	if len(got) != 1 || got[0]["userId"] != user || got[0]["createdDateTime"] != timeJSON(clk.Now().UTC()) {
		t.Fatalf("newest sign-in %v", got)
	}
	if err := s.RecordSignIn("nobody", sp); err == nil {
		t.Error("a sign-in of an unknown user was recorded")
	}
}
