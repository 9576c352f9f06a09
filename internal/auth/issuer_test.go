package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestLocalKeyIsCreatedOnceOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "auth-signing-key.pem")
	if _, err := auth.LoadOrCreateKey(path, false); err == nil {
		t.Fatal("loaded a key that does not exist")
	}
	k1, err := auth.LoadOrCreateKey(path, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	k2, err := auth.LoadOrCreateKey(path, true)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("second load: %v (same key: %v)", err, err == nil && k1.Equal(k2))
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateKey(path, false); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key loaded: %v", err)
	}
}

func TestIssuedTokensVerifyUntilTheyExpire(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	iss, err := auth.NewIssuer(newKey(t), "open-sspm-local", "open-sspm-api", auth.IssuerOptions{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Issue(auth.Principal{Subject: "local:1", Email: "a@example.com", Role: sspm.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(now.Add(auth.DefaultTokenTTL)) || auth.DefaultTokenTTL > 15*time.Minute {
		t.Fatalf("expires at %v, want a short lifetime (%v)", tok.ExpiresAt, auth.DefaultTokenTTL)
	}
	p, err := iss.Verifier().Verify(context.Background(), tok.AccessToken)
	if err != nil || p.Role != sspm.RoleAdmin || p.Email != "a@example.com" {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
	clock = now.Add(auth.DefaultTokenTTL + 2*time.Minute)
	if _, err := iss.Verifier().Verify(context.Background(), tok.AccessToken); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("an expired token: %v", err)
	}
}

func TestPasswords(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		check     string
		wantMatch bool
	}{
		{name: "same", give: "correct horse battery", check: "correct horse battery", wantMatch: true},
		{name: "different", give: "correct horse battery", check: "correct horse batterx"},
		{name: "prefix", give: "correct horse battery", check: "correct horse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := auth.HashPassword(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(h, tt.give) || !strings.HasPrefix(h, "$argon2id$v=19$") {
				t.Fatalf("hash %q", h)
			}
			ok, err := auth.CheckPassword(h, tt.check)
			if err != nil || ok != tt.wantMatch {
				t.Fatalf("CheckPassword = %v, %v; want %v", ok, err, tt.wantMatch)
			}
		})
	}
	if _, err := auth.HashPassword("short"); err == nil {
		t.Fatal("a short password was hashed")
	}
	if _, err := auth.CheckPassword("$2a$10$notargon", "x"); err == nil {
		t.Fatal("a bcrypt hash was accepted")
	}
}

type users map[string]sspm.User

func (u users) UserByEmail(_ context.Context, email string) (sspm.User, error) {
	if x, ok := u[email]; ok {
		return x, nil
	}
	return sspm.User{}, sspm.Errorf(sspm.CodeNotFound, "no user")
}

func (u users) TouchLogin(context.Context, int64) error { return nil }

func TestLoginLocksAnEmailAfterRepeatedFailures(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	hash, err := auth.HashPassword("the right password")
	if err != nil {
		t.Fatal(err)
	}
	iss, err := auth.NewIssuer(newKey(t), "open-sspm-local", "open-sspm-api", auth.IssuerOptions{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	lim := auth.NewLimiter(auth.LimiterOptions{Max: 3, Window: time.Minute, Lockout: 5 * time.Minute, Now: func() time.Time { return clock }})
	l, err := auth.NewLogin(users{"admin@example.com": {ID: 1, Email: "admin@example.com", PasswordHash: hash, Role: sspm.RoleAdmin},
		"off@example.com": {ID: 2, Email: "off@example.com", PasswordHash: hash, Role: sspm.RoleAdmin, Disabled: true}},
		newSessions(), iss, auth.LoginOptions{Limiter: lim})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		name     string
		email    string
		password string
		advance  time.Duration
		want     string // ok, bad, locked
	}{
		{name: "unknown email", email: "nobody@example.com", password: "the right password", want: "bad"},
		{name: "disabled user", email: "off@example.com", password: "the right password", want: "bad"},
		{name: "right password, other case", email: "ADMIN@example.com", password: "the right password", want: "ok"},
		{name: "fail 1", email: "admin@example.com", password: "wrong", want: "bad"},
		{name: "fail 2", email: "admin@example.com", password: "wrong", want: "bad"},
		{name: "fail 3 locks", email: "admin@example.com", password: "wrong", want: "bad"},
		{name: "locked even with the right password", email: "admin@example.com", password: "the right password", want: "locked"},
		{name: "other emails are not locked", email: "nobody@example.com", password: "x", want: "bad"},
		{name: "after the lockout", email: "admin@example.com", password: "the right password", advance: 6 * time.Minute, want: "ok"},
	}
	for _, s := range steps {
		clock = clock.Add(s.advance)
		tok, _, err := l.Login(ctx, s.email, s.password, "192.0.2.1")
		var locked *auth.LockedError
		got := "ok"
		switch {
		case errors.As(err, &locked):
			got = "locked"
		case sspm.ErrorCode(err) == sspm.CodeUnauthorized:
			got = "bad"
		case err != nil:
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Fatalf("%s: got %s (%v), want %s", s.name, got, err, s.want)
		}
		if got == "ok" && (tok.AccessToken == "" || tok.RefreshToken == "") {
			t.Fatalf("%s: no token", s.name)
		}
	}
}
