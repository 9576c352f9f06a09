// Package rawhttp lets a connector read a provider SDK's responses raw. The SDK still builds every request,
// signs it and reports errors, but the request carries a Capture in its context: the Retrier, the transport
// right below the SDK, keeps the body of the response there and hands the SDK an empty one when it is a success,
// so the SDK's generated models never decode inventory pages and the connector decodes only the fields it keeps.
//
// The Retrier also retries idempotent requests after a 5xx, a broken connection or a truncated body, with
// jittered back-off, and never returns io.EOF (an SDK would retry that without end). Rate-limit waits are not
// its business: a *sspm.WaitError from the transport below ends the request at once and travels in the Capture,
// since SDKs flatten transport errors to their text.
package rawhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const (
	// DefaultMaxBody is the largest response body a Retrier reads when its MaxBody is 0.
	DefaultMaxBody = 64 << 20
	// GetRetries is how many times a GET is sent again after a 5xx, a broken connection or a truncated body.
	GetRetries = 2
	// drainLimit bounds what is read of a 5xx answer before it is retried, so its connection can be reused.
	drainLimit = 64 << 10
)

// Capture carries a raw response out of the SDK.
type Capture struct {
	Status int
	Body   []byte
	Header http.Header
	// Wait is the rate-limit wait beyond the step's budget that ended the request.
	Wait *sspm.WaitError
}

type captureKey struct{}

// WithCapture returns ctx carrying a new Capture, which a Retrier fills for the request made with ctx.
func WithCapture(ctx context.Context) (context.Context, *Capture) {
	c := &Capture{}
	return context.WithValue(ctx, captureKey{}, c), c
}

// CaptureFrom returns the Capture ctx carries, nil when there is none.
func CaptureFrom(ctx context.Context) *Capture {
	c, _ := ctx.Value(captureKey{}).(*Capture)
	return c
}

// Retrier is the transport below the SDK. Responses to requests without a Capture pass through untouched
// (after the retries).
type Retrier struct {
	Next http.RoundTripper
	// Sleep waits out a back-off; it returns early with ctx's error.
	Sleep func(ctx context.Context, d time.Duration) error
	// Provider names the provider in errors ("okta request failed: …").
	Provider string
	// MaxBody is the largest body read into a Capture; 0 means DefaultMaxBody.
	MaxBody int
}

func (t *Retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	cp := CaptureFrom(ctx)
	retries := 0
	if req.Method == http.MethodGet {
		retries = GetRetries
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.Next.RoundTrip(req)
		if err == nil && resp.StatusCode >= 500 && attempt < retries {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
			resp.Body.Close()
			if err := t.backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err == nil && cp != nil {
			var body []byte
			body, err = io.ReadAll(io.LimitReader(resp.Body, int64(t.maxBody())+1))
			resp.Body.Close()
			if err == nil && len(body) > t.maxBody() {
				return nil, fmt.Errorf("%s response larger than %s", t.Provider, sizeText(t.maxBody()))
			}
			if err == nil { // else a truncated body: retried below
				keep(resp, body, cp)
				return resp, nil
			}
		}
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if w, ok := sspm.AsWait(err); ok { // a rate-limit wait beyond the step's budget: no retry, the lane pauses
			if cp != nil {
				cp.Wait = w
			}
			return nil, err
		}
		if attempt >= retries || outbound.IsRefusal(err) || !replayable(req) {
			return nil, fmt.Errorf("%s request failed: %s", t.Provider, err.Error()) // not %w: keep io.EOF out of the chain
		}
		if err := t.backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

func (t *Retrier) maxBody() int {
	if t.MaxBody > 0 {
		return t.MaxBody
	}
	return DefaultMaxBody
}

// keep records resp and its body in cp and gives resp an empty body when it is a success, its body again
// otherwise (the SDK reports the error from it).
func keep(resp *http.Response, body []byte, cp *Capture) {
	cp.Status, cp.Body, cp.Header = resp.StatusCode, body, resp.Header
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		body = nil // the SDK decodes nothing
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
}

func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// replayable reports whether req can be sent again: it has no body, or one the transport can get anew.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func (t *Retrier) backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<attempt) * time.Second
	d += rand.N(d / 2)
	return t.Sleep(ctx, d)
}

// StatusError keeps the HTTP status of a failed call next to its domain error.
type StatusError struct {
	// Status is the answer's HTTP status, 0 when there was no answer.
	Status int
	Err    error
}

func (e *StatusError) Error() string { return e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of a failed call, 0 when there was no answer.
func StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// Forbidden reports a 403: the credential may not read the listing.
func Forbidden(err error) bool { return StatusOf(err) == http.StatusForbidden }
