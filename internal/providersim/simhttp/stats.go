package simhttp

import (
	"maps"
	"sync"
)

// Recorder guards a simulator's request counters (its own Stats type). The zero value holds S's zero value.
type Recorder[S any] struct {
	mu sync.Mutex
	s  S
}

// Update changes the counters under the lock.
func (r *Recorder[S]) Update(f func(*S)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.s)
}

// Snapshot returns copy(counters), taken under the lock; copy must not keep references into the counters
// (clone their maps: CloneCounts).
func (r *Recorder[S]) Snapshot(copy func(S) S) S {
	r.mu.Lock()
	defer r.mu.Unlock()
	return copy(r.s)
}

// Reset replaces the counters with s.
func (r *Recorder[S]) Reset(s S) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = s
}

// CloneCounts returns a copy of m, an empty map when m is nil.
func CloneCounts[K comparable](m map[K]int) map[K]int {
	if m == nil {
		return map[K]int{}
	}
	return maps.Clone(m)
}

// Count adds one to m[k], making m when it is nil.
func Count[K comparable](m *map[K]int, k K) {
	if *m == nil {
		*m = map[K]int{}
	}
	(*m)[k]++
}
