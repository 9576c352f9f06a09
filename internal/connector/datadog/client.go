package datadog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadog"
	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The client is datadog-api-client-go v2 behind our transports:
//
//	SDK → rawhttp.Retrier (capture raw bodies; retry 5xx and broken connections on GETs)
//	    → ratelimit.Transport (pace to the configured share of each X-RateLimit-Name bucket; wait out 429s)
//	    → outbound: only the site's API origin, the per-attempt timeout, a dialer that refuses private addresses.
//
// The SDK builds every request (server index 1, {protocol}://{name}, so the site's host and the simulator's are
// reached the same way), sets the two key headers from the request context and reports errors. Listings are read
// raw (rawhttp): the retrier keeps the body of a successful answer for us and hands the SDK an empty one, so the SDK's
// models never decode inventory pages (they would allocate a map per unknown field); we decode only the fields we
// keep. The SDK's own retries are off: 429s are waited out (or pause the run) in ratelimit.Transport.

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
		Transport: &rawhttp.Retrier{Next: rl, Sleep: opts.sleep, Provider: "datadog"},
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
func (c *client) waitMessage() string { return ratelimit.Describe(c.rl.TakeWaits()) }

// call runs one SDK request and returns the raw body of a successful answer with its headers. op names the
// request in errors; perm is the permission the endpoint needs (named in a 403's error).
func (c *client) call(ctx context.Context, op, perm string, do func(ctx context.Context) (*http.Response, error)) (body []byte, h http.Header, err error) {
	ctx, cp := rawhttp.WithCapture(c.context(ctx))
	defer func() {
		if p := recover(); p != nil { // a malformed answer must not take the process down
			body, h, err = nil, nil, sspm.Errorf(sspm.CodeUnavailable, "datadog %s: the SDK failed on the answer: %v", op, p)
		}
	}()
	resp, err := do(ctx)
	if err == nil && resp != nil && cp.Status >= 200 && cp.Status <= 299 {
		return cp.Body, cp.Header, nil
	}
	return nil, nil, c.apiError(ctx, op, perm, resp, cp, err)
}

// apiError maps a failed call: 401 and 403 are CodeUnauthorized (naming the permission the endpoint needs), 429
// (after our waits), 5xx, timeouts and broken connections CodeUnavailable. Messages carry Datadog's error texts,
// never a key.
func (c *client) apiError(ctx context.Context, op, perm string, resp *http.Response, cp *rawhttp.Capture, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("datadog %s: %w", op, context.Cause(ctx))
	}
	if cp.Wait != nil { // the lane pauses until the bucket resets
		return fmt.Errorf("datadog %s: %w", op, cp.Wait)
	}
	if w, ok := sspm.AsWait(err); ok {
		return fmt.Errorf("datadog %s: %w", op, w)
	}
	status := cp.Status
	if status == 0 && resp != nil {
		status = resp.StatusCode
	}
	if status == 0 {
		msg := "no answer"
		if err != nil {
			msg = outbound.RedactURL(err)
		}
		return &rawhttp.StatusError{Err: &sspm.Error{Code: sspm.CodeUnavailable, Message: fmt.Sprintf("datadog %s: %s", op, msg)}}
	}
	detail := strconv.Itoa(status) + " " + cmpOr(errorsText(cp.Body), http.StatusText(status))
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
	return &rawhttp.StatusError{Status: status, Err: &sspm.Error{Code: code, Message: fmt.Sprintf("datadog %s: %s", op, detail)}}
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
