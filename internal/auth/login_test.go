package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// sessions is an in-memory sspm.Sessions over the users map (the store's is tested on PostgreSQL).
type sessions struct {
	mu   sync.Mutex
	rows map[string]*sessionRow
}

type sessionRow struct {
	s        sspm.Session
	previous []byte
	revoked  bool
}

func newSessions() *sessions { return &sessions{rows: map[string]*sessionRow{}} }

var errOver = sspm.Errorf(sspm.CodeUnauthorized, "session over")

func (s *sessions) CreateSession(_ context.Context, x sspm.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows[x.ID] = &sessionRow{s: x}
	return nil
}

func (s *sessions) RotateSession(_ context.Context, id string, presented, next []byte) (sspm.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	switch {
	case !ok || r.revoked:
		return sspm.User{}, errOver
	case bytes.Equal(presented, r.previous):
		r.revoked = true
		return sspm.User{}, errOver
	case !bytes.Equal(presented, r.s.RefreshHash):
		return sspm.User{}, errOver
	}
	r.previous, r.s.RefreshHash = r.s.RefreshHash, next
	return sspm.User{ID: r.s.UserID, Role: sspm.RoleAdmin}, nil
}

func (s *sessions) RevokeSession(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.rows[id]; ok {
		r.revoked = true
	}
	return nil
}

func (s *sessions) SessionUser(_ context.Context, id string) (sspm.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok || r.revoked {
		return sspm.User{}, errOver
	}
	return sspm.User{ID: r.s.UserID, Role: sspm.RoleAdmin}, nil
}

func TestRefreshRotatesAndLogoutEnds(t *testing.T) {
	hash, err := auth.HashPassword("the right password")
	if err != nil {
		t.Fatal(err)
	}
	iss, err := auth.NewIssuer(newKey(t), "open-sspm-local", "open-sspm-api", auth.IssuerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := auth.NewLogin(users{"a@example.com": {ID: 1, Email: "a@example.com", PasswordHash: hash, Role: sspm.RoleAdmin}},
		newSessions(), iss, auth.LoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, _, err := l.Login(ctx, "a@example.com", "the right password", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	v := l.Verifier()
	if _, err := v.Verify(ctx, tok.AccessToken); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	next, _, err := l.Refresh(ctx, tok.RefreshToken)
	if err != nil || next.RefreshToken == tok.RefreshToken || next.AccessToken == "" {
		t.Fatalf("refresh: %v (rotated: %v)", err, next.RefreshToken != tok.RefreshToken)
	}
	// The used refresh token again: refused, and it ends the session (a stolen token raced its owner).
	if _, _, err := l.Refresh(ctx, tok.RefreshToken); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("a used refresh token: %v", err)
	}
	if _, _, err := l.Refresh(ctx, next.RefreshToken); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("the session went on after its refresh token was reused: %v", err)
	}
	if _, err := v.Verify(ctx, next.AccessToken); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("an access token of an ended session: %v", err)
	}

	// Sign-out ends the session at once.
	tok, _, err = l.Login(ctx, "a@example.com", "the right password", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(ctx, tok.AccessToken)
	if err != nil || p.SessionID == "" {
		t.Fatalf("verify: %+v %v", p, err)
	}
	if err := l.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok.AccessToken); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("a signed-out token: %v", err)
	}
	if _, _, err := l.Refresh(ctx, tok.RefreshToken); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("a signed-out refresh token: %v", err)
	}
	// A token without a session (signed by the same key) is not a local session token.
	bare, err := iss.Issue(auth.Principal{Subject: "local:1", Role: sspm.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, bare.AccessToken); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("a token without a session: %v", err)
	}
}

func TestClientAddressLimitSpansEmails(t *testing.T) {
	iss, err := auth.NewIssuer(newKey(t), "open-sspm-local", "open-sspm-api", auth.IssuerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := auth.NewLogin(users{}, newSessions(), iss, auth.LoginOptions{AddrLimiter: auth.NewLimiter(auth.LimiterOptions{Max: 3})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 5 {
		_, _, err := l.Login(ctx, fmt.Sprintf("u%d@example.com", i), "wrong password", "198.51.100.7")
		var locked *auth.LockedError
		if got, want := errors.As(err, &locked), i >= 3; got != want {
			t.Fatalf("attempt %d from one address: locked %v, want %v (%v)", i+1, got, want, err)
		}
	}
	if _, _, err := l.Login(ctx, "u9@example.com", "wrong password", "198.51.100.8"); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("another address: %v", err)
	}
}
