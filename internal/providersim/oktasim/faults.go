package oktasim

import (
	"net/http"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Fault injects a failure into the requests it matches. Zero fields match
// everything, so Fault{Status: 500} fails every API request.
type Fault struct {
	// Path matches a route as registered ("/api/v1/users",
	// "/api/v1/groups/{groupId}/users") or a concrete request path
	// ("/api/v1/groups/00g.../users"); empty matches every route.
	Path string
	// Method matches the request method; empty matches any.
	Method string
	// Page, when > 0, matches only that page of a listing: page 1 is the
	// request without `after`, page 2 the first `next` link, and so on.
	Page int
	// Times is how many times the fault fires before it retires; 0 = forever.
	Times int

	// Status, when non-zero, answers with this status and Okta's error body
	// for it (500 E0000009, 403 E0000006, 404 E0000007, 401 E0000011, ...).
	Status int
	// Delay adds latency (real time) before the response; it ends early when
	// the client goes away.
	Delay time.Duration
	// Truncate sends the headers and half of the body, then drops the
	// connection: the client sees an unexpected EOF.
	Truncate bool
	// EndlessCursor makes listings always return a `next` link; past the
	// last page they return empty pages, each with a fresh cursor.
	EndlessCursor bool
	// EmptyLastPage gives a listing's last page a `next` link to one more
	// page, which is empty and has none (as Okta answers when the items end
	// exactly at a page boundary).
	EmptyLastPage bool
	// NextLink says where listing pages carry their `next` link: "" as the
	// route does (the Link header; the role-assignee listing: the body's
	// `_links.next`), NextInHeader or NextInBody (listings whose body is an
	// object).
	NextLink string
	// Reset, with Status 429, sends the rate-limit headers of a spent bucket
	// (X-Rate-Limit-Remaining 0) whose window resets this long after now.
	Reset time.Duration
}

// Where listings carry their next link (Fault.NextLink).
const (
	NextInHeader = "header"
	NextInBody   = "body"
)

// faultSet holds the installed faults and how often each fired.
type faultSet struct{ simhttp.Faults[Fault] }

func (fs *faultSet) add(f Fault) { fs.Add(f) }

func (fs *faultSet) clear() { fs.Clear() }

// match returns the combined effect of the faults matching the request and
// counts them as fired.
func (fs *faultSet) match(rt *route, r *http.Request, page int) (Fault, bool) {
	hits := fs.All(func(f Fault) int { return f.Times }, func(f Fault) bool {
		return simhttp.RouteMatches(f.Path, rt.path, r.URL.Path) &&
			(f.Method == "" || f.Method == r.Method) && (f.Page <= 0 || f.Page == page)
	})
	var out Fault
	for _, f := range hits {
		if f.Status != 0 {
			out.Status = f.Status
		}
		out.Delay += f.Delay
		out.Truncate = out.Truncate || f.Truncate
		out.EndlessCursor = out.EndlessCursor || f.EndlessCursor
		out.EmptyLastPage = out.EmptyLastPage || f.EmptyLastPage
		if f.NextLink != "" {
			out.NextLink = f.NextLink
		}
		if f.Reset > 0 {
			out.Reset = f.Reset
		}
	}
	return out, len(hits) > 0
}

// truncatingWriter forwards the headers and the first half of the body,
// then aborts the connection.
type truncatingWriter struct {
	http.ResponseWriter
	status int
}

func (t *truncatingWriter) WriteHeader(status int) { t.status = status }

func (t *truncatingWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.ResponseWriter.Header().Set("Content-Length", strconv.Itoa(len(p)))
	t.ResponseWriter.WriteHeader(t.status)
	_, _ = t.ResponseWriter.Write(p[:len(p)/2])
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	panic(http.ErrAbortHandler)
}
