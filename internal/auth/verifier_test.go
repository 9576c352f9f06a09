package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const (
	issuer   = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test"
	audience = "client-123"
)

func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign builds a token with the given key, key id, algorithm and claims.
func sign(t *testing.T, key any, kid string, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func claims(now time.Time, over map[string]any) map[string]any {
	c := map[string]any{"iss": issuer, "sub": "u-1", "aud": audience, "exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(), "email": "Alice@Example.com", "cognito:groups": []string{"viewer"}}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestVerifier(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	key, other := newKey(t), newKey(t)
	keys := auth.StaticKeys{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	v := &auth.Verifier{Issuer: issuer, Audience: audience, Keys: keys, Now: func() time.Time { return now }}
	tests := []struct {
		name     string
		give     string
		wantRole sspm.Role
		wantErr  bool
	}{
		{name: "valid viewer", give: sign(t, key, "k1", jose.RS256, claims(now, nil)), wantRole: sspm.RoleViewer},
		{name: "admin group wins", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"cognito:groups": []string{"viewer", "admin"}})), wantRole: sspm.RoleAdmin},
		{name: "role claim", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"cognito:groups": nil, "role": "admin"})), wantRole: sspm.RoleAdmin},
		{name: "no role", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"cognito:groups": []string{"staff"}})), wantRole: ""},
		{name: "cognito access token: client_id instead of aud", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"aud": nil, "client_id": audience, "token_use": "access"})), wantRole: sspm.RoleViewer},
		{name: "expired within the skew", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"exp": now.Add(-30 * time.Second).Unix()})), wantRole: sspm.RoleViewer},
		{name: "bad signature", give: sign(t, other, "k1", jose.RS256, claims(now, nil)), wantErr: true},
		{name: "wrong issuer", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"iss": "https://evil.example"})), wantErr: true},
		{name: "wrong audience", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"aud": "other-client"})), wantErr: true},
		{name: "client_id of another app", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"aud": nil, "client_id": "other"})), wantErr: true},
		{name: "expired", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"exp": now.Add(-5 * time.Minute).Unix()})), wantErr: true},
		{name: "no expiry", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"exp": nil})), wantErr: true},
		{name: "not yet valid", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})), wantErr: true},
		{name: "unknown kid", give: sign(t, key, "k2", jose.RS256, claims(now, nil)), wantErr: true},
		{name: "no kid", give: sign(t, key, "", jose.RS256, claims(now, nil)), wantErr: true},
		{name: "RS512 is not accepted", give: sign(t, key, "k1", jose.RS512, claims(now, nil)), wantErr: true},
		{name: "HS256 with the public key as secret", give: sign(t, []byte("k1-public-key-bytes-as-hmac-secret"), "k1", jose.HS256, claims(now, nil)), wantErr: true},
		{name: "refresh token use", give: sign(t, key, "k1", jose.RS256, claims(now, map[string]any{"token_use": "refresh"})), wantErr: true},
		{name: "garbage", give: "not.a.token", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.give)
			if tt.wantErr {
				if err == nil || sspm.ErrorCode(err) != sspm.CodeUnauthorized {
					t.Fatalf("Verify = %+v, %v; want an unauthorized error", p, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Role != tt.wantRole || p.Subject != "u-1" {
				t.Fatalf("principal = %+v, want role %q", p, tt.wantRole)
			}
		})
	}
}

func TestRemoteKeysRefetchOnUnknownKidAtMostOncePerInterval(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	key1, key2 := newKey(t), newKey(t)
	var fetches atomic.Int32
	var current atomic.Value
	current.Store(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key1.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(current.Load())
	}))
	defer srv.Close()
	clock := now
	keys := auth.NewRemoteKeys(srv.URL, auth.RemoteKeysOptions{Client: srv.Client(), MinRefresh: time.Minute, Now: func() time.Time { return clock }})
	v := &auth.Verifier{Issuer: issuer, Audience: audience, Keys: keys, Now: func() time.Time { return clock }}
	ctx := context.Background()

	if _, err := v.Verify(ctx, sign(t, key1, "k1", jose.RS256, claims(now, nil))); err != nil {
		t.Fatalf("k1: %v", err)
	}
	// The issuer rotates to k2: the first token with k2 refetches the set.
	current.Store(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key2.PublicKey, KeyID: "k2", Algorithm: "RS256", Use: "sig"}}})
	clock = clock.Add(2 * time.Minute)
	if _, err := v.Verify(ctx, sign(t, key2, "k2", jose.RS256, claims(clock, nil))); err != nil {
		t.Fatalf("k2 after rotation: %v", err)
	}
	// Forged key ids refetch at most once per interval.
	before := fetches.Load()
	forge := func() {
		for range 20 {
			if _, err := v.Verify(ctx, sign(t, key2, "forged", jose.RS256, claims(clock, nil))); err == nil {
				t.Fatal("a forged key id verified")
			}
		}
	}
	forge()
	if got := fetches.Load(); got != before {
		t.Fatalf("fetches after 20 forged kids within the interval = %d, want %d", got, before)
	}
	clock = clock.Add(2 * time.Minute)
	forge()
	if got := fetches.Load(); got != before+1 {
		t.Fatalf("fetches after 20 forged kids in the next interval = %d, want %d", got, before+1)
	}
}

// TestOnlyVerifiedEmailsNameTheCaller: a Cognito user can set an unverified email to anyone's, so only a verified
// email is the principal's, and the audit log's actor is the subject either way.
func TestOnlyVerifiedEmailsNameTheCaller(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	key := newKey(t)
	keys := auth.StaticKeys{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	v := &auth.Verifier{Issuer: issuer, Audience: audience, Keys: keys, Now: func() time.Time { return now }}
	tests := []struct {
		name      string
		verified  any // nil leaves the claim out
		wantEmail string
		wantActor string
	}{
		{name: "no email_verified claim", wantActor: "sub:u-1"},
		{name: "unverified", verified: false, wantActor: "sub:u-1"},
		{name: "verified", verified: true, wantEmail: "alice@example.com", wantActor: "sub:u-1 alice@example.com"},
		{name: "verified as a string", verified: "true", wantEmail: "alice@example.com", wantActor: "sub:u-1 alice@example.com"},
		{name: "unverified as a string", verified: "false", wantActor: "sub:u-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := claims(now, map[string]any{"email": "Alice@Example.com", "cognito:username": "alice"})
			if tt.verified != nil {
				c["email_verified"] = tt.verified
			}
			p, err := v.Verify(context.Background(), sign(t, key, "k1", jose.RS256, c))
			if err != nil {
				t.Fatal(err)
			}
			if p.Email != tt.wantEmail || p.Actor() != tt.wantActor {
				t.Fatalf("email %q actor %q, want %q and %q", p.Email, p.Actor(), tt.wantEmail, tt.wantActor)
			}
		})
	}
}
