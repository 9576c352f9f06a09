// Package ratelimit is an http.RoundTripper that keeps a client within a share of a provider's rate-limit
// buckets. It learns each bucket's budget from the provider's response headers (limit, remaining, reset), waits
// until the bucket resets once the client has spent its share of it, and waits and retries when the provider
// answers 429 anyway. Every wait is recorded so that a sync run can report it ("waited 12s for the /api/v1/users
// rate limit").
//
// A wait longer than what remains of the work's time budget (sspm.WithWaitBudget, or the request context's
// deadline) is not made: the request fails at once with a *WaitError naming the bucket and when the wait would
// end, so that a lane can pause its run until then instead of sleeping through (or past) its invocation.
//
// The transport reads the clock and sleeps through injected functions, so tests run on a fake clock without
// real waiting.
package ratelimit

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// WaitError is the error of a request whose rate-limit wait would outlast the work's time budget: the request
// was not sent (or, after a 429, not sent again). It is an sspm.WaitError (errors.As finds either name), and
// sspm.ErrorCode reports it as sspm.CodeRateLimited.
type WaitError = sspm.WaitError

// Budget is what one response says about its bucket.
type Budget struct {
	Limit     int
	Remaining int
	// ResetIn is how long until the bucket's window resets, measured from when the response was received.
	ResetIn time.Duration
}

// HeaderParser reads a bucket's budget from response headers; ok is false when the headers carry none.
type HeaderParser func(h http.Header) (b Budget, ok bool)

// Wait is time the transport spent waiting for a bucket.
type Wait struct {
	Bucket   string
	Duration time.Duration
	// Throttled is true when the provider answered 429 (the wait was not planned by pacing).
	Throttled bool
}

// Transport paces requests per bucket. The zero value is not usable: set Base and Headers (or use New).
type Transport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Share of each bucket this client may spend per window, 0 < Share ≤ 1. Once the provider reports that
	// no more than (1 − Share) × limit remains, requests to the bucket wait until it resets.
	Share float64
	// Bucket names a request's bucket; nil means the request path.
	Bucket func(*http.Request) string
	// Headers reads the budget from a response; required.
	Headers HeaderParser
	// Now and Sleep are the clock; nil means time.Now and a timer that honours the context.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetries is how many times a 429 is retried (after waiting for the reset); 0 means 4.
	MaxRetries int
	// MaxWait is the longest wait made in-process; 0 means 2 minutes. A longer one is not cut short (the
	// provider would refuse an early retry): the request fails with a *WaitError until the reset, as when the
	// wait outlasts the work's budget. Margin is added to every reset wait; 0 means 1 second (reset times are
	// whole seconds).
	MaxWait time.Duration
	Margin  time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	waits   []Wait
}

type bucket struct {
	limit, remaining int
	resetAt          time.Time
}

// New returns a transport over base with the given share and header parser.
func New(base http.RoundTripper, share float64, headers HeaderParser) *Transport {
	return &Transport{Base: base, Share: share, Headers: headers}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	name := t.bucketName(req)
	if err := t.pace(req.Context(), name); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.base().RoundTrip(req)
		if err != nil {
			return nil, err
		}
		b, ok := t.Headers(resp.Header)
		if ok {
			t.observe(name, b)
		}
		if resp.StatusCode != http.StatusTooManyRequests || attempt >= t.maxRetries() || !rewindable(req) {
			return resp, nil
		}
		drain(resp)
		wait := time.Second // a concurrency 429 carries no useful reset
		if ok && b.ResetIn > 0 {
			wait = b.ResetIn + t.margin()
		}
		if err := t.wait(req.Context(), name, wait, true); err != nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
	}
}

// TakeWaits returns the waits since the last call and forgets them.
func (t *Transport) TakeWaits() []Wait {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.waits
	t.waits = nil
	return out
}

// Describe sums waits by bucket, in the order the buckets first waited, for a run's progress: "waited 12s for
// the /api/v1/users rate limit; waited 3s for the /api/v1/groups rate limit". It is "" without waits.
func Describe(waits []Wait) string {
	total := map[string]time.Duration{}
	var order []string
	for _, w := range waits {
		if _, ok := total[w.Bucket]; !ok {
			order = append(order, w.Bucket)
		}
		total[w.Bucket] += w.Duration
	}
	msgs := make([]string, len(order))
	for i, b := range order {
		msgs[i] = fmt.Sprintf("waited %s for the %s rate limit", roundWait(total[b]), b)
	}
	return strings.Join(msgs, "; ")
}

// roundWait rounds to the second, or to the millisecond below a second.
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// pace waits until the bucket resets when the client has spent its share of it.
func (t *Transport) pace(ctx context.Context, name string) error {
	t.mu.Lock()
	b := t.buckets[name]
	var wait time.Duration
	now := t.now()
	if b != nil && now.Before(b.resetAt) && b.limit > 0 {
		reserve := int(math.Floor((1 - t.share()) * float64(b.limit)))
		if b.remaining <= reserve {
			wait = b.resetAt.Sub(now) + t.margin()
		}
	}
	t.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	return t.wait(ctx, name, wait, false)
}

// wait sleeps for d, records it, and forgets the bucket's state, which the reset made stale. A wait beyond the
// context's budget or MaxWait is not made: it returns a *WaitError at once.
func (t *Transport) wait(ctx context.Context, name string, d time.Duration, throttled bool) error {
	if remaining, ok := sspm.WaitBudget(ctx); d > t.maxWait() || (ok && d > remaining) {
		return &WaitError{Bucket: name, Until: t.now().Add(d), Throttled: throttled}
	}
	if err := t.sleep(ctx, d); err != nil {
		return fmt.Errorf("wait for the %s rate limit: %w", name, err)
	}
	t.mu.Lock()
	delete(t.buckets, name)
	t.waits = append(t.waits, Wait{Bucket: name, Duration: d, Throttled: throttled})
	t.mu.Unlock()
	return nil
}

func (t *Transport) observe(name string, b Budget) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.buckets == nil {
		t.buckets = map[string]*bucket{}
	}
	t.buckets[name] = &bucket{limit: b.Limit, remaining: b.Remaining, resetAt: t.now().Add(b.ResetIn)}
}

func (t *Transport) bucketName(req *http.Request) string {
	if t.Bucket != nil {
		return t.Bucket(req)
	}
	return req.URL.Path
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	return sspm.Sleep(ctx, d, t.Sleep)
}

func (t *Transport) share() float64 {
	if t.Share <= 0 || t.Share > 1 {
		return 1
	}
	return t.Share
}

func (t *Transport) maxRetries() int {
	if t.MaxRetries > 0 {
		return t.MaxRetries
	}
	return 4
}

func (t *Transport) maxWait() time.Duration {
	if t.MaxWait > 0 {
		return t.MaxWait
	}
	return 2 * time.Minute
}

func (t *Transport) margin() time.Duration {
	if t.Margin > 0 {
		return t.Margin
	}
	return time.Second
}

// rewindable reports whether a request can be sent again.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// EpochResetHeaders parses X-Rate-Limit-Limit, X-Rate-Limit-Remaining and X-Rate-Limit-Reset (UTC epoch
// seconds), as Okta sends them. The reset is taken relative to the response's Date header, so the client's clock
// skew does not matter; without a Date header it is relative to now().
func EpochResetHeaders(now func() time.Time) HeaderParser {
	return func(h http.Header) (Budget, bool) {
		limit, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
		remaining, err2 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
		reset, err3 := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return Budget{}, false
		}
		base, err := http.ParseTime(h.Get("Date"))
		if err != nil {
			base = time.Now()
			if now != nil {
				base = now()
			}
		}
		in := max(time.Unix(reset, 0).Sub(base), 0)
		return Budget{Limit: limit, Remaining: remaining, ResetIn: in}, true
	}
}
