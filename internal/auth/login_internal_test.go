package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

type oneUser struct{ u sspm.User }

func (o oneUser) UserByEmail(_ context.Context, email string) (sspm.User, error) {
	if email == o.u.Email {
		return o.u, nil
	}
	return sspm.User{}, sspm.Errorf(sspm.CodeNotFound, "no user")
}

func (oneUser) TouchLogin(context.Context, int64) error { return nil }

type noSessions struct{}

func (noSessions) CreateSession(context.Context, sspm.Session) error { return nil }
func (noSessions) RotateSession(context.Context, string, []byte, []byte) (sspm.User, error) {
	return sspm.User{}, errSessionOver
}
func (noSessions) RevokeSession(context.Context, string) error { return nil }
func (noSessions) SessionUser(context.Context, string) (sspm.User, error) {
	return sspm.User{}, errSessionOver
}

func newTestLogin(t *testing.T, o LoginOptions) *Login {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(key, "open-sspm-local", "open-sspm-api", IssuerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := HashPassword("the right password")
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLogin(oneUser{sspm.User{ID: 1, Email: "admin@example.com", PasswordHash: hash, Role: sspm.RoleAdmin}}, noSessions{}, iss, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestParallelWrongPasswordsAreCheckedAtMostTheLimit: 20 wrong passwords for one account sent at once are each
// counted before any is checked, so at most the limit's worth are hashed; the rest are refused as locked.
func TestParallelWrongPasswordsAreCheckedAtMostTheLimit(t *testing.T) {
	const limit, parallel = 5, 20
	l := newTestLogin(t, LoginOptions{Limiter: NewLimiter(LimiterOptions{Max: limit}), MaxHashes: parallel})
	var checks atomic.Int32
	start := make(chan struct{})
	settled := make(chan struct{}, parallel) // an attempt is in its check, or was refused without one
	l.check = func(hash, password string) (bool, error) {
		checks.Add(1)
		settled <- struct{}{}
		<-start // every attempt is in flight before any check ends
		return CheckPassword(hash, password)
	}
	var wg sync.WaitGroup
	var locked, bad atomic.Int32
	for i := range parallel {
		wg.Go(func() {
			_, _, err := l.Login(context.Background(), "admin@example.com", "wrong password", fmt.Sprintf("192.0.2.%d", i))
			var le *LockedError
			switch {
			case errors.As(err, &le):
				locked.Add(1)
				settled <- struct{}{}
			case sspm.ErrorCode(err) == sspm.CodeUnauthorized:
				bad.Add(1)
			default:
				t.Errorf("attempt %d: %v", i, err)
				settled <- struct{}{}
			}
		})
	}
	for range parallel {
		<-settled
	}
	close(start)
	wg.Wait()
	if n := checks.Load(); n > limit {
		t.Fatalf("%d of %d parallel wrong passwords were hashed, want at most %d", n, parallel, limit)
	}
	if bad.Load() != checks.Load() || locked.Load() != parallel-checks.Load() {
		t.Fatalf("bad %d locked %d checks %d", bad.Load(), locked.Load(), checks.Load())
	}
}

// TestPasswordChecksRunAtMostMaxHashesAtOnce: each check holds argon2id's 19 MiB, so sign-ins for many accounts at
// once wait for a slot; one that finds none in time is refused as unavailable.
func TestPasswordChecksRunAtMostMaxHashesAtOnce(t *testing.T) {
	const slots, parallel = 2, 8
	l := newTestLogin(t, LoginOptions{MaxHashes: slots, HashWait: 10 * time.Second})
	var running, peak atomic.Int32
	release := make(chan struct{})
	waiting, checking := make(chan struct{}, parallel), make(chan struct{}, parallel)
	l.waiting = func() { waiting <- struct{}{} }
	l.check = func(hash, password string) (bool, error) {
		checking <- struct{}{}
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return false, nil
	}
	var wg sync.WaitGroup
	for i := range parallel {
		wg.Go(func() {
			_, _, _ = l.Login(context.Background(), fmt.Sprintf("u%d@example.com", i), "x", fmt.Sprintf("192.0.2.%d", i))
		})
	}
	for range parallel { // the attempts pile up on the slots: all wait for one, the slots' worth check
		<-waiting
	}
	for range slots {
		<-checking
	}
	close(release)
	wg.Wait()
	if p := peak.Load(); p > slots || p == 0 {
		t.Fatalf("%d password checks ran at once, want at most %d", p, slots)
	}

	// No slot within HashWait: refused as unavailable, not checked.
	// The wait's timer is the test's: it has run out for the second sign-in, whose only slot the first holds.
	l = newTestLogin(t, LoginOptions{MaxHashes: 1})
	hold, holding := make(chan struct{}), make(chan struct{})
	l.check = func(string, string) (bool, error) { close(holding); <-hold; return false, nil }
	go func() { _, _, _ = l.Login(context.Background(), "a@example.com", "x", "192.0.2.1") }()
	<-holding
	over := make(chan time.Time)
	close(over)
	l.slotTimeout = func(time.Duration) (<-chan time.Time, func() bool) { return over, func() bool { return true } }
	_, _, err := l.Login(context.Background(), "b@example.com", "x", "192.0.2.2")
	close(hold)
	if sspm.ErrorCode(err) != sspm.CodeUnavailable {
		t.Fatalf("a sign-in without a free check: %v, want unavailable", err)
	}
}
