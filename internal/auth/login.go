package auth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// User is what a password sign-in needs to know of a local user.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         Role
	Disabled     bool
}

// Users finds local users; a missing user is a sspm.CodeNotFound error.
type Users interface {
	UserByEmail(ctx context.Context, email string) (User, error)
	TouchLogin(ctx context.Context, id int64) error
}

// LockedError says a sign-in was refused because the email had too many failed attempts.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.RetryAfter.Round(time.Second))
}

// errBadCredentials is the one answer to a wrong email, a wrong password and a disabled user alike.
var errBadCredentials = sspm.Errorf(sspm.CodeUnauthorized, "invalid email or password")

// Login signs local users in with email and password and issues access tokens.
type Login struct {
	users   Users
	issuer  *Issuer
	limiter *Limiter
	logger  *slog.Logger
	// dummy is a hash checked for unknown emails, so that they take as long as known ones.
	dummy string
}

// NewLogin returns a password sign-in.
func NewLogin(users Users, issuer *Issuer, limiter *Limiter, logger *slog.Logger) (*Login, error) {
	dummy, err := HashPassword("not-a-password-of-anyone")
	if err != nil {
		return nil, err
	}
	if limiter == nil {
		limiter = NewLimiter(LimiterOptions{})
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Login{users: users, issuer: issuer, limiter: limiter, logger: logger, dummy: dummy}, nil
}

// Login checks an email and password and returns an access token and the user's role. A wrong email, a wrong
// password and a disabled user all return the same sspm.CodeUnauthorized error; an email with too many recent
// failures gets a *LockedError before its password is checked.
func (l *Login) Login(ctx context.Context, email, password string) (Token, Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if ok, wait := l.limiter.Allow(email); !ok {
		return Token{}, Principal{}, &LockedError{RetryAfter: wait}
	}
	u, err := l.users.UserByEmail(ctx, email)
	if err != nil && sspm.ErrorCode(err) != sspm.CodeNotFound {
		return Token{}, Principal{}, fmt.Errorf("sign in: %w", err)
	}
	hash := l.dummy
	if err == nil {
		hash = u.PasswordHash
	}
	match, herr := CheckPassword(hash, password)
	if herr != nil {
		l.logger.Error("sign in: stored password hash unreadable", "user", u.ID, "err", herr)
	}
	if err != nil || herr != nil || !match || u.Disabled || !u.Role.CanRead() {
		l.limiter.Fail(email)
		return Token{}, Principal{}, errBadCredentials
	}
	l.limiter.Reset(email)
	p := Principal{Subject: fmt.Sprintf("local:%d", u.ID), Email: u.Email, Role: u.Role}
	tok, err := l.issuer.Issue(p)
	if err != nil {
		return Token{}, Principal{}, err
	}
	if err := l.users.TouchLogin(ctx, u.ID); err != nil {
		l.logger.Warn("sign in: record last login", "user", u.ID, "err", err)
	}
	return tok, p, nil
}
