package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Headers of a webhook delivery. The signature is "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)),
// the timestamp Unix seconds: a receiver recomputes it with the shared secret and rejects old timestamps.
const (
	HeaderSignature = "X-OpenSSPM-Signature"
	HeaderTimestamp = "X-OpenSSPM-Timestamp"
	HeaderDelivery  = "X-OpenSSPM-Delivery" // the alert id: stable across retries
	HeaderEvent     = "X-OpenSSPM-Event"    // finding.opened, finding.reopened, finding.escalated
)

// Webhook POSTs each alert as JSON to a URL, signed with HMAC-SHA256. Network errors, 408, 429 and 5xx are
// retried with exponential back-off and jitter (honouring Retry-After); other statuses fail at once. Neither the
// URL's path and query (they often hold a token) nor the secret are ever logged or put in errors.
type Webhook struct {
	URL    string
	Secret string
	// Client defaults to an http.Client with Timeout (per attempt; default 10 s).
	Client  *http.Client
	Timeout time.Duration
	// Attempts is the number of tries (default 5); Backoff the first wait, doubled each retry (default 1 s, at
	// most MaxBackoff, default 30 s).
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
	Now        func() time.Time
}

// NewWebhook returns a webhook destination; an empty URL is an error and a URL must be http or https.
func NewWebhook(rawURL, secret string) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("alert webhook: the URL must be an absolute http(s) URL")
	}
	return &Webhook{URL: rawURL, Secret: secret}, nil
}

// Name is "webhook" and the URL's host (never its path or query).
func (w *Webhook) Name() string {
	if u, err := url.Parse(w.URL); err == nil {
		return "webhook " + u.Host
	}
	return "webhook"
}

// Sign returns the signature header value of body at timestamp ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery's signature (for receivers and tests).
func Verify(secret, timestamp, signature string, body []byte) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature))
}

// errPermanent marks a failure not worth retrying.
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// Notify delivers a, retrying transient failures until Attempts are spent or ctx ends.
func (w *Webhook) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode alert: %w", err)
	}
	attempts, backoff, maxBackoff := w.Attempts, w.Backoff, w.MaxBackoff
	if attempts <= 0 {
		attempts = 5
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	if maxBackoff <= 0 {
		maxBackoff = 30 * time.Second
	}
	var last error
	for i := range attempts {
		wait, err := w.attempt(ctx, a, body)
		if err == nil {
			return nil
		}
		last = err
		var perm errPermanent
		if errors.As(err, &perm) || i == attempts-1 {
			break
		}
		if wait <= 0 {
			wait = min(backoff<<i, maxBackoff)
			wait = wait/2 + rand.N(wait/2+1) // jitter: half to the full back-off
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (last error: %v)", w.Name(), ctx.Err(), last)
		case <-t.C:
		}
	}
	return fmt.Errorf("%s: %w", w.Name(), last)
}

// attempt makes one POST; on a retryable failure it may return how long the server asked to wait.
func (w *Webhook) attempt(ctx context.Context, a Alert, body []byte) (time.Duration, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errPermanent{errors.New("build request: invalid webhook URL")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "open-sspm-alerts")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderDelivery, a.ID)
	req.Header.Set(HeaderEvent, "finding."+a.Change)
	if w.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	}
	resp, err := w.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, errPermanent{ctx.Err()}
		}
		// *url.Error carries the full URL: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return 0, nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("status %d", resp.StatusCode)
	}
	return 0, errPermanent{fmt.Errorf("status %d", resp.StatusCode)}
}

func (w *Webhook) client() *http.Client {
	if w.Client != nil {
		return w.Client
	}
	t := w.Timeout
	if t <= 0 {
		t = 10 * time.Second
	}
	return &http.Client{Timeout: t}
}
