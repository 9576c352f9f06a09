package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// hourly answers like GitHub's primary limit: a budget of limit requests per hour from start; 429 beyond it.
type hourly struct {
	clk   *clock
	start time.Time
	limit int
	used  int
	calls int
}

func (p *hourly) RoundTrip(req *http.Request) (*http.Response, error) {
	now := p.clk.Now()
	p.calls++
	if !now.Before(p.start.Add(time.Hour)) {
		p.start, p.used = now, 0
	}
	status := http.StatusOK
	if p.used >= p.limit {
		status = http.StatusTooManyRequests
	} else {
		p.used++
	}
	h := http.Header{}
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(p.limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(p.limit-p.used))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(p.start.Add(time.Hour).Unix(), 10))
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody, Request: req}, nil
}

func get(t *testing.T, ctx context.Context, tr http.RoundTripper) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.github.com/orgs/acme/members", nil)
	return tr.RoundTrip(req)
}

// TestLongWaitBeyondTheBudgetReturnsWaitError: once the share of the hourly bucket is spent, a request whose
// pacing wait (until the reset, 50 minutes away) exceeds the 10 minutes left of the step's budget fails at once
// with a *WaitError naming the bucket and the reset, without being sent and without sleeping.
func TestLongWaitBeyondTheBudgetReturnsWaitError(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 10, 10, 0, 0, time.UTC)}
	p := &hourly{clk: clk, start: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), limit: 2}
	tr := &ratelimit.Transport{Base: p, Share: 1, Headers: ratelimit.EpochResetHeaders(clk.Now), Now: clk.Now, Sleep: clk.Sleep,
		Bucket: func(*http.Request) string { return "core" }, MaxWait: time.Hour + time.Minute}
	ctx := sspm.WithWaitBudget(context.Background(), clk.Now().Add(10*time.Minute), clk.Now)
	for i := range 2 {
		if resp, err := get(t, ctx, tr); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %v %v", i, resp, err)
		}
	}
	before := clk.Now()
	_, err := get(t, ctx, tr)
	var w *ratelimit.WaitError
	if !errors.As(err, &w) {
		t.Fatalf("err = %v; want a *ratelimit.WaitError", err)
	}
	if w.Bucket != "core" || !w.Until.Equal(time.Date(2026, 11, 26, 11, 0, 1, 0, time.UTC)) || w.Throttled {
		t.Errorf("wait error %+v; want bucket core until the reset plus the margin, planned", w)
	}
	if sspm.ErrorCode(err) != sspm.CodeRateLimited {
		t.Errorf("code %s, want %s", sspm.ErrorCode(err), sspm.CodeRateLimited)
	}
	if p.calls != 2 || !clk.Now().Equal(before) || len(tr.TakeWaits()) != 0 {
		t.Errorf("calls %d, clock moved %s: the request must be neither sent nor waited for", p.calls, clk.Now().Sub(before))
	}
	// Without a budget the same transport waits for the reset, as before.
	if resp, err := get(t, context.Background(), tr); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("without a budget: %v %v", resp, err)
	}
	if waited := clk.Now().Sub(before); waited != 50*time.Minute+time.Second {
		t.Errorf("waited %s without a budget, want 50m1s", waited)
	}
}

// TestShortWaitWithinTheBudgetSleeps: a wait that ends before the budget does is made in-process.
func TestShortWaitWithinTheBudgetSleeps(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 10, 59, 30, 0, time.UTC)}
	p := &hourly{clk: clk, start: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), limit: 1}
	tr := &ratelimit.Transport{Base: p, Share: 1, Headers: ratelimit.EpochResetHeaders(clk.Now), Now: clk.Now, Sleep: clk.Sleep}
	ctx := sspm.WithWaitBudget(context.Background(), clk.Now().Add(10*time.Minute), clk.Now)
	for i := range 2 {
		if resp, err := get(t, ctx, tr); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %v %v", i, resp, err)
		}
	}
	if waits := tr.TakeWaits(); len(waits) != 1 || waits[0].Duration != 31*time.Second || p.calls != 2 {
		t.Fatalf("waits %+v calls %d; want one 31s wait and both requests sent", waits, p.calls)
	}
}

// TestThrottledBeyondTheBudget: a 429 whose reset is beyond the budget is not retried: WaitError, throttled.
func TestThrottledBeyondTheBudget(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)}
	p := &hourly{clk: clk, start: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), limit: 3, used: 3} // another client spent it
	tr := &ratelimit.Transport{Base: p, Share: 1, Headers: ratelimit.EpochResetHeaders(clk.Now), Now: clk.Now, Sleep: clk.Sleep, MaxWait: time.Hour}
	ctx := sspm.WithWaitBudget(context.Background(), clk.Now().Add(5*time.Minute), clk.Now)
	_, err := get(t, ctx, tr)
	w, ok := sspm.AsWait(err)
	if !ok || !w.Throttled || !w.Until.Equal(time.Date(2026, 11, 26, 11, 0, 1, 0, time.UTC)) || p.calls != 1 {
		t.Fatalf("err %v (%+v), calls %d; want a throttled WaitError until the reset after one call", err, w, p.calls)
	}
}

// TestContextDeadlineBoundsTheWait: without an explicit budget the request context's deadline (less
// sspm.WaitMargin) bounds the wait.
func TestContextDeadlineBoundsTheWait(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 26, 10, 10, 0, 0, time.UTC)}
	p := &hourly{clk: clk, start: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), limit: 1, used: 1}
	tr := &ratelimit.Transport{Base: p, Share: 1, Headers: ratelimit.EpochResetHeaders(clk.Now), Now: clk.Now, Sleep: clk.Sleep}
	// The first answer teaches the transport the bucket is spent (and is itself a 429 beyond the deadline).
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := get(t, ctx, tr); !errors.As(err, new(*ratelimit.WaitError)) {
		t.Fatalf("err = %v; want a WaitError", err)
	}
	if rem, ok := sspm.WaitBudget(ctx); !ok || rem > time.Minute-sspm.WaitMargin {
		t.Errorf("WaitBudget = %s, %v", rem, ok)
	}
}
