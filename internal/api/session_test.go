package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestTokensEndWithTheirUser: a local token stops working as soon as its user is disabled or deleted, or its
// session is signed out, not when it expires.
func TestTokensEndWithTheirUser(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	for _, end := range []struct {
		name string
		do   func(email, token string)
	}{
		{"disabled", func(email, _ string) {
			if _, err := b.db.SetUserDisabled(ctx, email, true, "test"); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", func(email, _ string) {
			if _, err := b.db.DeleteUser(ctx, email, "test"); err != nil {
				t.Fatal(err)
			}
		}},
		{"signed out", func(_, token string) {
			b.must(http.StatusNoContent, http.MethodPost, "/auth/logout", token, nil, nil)
		}},
	} {
		t.Run(end.name, func(t *testing.T) {
			email := "u-" + fmt.Sprint(len(end.name)) + "@example.com"
			if _, err := b.db.CreateUser(ctx, email, "x", "admin", "test"); err != nil {
				t.Fatal(err)
			}
			tok := b.session(email)
			b.must(http.StatusOK, http.MethodGet, "/api/me", tok.AccessToken, nil, nil)
			end.do(email, tok.AccessToken)
			b.must(http.StatusUnauthorized, http.MethodGet, "/api/me", tok.AccessToken, nil, nil)
			b.must(http.StatusUnauthorized, http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": tok.RefreshToken}, nil)
		})
	}
}

// TestRefreshRotatesTheRefreshToken: a refresh answers new tokens and uses the old refresh token up; presenting
// it again ends the session; the user's current role is the token's.
func TestRefreshRotatesTheRefreshToken(t *testing.T) {
	b := setup(t)
	var s api.Session
	b.must(http.StatusOK, http.MethodPost, "/auth/login", "", map[string]any{"email": adminEmail, "password": password}, &s)
	var next api.Session
	b.must(http.StatusOK, http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": s.RefreshToken}, &next)
	if next.RefreshToken == s.RefreshToken || next.AccessToken == "" || next.Role != "admin" || next.Email != adminEmail {
		t.Fatalf("refreshed session = %+v", next)
	}
	b.must(http.StatusOK, http.MethodGet, "/api/me", next.AccessToken, nil, nil)
	b.must(http.StatusOK, http.MethodGet, "/api/me", s.AccessToken, nil, nil) // still within its short life
	// The used refresh token again: refused, and the session is over for every token of it.
	b.must(http.StatusUnauthorized, http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": s.RefreshToken}, nil)
	b.must(http.StatusUnauthorized, http.MethodGet, "/api/me", next.AccessToken, nil, nil)
	b.must(http.StatusUnauthorized, http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": next.RefreshToken}, nil)
	for _, bad := range []string{"nonsense", "a.b", s.RefreshToken + "x"} {
		b.must(http.StatusUnauthorized, http.MethodPost, "/auth/refresh", "", map[string]any{"refresh_token": bad}, nil)
	}
	// Signing out needs a token; a viewer may sign out too.
	b.must(http.StatusUnauthorized, http.MethodPost, "/auth/logout", "", nil, nil)
	b.must(http.StatusNoContent, http.MethodPost, "/auth/logout", b.viewer, nil, nil)
	b.must(http.StatusUnauthorized, http.MethodGet, "/api/me", b.viewer, nil, nil)
}

// TestParallelWrongPasswordsThroughTheAPI: 20 wrong passwords for one account at once get the limit's worth of
// 401s and 429 for the rest (setup's limit is 3 per email).
func TestParallelWrongPasswordsThroughTheAPI(t *testing.T) {
	b := setup(t)
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			status, _ := b.do(http.MethodPost, "/auth/login", "", map[string]any{"email": adminEmail, "password": fmt.Sprintf("wrong %d", i)})
			mu.Lock()
			got[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[http.StatusUnauthorized] > 3 || got[http.StatusUnauthorized]+got[http.StatusTooManyRequests] != 20 {
		t.Fatalf("answers %v: want at most 3 checked (401), the rest 429", got)
	}
}

// TestAuditRecordsTheSubject: an identity provider's user can set an unverified email to anyone's, so the audit
// log names callers by their token's subject, with the email only when the token says it is verified.
func TestAuditRecordsTheSubject(t *testing.T) {
	b := setup(t)
	plainAPI := *b.api
	plainAPI.Auth = b.issuer.Verifier() // an identity provider's tokens: no local session behind them
	mux := http.NewServeMux()
	plainAPI.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	forged, err := b.issuer.Issue(auth.Principal{Subject: "idp-user-7", Role: sspm.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	// The local issuer marks its emails verified; an identity provider's token with an unverified email is
	// signed here as the identity provider would, with the claim false.
	unverified := signUnverified(t, "idp-user-7", "admin@example.com")
	for i, tok := range []string{forged.AccessToken, unverified} {
		status, body := b.doAt(srv, http.MethodPost, "/api/connectors", tok, map[string]any{"id": fmt.Sprintf("c%d", i), "kind": "test",
			"name": "T", "config": map[string]any{"url": "https://t.example.com"}, "secret": "a-secret-value"})
		if status != http.StatusCreated {
			t.Fatalf("create as the identity provider's user: %d %s", status, body)
		}
	}
	b.createConnector("mine", "a-secret-value")
	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?actor=sub:idp-user-7&action=connector.create", b.viewer, nil, &audit)
	if audit.Total != 2 {
		t.Fatalf("entries of the subject = %+v", audit)
	}
	for _, e := range audit.Items {
		if e.Actor != "sub:idp-user-7" {
			t.Fatalf("actor %q: want the subject alone (the email is not verified)", e.Actor)
		}
	}
	sub := b.adminActor[:strings.IndexByte(b.adminActor, ' ')]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?action=connector.create&actor="+sub, b.viewer, nil, &audit)
	if audit.Total != 1 || audit.Items[0].Actor != b.adminActor {
		t.Fatalf("the local admin's entries by subject = %+v", audit)
	}
	var me api.Me
	b.must(http.StatusOK, http.MethodGet, "/api/me", b.admin, nil, &me)
	if me.Email != adminEmail || me.Actor != b.adminActor {
		t.Fatalf("me = %+v", me)
	}
}

// signUnverified signs, with the test issuer's key, a token whose email_verified claim is false.
func signUnverified(t *testing.T, sub, email string) string {
	t.Helper()
	iss, err := auth.NewIssuer(testKey(), localIssuer, localAudience, auth.IssuerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key := iss.Keys().Keys[0]
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: testKey(), KeyID: key.KeyID}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(signer).Claims(map[string]any{"iss": localIssuer, "aud": localAudience, "sub": sub,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "email": email, "email_verified": false, "role": "admin"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
