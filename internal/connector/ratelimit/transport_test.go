package ratelimit_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
)

// clock is a fake clock; sleeping advances it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

// provider answers with a per-minute window of limit requests, Okta's headers, and 429 beyond the limit.
type provider struct {
	clk     *clock
	limit   int
	start   time.Time
	used    int
	calls   int
	limited int
}

func (p *provider) RoundTrip(req *http.Request) (*http.Response, error) {
	now := p.clk.Now()
	p.calls++
	if p.start.IsZero() || !now.Before(p.start.Add(time.Minute)) {
		p.start, p.used = now, 0
	}
	h := http.Header{}
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(p.limit))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(p.start.Add(time.Minute).Unix(), 10))
	status := http.StatusOK
	if p.used >= p.limit {
		status = http.StatusTooManyRequests
		p.limited++
	} else {
		p.used++
	}
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(p.limit-p.used))
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody, Request: req}, nil
}

func TestPacingAndThrottling(t *testing.T) {
	tests := []struct {
		name         string
		share        float64
		limit        int
		requests     int
		wantLimited  int // 429s the provider answered
		wantWaits    int
		wantMinClock time.Duration
	}{
		{name: "half share waits after half the bucket", share: 0.5, limit: 10, requests: 12, wantWaits: 2, wantMinClock: 2 * time.Minute},
		{name: "full share never sees a 429", share: 1, limit: 5, requests: 11, wantWaits: 2, wantMinClock: 2 * time.Minute},
		{name: "under the share nothing waits", share: 0.5, limit: 100, requests: 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
			p := &provider{clk: clk, limit: tt.limit}
			tr := &ratelimit.Transport{Base: p, Share: tt.share, Headers: ratelimit.EpochResetHeaders(clk.Now), Now: clk.Now, Sleep: clk.Sleep}
			start := clk.Now()
			for i := 0; i < tt.requests; i++ {
				req, _ := http.NewRequest(http.MethodGet, "https://acme.okta.com/api/v1/users", nil)
				resp, err := tr.RoundTrip(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d: %v %v", i, resp, err)
				}
			}
			waits := tr.TakeWaits()
			if p.limited != tt.wantLimited || len(waits) < tt.wantWaits || clk.Now().Sub(start) < tt.wantMinClock {
				t.Fatalf("429s %d (want %d), waits %v (want %d), clock moved %v", p.limited, tt.wantLimited, waits, tt.wantWaits, clk.Now().Sub(start))
			}
			for _, w := range waits {
				if w.Bucket != "/api/v1/users" || w.Throttled {
					t.Errorf("wait %+v: want a planned wait on /api/v1/users", w)
				}
			}
		})
	}
}

func TestThrottledRequestIsRetriedAfterTheReset(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 10, 0, 30, 0, time.UTC)}
	p := &provider{clk: clk, limit: 2}
	p.start, p.used = clk.Now(), 2 // another client spent the bucket
	tr := &ratelimit.Transport{Base: p, Share: 1, Headers: ratelimit.EpochResetHeaders(clk.Now), Now: clk.Now, Sleep: clk.Sleep}
	req, _ := http.NewRequest(http.MethodGet, "https://acme.okta.com/api/v1/groups", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || p.limited != 1 || p.calls != 2 {
		t.Fatalf("resp %v err %v: 429s %d calls %d; want one 429 then success", resp, err, p.limited, p.calls)
	}
	waits := tr.TakeWaits()
	if len(waits) != 1 || !waits[0].Throttled || waits[0].Duration < time.Minute || waits[0].Duration > 62*time.Second {
		t.Fatalf("waits %+v; want one throttled wait of about the window", waits)
	}
	if len(tr.TakeWaits()) != 0 {
		t.Fatal("TakeWaits did not forget")
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	p := &provider{clk: clk, limit: 0}
	tr := &ratelimit.Transport{Base: p, Share: 1, MaxRetries: 2, Headers: ratelimit.EpochResetHeaders(clk.Now), Now: clk.Now, Sleep: clk.Sleep}
	req, _ := http.NewRequest(http.MethodGet, "https://acme.okta.com/api/v1/apps", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || p.calls != 3 {
		t.Fatalf("resp %v err %v calls %d; want the 429 back after 1+2 attempts", resp, err, p.calls)
	}
}
