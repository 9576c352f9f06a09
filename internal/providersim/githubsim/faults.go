package githubsim

import (
	"net/http"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Fault injects a failure into the requests it matches. Zero fields match everything.
type Fault struct {
	// Path matches a route as registered ("GET /orgs/{org}/teams/{team_slug}/members") or a concrete request
	// path ("/orgs/acme-sim/teams/eng/members"); empty matches every route.
	Path string
	// Page, when > 0, matches only that page of a listing.
	Page int
	// Times is how many times the fault fires before it retires; 0 = forever.
	Times int
	// Status answers with this status: 429 (a secondary limit, with Retry-After), 403 with Secondary (a
	// secondary limit as 403) or Primary (X-RateLimit-Remaining: 0), or any other status with GitHub's body.
	Status    int
	Secondary bool
	Primary   bool
	// RetryAfter is sent as Retry-After (secondary limits) or as the reset (primary); default 1s.
	RetryAfter time.Duration
	// EmptyLastPage answers normally, except that a listing's last page links to one more page, which is
	// empty and links to none (REST: a rel="next" Link; GraphQL: hasNextPage).
	EmptyLastPage bool
}

type faultSet struct{ simhttp.Faults[Fault] }

func (fs *faultSet) add(f Fault) { fs.Add(f) }

func (fs *faultSet) match(route, path string, page int) (Fault, bool) {
	return fs.First(func(f Fault) int { return f.Times }, func(f Fault) bool {
		return simhttp.RouteMatches(f.Path, route, path) && (f.Page <= 0 || f.Page == page)
	})
}

// AddFault installs a fault; ClearFaults removes them all.
func (s *Server) AddFault(f Fault) { s.faults.add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, f Fault) int {
	wait := f.RetryAfter
	if wait <= 0 {
		wait = time.Second
	}
	secs := strconv.Itoa(int((wait + time.Second - 1) / time.Second))
	now := s.clock()
	switch {
	case f.Status == http.StatusTooManyRequests || f.Status == http.StatusForbidden && f.Secondary:
		s.limit.headers(w.Header(), now)
		w.Header().Set("Retry-After", secs)
		return s.writeBody(w, f.Status, apiError{Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", DocumentationURL: secondaryDocs})
	case f.Status == http.StatusForbidden && f.Primary:
		s.limit.headers(w.Header(), now)
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(wait).Unix(), 10))
		return s.writeBody(w, f.Status, apiError{Message: "API rate limit exceeded for user ID 1.",
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"})
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	msg := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		msg = "Not Found"
	case http.StatusForbidden: // what GitHub answers a token without the permission
		msg = "Resource not accessible by personal access token"
	}
	_ = r
	return s.writeBody(w, status, apiError{Message: msg, DocumentationURL: "https://docs.github.com/rest"})
}

type emptyLastKey struct{}

// emptyLast reports whether an EmptyLastPage fault applies to the request.
func emptyLast(r *http.Request) bool { v, _ := r.Context().Value(emptyLastKey{}).(bool); return v }
