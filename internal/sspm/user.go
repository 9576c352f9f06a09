package sspm

import (
	"context"
	"strings"
	"time"
)

// Role is what a person signed in to Open-SSPM may do: admins change things, viewers only read.
type Role string

const (
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// ParseRole returns the role named s, or "" for anything else.
func ParseRole(s string) Role {
	switch Role(strings.ToLower(strings.TrimSpace(s))) {
	case RoleAdmin:
		return RoleAdmin
	case RoleViewer:
		return RoleViewer
	}
	return ""
}

// CanRead reports whether the role may read the admin API.
func (r Role) CanRead() bool { return r == RoleAdmin || r == RoleViewer }

// CanWrite reports whether the role may change things.
func (r Role) CanWrite() bool { return r == RoleAdmin }

// User is a local user of Open-SSPM's admin (a person who signs in with a password), as a sign-in needs to know
// it; not an account in a SaaS (that is an Account).
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         Role
	Disabled     bool
}

// Users finds local users; a missing user is a CodeNotFound error.
type Users interface {
	UserByEmail(ctx context.Context, email string) (User, error)
	TouchLogin(ctx context.Context, id int64) error
}

// Session is a local sign-in session as stored: its refresh token is kept as a SHA-256 hash only.
type Session struct {
	ID          string
	UserID      int64
	RefreshHash []byte
	ExpiresAt   time.Time
}

// Sessions stores local sign-in sessions. Every method answers a session that is unknown, revoked or expired, or
// whose user is disabled or deleted, with a CodeUnauthorized error.
type Sessions interface {
	CreateSession(ctx context.Context, s Session) error
	// RotateSession swaps the session's refresh token hash presented for next and returns the session's user. A
	// presented hash that is the session's previous one (a refresh token used twice: stolen, or replayed) revokes
	// the session.
	RotateSession(ctx context.Context, id string, presented, next []byte) (User, error)
	RevokeSession(ctx context.Context, id string) error
	// SessionUser returns the user of an active session.
	SessionUser(ctx context.Context, id string) (User, error)
}
