package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// User is a local admin UI user (open-sspm dev and serve; Cognito holds them on AWS).
type User struct {
	ID           int64
	Email        string // lower-cased
	PasswordHash string // argon2id PHC string; never leaves the server
	Role         string // admin, viewer
	Disabled     bool
	CreatedAt    time.Time
	LastLoginAt  time.Time
}

// CreateUser adds a user; an email already taken is a conflict.
func (db *DB) CreateUser(ctx context.Context, email, passwordHash, role, actor string) (User, error) {
	var u User
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		var err error
		u, err = insertUser(ctx, q, email, passwordHash, role, actor)
		return err
	})
	return u, err
}

// CreateFirstAdmin adds an admin only while no enabled admin exists (serialized against concurrent callers);
// otherwise it returns a conflict and writes nothing.
func (db *DB) CreateFirstAdmin(ctx context.Context, email, passwordHash, actor string) (User, error) {
	var u User
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.APILockUsers(ctx); err != nil {
			return err
		}
		n, err := q.APICountAdmins(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return sspm.Errorf(sspm.CodeConflict, "an admin already exists")
		}
		u, err = insertUser(ctx, q, email, passwordHash, "admin", actor)
		return err
	})
	return u, err
}

func insertUser(ctx context.Context, q *sqlgen.Queries, email, passwordHash, role, actor string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	row, err := q.APIInsertUser(ctx, sqlgen.APIInsertUserParams{Email: email, PasswordHash: passwordHash, Role: role})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return User{}, sspm.Errorf(sspm.CodeConflict, "user %s already exists", email)
	}
	if errors.As(err, &pgErr) && pgErr.Code == "23514" {
		return User{}, sspm.Errorf(sspm.CodeInvalid, "user %q: email must not be empty and role must be admin or viewer", email)
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", email, err)
	}
	u := userFromRow(row)
	if err := insertAudit(ctx, q, Audit{Actor: actor, Action: "user.create", TargetType: "user", TargetID: u.Email,
		After: map[string]any{"email": u.Email, "role": u.Role}}); err != nil {
		return User{}, err
	}
	return u, nil
}

// UserByEmail returns a user by email (case-insensitive).
func (db *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	row, err := db.q.APIUserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, sspm.Errorf(sspm.CodeNotFound, "user not found")
	}
	if err != nil {
		return User{}, fmt.Errorf("user by email: %w", err)
	}
	return userFromRow(row), nil
}

// TouchLogin records a successful sign-in.
func (db *DB) TouchLogin(ctx context.Context, id int64) error {
	if err := db.q.APITouchLogin(ctx, id); err != nil {
		return fmt.Errorf("touch login of user %d: %w", id, err)
	}
	return nil
}

func userFromRow(r sqlgen.User) User {
	return User{ID: r.ID, Email: r.Email, PasswordHash: r.PasswordHash, Role: r.Role, Disabled: r.Disabled,
		CreatedAt: fromTS(r.CreatedAt), LastLoginAt: fromTS(r.LastLoginAt)}
}

// SetUserPassword replaces a user's password hash and ends the user's sessions; an unknown email is not found.
func (db *DB) SetUserPassword(ctx context.Context, email, passwordHash, actor string) (User, error) {
	return db.changeUser(ctx, email, "user.password.reset", actor, func(q *sqlgen.Queries) (sqlgen.User, error) {
		return q.APISetUserPassword(ctx, sqlgen.APISetUserPasswordParams{Email: email, PasswordHash: passwordHash})
	})
}

// SetUserDisabled disables or enables a user; disabling ends the user's sessions.
func (db *DB) SetUserDisabled(ctx context.Context, email string, disabled bool, actor string) (User, error) {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return db.changeUser(ctx, email, action, actor, func(q *sqlgen.Queries) (sqlgen.User, error) {
		return q.APISetUserDisabled(ctx, sqlgen.APISetUserDisabledParams{Email: email, Disabled: disabled})
	})
}

// DeleteUser deletes a user and, with it, the user's sessions.
func (db *DB) DeleteUser(ctx context.Context, email, actor string) (User, error) {
	return db.changeUser(ctx, email, "user.delete", actor, func(q *sqlgen.Queries) (sqlgen.User, error) {
		return q.APIDeleteUser(ctx, email)
	})
}

// changeUser applies a change to one user, ends the user's sessions and audits the change, in one transaction.
func (db *DB) changeUser(ctx context.Context, email, action, actor string, change func(q *sqlgen.Queries) (sqlgen.User, error)) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var u User
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		row, err := change(q)
		if errors.Is(err, pgx.ErrNoRows) {
			return sspm.Errorf(sspm.CodeNotFound, "no user %s", email)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", action, email, err)
		}
		u = userFromRow(row)
		if err := q.APIRevokeUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("%s %s: end sessions: %w", action, email, err)
		}
		return insertAudit(ctx, q, Audit{Actor: actor, Action: action, TargetType: "user", TargetID: u.Email,
			After: map[string]any{"email": u.Email, "role": u.Role, "disabled": u.Disabled}})
	})
	return u, err
}
