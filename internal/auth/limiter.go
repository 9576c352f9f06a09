package auth

import (
	"strings"
	"sync"
	"time"
)

// Limiter counts attempts per key (a lower-cased email, a client address) in memory: after Max counted attempts
// within Window the key is locked for Lockout. Callers either count failures after the fact (Allow, then Fail),
// or reserve an attempt before the costly check (Reserve, then Reset or Refund on success), so that parallel
// attempts cannot all pass the check before any is counted. One process only; a restart forgets.
type Limiter struct {
	max     int
	window  time.Duration
	lockout time.Duration
	now     func() time.Time

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	count       int
	first       time.Time
	lockedUntil time.Time
}

// LimiterOptions tune a Limiter; zero values take the defaults.
type LimiterOptions struct {
	Max     int              // default 5
	Window  time.Duration    // default 15 min
	Lockout time.Duration    // default 15 min
	Now     func() time.Time // default time.Now
}

// maxTracked bounds the memory a flood of distinct emails can take: beyond it, entries that no longer matter are
// dropped first, then the oldest.
const maxTracked = 10000

// NewLimiter returns a limiter.
func NewLimiter(o LimiterOptions) *Limiter {
	l := &Limiter{max: o.Max, window: o.Window, lockout: o.Lockout, now: o.Now, keys: map[string]*failures{}}
	if l.max <= 0 {
		l.max = 5
	}
	if l.window <= 0 {
		l.window = 15 * time.Minute
	}
	if l.lockout <= 0 {
		l.lockout = 15 * time.Minute
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

func limiterKey(k string) string { return strings.ToLower(strings.TrimSpace(k)) }

// Allow reports whether key may try now, and otherwise how long until it may.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[limiterKey(key)]
	if !ok {
		return true, 0
	}
	if wait := f.lockedUntil.Sub(l.now()); wait > 0 {
		return false, wait
	}
	return true, 0
}

// Fail records a failed attempt of key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count(limiterKey(key), l.now())
}

// Reserve counts an attempt of key before it is checked, in one step with the lock check: it returns false and
// the wait when key is locked, and otherwise counts the attempt (the attempt that reaches Max locks the key for
// the ones after it). A successful attempt then calls Reset (forget the key) or Refund (give back its own count).
func (l *Limiter) Reserve(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	k := limiterKey(key)
	if f, ok := l.keys[k]; ok {
		if wait := f.lockedUntil.Sub(now); wait > 0 {
			return false, wait
		}
	}
	l.count(k, now)
	return true, 0
}

// Refund gives back one reserved attempt of key that succeeded. An attempt that locked the key leaves it locked.
func (l *Limiter) Refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, ok := l.keys[limiterKey(key)]; ok && f.count > 0 {
		f.count--
	}
}

// count adds an attempt to key, starting a new window when the last one and its lockout are over.
func (l *Limiter) count(k string, now time.Time) {
	f, ok := l.keys[k]
	if !ok || (now.Sub(f.first) > l.window && !now.Before(f.lockedUntil)) {
		if !ok && len(l.keys) >= maxTracked {
			l.prune(now)
		}
		f = &failures{first: now}
		l.keys[k] = f
	}
	f.count++
	if f.count >= l.max {
		f.lockedUntil = now.Add(l.lockout)
		f.count, f.first = 0, now
	}
}

// Reset forgets key's failures (after a successful sign-in).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, limiterKey(key))
}

// prune drops entries whose window and lockout are over, and if that is not enough, the oldest half.
func (l *Limiter) prune(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.first) > l.window && !now.Before(f.lockedUntil) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) < maxTracked {
		return
	}
	n := 0
	for k, f := range l.keys {
		if !now.Before(f.lockedUntil) {
			delete(l.keys, k)
			if n++; n >= maxTracked/2 {
				return
			}
		}
	}
}
