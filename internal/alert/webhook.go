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
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/outbound"
)

// Headers of a webhook delivery. The signature is "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)),
// the timestamp Unix seconds: a receiver recomputes it with the shared secret and rejects old timestamps.
const (
	HeaderSignature = "X-OpenSSPM-Signature"
	HeaderTimestamp = "X-OpenSSPM-Timestamp"
	HeaderDelivery  = "X-OpenSSPM-Delivery" // the alert id: stable across retries
	HeaderEvent     = "X-OpenSSPM-Event"    // finding.opened, finding.reopened, finding.escalated
)

// Webhook POSTs each alert as JSON to a URL, signed with HMAC-SHA256 when it has a secret. One Notify is one
// attempt: network errors, 408, 429 (honouring Retry-After) and 5xx are worth retrying; other statuses are
// permanent failures. Neither the URL's path and query (they often hold a token) nor the secret are ever logged
// or put in errors.
type Webhook struct {
	URL    string
	Secret string
	Now    func() time.Time
	policy *outbound.Policy
}

// NewWebhook returns a webhook destination; the URL must be https (http only to a loopback address).
// Deliveries go through p (nil means outbound.Strict()): only to the URL's host, never redirected to another,
// so neither the body nor its signature reach a host the operator did not name.
func NewWebhook(rawURL, secret string, p *outbound.Policy) (*Webhook, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, fmt.Errorf("alert webhook: %w", err)
	}
	return &Webhook{URL: rawURL, Secret: secret, policy: orStrict(p)}, nil
}

func orStrict(p *outbound.Policy) *outbound.Policy {
	if p == nil {
		return outbound.Strict()
	}
	return p
}

// Name is "webhook" and the URL's host (never its path or query).
func (w *Webhook) Name() string { return "webhook " + hostOf(w.URL) }

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

// Notify makes one signed POST of a.
func (w *Webhook) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return Permanent(fmt.Errorf("encode alert: %w", err))
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	h := http.Header{}
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderDelivery, a.ID)
	h.Set(HeaderEvent, "finding."+a.Change)
	if w.Secret != "" {
		h.Set(HeaderSignature, Sign(w.Secret, ts, body))
	}
	return postJSON(ctx, w.policy, w.URL, body, h)
}

// postTimeout bounds one delivery attempt.
const postTimeout = 10 * time.Second

// postJSON makes one POST through p and classifies its failure: network errors, 408, 429 and 5xx may be
// retried (with the server's Retry-After), other non-2xx statuses are permanent, and so is a refusal of the
// outbound policy (a private address, a redirect to another host), which no retry changes. Errors never carry
// the URL.
func postJSON(ctx context.Context, p *outbound.Policy, rawURL string, body []byte, h http.Header) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Permanent(errors.New("build request: invalid URL"))
	}
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Permanent(errors.New("build request: invalid URL"))
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "open-sspm-alerts")
	resp, err := p.Client(u).Do(req)
	if err != nil {
		// *url.Error carries the full URL: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		err = fmt.Errorf("post to %s: %w", hostOf(rawURL), err)
		if outbound.IsRefusal(err) {
			return Permanent(err)
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	status := fmt.Errorf("%s answered status %d", hostOf(rawURL), resp.StatusCode)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return RetryAfter(status, parseRetryAfter(resp.Header.Get("Retry-After")))
	}
	return Permanent(status)
}

// hostOf returns a URL's host, never its path or query.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "(invalid URL)"
}
