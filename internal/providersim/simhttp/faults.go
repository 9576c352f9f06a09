package simhttp

import (
	"strings"
	"sync"
)

// Faults holds a simulator's installed faults (its own Fault type) and how often each fired. The zero value
// holds none; it is safe for concurrent use.
type Faults[F any] struct {
	mu     sync.Mutex
	faults []*faultState[F]
}

type faultState[F any] struct {
	f     F
	fired int
}

// Add installs a fault.
func (fs *Faults[F]) Add(f F) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = append(fs.faults, &faultState[F]{f: f})
}

// Clear removes every fault.
func (fs *Faults[F]) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = nil
}

// First returns the first live fault that matches and counts it as fired. A fault is live while times(f) is 0
// (forever) or it has fired fewer times than that.
func (fs *Faults[F]) First(times func(F) int, matches func(F) bool) (F, bool) {
	var out F
	hit := false
	fs.fire(times, matches, func(f F) bool { out, hit = f, true; return false })
	return out, hit
}

// All returns every live fault that matches, in the order installed, and counts each as fired.
func (fs *Faults[F]) All(times func(F) int, matches func(F) bool) []F {
	var out []F
	fs.fire(times, matches, func(f F) bool { out = append(out, f); return true })
	return out
}

func (fs *Faults[F]) fire(times func(F) int, matches func(F) bool, take func(F) bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, st := range fs.faults {
		if n := times(st.f); n > 0 && st.fired >= n {
			continue
		}
		if !matches(st.f) {
			continue
		}
		st.fired++
		if !take(st.f) {
			return
		}
	}
}

// RouteMatches reports whether a fault's Path selects a request: empty matches every route; else it names the
// route pattern as registered, the concrete request path, or (for patterns registered with a method, "GET
// /x/{id}") the pattern without its method.
func RouteMatches(want, pattern, path string) bool {
	return want == "" || want == pattern || want == path || strings.HasSuffix(pattern, " "+want)
}
