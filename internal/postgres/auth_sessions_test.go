package postgres_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func hashOf(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// TestSessionsEndWithTheirUser: a session is usable only while it is neither revoked nor expired and its user is
// enabled and exists; a refresh hash used twice ends it.
func TestSessionsEndWithTheirUser(t *testing.T) {
	ctx := context.Background()
	db := postgrestest.New(t)
	s := postgres.AuthUsers{DB: db}
	newUser := func(email string) int64 {
		u, err := db.CreateUser(ctx, email, "hash", "viewer", "test")
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	start := func(id string, user int64, expires time.Time) {
		if err := s.CreateSession(ctx, sspm.Session{ID: id, UserID: user, RefreshHash: hashOf(id + "-r1"), ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(time.Hour)
	over := func(what, id string) {
		t.Helper()
		if _, err := s.SessionUser(ctx, id); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
			t.Fatalf("%s: session %s still active (%v)", what, id, err)
		}
	}

	a := newUser("a@example.com")
	start("s-a", a, later)
	if u, err := s.SessionUser(ctx, "s-a"); err != nil || u.ID != a || u.Role != sspm.RoleViewer {
		t.Fatalf("active session: %+v %v", u, err)
	}
	// Rotation: the current hash moves on; the previous one presented again ends the session.
	if u, err := s.RotateSession(ctx, "s-a", hashOf("s-a-r1"), hashOf("s-a-r2")); err != nil || u.ID != a {
		t.Fatalf("rotate: %+v %v", u, err)
	}
	if _, err := s.RotateSession(ctx, "s-a", hashOf("not-it"), hashOf("x")); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("a wrong refresh hash: %v", err)
	}
	if _, err := s.SessionUser(ctx, "s-a"); err != nil {
		t.Fatalf("a wrong hash ended the session: %v", err)
	}
	if _, err := s.RotateSession(ctx, "s-a", hashOf("s-a-r1"), hashOf("s-a-r3")); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("a reused refresh hash: %v", err)
	}
	over("reused refresh token", "s-a")
	if _, err := s.RotateSession(ctx, "s-a", hashOf("s-a-r2"), hashOf("s-a-r3")); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("the current hash after a reuse: %v", err)
	}

	// Disabled in the table directly (not through SetUserDisabled, which also revokes): the join refuses it.
	b := newUser("b@example.com")
	start("s-b", b, later)
	if _, err := db.Pool().Exec(ctx, "UPDATE users SET disabled = true WHERE id = $1", b); err != nil {
		t.Fatal(err)
	}
	over("disabled user", "s-b")
	if _, err := s.RotateSession(ctx, "s-b", hashOf("s-b-r1"), hashOf("x")); sspm.ErrorCode(err) != sspm.CodeUnauthorized {
		t.Fatalf("refresh of a disabled user: %v", err)
	}

	c := newUser("c@example.com")
	start("s-c", c, later)
	if _, err := db.DeleteUser(ctx, "c@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	over("deleted user", "s-c")

	d := newUser("d@example.com")
	start("s-d", d, later)
	if err := s.RevokeSession(ctx, "s-d"); err != nil {
		t.Fatal(err)
	}
	over("signed out", "s-d")

	e := newUser("e@example.com")
	start("s-e", e, time.Now().Add(-time.Second))
	over("expired", "s-e")

	f := newUser("f@example.com")
	start("s-f", f, later)
	if _, err := db.SetUserPassword(ctx, "F@example.com", "new-hash", "cli"); err != nil {
		t.Fatal(err)
	}
	over("password reset", "s-f")
	if u, err := db.UserByEmail(ctx, "f@example.com"); err != nil || u.PasswordHash != "new-hash" {
		t.Fatalf("after the reset: %+v %v", u, err)
	}
	if _, err := db.SetUserPassword(ctx, "nobody@example.com", "h", "cli"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("reset of an unknown user: %v", err)
	}
	over("unknown", "s-nope")
}
