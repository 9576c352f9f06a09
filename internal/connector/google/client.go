package google

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	admin "google.golang.org/api/admin/directory/v1"
	reports "google.golang.org/api/admin/reports/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Retry and pacing limits.
const (
	maxRetries = 5
	// maxInProcessWait is the longest wait slept in-process; a longer one pauses the run (*sspm.WaitError).
	maxInProcessWait = 2 * time.Minute
	// queriesPerMinute paces requests below the Admin SDK's default quota of 2,400 queries per minute per user.
	queriesPerMinute = 2400
)

// client holds the Directory and Reports services of one connector.
type client struct {
	dir      *admin.Service
	rep      *reports.Service
	retry    *retryTransport
	customer string
	subject  string
	clientID string
}

// newClient builds the services; signer makes the token requests' assertions over the client's own transport
// (which reaches only the API, the token endpoint and the extra origins: IAM Credentials and the keyless
// caller's token endpoints).
func newClient(s settings, email, clientID string, signer func(*http.Client) (asserter, error), o Options, extra ...*url.URL) (*client, error) {
	origins := append([]*url.URL{s.apiURL, s.tokenURL}, extra...)
	base := o.policy().Transport(origins...)
	if o.HTTPClient != nil && o.HTTPClient.Transport != nil {
		base = outbound.Pin(o.HTTPClient.Transport, origins...)
	}
	retry := &retryTransport{base: base, now: o.now, sleep: o.sleep, interval: time.Minute / queriesPerMinute}
	plain := &http.Client{Transport: retry, CheckRedirect: outbound.CheckRedirect}
	sign, err := signer(plain)
	if err != nil {
		return nil, err
	}
	ts := &jwtSource{email: email, subject: s.AdminEmail, tokenURL: s.tokenURL.String(), scopes: Scopes,
		signer: sign, hc: plain, now: o.now}
	hc := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: retry}, CheckRedirect: outbound.CheckRedirect}
	ctx := context.Background()
	dir, err := admin.NewService(ctx, option.WithEndpoint(s.apiURL.String()), option.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("google directory service: %w", err)
	}
	rep, err := reports.NewService(ctx, option.WithEndpoint(s.apiURL.String()), option.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("google reports service: %w", err)
	}
	return &client{dir: dir, rep: rep, retry: retry, customer: s.customer, subject: s.AdminEmail, clientID: clientID}, nil
}

// retryTransport paces requests and retries Google's quota and availability answers: 429, 503, and 403 with
// reason userRateLimitExceeded, rateLimitExceeded or quotaExceeded, after Retry-After when sent, else with
// exponential backoff (1 s, 2 s, 4 s, ...). A wait beyond the work's budget (or maxInProcessWait) is not made:
// the request fails with a *sspm.WaitError so that the run pauses.
type retryTransport struct {
	base     http.RoundTripper
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	interval time.Duration

	mu     sync.Mutex
	next   time.Time
	waited time.Duration
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if err := t.pace(req.Context()); err != nil {
			return nil, err
		}
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		wait, throttled := retryWait(resp, attempt)
		if !throttled || attempt >= maxRetries || (req.Body != nil && req.GetBody == nil) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close()
		if remaining, ok := sspm.WaitBudget(req.Context()); wait > maxInProcessWait || (ok && wait > remaining) {
			return nil, &sspm.WaitError{Bucket: "admin.googleapis.com", Until: t.now().Add(wait), Throttled: true}
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, fmt.Errorf("wait for the google quota: %w", err)
		}
		t.mu.Lock()
		t.waited += wait
		t.mu.Unlock()
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
	}
}

// pace keeps requests at least interval apart.
func (t *retryTransport) pace(ctx context.Context) error {
	if t.interval <= 0 {
		return nil
	}
	t.mu.Lock()
	now := t.now()
	wait := t.next.Sub(now)
	if wait < 0 {
		wait = 0
	}
	t.next = now.Add(wait + t.interval)
	t.mu.Unlock()
	if wait == 0 {
		return nil
	}
	return t.sleep(ctx, wait)
}

// takeWaited returns the time spent waiting for quota since the last call.
func (t *retryTransport) takeWaited() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.waited
	t.waited = 0
	return w
}

// retryWait says whether an answer is a quota or availability answer to retry, and after how long.
func retryWait(resp *http.Response, attempt int) (time.Duration, bool) {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
	case http.StatusForbidden:
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		if !rateLimitReason(raw) {
			return 0, false
		}
	default:
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(resp.Header.Get("Retry-After")); err == nil {
		if d := time.Until(t); d > 0 {
			return d, true
		}
	}
	return time.Duration(1<<min(attempt, 6)) * time.Second, true
}

// rateLimitReason reports whether a 403 body names a quota reason.
func rateLimitReason(body []byte) bool {
	var e struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	for _, it := range e.Error.Errors {
		switch it.Reason {
		case "userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded":
			return true
		}
	}
	return false
}

// apiError maps an error of a Google call to a domain error that says what to fix.
func (c *client) apiError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, ok := sspm.AsWait(err); ok {
		return err
	}
	var own *sspm.Error // keyless signing says what to fix itself
	if errors.As(err, &own) {
		return &sspm.Error{Code: own.Code, Err: err, Message: "google " + op + ": " + own.Message}
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch {
		case re.ErrorCode == "unauthorized_client":
			return &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: fmt.Sprintf(
				"google %s: the service account (client id %s) is not authorised for domain-wide delegation of the connector's scopes: "+
					"in the Admin console → Security → API controls → Domain-wide delegation, add the client id with exactly these scopes: %s",
				op, orUnknown(c.clientID), strings.Join(Scopes, ","))}
		case re.ErrorCode == "invalid_grant" && strings.Contains(re.ErrorDescription, "Invalid email or User ID"):
			return &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: fmt.Sprintf(
				"google %s: admin_email %s is not an active user of the domain: set admin_email to a Workspace admin", op, c.subject)}
		case re.ErrorCode == "invalid_grant":
			return &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: fmt.Sprintf(
				"google %s: the token endpoint refused the service account key (%s): create a new key and enter it as the secret", op, re.ErrorDescription)}
		}
		return &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: "google " + op + ": the token endpoint refused the key: " + re.ErrorCode}
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		reason := ""
		if len(ge.Errors) > 0 {
			reason = ge.Errors[0].Reason
		}
		switch {
		case ge.Code == http.StatusUnauthorized:
			return &sspm.Error{Code: sspm.CodeUnauthorized, Err: err, Message: "google " + op + ": the access token was refused"}
		case ge.Code == http.StatusForbidden && reason == "insufficientPermissions":
			return &sspm.Error{Code: sspm.CodeForbidden, Err: err, Message: fmt.Sprintf(
				"google %s: a scope is missing: authorise the service account (client id %s) for %s under domain-wide delegation", op, orUnknown(c.clientID), strings.Join(Scopes, ","))}
		case ge.Code == http.StatusForbidden && !rateLimitReasonString(reason):
			return &sspm.Error{Code: sspm.CodeForbidden, Err: err, Message: fmt.Sprintf(
				"google %s: admin_email %s may not read this (%s): give it an admin role with the read privileges (Users, Groups, Admin roles, Reports)", op, c.subject, ge.Message)}
		case ge.Code == http.StatusNotFound:
			return &sspm.Error{Code: sspm.CodeNotFound, Err: err, Message: "google " + op + ": not found"}
		case ge.Code == http.StatusBadRequest:
			return &sspm.Error{Code: sspm.CodeUnavailable, Err: err, Message: "google " + op + ": bad request: " + ge.Message}
		}
		return &sspm.Error{Code: sspm.CodeUnavailable, Err: err, Message: fmt.Sprintf("google %s: %d %s", op, ge.Code, reason)}
	}
	return &sspm.Error{Code: sspm.CodeUnavailable, Err: err, Message: "google " + op}
}

func rateLimitReasonString(r string) bool {
	return r == "userRateLimitExceeded" || r == "rateLimitExceeded" || r == "quotaExceeded"
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// forbiddenErr reports whether err is a 403 that hides one listing (not an auth failure of the whole connector).
func forbiddenErr(err error) bool {
	var e *sspm.Error
	return errors.As(err, &e) && e.Code == sspm.CodeForbidden
}

func statusOf(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}
