package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The client stack:
//
//	go-github → the conditional-request cache (httpcache.go; when Options.Cache is set)
//	  → ratelimit.Transport (pace to the configured share of the hourly budget)
//	  → retry (wait out 429 and 403 rate limits: Retry-After, else X-RateLimit-Reset; go-github v62 reports 429
//	    as a plain error and would remember a 403 limit, so it never sees them)
//	  → a semaphore of max_concurrency requests → authorization
//	  → outbound: only base_url's origin, the per-request timeout, and a dialer that refuses private addresses
//	    (so neither a redirect nor go-github's own redirect following can carry the token to another host).
type client struct {
	gh      *gh.Client
	graphql string
	org     string
	rl      *ratelimit.Transport
	retry   *retryTransport
	cache   *cacheTransport // nil without Options.Cache
	now     func() time.Time
}

func newClient(s settings, secret []byte, opts Options, connectorID string) (*client, error) {
	base := opts.policy().Transport(s.base, s.graphql)
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		base = outbound.Pin(opts.HTTPClient.Transport, s.base, s.graphql)
	}
	auth, err := newAuth(s, secret, base, opts)
	if err != nil {
		return nil, err
	}
	retry := &retryTransport{base: &limitTransport{base: auth, sem: make(chan struct{}, s.MaxConcurrency)}, now: opts.now, sleep: opts.sleep}
	rl := &ratelimit.Transport{Base: retry, Share: s.RateLimitShare, Bucket: bucketOf, Headers: rateHeaders(opts.now),
		Now: opts.now, Sleep: opts.sleep, MaxRetries: 1, MaxWait: maxResetWait}
	out := &client{graphql: s.graphql.String(), org: s.Org, rl: rl, retry: retry, now: opts.now}
	var top http.RoundTripper = rl
	if opts.Cache != nil {
		identity := AuthToken
		if s.Auth == AuthApp {
			identity = fmt.Sprintf("app:%d:%d", s.AppID, s.InstallationID)
		}
		out.cache = &cacheTransport{base: rl, cache: opts.Cache, connector: connectorID, identity: identity}
		top = out.cache
	}
	out.gh = gh.NewClient(&http.Client{Transport: top, CheckRedirect: outbound.CheckRedirect})
	out.gh.BaseURL = s.base
	out.gh.UserAgent = "open-sspm"
	return out, nil
}

// bucketOf: GitHub keeps one budget per resource; the connector uses core (REST) and graphql.
func bucketOf(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, "/graphql") {
		return "graphql"
	}
	return "core"
}

// rateHeaders reads X-RateLimit-Limit, -Remaining and -Reset (UTC epoch seconds).
func rateHeaders(now func() time.Time) ratelimit.HeaderParser {
	return func(h http.Header) (ratelimit.Budget, bool) {
		limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
		remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
		reset, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return ratelimit.Budget{}, false
		}
		return ratelimit.Budget{Limit: limit, Remaining: remaining, ResetIn: max(time.Unix(reset, 0).Sub(now()), 0)}, true
	}
}

// limitTransport bounds the requests in flight.
type limitTransport struct {
	base http.RoundTripper
	sem  chan struct{}
}

func (t *limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case t.sem <- struct{}{}:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	defer func() { <-t.sem }()
	return t.base.RoundTrip(r)
}

// retryTransport waits out GitHub's rate-limit answers: 429, or 403 with Retry-After (secondary limits) or with
// X-RateLimit-Remaining: 0 (the primary budget). Without Retry-After it waits until X-RateLimit-Reset (up to an
// hour: the primary window), else a minute (doubling, up to 15). After maxRetries the answer goes to go-github.
// A wait longer than the request context's budget (sspm.WaitBudget) is not made: the request fails with a
// *ratelimit.WaitError, which the lanes turn into a pause until the reset.
type retryTransport struct {
	base  http.RoundTripper
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu     sync.Mutex
	waited time.Duration
}

const (
	maxRetries = 4
	maxWait    = 15 * time.Minute
	// maxResetWait is the longest wait made in-process (the primary budget resets hourly); a longer one pauses
	// the lane until the reset.
	maxResetWait = time.Hour + time.Minute
)

func (t *retryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	backoff := time.Minute
	for attempt := 0; ; attempt++ {
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		wait, limited := t.limitWait(resp, backoff)
		if !limited || attempt >= maxRetries || (r.Body != nil && r.Body != http.NoBody && r.GetBody == nil) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		if remaining, ok := sspm.WaitBudget(r.Context()); wait > maxResetWait || (ok && wait > remaining) {
			// Longer than the step may wait (the primary budget resets hourly): the lane pauses until then. The
			// wait is never cut short: GitHub would refuse an early retry.
			return nil, &ratelimit.WaitError{Bucket: bucketOf(r), Until: t.now().Add(wait), Throttled: true}
		}
		if err := t.sleep(r.Context(), wait); err != nil {
			return nil, err
		}
		t.mu.Lock()
		t.waited += wait
		t.mu.Unlock()
		backoff *= 2
		if r.GetBody != nil {
			if r.Body, err = r.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

func (t *retryTransport) limitWait(resp *http.Response, backoff time.Duration) (time.Duration, bool) {
	h := resp.Header
	if resp.StatusCode != http.StatusTooManyRequests && !(resp.StatusCode == http.StatusForbidden &&
		(h.Get("Retry-After") != "" || h.Get("X-RateLimit-Remaining") == "0")) {
		return 0, false
	}
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(t.now())+time.Second, time.Second), true
		}
	}
	return min(backoff, maxWait), true
}

// waitMessage describes the rate-limit waits since the last call, for the run's progress.
func (c *client) waitMessage() string {
	var total time.Duration
	for _, w := range c.rl.TakeWaits() {
		total += w.Duration
	}
	c.retry.mu.Lock()
	total += c.retry.waited
	c.retry.waited = 0
	c.retry.mu.Unlock()
	var msg string
	if total > 0 {
		msg = fmt.Sprintf("waited %s for the GitHub rate limit", total.Round(time.Second))
	}
	if n := c.cache.takeErrors(); n > 0 {
		msg = join(msg, fmt.Sprintf("response cache: %d store errors (the requests went out unconditionally)", n))
	}
	return msg
}

// errUnreadable marks an answer that says the credential may not read the endpoint (403 or 404): the entity
// goes to the step's Unavailable list instead of failing the run.
var errUnreadable = errors.New("not readable with this credential")

// classify maps a go-github error: 403 (not a rate limit) and 404 → errUnreadable; a rate limit the transports
// did not wait out (beyond the step's budget, or a primary budget go-github knows is spent) → a
// *ratelimit.WaitError until the reset, which pauses the lane; everything else → a CodeUnavailable error that
// fails the step. The message carries the operation, never a token.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusForbidden, http.StatusNotFound:
			code := sspm.CodeForbidden // the run's error kind is "auth" when the endpoint is required
			if er.Response.StatusCode == http.StatusNotFound {
				code = sspm.CodeNotFound
			}
			return &sspm.Error{Code: code, Message: fmt.Sprintf("github %s (%d)", op, er.Response.StatusCode), Err: errUnreadable}
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if _, ok := sspm.AsWait(err); ok { // a rate-limit wait beyond the step's budget: the lane pauses, it is no failure
		return fmt.Errorf("github %s: %w", op, err)
	}
	var rle *gh.RateLimitError
	if errors.As(err, &rle) && rle.Rate.Reset.After(time.Now()) {
		// go-github refused (or was refused) for a spent primary budget: pause until its reset, as for a wait.
		bucket := "core"
		if rle.Response != nil && rle.Response.Request != nil {
			bucket = bucketOf(rle.Response.Request)
		}
		return fmt.Errorf("github %s: %w", op, &ratelimit.WaitError{Bucket: bucket, Until: rle.Rate.Reset.Add(time.Second), Throttled: true})
	}
	return &sspm.Error{Code: sspm.CodeUnavailable, Message: "github " + op, Err: err}
}
