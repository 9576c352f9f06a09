package oktasim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rate-limit buckets. Okta meters org-wide per-minute budgets per endpoint
// group; the simulator keeps one window per bucket.
const (
	// BucketUsers: list and create users (GET/POST /api/v1/users).
	BucketUsers = "users"
	// BucketUser: one user (GET /api/v1/users/{id}).
	BucketUser = "user"
	// BucketGroups: list groups (GET /api/v1/groups).
	BucketGroups = "groups"
	// BucketApps: list apps (GET /api/v1/apps).
	BucketApps = "apps"
	// BucketLogs: the System Log (GET /api/v1/logs).
	BucketLogs = "logs"
	// BucketToken: the OAuth token endpoint.
	BucketToken = "token"
	// BucketOther: every other /api/v1 endpoint.
	BucketOther = "other"
)

// unlimitedBudget is the X-Rate-Limit-Limit reported for unmetered buckets:
// large enough that no client paces against it.
const unlimitedBudget = 1_000_000

// WorkforceLimits returns Okta's published per-minute budgets of a Workforce
// org (list users 600, get user 2,000, list groups 500, list apps 100, System
// Log 120, everything else 1,200) scaled by share (1 = the whole budget, 0.5 =
// a token's default share); every bucket is at least 1.
func WorkforceLimits(share float64) map[string]int {
	base := map[string]int{
		BucketUsers: 600, BucketUser: 2000, BucketGroups: 500, BucketApps: 100,
		BucketLogs: 120, BucketOther: 1200,
	}
	out := make(map[string]int, len(base))
	for k, v := range base {
		out[k] = max(1, int(float64(v)*share))
	}
	return out
}

// limiter counts requests per bucket in one-minute windows that start with
// the first request after the previous window ended.
type limiter struct {
	mu      sync.Mutex
	limits  map[string]int
	windows map[string]*window
}

type window struct {
	start time.Time
	used  int
}

func newLimiter(limits map[string]int) *limiter {
	l := &limiter{windows: map[string]*window{}}
	l.set(limits)
	return l
}

// set replaces the per-bucket budgets; a missing or zero budget is unlimited.
func (l *limiter) set(limits map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limits = make(map[string]int, len(limits))
	for k, v := range limits {
		l.limits[k] = v
	}
}

// take spends one request of bucket at now. It returns the values of the
// rate-limit headers and whether the request is within budget.
func (l *limiter) take(bucket string, now time.Time) (limit, remaining int, reset time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[bucket]
	if w == nil || !now.Before(w.start.Add(time.Minute)) {
		w = &window{start: now}
		l.windows[bucket] = w
	}
	reset = w.start.Add(time.Minute)
	limit = l.limits[bucket]
	if limit <= 0 {
		w.used++
		return unlimitedBudget, max(0, unlimitedBudget-w.used), reset, true
	}
	if w.used >= limit {
		return limit, 0, reset, false
	}
	w.used++
	return limit, limit - w.used, reset, true
}

// setRateHeaders writes X-Rate-Limit-* and a Date header from the clock (the
// SDK computes its back-off as reset − Date + 1 s).
func setRateHeaders(h http.Header, limit, remaining int, reset, now time.Time) {
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	// Round up so that a client waiting until Reset is past the window.
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset.Add(time.Second-1).Unix(), 10))
}
