package githubsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// reply is what a route handler answers; the middleware adds paging, rate-limit and ETag headers.
type reply struct {
	status int
	body   any
	link   string
}

func errReply(status int, msg string) reply {
	return reply{status: status, body: apiError{Message: msg, DocumentationURL: "https://docs.github.com/rest"}}
}

type apiError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
}

const secondaryDocs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

// handle registers a GET (or POST for graphql) route with the middleware: authentication, forbidden routes,
// faults, the primary budget, ETags and statistics.
func (s *Server) handle(method, pattern string, h func(r *http.Request) reply) {
	route := method + " " + pattern
	s.mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		status, faulted := s.serve(w, r, route, h)
		s.stats.record(route, status, faulted)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, route string, h func(*http.Request) reply) (int, bool) {
	if !s.authorized(r.Header.Get("Authorization")) && !s.appTokenValid(r.Header.Get("Authorization")) {
		return s.write(w, r, errReply(http.StatusUnauthorized, "Bad credentials"), false), false
	}
	if slices.Contains(s.opts.Forbidden, route) {
		return s.write(w, r, errReply(http.StatusForbidden, "Resource not accessible by personal access token"), true), false
	}
	faulted := false
	if f, ok := s.faults.match(route, r.URL.Path, pageOf(r)); ok {
		if !f.EmptyLastPage {
			return s.writeFault(w, r, f), true
		}
		r, faulted = r.WithContext(context.WithValue(r.Context(), emptyLastKey{}, true)), true
	}
	if !s.limit.available(s.clock()) {
		s.limit.headers(w.Header(), s.clock())
		w.Header().Set("X-RateLimit-Remaining", "0")
		return s.writeBody(w, http.StatusForbidden, apiError{Message: "API rate limit exceeded for user ID 1.",
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits"}), false
	}
	s.mu.RLock()
	rep := h(r)
	s.mu.RUnlock()
	return s.write(w, r, rep, true), faulted
}

// write answers rep; a GET whose ETag matches If-None-Match gets 304 without spending the budget.
func (s *Server) write(w http.ResponseWriter, r *http.Request, rep reply, count bool) int {
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	body, err := json.Marshal(rep.body)
	if err != nil {
		rep.status, body = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	now := s.clock()
	if rep.link != "" {
		w.Header().Set("Link", rep.link)
	}
	if rep.status == http.StatusOK && r.Method == http.MethodGet {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		w.Header().Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
			s.limit.headers(w.Header(), now)
			w.WriteHeader(http.StatusNotModified)
			return http.StatusNotModified
		}
	}
	if count {
		s.limit.spend(now)
	}
	s.limit.headers(w.Header(), now)
	return s.writeRaw(w, rep.status, body)
}

func (s *Server) writeBody(w http.ResponseWriter, status int, v any) int {
	body, _ := json.Marshal(v)
	return s.writeRaw(w, status, body)
}

func (s *Server) writeRaw(w http.ResponseWriter, status int, body []byte) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

func (s *Server) authorized(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "token ")
	}
	return ok && tok != "" && slices.Contains(s.opts.Tokens, tok)
}

func (s *Server) appTokenValid(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "token ")
	}
	return ok && strings.HasPrefix(tok, "ghs_") && s.apps.valid(tok, s.clock())
}

// limiter is the primary hourly budget. A zero budget is unlimited.
type limiter struct {
	mu      sync.Mutex
	budget  int
	used    int
	resetAt time.Time
}

func (l *limiter) roll(now time.Time) {
	if l.resetAt.IsZero() || !now.Before(l.resetAt) {
		l.used, l.resetAt = 0, now.Add(time.Hour).Truncate(time.Second)
	}
}

func (l *limiter) available(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	return l.budget == 0 || l.used < l.budget
}

func (l *limiter) spend(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	l.used++
}

func (l *limiter) headers(h http.Header, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	limit := l.budget
	if limit == 0 {
		limit = 5000
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, limit-l.used)))
	h.Set("X-RateLimit-Used", strconv.Itoa(l.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(l.resetAt.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// Used is how many requests the primary budget has counted in the current window.
func (s *Server) Used() int {
	s.limit.mu.Lock()
	defer s.limit.mu.Unlock()
	return s.limit.used
}

// page parses page and per_page (default 30, at most 100).
func pageOf(r *http.Request) int {
	p, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || p < 1 {
		return 1
	}
	return p
}

func perPage(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("per_page"))
	if err != nil || n < 1 {
		return 30
	}
	return min(n, 100)
}

// paginate returns the items of the requested page and the Link header: one header, relations separated by
// commas, as GitHub sends it.
func paginate[T any](r *http.Request, items []T) ([]T, string) {
	page, per := pageOf(r), perPage(r)
	last := max(1, (len(items)+per-1)/per)
	lo, hi := min((page-1)*per, len(items)), min(page*per, len(items))
	link := func(p int, rel string) string {
		u := *r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		u.RawQuery = q.Encode()
		scheme := "http://"
		if r.TLS != nil {
			scheme = "https://"
		}
		return "<" + scheme + r.Host + u.RequestURI() + `>; rel="` + rel + `"`
	}
	var rels []string
	switch {
	case page < last:
		rels = append(rels, link(page+1, "next"), link(last, "last"))
	case emptyLast(r) && hi > lo: // an EmptyLastPage fault: one more, empty page
		rels = append(rels, link(page+1, "next"), link(page+1, "last"))
	}
	if page > 1 {
		rels = append(rels, link(1, "first"), link(min(page-1, last), "prev"))
	}
	return items[lo:hi], strings.Join(rels, ", ")
}
