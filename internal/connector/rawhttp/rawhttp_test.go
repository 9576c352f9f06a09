package rawhttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/outbound"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// answer is one scripted outcome of the transport below the retrier.
type answer struct {
	status int
	body   string
	// truncated makes reading the body fail after it.
	truncated bool
	err       error
}

// script answers requests in turn and counts them.
type script struct {
	answers []answer
	sent    int
}

func (s *script) RoundTrip(req *http.Request) (*http.Response, error) {
	a := s.answers[min(s.sent, len(s.answers)-1)]
	s.sent++
	if a.err != nil {
		return nil, a.err
	}
	var body io.Reader = strings.NewReader(a.body)
	if a.truncated {
		body = io.MultiReader(body, errReader{})
	}
	h := http.Header{}
	h.Set("X-Answer", a.body)
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(body), Request: req}, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// nonReplayable is a request body the transport cannot get again.
type nonReplayable struct{ io.Reader }

func (nonReplayable) Close() error { return nil }

func TestRetrier(t *testing.T) {
	wait := &sspm.WaitError{Bucket: "/api/v1/users", Until: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name    string
		method  string
		body    io.ReadCloser // request body; nil for none
		capture bool
		answers []answer
		maxBody int

		wantSent   int
		wantSleeps int
		wantErr    string // substring; "" for success
		wantStatus int    // of the response returned
		wantSDK    string // body the SDK reads
		wantCap    *rawhttp.Capture
		wantWait   bool // the capture carries the wait
	}{
		{
			name: "success captured, the SDK reads nothing", method: http.MethodGet, capture: true,
			answers:  []answer{{status: 200, body: `[{"id":"1"}]`}},
			wantSent: 1, wantStatus: 200, wantSDK: "",
			wantCap: &rawhttp.Capture{Status: 200, Body: []byte(`[{"id":"1"}]`)},
		},
		{
			name: "error answer captured and handed to the SDK too", method: http.MethodGet, capture: true,
			answers:  []answer{{status: 404, body: `{"errorCode":"E0000007"}`}},
			wantSent: 1, wantStatus: 404, wantSDK: `{"errorCode":"E0000007"}`,
			wantCap: &rawhttp.Capture{Status: 404, Body: []byte(`{"errorCode":"E0000007"}`)},
		},
		{
			name: "without a capture the body passes through", method: http.MethodGet,
			answers:  []answer{{status: 200, body: `{"ok":true}`}},
			wantSent: 1, wantStatus: 200, wantSDK: `{"ok":true}`,
		},
		{
			name: "GET 5xx retried until it succeeds", method: http.MethodGet, capture: true,
			answers:  []answer{{status: 503, body: "busy"}, {status: 500, body: "busy"}, {status: 200, body: "[]"}},
			wantSent: 3, wantSleeps: 2, wantStatus: 200,
			wantCap: &rawhttp.Capture{Status: 200, Body: []byte("[]")},
		},
		{
			name: "GET 5xx after the last retry is the answer", method: http.MethodGet, capture: true,
			answers:  []answer{{status: 502, body: "bad gateway"}},
			wantSent: 1 + rawhttp.GetRetries, wantSleeps: rawhttp.GetRetries, wantStatus: 502, wantSDK: "bad gateway",
			wantCap: &rawhttp.Capture{Status: 502, Body: []byte("bad gateway")},
		},
		{
			name: "POST 5xx not retried", method: http.MethodPost, body: http.NoBody, capture: true,
			answers:  []answer{{status: 500, body: "oops"}, {status: 200}},
			wantSent: 1, wantStatus: 500, wantSDK: "oops",
			wantCap: &rawhttp.Capture{Status: 500, Body: []byte("oops")},
		},
		{
			name: "broken connection retried", method: http.MethodGet, capture: true,
			answers:  []answer{{err: io.EOF}, {status: 200, body: "[]"}},
			wantSent: 2, wantSleeps: 1, wantStatus: 200,
			wantCap: &rawhttp.Capture{Status: 200, Body: []byte("[]")},
		},
		{
			name: "truncated body retried", method: http.MethodGet, capture: true,
			answers:  []answer{{status: 200, body: "[1,", truncated: true}, {status: 200, body: "[1]"}},
			wantSent: 2, wantSleeps: 1, wantStatus: 200,
			wantCap: &rawhttp.Capture{Status: 200, Body: []byte("[1]")},
		},
		{
			name: "broken connection after the retries: named, without io.EOF", method: http.MethodGet, capture: true,
			answers:  []answer{{err: io.EOF}},
			wantSent: 1 + rawhttp.GetRetries, wantSleeps: rawhttp.GetRetries, wantErr: "okta request failed: EOF",
			wantCap: &rawhttp.Capture{},
		},
		{
			name: "refused address not retried", method: http.MethodGet, capture: true,
			answers:  []answer{{err: outbound.ErrOtherHost}},
			wantSent: 1, wantErr: "okta request failed: refused",
			wantCap: &rawhttp.Capture{},
		},
		{
			name: "GET with a body that cannot be sent again not retried", method: http.MethodGet,
			body: nonReplayable{strings.NewReader("q")}, capture: true,
			answers:  []answer{{err: io.ErrUnexpectedEOF}, {status: 200}},
			wantSent: 1, wantErr: "okta request failed: unexpected EOF",
			wantCap: &rawhttp.Capture{},
		},
		{
			name: "rate-limit wait beyond the budget: no retry, the capture carries it", method: http.MethodGet, capture: true,
			answers:  []answer{{err: wait}},
			wantSent: 1, wantErr: "beyond this step's time budget", wantWait: true,
			wantCap: &rawhttp.Capture{Wait: wait},
		},
		{
			name: "body larger than the limit", method: http.MethodGet, capture: true, maxBody: 4,
			answers:  []answer{{status: 200, body: "12345"}},
			wantSent: 1, wantErr: "okta response larger than 4 bytes",
			wantCap: &rawhttp.Capture{},
		},
		{
			name: "body at the limit", method: http.MethodGet, capture: true, maxBody: 4,
			answers:  []answer{{status: 200, body: "1234"}},
			wantSent: 1, wantStatus: 200,
			wantCap: &rawhttp.Capture{Status: 200, Body: []byte("1234")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &script{answers: tt.answers}
			var sleeps []time.Duration
			r := &rawhttp.Retrier{Next: next, Provider: "okta", MaxBody: tt.maxBody,
				Sleep: func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }}
			ctx := context.Background()
			var cp *rawhttp.Capture
			if tt.capture {
				ctx, cp = rawhttp.WithCapture(ctx)
			}
			req, err := http.NewRequestWithContext(ctx, tt.method, "https://example.okta.com/api/v1/users", nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != nil {
				req.Body = tt.body
			}
			resp, err := r.RoundTrip(req)
			if next.sent != tt.wantSent {
				t.Errorf("sent %d requests, want %d", next.sent, tt.wantSent)
			}
			if len(sleeps) != tt.wantSleeps {
				t.Errorf("slept %v, want %d back-offs", sleeps, tt.wantSleeps)
			}
			for i, d := range sleeps { // 1s, 2s, … with up to half again of jitter
				base := time.Duration(1<<i) * time.Second
				if d < base || d >= base+base/2 {
					t.Errorf("back-off %d is %s, want within [%s, %s)", i, d, base, base+base/2)
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				if errors.Is(err, io.EOF) {
					t.Errorf("err %v wraps io.EOF, which an SDK retries without end", err)
				}
				if _, ok := sspm.AsWait(err); ok != tt.wantWait {
					t.Errorf("err %v is a wait: %v, want %v", err, ok, tt.wantWait)
				}
			} else {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				if resp.StatusCode != tt.wantStatus {
					t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				sdk, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if string(sdk) != tt.wantSDK || (tt.capture && resp.ContentLength != int64(len(tt.wantSDK))) {
					t.Errorf("the SDK reads %q (length %d), want %q", sdk, resp.ContentLength, tt.wantSDK)
				}
			}
			if !tt.capture {
				return
			}
			if cp.Status != tt.wantCap.Status || string(cp.Body) != string(tt.wantCap.Body) || cp.Wait != tt.wantCap.Wait {
				t.Errorf("capture {%d %q %v}, want {%d %q %v}", cp.Status, cp.Body, cp.Wait, tt.wantCap.Status, tt.wantCap.Body, tt.wantCap.Wait)
			}
			if tt.wantCap.Status != 0 && cp.Header.Get("X-Answer") != string(tt.wantCap.Body) {
				t.Errorf("captured headers %v, want the answer's", cp.Header)
			}
		})
	}
}

func TestRetrierStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	next := &script{answers: []answer{{status: 503}}}
	r := &rawhttp.Retrier{Next: next, Provider: "datadog", Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.datadoghq.com/api/v2/users", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if next.sent != 1 {
		t.Errorf("sent %d requests after the context ended, want 1", next.sent)
	}
}

func TestStatusOf(t *testing.T) {
	forbidden := &rawhttp.StatusError{Status: http.StatusForbidden, Err: sspm.Errorf(sspm.CodeUnauthorized, "okta list users: 403")}
	tests := []struct {
		name          string
		err           error
		wantStatus    int
		wantForbidden bool
	}{
		{"nil", nil, 0, false},
		{"plain error", errors.New("boom"), 0, false},
		{"no answer", &rawhttp.StatusError{Err: errors.New("no answer")}, 0, false},
		{"403", forbidden, 403, true},
		{"wrapped 404", fmt.Errorf("step: %w", &rawhttp.StatusError{Status: 404, Err: errors.New("gone")}), 404, false},
		{"wrapped 403", fmt.Errorf("step: %w", forbidden), 403, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rawhttp.StatusOf(tt.err); got != tt.wantStatus {
				t.Errorf("StatusOf = %d, want %d", got, tt.wantStatus)
			}
			if got := rawhttp.Forbidden(tt.err); got != tt.wantForbidden {
				t.Errorf("Forbidden = %v, want %v", got, tt.wantForbidden)
			}
		})
	}
	if sspm.ErrorCode(forbidden) != sspm.CodeUnauthorized || forbidden.Error() != "okta list users: 403" {
		t.Errorf("StatusError hides its domain error: %q, code %v", forbidden.Error(), sspm.ErrorCode(forbidden))
	}
}
