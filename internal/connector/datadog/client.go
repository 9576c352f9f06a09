package datadog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadog"
	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The client is datadog-api-client-go v2 behind our transports:
//
//	SDK → retrier (capture raw bodies; retry 5xx and broken connections on GETs)
//	    → ratelimit.Transport (pace to the configured share of each X-RateLimit-Name bucket; wait out 429s)
//	    → outbound: only the site's API origin, the per-attempt timeout, a dialer that refuses private addresses.
//
// The SDK builds every request (server index 1, {protocol}://{name}, so the site's host and the simulator's are
// reached the same way), sets the two key headers from the request context and reports errors. Listings are read
// raw: the retrier keeps the body of a successful answer for us and hands the SDK an empty one, so the SDK's
// models never decode inventory pages (they would allocate a map per unknown field); we decode only the fields we
// keep. The SDK's own retries are off: 429s are waited out (or pause the run) in ratelimit.Transport.

const (
	maxBody    = 64 << 20 // largest response body read
	getRetries = 2        // retries of a GET after a 5xx, a broken connection or a truncated body
)

type client struct {
	api   *datadog.APIClient
	users *datadogV2.UsersApi
	roles *datadogV2.RolesApi
	keys  *datadogV2.KeyManagementApi
	audit *datadogV2.AuditApi
	rl    *ratelimit.Transport
	s     settings
	// ctx carries the keys and the server variables into every call; keys never leave it.
	keys2 map[string]datadog.APIKey
}

// newClient builds the SDK client for a validated configuration and secret. Nothing comes from DD_* environment
// variables: the configuration and every request's context are built here.
func newClient(s settings, sec Secret, opts Options) *client {
	origin := s.base()
	base := opts.policy().Transport(origin) // each attempt bounded by the policy's request timeout
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		base = outbound.Pin(opts.HTTPClient.Transport, origin)
	}
	rl := &ratelimit.Transport{
		Base: base, Share: s.share, Bucket: bucketOf,
		Headers: ResetInHeaders, Now: opts.now, Sleep: opts.sleep,
	}
	cfg := datadog.NewConfiguration()
	cfg.HTTPClient = &http.Client{
		Transport: &retrier{next: rl, sleep: opts.sleep},
		// The API never redirects; a redirect is followed only to the site's origin (the transport below refuses
		// any other host, so the key headers go nowhere else).
		CheckRedirect: outbound.CheckRedirect,
	}
	cfg.RetryConfiguration.EnableRetry = false
	cfg.Debug = false
	cfg.Compress = true
	cfg.UserAgent = "open-sspm (datadog-api-client-go)"
	api := datadog.NewAPIClient(cfg)
	return &client{
		api: api, users: datadogV2.NewUsersApi(api), roles: datadogV2.NewRolesApi(api),
		keys: datadogV2.NewKeyManagementApi(api), audit: datadogV2.NewAuditApi(api), rl: rl, s: s,
		keys2: map[string]datadog.APIKey{"apiKeyAuth": {Key: sec.APIKey}, "appKeyAuth": {Key: sec.AppKey}},
	}
}

// context returns ctx with the SDK's server selection and keys.
func (c *client) context(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, datadog.ContextServerIndex, 1)
	ctx = context.WithValue(ctx, datadog.ContextServerVariables, map[string]string{"protocol": c.s.protocol, "name": c.s.host})
	return context.WithValue(ctx, datadog.ContextAPIKeys, c.keys2)
}

// ResetInHeaders parses Datadog's X-RateLimit-Limit, -Remaining and -Reset (seconds until the window ends, not an
// epoch).
func ResetInHeaders(h http.Header) (ratelimit.Budget, bool) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.Atoi(h.Get("X-RateLimit-Reset"))
	if err1 != nil || err2 != nil || err3 != nil || reset < 0 {
		return ratelimit.Budget{}, false
	}
	return ratelimit.Budget{Limit: limit, Remaining: remaining, ResetIn: time.Duration(reset) * time.Second}, true
}

// bucketOf names a request's rate-limit bucket by its path pattern (ids become {id}), as Datadog meters each
// endpoint: /api/v2/roles/{id}/users is one bucket.
func bucketOf(r *http.Request) string {
	parts := strings.Split(r.URL.Path, "/")
	for i, p := range parts {
		if i >= 4 && len(p) >= 8 && strings.ContainsAny(p, "0123456789") {
			parts[i] = "{id}"
		}
	}
	return r.Method + " " + strings.Join(parts, "/")
}

// waitMessage describes the rate-limit waits since the last call, for the run's progress.
func (c *client) waitMessage() string {
	waits := c.rl.TakeWaits()
	if len(waits) == 0 {
		return ""
	}
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
		d := total[b]
		if d >= time.Second {
			d = d.Round(time.Second)
		}
		msgs[i] = fmt.Sprintf("waited %s for the %s rate limit", d, b)
	}
	return strings.Join(msgs, "; ")
}

// capture carries a raw response out of the SDK.
type capture struct {
	status int
	body   []byte
	header http.Header
	// wait is the rate-limit wait beyond the step's budget that ended the request.
	wait *sspm.WaitError
}

type captureKey struct{}

// call runs one SDK request and returns the raw body of a successful answer with its headers. op names the
// request in errors; perm is the permission the endpoint needs (named in a 403's error).
func (c *client) call(ctx context.Context, op, perm string, do func(ctx context.Context) (*http.Response, error)) (body []byte, h http.Header, err error) {
	cp := &capture{}
	ctx = context.WithValue(c.context(ctx), captureKey{}, cp)
	defer func() {
		if p := recover(); p != nil { // a malformed answer must not take the process down
			body, h, err = nil, nil, sspm.Errorf(sspm.CodeUnavailable, "datadog %s: the SDK failed on the answer: %v", op, p)
		}
	}()
	resp, err := do(ctx)
	if err == nil && resp != nil && cp.status >= 200 && cp.status <= 299 {
		return cp.body, cp.header, nil
	}
	return nil, nil, c.apiError(ctx, op, perm, resp, cp, err)
}

// statusError keeps the HTTP status of a failed call next to its domain error.
type statusError struct {
	status int
	err    error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// statusOf returns the HTTP status of a failed call, 0 when there was no answer.
func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

// forbidden reports a 403: the keys may not read the listing.
func forbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

// apiError maps a failed call: 401 and 403 are CodeUnauthorized (naming the permission the endpoint needs), 429
// (after our waits), 5xx, timeouts and broken connections CodeUnavailable. Messages carry Datadog's error texts,
// never a key.
func (c *client) apiError(ctx context.Context, op, perm string, resp *http.Response, cp *capture, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("datadog %s: %w", op, context.Cause(ctx))
	}
	if cp.wait != nil { // the lane pauses until the bucket resets
		return fmt.Errorf("datadog %s: %w", op, cp.wait)
	}
	if w, ok := sspm.AsWait(err); ok {
		return fmt.Errorf("datadog %s: %w", op, w)
	}
	status := cp.status
	if status == 0 && resp != nil {
		status = resp.StatusCode
	}
	if status == 0 {
		msg := "no answer"
		if err != nil {
			msg = outbound.RedactURL(err)
		}
		return &statusError{err: &sspm.Error{Code: sspm.CodeUnavailable, Message: fmt.Sprintf("datadog %s: %s", op, msg)}}
	}
	detail := strconv.Itoa(status) + " " + cmpOr(errorsText(cp.body), http.StatusText(status))
	code := sspm.CodeInternal
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		code = sspm.CodeUnauthorized
		detail += fmt.Sprintf(" (the API key or the application key is not valid on %s, or the application key lacks %s)", c.s.host, perm)
	case status == http.StatusTooManyRequests || status >= 500:
		code = sspm.CodeUnavailable
	case status == http.StatusNotFound:
		code = sspm.CodeNotFound
	case status == http.StatusBadRequest:
		code = sspm.CodeInvalid
	}
	return &statusError{status: status, err: &sspm.Error{Code: code, Message: fmt.Sprintf("datadog %s: %s", op, detail)}}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// errorsText reads Datadog's {"errors": ["..."]} body.
func errorsText(b []byte) string {
	var e struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(b, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	msg := strings.Join(e.Errors, "; ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// retrier keeps captured bodies and retries idempotent requests after a 5xx, a broken connection or a
// truncated body, with jittered back-off.
type retrier struct {
	next  http.RoundTripper
	sleep func(ctx context.Context, d time.Duration) error
}

func (t *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	cp, _ := req.Context().Value(captureKey{}).(*capture)
	retries := 0
	if req.Method == http.MethodGet {
		retries = getRetries
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err == nil && resp.StatusCode >= 500 && attempt < retries {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if err := t.backoff(req.Context(), attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err == nil && cp != nil {
			var body []byte
			body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
			resp.Body.Close()
			if err == nil && len(body) > maxBody {
				return nil, fmt.Errorf("datadog answer larger than %d MiB", maxBody>>20)
			}
			if err == nil {
				cp.status, cp.body, cp.header = resp.StatusCode, body, resp.Header
				if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
					body = nil // the SDK decodes nothing
				}
				resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
				return resp, nil
			}
		}
		if err == nil {
			return resp, nil
		}
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		if w, ok := sspm.AsWait(err); ok { // a rate-limit wait beyond the step's budget: the lane pauses
			if cp != nil {
				cp.wait = w
			}
			return nil, err
		}
		if attempt >= retries || outbound.IsRefusal(err) || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
			return nil, fmt.Errorf("datadog request failed: %s", err.Error()) // not %w: keep io.EOF out of the chain
		}
		if err := t.backoff(req.Context(), attempt); err != nil {
			return nil, err
		}
	}
}

func (t *retrier) backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<attempt) * time.Second
	d += rand.N(d / 2)
	return t.sleep(ctx, d)
}
