package oktasim

import "github.com/open-sspm/open-sspm/internal/providersim/simhttp"

// Stats counts the requests a server answered since it started or since the
// last ResetStats.
type Stats struct {
	// Total is every request, including rejected ones.
	Total int
	// ByRoute counts per route pattern, e.g. "GET /api/v1/groups/{groupId}/users".
	ByRoute map[string]int
	// ByPath counts per concrete request path (no query).
	ByPath map[string]int
	// ByBucket counts per rate-limit bucket (BucketUsers, ..., BucketOther), rejected requests included.
	ByBucket map[string]int
	// ByStatus counts per response status.
	ByStatus map[int]int
	// RateLimited is the number of 429 answers.
	RateLimited int
	// Faulted is the number of requests a fault matched.
	Faulted int
}

type statsRecorder struct{ simhttp.Recorder[Stats] }

func (sr *statsRecorder) record(route, path, bucket string, status int, faulted bool) {
	sr.Update(func(s *Stats) {
		s.Total++
		simhttp.Count(&s.ByRoute, route)
		simhttp.Count(&s.ByPath, path)
		simhttp.Count(&s.ByBucket, bucket)
		simhttp.Count(&s.ByStatus, status)
		if status == 429 {
			s.RateLimited++
		}
		if faulted {
			s.Faulted++
		}
	})
}

func (sr *statsRecorder) snapshot() Stats {
	return sr.Snapshot(func(out Stats) Stats {
		out.ByRoute, out.ByPath = simhttp.CloneCounts(out.ByRoute), simhttp.CloneCounts(out.ByPath)
		out.ByBucket, out.ByStatus = simhttp.CloneCounts(out.ByBucket), simhttp.CloneCounts(out.ByStatus)
		return out
	})
}

func (sr *statsRecorder) reset() {
	sr.Reset(Stats{ByRoute: map[string]int{}, ByPath: map[string]int{}, ByBucket: map[string]int{}, ByStatus: map[int]int{}})
}

// MinListingRequests returns, per route pattern, the fewest requests that
// list the whole inventory at the largest page sizes served (Okta's maximums
// lowered by Options.PageCaps): users as two listings (the default one and
// `status eq "DEPROVISIONED"`), every group's members, every app's users and
// groups. Compare with Stats().ByRoute to measure a connector's overhead.
func (s *Server) MinListingRequests() map[string]int {
	size := func(path string, max int) int {
		if c := s.opts.PageCaps[path]; c > 0 && c < max {
			return c
		}
		return max
	}
	pages := func(n, per int) int { return max(1, (n+per-1)/per) }
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	deprovisioned := 0
	for _, u := range o.users {
		if u.status == "DEPROVISIONED" {
			deprovisioned++
		}
	}
	perUser, perMember := size("/api/v1/users", 200), size("/api/v1/groups/{groupId}/users", 1000)
	perAppUser, perAppGroup := size("/api/v1/apps/{appId}/users", 500), size("/api/v1/apps/{appId}/groups", 200)
	out := map[string]int{
		"GET /api/v1/users":  pages(len(o.users)-deprovisioned, perUser) + pages(deprovisioned, perUser),
		"GET /api/v1/groups": pages(len(o.groups), size("/api/v1/groups", 10000)),
		"GET /api/v1/apps":   pages(len(o.apps), size("/api/v1/apps", 200)),
	}
	for _, g := range o.groups {
		out["GET /api/v1/groups/{groupId}/users"] += pages(len(g.members), perMember)
	}
	for _, a := range o.apps {
		out["GET /api/v1/apps/{appId}/users"] += pages(len(a.users), perAppUser)
		out["GET /api/v1/apps/{appId}/groups"] += pages(len(a.groups), perAppGroup)
	}
	return out
}
