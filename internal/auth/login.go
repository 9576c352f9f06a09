package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// LockedError says a sign-in was refused because the email or the client address had too many recent attempts.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.RetryAfter.Round(time.Second))
}

// errBadCredentials is the one answer to a wrong email, a wrong password and a disabled user alike.
var errBadCredentials = sspm.Errorf(sspm.CodeUnauthorized, "invalid email or password")

// errSessionOver answers a refresh token that is unknown, used, revoked or expired, or whose user is gone.
var errSessionOver = sspm.Errorf(sspm.CodeUnauthorized, "the session is over; sign in again")

// Defaults of a Login.
const (
	// DefaultSessionTTL is how long a session's refresh tokens can be used, counted from the sign-in.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultMaxHashes is how many password checks run at once; each takes about 19 MiB (argon2id's memory).
	DefaultMaxHashes = 4
	// DefaultHashWait is how long a sign-in waits for a free password check before it is refused.
	DefaultHashWait = 5 * time.Second
	// DefaultAddrMax is how many sign-in attempts, for any emails, one client address may make per window.
	DefaultAddrMax = 20
)

// LoginOptions tune a Login; zero values take the defaults.
type LoginOptions struct {
	// Limiter counts attempts per email (default NewLimiter with its defaults: 5 per 15 minutes).
	Limiter *Limiter
	// AddrLimiter counts attempts per client address (default DefaultAddrMax per 15 minutes).
	AddrLimiter *Limiter
	MaxHashes   int           // default DefaultMaxHashes
	HashWait    time.Duration // default DefaultHashWait
	SessionTTL  time.Duration // default DefaultSessionTTL
	Logger      *slog.Logger
}

// Login signs local users in with email and password into a session: a short-lived access token naming the
// session (sid), and a refresh token that is rotated on every use. Every request's token is checked against its
// session, so a disabled or deleted user, a signed-out session and a reused refresh token end at once.
type Login struct {
	users    sspm.Users
	sessions sspm.Sessions
	issuer   *Issuer
	byEmail  *Limiter
	byAddr   *Limiter
	hashes   chan struct{} // a slot per password check that may run at once
	hashWait time.Duration
	ttl      time.Duration
	logger   *slog.Logger
	// dummy is a hash checked for unknown emails, so that they take as long as known ones.
	dummy string
	// check is CheckPassword; tests count the checks through it.
	check func(hash, password string) (bool, error)
	// slotTimeout returns what ends a sign-in's wait for a free check, and its stop: a timer of hashWait; tests
	// end the wait themselves. waiting, when set, is told that a sign-in starts waiting for a check (tests).
	slotTimeout func(d time.Duration) (<-chan time.Time, func() bool)
	waiting     func()
}

// NewLogin returns a password sign-in.
func NewLogin(users sspm.Users, sessions sspm.Sessions, issuer *Issuer, o LoginOptions) (*Login, error) {
	if users == nil || sessions == nil || issuer == nil {
		return nil, errors.New("auth: a login needs users, sessions and an issuer")
	}
	dummy, err := HashPassword("not-a-password-of-anyone")
	if err != nil {
		return nil, err
	}
	l := &Login{users: users, sessions: sessions, issuer: issuer, byEmail: o.Limiter, byAddr: o.AddrLimiter,
		hashWait: o.HashWait, ttl: o.SessionTTL, logger: o.Logger, dummy: dummy, check: CheckPassword,
		slotTimeout: func(d time.Duration) (<-chan time.Time, func() bool) { t := time.NewTimer(d); return t.C, t.Stop }}
	if l.byEmail == nil {
		l.byEmail = NewLimiter(LimiterOptions{})
	}
	if l.byAddr == nil {
		l.byAddr = NewLimiter(LimiterOptions{Max: DefaultAddrMax})
	}
	n := o.MaxHashes
	if n <= 0 {
		n = DefaultMaxHashes
	}
	l.hashes = make(chan struct{}, n)
	if l.hashWait <= 0 {
		l.hashWait = DefaultHashWait
	}
	if l.ttl <= 0 {
		l.ttl = DefaultSessionTTL
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	return l, nil
}

// Login checks an email and password, from the client address client, and starts a session. A wrong email, a
// wrong password and a disabled user all return the same sspm.CodeUnauthorized error. The attempt is counted
// against the email and the client address before the password is checked, so parallel guesses cannot outrun the
// limit: once either has too many recent attempts the sign-in gets a *LockedError without a check. At most
// MaxHashes checks run at once; a sign-in that finds none free within HashWait is refused as unavailable.
func (l *Login) Login(ctx context.Context, email, password, client string) (Token, Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addrKey := "addr:" + client
	if ok, wait := l.byAddr.Reserve(addrKey); !ok {
		return Token{}, Principal{}, &LockedError{RetryAfter: wait}
	}
	if ok, wait := l.byEmail.Reserve(email); !ok {
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
	match, herr := l.checkPassword(ctx, hash, password)
	if herr != nil && sspm.ErrorCode(herr) == sspm.CodeUnavailable {
		return Token{}, Principal{}, herr
	}
	if herr != nil {
		l.logger.Error("sign in: stored password hash unreadable", "user", u.ID, "err", herr)
	}
	if err != nil || herr != nil || !match || u.Disabled || !u.Role.CanRead() {
		return Token{}, Principal{}, errBadCredentials
	}
	l.byEmail.Reset(email)
	l.byAddr.Refund(addrKey)
	tok, p, err := l.StartSession(ctx, u)
	if err != nil {
		return Token{}, Principal{}, err
	}
	if err := l.users.TouchLogin(ctx, u.ID); err != nil {
		l.logger.Warn("sign in: record last login", "user", u.ID, "err", err)
	}
	return tok, p, nil
}

// checkPassword runs a password check in one of the slots, waiting at most hashWait for one.
func (l *Login) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	timeout, stop := l.slotTimeout(l.hashWait)
	defer stop()
	if l.waiting != nil {
		l.waiting()
	}
	select {
	case l.hashes <- struct{}{}:
	case <-timeout:
		return false, sspm.Errorf(sspm.CodeUnavailable, "too many sign-ins at once; try again shortly")
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-l.hashes }()
	return l.check(hash, password)
}

// StartSession starts a session for a user whose credentials were checked, and issues its first tokens.
func (l *Login) StartSession(ctx context.Context, u sspm.User) (Token, Principal, error) {
	id, err := randomToken(18)
	if err != nil {
		return Token{}, Principal{}, err
	}
	refresh, sum, err := newRefreshToken(id)
	if err != nil {
		return Token{}, Principal{}, err
	}
	expires := l.issuer.now().Add(l.ttl)
	if err := l.sessions.CreateSession(ctx, sspm.Session{ID: id, UserID: u.ID, RefreshHash: sum, ExpiresAt: expires}); err != nil {
		return Token{}, Principal{}, fmt.Errorf("sign in: start session: %w", err)
	}
	return l.issue(u, id, refresh)
}

// Refresh trades a refresh token for new tokens of its session: the token presented can never be used again, and
// presenting it a second time ends the session.
func (l *Login) Refresh(ctx context.Context, refreshToken string) (Token, Principal, error) {
	id, secret, ok := strings.Cut(refreshToken, ".")
	if !ok || id == "" || secret == "" {
		return Token{}, Principal{}, errSessionOver
	}
	next, nextSum, err := newRefreshToken(id)
	if err != nil {
		return Token{}, Principal{}, err
	}
	presented := sha256.Sum256([]byte(secret))
	u, err := l.sessions.RotateSession(ctx, id, presented[:], nextSum)
	if sspm.ErrorCode(err) == sspm.CodeUnauthorized {
		l.logger.Info("refresh: refused", "session", id, "err", err)
		return Token{}, Principal{}, errSessionOver
	}
	if err != nil {
		return Token{}, Principal{}, fmt.Errorf("refresh: %w", err)
	}
	if u.Disabled || !u.Role.CanRead() {
		return Token{}, Principal{}, errSessionOver
	}
	return l.issue(u, id, next)
}

// Logout ends the session of a principal; principals without a local session (an identity provider's tokens)
// have nothing to end here.
func (l *Login) Logout(ctx context.Context, p Principal) error {
	if p.SessionID == "" {
		return nil
	}
	if err := l.sessions.RevokeSession(ctx, p.SessionID); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// Verifier returns the verifier of the login's access tokens: the issuer's signature and lifetime checks, then the
// token's session, which must be active and whose user must be enabled; the user's current email and role are
// the principal's.
func (l *Login) Verifier() *SessionVerifier {
	return &SessionVerifier{Tokens: l.issuer.Verifier(), Sessions: l.sessions}
}

func (l *Login) issue(u sspm.User, sessionID, refresh string) (Token, Principal, error) {
	p := Principal{Subject: fmt.Sprintf("local:%d", u.ID), Email: u.Email, Role: u.Role, SessionID: sessionID}
	tok, err := l.issuer.Issue(p)
	if err != nil {
		return Token{}, Principal{}, err
	}
	tok.RefreshToken = refresh
	return tok, p, nil
}

// SessionVerifier verifies local access tokens and their session.
type SessionVerifier struct {
	Tokens   *Verifier
	Sessions sspm.Sessions
}

// Verify checks a token and that its session is active and its user enabled. Every failure is a
// sspm.CodeUnauthorized error with the same message.
func (v *SessionVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	p, err := v.Tokens.Verify(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	if p.SessionID == "" {
		return Principal{}, errInvalidToken(errors.New("the token names no session"))
	}
	u, err := v.Sessions.SessionUser(ctx, p.SessionID)
	if sspm.ErrorCode(err) == sspm.CodeUnauthorized || sspm.ErrorCode(err) == sspm.CodeNotFound {
		return Principal{}, errInvalidToken(err)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("verify session: %w", err)
	}
	if u.Disabled || fmt.Sprintf("local:%d", u.ID) != p.Subject {
		return Principal{}, errInvalidToken(errors.New("the session's user is disabled or another"))
	}
	p.Email, p.Role = u.Email, u.Role
	return p, nil
}

// newRefreshToken returns a refresh token of a session ("<session id>.<secret>") and the SHA-256 of its secret.
func newRefreshToken(sessionID string) (string, []byte, error) {
	secret, err := randomToken(32)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256([]byte(secret))
	return sessionID + "." + secret, sum[:], nil
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
