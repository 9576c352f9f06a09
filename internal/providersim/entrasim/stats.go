package entrasim

import "github.com/open-sspm/open-sspm/internal/providersim/simhttp"

// Stats counts the Graph requests the server answered since it started or since the last ResetStats.
type Stats struct {
	// ByRoute counts requests per route pattern as registered ("/v1.0/groups/{id}/members"); delta routes
	// count under their plain form ("/v1.0/users/delta").
	ByRoute map[string]int
}

type statsRecorder struct{ simhttp.Recorder[Stats] }

func (sr *statsRecorder) count(route string) {
	sr.Update(func(s *Stats) { simhttp.Count(&s.ByRoute, route) })
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	return s.stats.Snapshot(func(in Stats) Stats {
		return Stats{ByRoute: simhttp.CloneCounts(in.ByRoute)}
	})
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.Reset(Stats{}) }
