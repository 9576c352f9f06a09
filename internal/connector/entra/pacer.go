package entra

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Graph's identity and access limit is a token bucket of resource units per app and tenant, refilled over a
// 10-second window (3,500, 5,000 or 8,000 units by tenant size; the reports have their own, 5 requests per 10
// s). From 80% use every answer carries x-ms-throttle-limit-percentage, the fraction of the limit in use (0.8
// to 1.8). Whatever the bucket's size, it refills a tenth of itself a second, so the fraction says how long
// until the bucket is back to a given use: (used − target) × 10 s. The pacer waits, once an answer says
// paceFrom or more is used, until it is back to paceTo: the connector spends the bucket at its refill rate
// without being refused, keeps the last tenth or so for the app's other work (a pushed change's refresh, the
// other lanes), and never lets it fill up while the sync waits (refill beyond the bucket's size is lost, which a
// wait for the whole window would do). A 429 still happens when other work spent the bucket, or where Graph
// sends no percentage: ratelimit.Transport waits exactly its Retry-After.
const (
	paceFrom     = 0.9
	paceTo       = 0.8
	bucketWindow = 10 * time.Second
	// retryMargin is added to Retry-After (ratelimit.Transport's default is a second).
	retryMargin = 10 * time.Millisecond
)

// pacer is the http.RoundTripper that paces by x-ms-throttle-limit-percentage, per bucket (bucketOf).
type pacer struct {
	next  http.RoundTripper
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	until  map[string]time.Time // when each bucket is back to paceTo
	waited time.Duration
}

func (p *pacer) RoundTrip(req *http.Request) (*http.Response, error) {
	name := bucketOf(req)
	if err := p.pace(req.Context(), name); err != nil {
		return nil, err
	}
	resp, err := p.next.RoundTrip(req)
	if err == nil {
		p.observe(name, resp.Header)
	}
	return resp, err
}

// pace waits until the bucket is back to paceTo. A wait longer than what remains of the step's budget is not
// made: the request goes, and a 429 it may get pauses the run through ratelimit.Transport.
func (p *pacer) pace(ctx context.Context, name string) error {
	p.mu.Lock()
	wait := p.until[name].Sub(p.now())
	delete(p.until, name)
	p.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if remaining, ok := sspm.WaitBudget(ctx); ok && wait > remaining {
		return nil
	}
	if err := p.sleep(ctx, wait); err != nil {
		return err
	}
	p.mu.Lock()
	p.waited += wait
	p.mu.Unlock()
	return nil
}

func (p *pacer) observe(name string, h http.Header) {
	used, ok := limitUsed(h.Get("x-ms-throttle-limit-percentage"))
	if !ok || used < paceFrom {
		return
	}
	until := p.now().Add(time.Duration((used - paceTo) * float64(bucketWindow)))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.until == nil {
		p.until = map[string]time.Time{}
	}
	if until.After(p.until[name]) {
		p.until[name] = until
	}
}

// limitUsed parses x-ms-throttle-limit-percentage: a fraction of the limit (documented 0.8 to 1.8); a value
// above 2 is taken as a percentage ("85").
func limitUsed(v string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	if f > 2 {
		f /= 100
	}
	return min(f, 2), true
}

// takeWaited returns the time spent pacing since the last call.
func (p *pacer) takeWaited() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.waited
	p.waited = 0
	return w
}
