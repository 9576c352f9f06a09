package entrasim

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// throttleWindow is the period Graph's identity and access budgets are expressed over.
const throttleWindow = 10 * time.Second

// throttle is a resource-unit token bucket per app: Options.ResourceUnits per 10 seconds, refilled
// continuously. A request that costs more than the units left answers 429 with Retry-After (whole seconds
// until enough units are back) and spends nothing.
type throttle struct {
	budget float64 // units per window; 0: unlimited
	warn   bool    // send x-ms-throttle-limit-percentage from 80% use
	mu     sync.Mutex
	apps   map[string]*bucket
}

type bucket struct {
	units float64
	at    time.Time
}

func newThrottle(units int, warn bool) *throttle {
	return &throttle{budget: float64(units), warn: warn, apps: map[string]*bucket{}}
}

// admit spends cost units of app's bucket at now; false means a 429 and Retry-After were prepared on w.
func (t *throttle) admit(w http.ResponseWriter, app string, cost int, now time.Time) bool {
	w.Header().Set("x-ms-resource-unit", strconv.Itoa(cost))
	if t.budget <= 0 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.apps[app]
	if b == nil {
		b = &bucket{units: t.budget, at: now}
		t.apps[app] = b
	}
	if now.After(b.at) {
		b.units = math.Min(t.budget, b.units+t.budget*float64(now.Sub(b.at))/float64(throttleWindow))
		b.at = now
	}
	c := float64(cost)
	if b.units < c {
		wait := (c - b.units) / t.budget * throttleWindow.Seconds()
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait)))))
		return false
	}
	b.units -= c
	if used := 1 - b.units/t.budget; used >= 0.8 && t.warn {
		w.Header().Set("x-ms-throttle-limit-percentage", strconv.FormatFloat(used, 'f', 2, 64))
	}
	return true
}
