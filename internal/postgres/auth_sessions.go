package postgres

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// AuthUsers is the local sign-in's view of the store: its users (sspm.Users) and sessions (sspm.Sessions).
type AuthUsers struct{ DB *DB }

var (
	_ sspm.Users    = AuthUsers{}
	_ sspm.Sessions = AuthUsers{}
)

// errSessionOver is what every session that cannot be used answers.
var errSessionOver = sspm.Errorf(sspm.CodeUnauthorized, "no such active session")

// UserByEmail returns a user by email; a missing one is not found.
func (a AuthUsers) UserByEmail(ctx context.Context, email string) (sspm.User, error) {
	u, err := a.DB.UserByEmail(ctx, email)
	if err != nil {
		return sspm.User{}, err
	}
	return authUser(u), nil
}

// TouchLogin records a successful sign-in.
func (a AuthUsers) TouchLogin(ctx context.Context, id int64) error { return a.DB.TouchLogin(ctx, id) }

// CreateSession stores a new session, and drops sessions that ended more than a day ago.
func (a AuthUsers) CreateSession(ctx context.Context, s sspm.Session) error {
	return a.DB.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.APIDeleteEndedSessions(ctx); err != nil {
			return fmt.Errorf("drop ended sessions: %w", err)
		}
		if err := q.APIInsertSession(ctx, sqlgen.APIInsertSessionParams{ID: s.ID, UserID: s.UserID,
			RefreshHash: s.RefreshHash, ExpiresAt: ts(s.ExpiresAt)}); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
}

// RotateSession replaces an active session's refresh hash presented by next and returns its user. The previous
// hash presented again revokes the session; any other hash, or a session that is over, is refused.
func (a AuthUsers) RotateSession(ctx context.Context, id string, presented, next []byte) (sspm.User, error) {
	var u sspm.User
	reused := false
	err := a.DB.inTx(ctx, func(q *sqlgen.Queries) error {
		s, err := q.APISessionForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errSessionOver
		}
		if err != nil {
			return fmt.Errorf("rotate session: %w", err)
		}
		switch {
		case !s.Active || s.Disabled:
			return errSessionOver
		case len(s.PreviousHash) > 0 && subtle.ConstantTimeCompare(presented, s.PreviousHash) == 1:
			reused = true
			if err := q.APIRevokeSession(ctx, id); err != nil {
				return fmt.Errorf("revoke session: %w", err)
			}
			return nil
		case subtle.ConstantTimeCompare(presented, s.RefreshHash) != 1:
			return errSessionOver
		}
		if err := q.APIRotateSession(ctx, sqlgen.APIRotateSessionParams{ID: id, RefreshHash: next}); err != nil {
			return fmt.Errorf("rotate session: %w", err)
		}
		u = sspm.User{ID: s.UserID, Email: s.Email, Role: sspm.ParseRole(s.Role), Disabled: s.Disabled}
		return nil
	})
	if err == nil && reused {
		return sspm.User{}, sspm.Errorf(sspm.CodeUnauthorized, "refresh token used twice: session %s ended", id)
	}
	return u, err
}

// RevokeSession ends a session; ending one that is over already does nothing.
func (a AuthUsers) RevokeSession(ctx context.Context, id string) error {
	if err := a.DB.q.APIRevokeSession(ctx, id); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// SessionUser returns the user of an active session of an enabled user.
func (a AuthUsers) SessionUser(ctx context.Context, id string) (sspm.User, error) {
	row, err := a.DB.q.APIActiveSessionUser(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return sspm.User{}, errSessionOver
	}
	if err != nil {
		return sspm.User{}, fmt.Errorf("session user: %w", err)
	}
	return authUser(userFromRow(row)), nil
}

func authUser(u User) sspm.User {
	return sspm.User{ID: u.ID, Email: u.Email, PasswordHash: u.PasswordHash, Role: sspm.ParseRole(u.Role), Disabled: u.Disabled}
}
