package githubsim

import (
	"net/http"
	"strings"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Stats counts the requests a server answered since it started or since the last ResetStats.
type Stats struct {
	Total int
	// ByRoute counts per route pattern, e.g. "GET /orgs/{org}/teams".
	ByRoute  map[string]int
	ByStatus map[int]int
	// NotModified counts 304 answers; RateLimited 403/429 rate-limit answers; Faulted answers faults made.
	NotModified int
	RateLimited int
	Faulted     int
}

type statsRecorder struct{ simhttp.Recorder[Stats] }

func (sr *statsRecorder) record(route string, status int, faulted bool) {
	sr.Update(func(s *Stats) {
		s.Total++
		simhttp.Count(&s.ByRoute, route)
		simhttp.Count(&s.ByStatus, status)
		switch status {
		case http.StatusNotModified:
			s.NotModified++
		case http.StatusTooManyRequests:
			s.RateLimited++
		}
		if faulted {
			s.Faulted++
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

// MinimumRequests is the fewest requests a full read of the organization needs at perPage items a page (1-100),
// by route: every listing page (members, owners, outside collaborators, teams with their repositories,
// repositories with their direct collaborators and deploy keys, installations, PATs, PAT requests; at least one
// request each), the organization itself, and the GraphQL requests: the external identities (perPage a page),
// the emails of the users they leave without one (a hundred users a request) and each team's immediate members
// (perPage a page).
func (s *Server) MinimumRequests(perPage int) map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	per := min(max(perPage, 1), 100)
	pages := func(n, size int) int { return max(1, (n+size-1)/size) }
	o := s.org
	var members, admins, outside, identities, rest int
	for _, u := range o.users {
		switch {
		case u.Outside:
			outside++
		case u.Admin:
			admins++
		}
		if !u.Outside {
			members++
		}
		if u.NameID != "" || u.SCIMEmail != "" {
			identities++
		}
		if !strings.Contains(u.NameID, "@") && u.SCIMEmail == "" {
			rest++
		}
	}
	m := map[string]int{
		"GET /orgs/{org}":                                1,
		"GET /orgs/{org}/members":                        pages(members, per) + pages(admins, per),
		"GET /orgs/{org}/outside_collaborators":          pages(outside, per),
		"GET /orgs/{org}/teams":                          pages(len(o.teams), per),
		"GET /orgs/{org}/repos":                          pages(len(o.repos), per),
		"GET /orgs/{org}/installations":                  pages(len(o.installs), per),
		"GET /orgs/{org}/personal-access-tokens":         0,
		"GET /orgs/{org}/personal-access-token-requests": 0,
		"POST /graphql":                                  pages(identities, per),
	}
	if rest > 0 {
		m["POST /graphql"] += (rest + 99) / 100
	}
	var granted, requested int
	for _, p := range o.pats {
		if p.Request {
			requested++
		} else {
			granted++
		}
	}
	m["GET /orgs/{org}/personal-access-tokens"] = pages(granted, per)
	m["GET /orgs/{org}/personal-access-token-requests"] = pages(requested, per)
	for _, t := range o.teams {
		m["POST /graphql"] += pages(len(t.Members), per) // the team's immediate members, with their role
		m["GET /orgs/{org}/teams/{team_slug}/repos"] += pages(len(t.Repos), per)
	}
	for _, r := range o.repos {
		m["GET /repos/{owner}/{repo}/collaborators"] += pages(len(r.Collabs), per)
		m["GET /repos/{owner}/{repo}/keys"] += pages(len(r.Keys), per)
	}
	return m
}
