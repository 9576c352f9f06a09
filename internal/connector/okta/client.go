package okta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The client is okta-sdk-golang v5 behind our transports:
//
//	SDK → tokenWatch (why the OAuth token endpoint refused)
//	    → rawhttp.Retrier (capture raw bodies; retry 5xx and broken connections on GETs)
//	    → ratelimit.Transport (pace to the configured share of each bucket; wait out 429s)
//	    → outbound: only the org's origin, the per-attempt timeout, and a dialer that refuses private addresses.
//
// Listings are read raw: the request carries a rawhttp.Capture in its context, the retrier keeps the body for
// us and hands the SDK an empty one, so the SDK's generated models (a few MB/s, and empty for discriminator
// values they do not know) never decode inventory pages. The SDK still builds every request, signs OAuth
// assertions, handles DPoP and reports errors.

type client struct {
	api   *okta.APIClient
	rl    *ratelimit.Transport
	org   *url.URL
	token *tokenState
}

// tokenState remembers why the OAuth token endpoint last refused the service app: the SDK reports only "Empty
// access token".
type tokenState struct {
	mu      sync.Mutex
	refusal string
}

func (t *tokenState) set(refusal string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refusal = refusal
}

func (t *tokenState) get() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refusal
}

// newClient builds the SDK client for a validated configuration. Every configuration field is set here, so
// nothing comes from ~/.okta/okta.yaml, a .okta.yaml next to the SDK or OKTA_* environment variables.
func newClient(s settings, secret []byte, opts Options, scopes []string) (*client, error) {
	base := opts.policy().Transport(s.org) // each attempt bounded by the policy's request timeout
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		base = outbound.Pin(opts.HTTPClient.Transport, s.org)
	}
	rl := &ratelimit.Transport{
		Base: base, Share: s.share, Bucket: bucketOf,
		Headers: ratelimit.EpochResetHeaders(opts.now), Now: opts.now, Sleep: opts.sleep,
	}
	token := &tokenState{}
	httpClient := &http.Client{
		Transport: &tokenWatch{next: &rawhttp.Retrier{Next: rl, Sleep: opts.sleep, Provider: "okta"}, token: token},
		// The API never redirects; a redirect is followed only on the org's host over https, and the transport
		// below the SDK's Authorization header sends nothing to another host whatever follows it.
		CheckRedirect: outbound.CheckRedirect,
	}
	cfg, err := okta.NewConfiguration(okta.WithOrgUrl(s.org.String()), okta.WithCache(false))
	if err != nil {
		return nil, fmt.Errorf("okta configuration: %w", err)
	}
	cfg.Okta = okta.Configuration{}.Okta // drop whatever the file or environment said
	c := &cfg.Okta.Client
	c.OrgUrl = s.org.String()
	c.Cache.Enabled = false                               // the cache would hide changes between pages and runs
	c.RequestTimeout = 0                                  // per attempt, in timeoutTransport: the SDK's would also cut rate-limit waits
	c.RateLimit.MaxRetries, c.RateLimit.MaxBackoff = 0, 0 // 429s are waited out in ratelimit.Transport
	switch s.Auth {
	case AuthAPIToken:
		c.AuthorizationMode, c.Token = "SSWS", strings.TrimSpace(string(secret))
	case AuthOAuth:
		c.AuthorizationMode, c.ClientId, c.PrivateKeyId = "PrivateKey", s.ClientID, s.KeyID
		c.Scopes, c.PrivateKey = scopes, string(bytes.TrimSpace(secret))
	}
	cfg.Okta.Testing.DisableHttpsCheck = opts.AllowLoopback
	cfg.HTTPClient = httpClient
	cfg.Host, cfg.Scheme = s.org.Host, s.org.Scheme // NewConfiguration keeps only the host name, without the port
	cfg.Debug, cfg.CacheManager, cfg.PrivateKeySigner = false, nil, nil
	cfg.DefaultHeader = map[string]string{}
	cfg.UserAgentExtra = "open-sspm"
	cfg.Context = context.Background() // NewConfiguration put the environment's token there
	return &client{api: okta.NewAPIClient(cfg), rl: rl, org: s.org, token: token}, nil
}

// bucketOf names a request's rate-limit bucket by its path pattern: object ids (Okta's ids mix letters and
// digits, e.g. 00u1a2b3c4D5e6F7g8h9) become {id}, so /api/v1/groups/00g…/users is one bucket.
func bucketOf(r *http.Request) string {
	parts := strings.Split(r.URL.Path, "/")
	for i, p := range parts {
		if i >= 4 && len(p) >= 8 && strings.ContainsAny(p, "0123456789") {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// waitMessage describes the rate-limit waits since the last call, for the run's progress.
func (c *client) waitMessage() string { return ratelimit.Describe(c.rl.TakeWaits()) }

// rawPage is one listing page read raw.
type rawPage struct {
	items [][]byte
	// next is the `after` token of the next page, "" on the last page.
	next string
}

// call runs one SDK request with a capture and returns the raw body of a successful response. The SDK sees an
// empty body and decodes nothing.
func (c *client) call(ctx context.Context, op string, do func(ctx context.Context) (*okta.APIResponse, error)) (body []byte, h http.Header, err error) {
	ctx, cp := rawhttp.WithCapture(ctx)
	defer func() {
		if p := recover(); p != nil { // a malformed response must not take the process down
			body, h, err = nil, nil, sspm.Errorf(sspm.CodeUnavailable, "okta %s: the SDK failed on the response: %v", op, p)
		}
	}()
	resp, err := do(ctx)
	var hr *http.Response
	if resp != nil {
		hr = resp.Response
	}
	if err != nil {
		if refusal := c.token.get(); hr == nil && refusal != "" && ctx.Err() == nil {
			return nil, nil, &rawhttp.StatusError{Err: sspm.Errorf(sspm.CodeUnauthorized, "okta %s: the OAuth token endpoint refused the service app: %s", op, refusal)}
		}
		return nil, nil, apiError(ctx, op, hr, cp, err)
	}
	if hr == nil || cp.Status < 200 || cp.Status > 299 {
		return nil, nil, sspm.Errorf(sspm.CodeUnavailable, "okta %s: no response body", op)
	}
	return cp.Body, hr.Header, nil
}

// list reads one listing page: the body must be a JSON array.
func (c *client) list(ctx context.Context, op string, do func(ctx context.Context) (*okta.APIResponse, error)) (rawPage, error) {
	p, _, err := c.listPage(ctx, op, do)
	if err != nil {
		return rawPage{}, err
	}
	if len(p.items) == 0 { // an empty page ends a listing, even if it links to another (a cursor that never ends)
		p.next = ""
	}
	return p, nil
}

// listPage reads one listing page and returns its next link whatever the page holds (the System Log's polling
// requests link an empty page to the next poll), with the response's headers.
func (c *client) listPage(ctx context.Context, op string, do func(ctx context.Context) (*okta.APIResponse, error)) (rawPage, http.Header, error) {
	body, h, err := c.call(ctx, op, do)
	if err != nil {
		return rawPage{}, nil, err
	}
	items, err := splitArray(body)
	if err != nil {
		return rawPage{}, nil, sspm.Errorf(sspm.CodeUnavailable, "okta %s: %v", op, err)
	}
	next, err := nextAfter(h)
	if err != nil {
		return rawPage{}, nil, sspm.Errorf(sspm.CodeUnavailable, "okta %s: %v", op, err)
	}
	return rawPage{items: items, next: next}, h, nil
}

// nextAfter returns the `after` parameter of the rel="next" Link, "" when there is none. It accepts one header
// line per relation (Okta) and comma-separated relations.
func nextAfter(h http.Header) (string, error) {
	for _, line := range h.Values("Link") {
		for _, link := range strings.Split(line, ",") {
			target, params, ok := strings.Cut(link, ";")
			if !ok || !strings.Contains(params, `rel="next"`) {
				continue
			}
			return afterOf(strings.Trim(strings.TrimSpace(target), "<>"))
		}
	}
	return "", nil
}

// afterOf returns the `after` cursor of a next-page link.
func afterOf(href string) (string, error) {
	u, err := url.Parse(href)
	if err != nil {
		return "", errors.New("malformed next link")
	}
	after := u.Query().Get("after")
	if after == "" {
		return "", errors.New("next link without an after cursor")
	}
	return after, nil
}

// apiError maps a failed call: 401 and 403 are CodeUnauthorized, 429 (after our waits), 5xx, timeouts and
// broken connections CodeUnavailable. Messages carry Okta's error code and summary, never a credential.
func apiError(ctx context.Context, op string, resp *http.Response, cp *rawhttp.Capture, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("okta %s: %w", op, context.Cause(ctx))
	}
	if cp != nil && cp.Wait != nil { // the lane pauses until the bucket resets
		return fmt.Errorf("okta %s: %w", op, cp.Wait)
	}
	if w, ok := sspm.AsWait(err); ok {
		return fmt.Errorf("okta %s: %w", op, w)
	}
	if resp == nil {
		return &rawhttp.StatusError{Err: &sspm.Error{Code: sspm.CodeUnavailable, Message: fmt.Sprintf("okta %s: %s", op, outbound.RedactURL(err))}}
	}
	status := resp.StatusCode
	detail := strconv.Itoa(status)
	if code, summary := oktaErrorBody(cp.Body); code != "" {
		detail += " " + code + " " + summary
	} else {
		detail += " " + http.StatusText(status)
	}
	code := sspm.CodeInternal
	switch {
	case status == http.StatusUnauthorized:
		code, detail = sspm.CodeUnauthorized, detail+" (check the API token or the service app's key)"
	case status == http.StatusForbidden:
		code, detail = sspm.CodeUnauthorized, detail+" (the token or app lacks a permission or scope)"
	case status == http.StatusTooManyRequests || status >= 500:
		code = sspm.CodeUnavailable
	case status == http.StatusNotFound:
		code = sspm.CodeNotFound
	}
	return &rawhttp.StatusError{Status: status, Err: &sspm.Error{Code: code, Message: fmt.Sprintf("okta %s: %s", op, detail)}}
}

// oktaErrorBody reads errorCode and errorSummary from an Okta error body.
func oktaErrorBody(b []byte) (code, summary string) {
	f, err := fields(b, "errorCode", "errorSummary")
	if err != nil {
		return "", ""
	}
	summary = str(f[1])
	if len(summary) > 200 {
		summary = summary[:200]
	}
	return str(f[0]), summary
}

// tokenWatch notes why the OAuth token endpoint refused a token request: the SDK reports only "Empty access
// token".
type tokenWatch struct {
	next  http.RoundTripper
	token *tokenState
}

func (t *tokenWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil && rawhttp.CaptureFrom(req.Context()) == nil && strings.HasSuffix(req.URL.Path, "/oauth2/v1/token") {
		t.noteToken(resp)
	}
	return resp, err
}

// noteToken records why the token endpoint refused a token request (OAuth error and description), or clears it.
func (t *tokenWatch) noteToken(resp *http.Response) {
	if resp.StatusCode < 400 {
		t.token.set("")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	f, err := fields(body, "error", "error_description")
	refusal := strconv.Itoa(resp.StatusCode)
	if err == nil && str(f[0]) != "" {
		desc := str(f[1])
		if len(desc) > 200 {
			desc = desc[:200]
		}
		refusal += " " + str(f[0]) + ": " + desc
	}
	t.token.set(refusal)
}
