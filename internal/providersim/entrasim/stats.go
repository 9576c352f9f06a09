package entrasim

import "github.com/open-sspm/open-sspm/internal/providersim/simhttp"

// Stats counts the Graph requests the server answered since it started or since the last ResetStats.
type Stats struct {
	// ByRoute counts requests per route pattern as registered ("/v1.0/groups/{id}/members"); delta routes
	// count under their plain form ("/v1.0/users/delta").
	ByRoute map[string]int
	// Units is the resource units the identity bucket admitted (Options.ResourceUnits; the reports bucket
	// counts requests apart), Throttled the requests answered 429 by either bucket.
	Units, Throttled int
}

type statsRecorder struct{ simhttp.Recorder[Stats] }

func (sr *statsRecorder) count(route string) {
	sr.Update(func(s *Stats) { simhttp.Count(&s.ByRoute, route) })
}

// spent counts a request the throttle admitted (units of the identity bucket) or refused.
func (sr *statsRecorder) spent(units int, throttled bool) {
	sr.Update(func(s *Stats) {
		s.Units += units
		if throttled {
			s.Throttled++
		}
	})
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	return s.stats.Snapshot(func(in Stats) Stats {
		return Stats{ByRoute: simhttp.CloneCounts(in.ByRoute), Units: in.Units, Throttled: in.Throttled}
	})
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.Reset(Stats{}) }
