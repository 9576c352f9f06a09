package ddsim

import (
	"net/http"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
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

type statsRecorder struct{ simhttp.Recorder[Stats] }

func (sr *statsRecorder) record(route string, status int) {
	sr.Update(func(s *Stats) {
		s.Total++
		simhttp.Count(&s.ByRoute, route)
		simhttp.Count(&s.ByStatus, status)
		switch status {
		case http.StatusTooManyRequests:
			s.RateLimited++
		case http.StatusForbidden:
			s.Forbidden++
		}
	})
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	return s.stats.Snapshot(func(out Stats) Stats {
		out.ByRoute, out.ByStatus = simhttp.CloneCounts(out.ByRoute), simhttp.CloneCounts(out.ByStatus)
		return out
	})
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.Reset(Stats{}) }
