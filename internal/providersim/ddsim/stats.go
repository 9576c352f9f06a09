package ddsim

import (
	"maps"
	"net/http"
	"sync"
)

// Stats counts the requests the server answered since it started or since the last ResetStats.
type Stats struct {
	Total int
	// ByRoute counts per route pattern, e.g. "GET /api/v2/users".
	ByRoute  map[string]int
	ByStatus map[int]int
	// RateLimited counts 429 answers (budget spent or a 429 fault); Forbidden 403 answers.
	RateLimited int
	Forbidden   int
}

type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

func (sr *statsRecorder) record(route string, status int) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if sr.s.ByRoute == nil {
		sr.s.ByRoute, sr.s.ByStatus = map[string]int{}, map[int]int{}
	}
	sr.s.Total++
	sr.s.ByRoute[route]++
	sr.s.ByStatus[status]++
	switch status {
	case http.StatusTooManyRequests:
		sr.s.RateLimited++
	case http.StatusForbidden:
		sr.s.Forbidden++
	}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := s.stats.s
	out.ByRoute, out.ByStatus = maps.Clone(out.ByRoute), maps.Clone(out.ByStatus)
	if out.ByRoute == nil {
		out.ByRoute, out.ByStatus = map[string]int{}, map[int]int{}
	}
	return out
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.s = Stats{}
}
