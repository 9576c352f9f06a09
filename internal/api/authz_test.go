package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

type route struct {
	method, path string
	public       bool
	adminOnly    bool // a GET only admins may call
	anyRole      bool // a change every role may make (sign-out)
}

// routes lists every operation of the OpenAPI document with its path parameters filled in.
func routes(t *testing.T, fill map[string]string) []route {
	t.Helper()
	var buf bytes.Buffer
	if err := api.WriteOpenAPI(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var out []route
	for p, ops := range doc.Paths {
		for m, op := range ops {
			path := p
			for k, v := range fill {
				path = strings.ReplaceAll(path, "{"+k+"}", v)
			}
			if strings.Contains(path, "{") {
				t.Fatalf("no value for a parameter of %s", p)
			}
			out = append(out, route{method: strings.ToUpper(m), path: path, public: op.Security == nil,
				adminOnly: strings.HasSuffix(p, "/webhook"), anyRole: p == "/auth/logout"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "a-secret-value")
	now := time.Now()
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(key *rsa.PrivateKey, iss, aud string, at time.Time, role sspm.Role) string {
		i, err := auth.NewIssuer(key, iss, aud, auth.IssuerOptions{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := i.Issue(auth.Principal{Subject: "x", Email: "x@example.com", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	tampered := b.admin[:len(b.admin)-4] + "AAAA"
	if tampered == b.admin {
		tampered = b.admin[:len(b.admin)-4] + "BBBB"
	}
	rejected := map[string]string{
		"no token":       "",
		"expired":        issue(testKey(), localIssuer, localAudience, now.Add(-2*time.Hour), sspm.RoleAdmin),
		"bad signature":  tampered,
		"wrong issuer":   issue(testKey(), "https://evil.example", localAudience, now, sspm.RoleAdmin),
		"wrong audience": issue(testKey(), localIssuer, "another-api", now, sspm.RoleAdmin),
		"unknown key id": issue(other, localIssuer, localAudience, now, sspm.RoleAdmin),
		"not a JWT":      "Zm9vYmFy",
	}
	// Local tokens are good only with their session, of an enabled user.
	rejected["no session"] = issue(testKey(), localIssuer, localAudience, now, sspm.RoleAdmin)
	signedOut := b.token(adminEmail)
	b.must(http.StatusNoContent, http.MethodPost, "/auth/logout", signedOut, nil, nil)
	rejected["signed out"] = signedOut
	if _, err := b.db.CreateUser(context.Background(), "gone@example.com", "x", "admin", "test"); err != nil {
		t.Fatal(err)
	}
	rejected["disabled user"] = b.token("gone@example.com")
	if _, err := b.db.SetUserDisabled(context.Background(), "gone@example.com", true, "test"); err != nil {
		t.Fatal(err)
	}
	// A token without a role cannot come from a local session (every user has one); an identity provider's can:
	// the same API with a verifier of plain tokens answers it.
	plainAPI := *b.api
	plainAPI.Auth = b.issuer.Verifier()
	plainMux := http.NewServeMux()
	plainAPI.Mount(plainMux)
	plain := httptest.NewServer(plainMux)
	defer plain.Close()
	noRole := issue(testKey(), localIssuer, localAudience, now, "")
	fill := map[string]string{"id": "c1", "external_id": "u1", "key": "app.example.com", "scope": "global", "ruleset": "t.controls",
		"rule": "T-MANUAL"}
	for _, r := range routes(t, fill) {
		r := r
		if r.public {
			continue
		}
		if strings.HasPrefix(r.path, "/api/identities/") || strings.HasPrefix(r.path, "/api/resources/") ||
			strings.HasPrefix(r.path, "/api/events/") || strings.HasPrefix(r.path, "/api/findings/") || strings.HasPrefix(r.path, "/api/inbox/dead/") {
			r.path = strings.Replace(r.path, "/c1", "/1", 1)
		}
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			for name, tok := range rejected {
				if status, body := b.do(r.method, r.path, tok, nil); status != http.StatusUnauthorized {
					t.Errorf("%s: %d %s, want 401", name, status, body)
				}
			}
			if status, body := b.doAt(plain, r.method, r.path, noRole, nil); status != http.StatusForbidden {
				t.Errorf("a token without a role: %d %s, want 403", status, body)
			}
			viewer, admin := b.viewer, b.admin
			if r.anyRole { // sign-out ends the session it is called with
				viewer, admin = b.token(viewerEmail), b.token(adminEmail)
			}
			viewerStatus, body := b.do(r.method, r.path, viewer, nil)
			if mayRead := (r.method == http.MethodGet || r.anyRole) && !r.adminOnly; mayRead != (viewerStatus != http.StatusForbidden) || viewerStatus == http.StatusUnauthorized {
				t.Errorf("viewer: %d %s (may read: %v)", viewerStatus, body, mayRead)
			}
			if status, body := b.do(r.method, r.path, admin, nil); status == http.StatusUnauthorized || status == http.StatusForbidden {
				t.Errorf("admin: %d %s", status, body)
			}
		})
	}
	// The document holds no data: it is served without a token (and with one).
	if status, body := b.do(http.MethodGet, "/api/openapi.json", "", nil); status != http.StatusOK || !bytes.Contains(body, []byte(`"openapi":"3.1`)) {
		t.Errorf("GET /api/openapi.json without a token = %d %.80s, want 200 and the document", status, body)
	}
	b.must(http.StatusOK, http.MethodGet, "/api/openapi.json", b.viewer, nil, nil)
	// Unknown API routes answer a JSON 404, not the SPA.
	if status, body := b.do(http.MethodGet, "/api/nope", b.admin, nil); status != http.StatusNotFound || !bytes.Contains(body, []byte(`"status":404`)) {
		t.Errorf("GET /api/nope = %d %s", status, body)
	}
}

func TestViewerCannotChangeAnything(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "a-secret-value")
	b.must(http.StatusForbidden, http.MethodPatch, "/api/connectors/c1", b.viewer, map[string]any{"enabled": false}, nil)
	b.must(http.StatusForbidden, http.MethodDelete, "/api/connectors/c1", b.viewer, nil, nil)
	c, err := b.db.Connector(context.Background(), "c1")
	if err != nil || !c.Enabled {
		t.Fatalf("after the viewer's attempts: %+v, %v", c, err)
	}
	if n := len(b.invoker.invocations()); n != 0 {
		t.Fatalf("invocations = %d", n)
	}
}
