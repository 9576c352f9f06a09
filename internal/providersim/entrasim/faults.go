package entrasim

import (
	"net/http"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Fault makes matching Graph requests fail. Zero fields match everything, so Fault{Status: 503} fails every
// Graph request.
type Fault struct {
	// Path matches a route pattern as registered ("/v1.0/groups/{id}/members") or a concrete request path;
	// empty matches every Graph route.
	Path string
	// Times is how many times the fault fires before it retires; 0 = forever.
	Times int
	// Status is answered with Graph's error body for it (403 Authorization_RequestDenied, 404
	// Request_ResourceNotFound, 429 TooManyRequests, 503 serviceNotAvailable, ...).
	Status int
	// RetryAfter is sent as Retry-After (seconds) with 429 and 503; 0 sends "0".
	RetryAfter int
	// Page, when > 0, matches only that page of a listing: 1 is the first request (no $skiptoken), 2 the
	// page its nextLink names, and so on.
	Page int
	// EmptyLastPage (with Status 0) gives a listing's last page an @odata.nextLink to one more page, which is
	// empty and has none: clients must follow links to the end, not stop at a short page.
	EmptyLastPage bool
}

type faultSet struct{ simhttp.Faults[Fault] }

func (fs *faultSet) add(f Fault) { fs.Add(f) }

func (fs *faultSet) clear() { fs.Clear() }

// match returns the first live fault with a status matching the request (page is the listing's page number)
// and counts it as fired.
func (fs *faultSet) match(pattern string, r *http.Request, page int) (Fault, bool) {
	return fs.First(func(f Fault) int { return f.Times },
		func(f Fault) bool {
			return f.Status != 0 && simhttp.RouteMatches(f.Path, pattern, r.URL.Path) && (f.Page <= 0 || f.Page == page)
		})
}

// emptyLast reports whether an EmptyLastPage fault matches the route.
func (fs *faultSet) emptyLast(pattern string, r *http.Request) bool {
	return len(fs.All(func(f Fault) int { return f.Times },
		func(f Fault) bool { return f.EmptyLastPage && simhttp.RouteMatches(f.Path, pattern, r.URL.Path) })) > 0
}
