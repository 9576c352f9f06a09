package googlesim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// errorItem is one entry of a Google API error's errors list.
type errorItem struct {
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	LocationType string `json:"locationType,omitempty"`
	Location     string `json:"location,omitempty"`
}

// apiError writes Google's JSON error body: {"error":{"code","message","errors":[{"domain","reason","message"}],
// "status"}}.
func apiError(w http.ResponseWriter, code int, status, msg string, items ...errorItem) {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg, "errors": items, "status": status}})
	writeJSON(w, code, body)
}

// Fault makes the server answer a route differently, N times (0: until cleared).
type Fault struct {
	// Path is the route pattern ("/admin/directory/v1/users") or a concrete path; empty matches every API route.
	Path string
	// Page, when > 0, matches only that page of a listing (1 is the first).
	Page int
	// Query, when set, matches only requests whose query has these parameters with these values
	// ("showDeleted=true": the deleted users listing).
	Query string
	// Times the fault fires; 0 means until cleared.
	Times int
	// Status answers with Google's error for it: 400, 401, 403 (Reason: forbidden, insufficientPermissions,
	// userRateLimitExceeded, rateLimitExceeded, quotaExceeded, domain_cannot_use_apis), 404, 429, 500, 503.
	Status int
	Reason string
	// RetryAfter, when > 0, is sent as Retry-After (seconds) with a 429 or 503.
	RetryAfter time.Duration
	// EmptyLastPage gives the listing's last page a nextPageToken to one more, empty, page.
	EmptyLastPage bool
}

func faultTimes(f Fault) int { return f.Times }

// fault returns the live fault for the request, if any; page is the listing page the request asks for.
func (s *Server) fault(pattern string, r *http.Request, page int, pred func(Fault) bool) (Fault, bool) {
	return s.faults.First(faultTimes, func(f Fault) bool {
		return simhttp.RouteMatches(f.Path, pattern, r.URL.Path) && (f.Page == 0 || f.Page == page) && queryMatches(f.Query, r.URL.Query()) && pred(f)
	})
}

// queryMatches reports whether the request's query q has every parameter of want (an encoded query).
func queryMatches(want string, q url.Values) bool {
	if want == "" {
		return true
	}
	w, err := url.ParseQuery(want)
	if err != nil {
		return false
	}
	for k, vs := range w {
		for _, v := range vs {
			if !slices.Contains(q[k], v) {
				return false
			}
		}
	}
	return true
}

// statusError answers a fault's status as Google does.
func statusError(w http.ResponseWriter, f Fault) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	switch f.Status {
	case http.StatusBadRequest:
		apiError(w, 400, "INVALID_ARGUMENT", "Invalid Input", errorItem{Domain: "global", Reason: "invalid", Message: "Invalid Input"})
	case http.StatusUnauthorized:
		apiError(w, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.",
			errorItem{Domain: "global", Reason: "authError", Message: "Invalid Credentials", LocationType: "header", Location: "Authorization"})
	case http.StatusForbidden:
		forbidden(w, f.Reason)
	case http.StatusNotFound:
		apiError(w, 404, "NOT_FOUND", "Resource Not Found", errorItem{Domain: "global", Reason: "notFound", Message: "Resource Not Found"})
	case http.StatusTooManyRequests:
		apiError(w, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.",
			errorItem{Domain: "global", Reason: "rateLimitExceeded", Message: "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'."})
	case http.StatusServiceUnavailable:
		apiError(w, 503, "UNAVAILABLE", "The service is currently unavailable.", errorItem{Domain: "global", Reason: "backendError", Message: "Backend Error"})
	default:
		apiError(w, f.Status, "INTERNAL", "Internal error encountered.", errorItem{Domain: "global", Reason: "internalError", Message: "Internal error encountered."})
	}
}

// forbidden answers 403 with the reason's message.
func forbidden(w http.ResponseWriter, reason string) {
	switch reason {
	case "userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded":
		msg := "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'."
		apiError(w, 403, "PERMISSION_DENIED", msg, errorItem{Domain: "usageLimits", Reason: reason, Message: msg})
	case "insufficientPermissions":
		apiError(w, 403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.",
			errorItem{Domain: "global", Reason: "insufficientPermissions", Message: "Insufficient Permission"})
	case "domain_cannot_use_apis":
		apiError(w, 403, "PERMISSION_DENIED", "Domain cannot use apis.", errorItem{Domain: "global", Reason: "domainCannotUseApis", Message: "Domain cannot use apis."})
	default:
		apiError(w, 403, "PERMISSION_DENIED", "Not Authorized to access this resource/api",
			errorItem{Domain: "global", Reason: "forbidden", Message: "Not Authorized to access this resource/api"})
	}
}

func badRequest(w http.ResponseWriter, msg string) {
	apiError(w, 400, "INVALID_ARGUMENT", msg, errorItem{Domain: "global", Reason: "invalid", Message: msg})
}

func notFound(w http.ResponseWriter, what string) {
	msg := "Resource Not Found: " + what
	apiError(w, 404, "NOT_FOUND", msg, errorItem{Domain: "global", Reason: "notFound", Message: msg})
}

// quota is a fixed one-minute window of queries.
type quota struct {
	mu     sync.Mutex
	limit  int
	window time.Time
	used   int
}

// admit counts a query; false when the minute's quota is spent.
func (q *quota) admit(now time.Time) bool {
	if q.limit <= 0 {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	w := now.Truncate(time.Minute)
	if !w.Equal(q.window) {
		q.window, q.used = w, 0
	}
	if q.used >= q.limit {
		return false
	}
	q.used++
	return true
}
