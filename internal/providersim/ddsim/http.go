package ddsim

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Rate-limit buckets, one per endpoint (X-RateLimit-Name).
const (
	BucketUsers              = "users_list"
	BucketRoles              = "roles_list"
	BucketRolePermissions    = "role_permissions_list"
	BucketRoleUsers          = "role_users_list"
	BucketPermissions        = "permissions_list"
	BucketAPIKeys            = "api_keys_list"
	BucketAppKeys            = "application_keys_list"
	BucketServiceAccountKeys = "service_account_application_keys_list"
	BucketAuditList          = "audit_logs_list"
	BucketAuditSearch        = "audit_logs_search"
)

// DefaultLimit is what X-RateLimit-Limit reports for an unmetered bucket; DefaultPeriod the window length.
const (
	DefaultLimit  = 1000
	DefaultPeriod = 60 * time.Second
)

// reply is what a route handler answers.
type reply struct {
	status int
	body   any
}

type errorBody struct {
	Errors []string `json:"errors"`
}

func errReply(status int, msg string) reply {
	return reply{status: status, body: errorBody{Errors: []string{msg}}}
}

// route describes one endpoint: its bucket and the permission its docs say it requires ("" for none).
type route struct {
	pattern, bucket, perm string
}

// handle registers a route behind the middleware: key check, permission check, faults, rate limit.
func (s *Server) handle(rt route, h func(r *http.Request) reply) {
	s.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
		rep := s.serve(w, r, rt, h)
		s.write(w, rt, rep)
		s.stats.record(rt.pattern, cmp.Or(rep.status, http.StatusOK))
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route, h func(*http.Request) reply) reply {
	now := s.clock()
	perms, ok := s.authenticate(r)
	if !ok {
		s.limit.headers(w.Header(), rt.bucket, now)
		return errReply(http.StatusForbidden, "Forbidden")
	}
	s.sawHost(r.Host)
	if rt.perm != "" && perms != nil && !slices.Contains(perms, rt.perm) {
		s.limit.headers(w.Header(), rt.bucket, now)
		return errReply(http.StatusForbidden, "Forbidden")
	}
	if !s.limit.take(w.Header(), rt.bucket, now) {
		return errReply(http.StatusTooManyRequests, "Too many requests")
	}
	if f, ok := s.faults.match(rt.pattern, r.URL.Path, pageOf(r)); ok {
		if f.EmptyLastPage {
			return s.locked(func() reply { return padded(h(withoutPaging(r)), r) })
		}
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set("X-RateLimit-Remaining", "0")
			if f.Reset > 0 {
				w.Header().Set("X-RateLimit-Reset", strconv.Itoa(int((f.Reset+time.Second-1)/time.Second)))
			}
		}
		return errReply(f.Status, faultText(f.Status))
	}
	return s.locked(func() reply { return h(r) })
}

// authenticate checks both key headers; it returns the application key's permissions (nil: all).
func (s *Server) authenticate(r *http.Request) ([]string, bool) {
	api, app := r.Header.Get("DD-API-KEY"), r.Header.Get("DD-APPLICATION-KEY")
	if api == "" || !slices.Contains(s.opts.APIKeys, api) || app == "" {
		return nil, false
	}
	perms, ok := s.opts.AppKeys[app]
	return perms, ok
}

func faultText(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Too many requests"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusBadRequest:
		return "Bad Request"
	}
	return "Internal Server Error"
}

func (s *Server) write(w http.ResponseWriter, rt route, rep reply) {
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	body, err := json.Marshal(rep.body)
	if err != nil {
		rep.status, body = http.StatusInternalServerError, []byte(`{"errors":["Internal Server Error"]}`)
	}
	if w.Header().Get("X-RateLimit-Name") == "" {
		s.limit.headers(w.Header(), rt.bucket, s.clock())
	} else if rep.status == http.StatusTooManyRequests && w.Header().Get("X-RateLimit-Remaining") != "0" {
		w.Header().Set("X-RateLimit-Remaining", "0")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
}

// limiter meters per-bucket budgets in fixed windows aligned to multiples of the period.
type limiter struct {
	mu      sync.Mutex
	limits  map[string]int
	period  time.Duration
	windows map[string]*window
}

type window struct {
	start time.Time
	used  int
}

func newLimiter(limits map[string]int, period time.Duration) *limiter {
	l := &limiter{limits: map[string]int{}, period: period, windows: map[string]*window{}}
	for k, v := range limits {
		l.limits[k] = v
	}
	return l
}

func (l *limiter) window(bucket string, now time.Time) *window {
	start := now.Truncate(l.period)
	w := l.windows[bucket]
	if w == nil || !w.start.Equal(start) {
		w = &window{start: start}
		l.windows[bucket] = w
	}
	return w
}

// take spends one request of bucket and sets the headers; false when the budget is spent (429).
func (l *limiter) take(h http.Header, bucket string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.window(bucket, now)
	limit := l.limits[bucket]
	ok := limit <= 0 || w.used < limit
	if ok {
		w.used++
	}
	l.set(h, bucket, w, now)
	return ok
}

// headers sets the headers without spending.
func (l *limiter) headers(h http.Header, bucket string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set(h, bucket, l.window(bucket, now), now)
}

func (l *limiter) set(h http.Header, bucket string, w *window, now time.Time) {
	limit := l.limits[bucket]
	remaining := 0
	if limit <= 0 {
		limit = DefaultLimit
		remaining = max(0, DefaultLimit-w.used)
	} else {
		remaining = max(0, limit-w.used)
	}
	// Reset: whole seconds until the window ends (Datadog sends seconds from now, not an epoch), at least 1.
	reset := int((w.start.Add(l.period).Sub(now) + time.Second - 1) / time.Second)
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Period", strconv.Itoa(int(l.period/time.Second)))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(max(1, reset)))
	h.Set("X-RateLimit-Name", bucket)
}

// SetRateLimits replaces the per-bucket budgets (counts already spent in the current windows stay).
func (s *Server) SetRateLimits(limits map[string]int) {
	s.limit.mu.Lock()
	defer s.limit.mu.Unlock()
	s.limit.limits = map[string]int{}
	for k, v := range limits {
		s.limit.limits[k] = v
	}
}

// Fault answers the requests it matches with Status and Datadog's error body. Zero fields match everything.
type Fault struct {
	// Path matches a route as registered ("GET /api/v2/users"), the pattern without its method
	// ("/api/v2/roles/{role_id}/users") or a concrete path ("/api/v2/roles/…/users").
	Path string
	// Page, when > 0, matches only that page of a page-number listing (1 is page[number]=0).
	Page int
	// Times is how many times the fault fires before it retires; 0 = forever.
	Times int
	// Status answered; 429 also sets X-RateLimit-Remaining: 0.
	Status int
	// Reset, with Status 429, is the wait X-RateLimit-Reset asks for (whole seconds, rounded up); 0 keeps the
	// window's reset.
	Reset time.Duration
	// EmptyLastPage answers a page-number listing normally except that every page is full: a short last page
	// is filled with items from the listing's start again, and one more full page of such repeats follows
	// before the empty page that ends it; meta.page's totals count the repeats. A client that stops on a short
	// page reads to the empty one, one that trusts the totals to the page of repeats, and either takes the repeats
	// once (Datadog's offset pages repeat items when the listing changes between requests). Status is not used.
	EmptyLastPage bool
}

type faultSet struct{ simhttp.Faults[Fault] }

func (fs *faultSet) add(f Fault) {
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	fs.Add(f)
}

func (fs *faultSet) match(pattern, path string, page int) (Fault, bool) {
	return fs.First(func(f Fault) int { return f.Times },
		func(f Fault) bool {
			return simhttp.RouteMatches(f.Path, pattern, path) && (f.Page == 0 || f.Page == page)
		})
}

// pageOf is the 1-based page a page-number listing request asks for (page[number] + 1).
func pageOf(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page[number]"))
	if err != nil || n < 0 {
		return 1
	}
	return n + 1
}

// withoutPaging returns r asking for the whole listing in one page (page[size] and page[number] removed and a
// size no listing reaches), for padded.
func withoutPaging(r *http.Request) *http.Request {
	q := r.URL.Query()
	q.Del("page[number]")
	q.Del("page[size]")
	r2 := r.Clone(context.WithValue(r.Context(), unpagedKey{}, true))
	r2.URL.RawQuery = q.Encode()
	return r2
}

type unpagedKey struct{}

// padded cuts the page r asks for out of whole, the listing answered in one page (see Fault.EmptyLastPage).
func padded(whole reply, r *http.Request) reply {
	body, ok := whole.body.(listBody)
	if !ok || whole.status >= 300 {
		return whole
	}
	size, number, bad := paging(r, 100)
	if bad != nil {
		return *bad
	}
	n := len(body.Data)
	pages := (n + size - 1) / size // data pages, the last one filled up
	length := 0                    // the padded listing: the filled pages and the page of repeats
	if n > 0 {
		length = (pages + 1) * size
	}
	out := listBody{Data: []resource{}, Included: body.Included,
		Meta: &map[string]any{"page": pageMeta{TotalCount: length, TotalFilteredCount: length}}}
	if n > 0 && number <= pages {
		for i := range size {
			out.Data = append(out.Data, body.Data[(number*size+i)%n])
		}
	}
	return reply{status: whole.status, body: out}
}

// AddFault installs a fault; ClearFaults removes them all.
func (s *Server) AddFault(f Fault) { s.faults.add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// paging reads page[size] (default 10, at most maxSize) and the 0-based page[number].
func paging(r *http.Request, maxSize int) (size, number int, bad *reply) {
	size, number = 10, 0
	if r.Context().Value(unpagedKey{}) != nil {
		return math.MaxInt32, 0, nil
	}
	q := r.URL.Query()
	if v := q.Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSize {
			rep := errReply(http.StatusBadRequest, "page[size] must be an integer between 1 and "+strconv.Itoa(maxSize))
			return 0, 0, &rep
		}
		size = n
	}
	if v := q.Get("page[number]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			rep := errReply(http.StatusBadRequest, "page[number] must be a non-negative integer")
			return 0, 0, &rep
		}
		number = n
	}
	return size, number, nil
}

// window returns the page of n items: [lo, hi).
func pageBounds(n, size, number int) (int, int) {
	lo := min(n, size*number)
	return lo, min(n, lo+size)
}

const timeLayout = "2006-01-02T15:04:05.000000+00:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func tsOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}
