package oktasim

import (
	"net/http"
	"time"
)

// request is what the wrapper learned about a request before its handler
// runs.
type request struct {
	route *route
	// base is scheme://host of the request; absolute links start with it.
	base string
	now  time.Time
	// page is this request's page of a listing: 1 without `after`.
	page int
	// limit is the page size a listing's request asks for (pageSize), 0 on routes that are not listings.
	limit int
	// after is the sort key decoded from the `after` cursor ("" on page 1).
	after string
	// endless is set by an EndlessCursor fault, emptyLast by an EmptyLastPage
	// fault; nextIn by a NextLink fault.
	endless, emptyLast bool
	nextIn             string
}

// statusWriter records the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (sw *statusWriter) WriteHeader(status int) {
	if sw.status == 0 {
		sw.status = status
	}
	sw.ResponseWriter.WriteHeader(status)
}

func (sw *statusWriter) Write(p []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	return sw.ResponseWriter.Write(p)
}

func (sw *statusWriter) Flush() {
	if f, ok := sw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// serve wraps a route's handler with what every Okta response goes
// through: counting, the concurrency limit, the rate-limit bucket and its
// headers, authentication, the `after` cursor, faults, and a listing's `limit`.
func (s *Server) serve(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		sw := &statusWriter{ResponseWriter: w}
		faulted := false
		defer func() { s.stats.record(rt.pattern, r.URL.Path, rt.bucket, sw.status, faulted) }()
		h := w.Header()
		h.Set("X-Okta-Request-Id", s.ids.id(prefixRequest, s.reqSeq.Add(1)))
		h.Set("Content-Type", "application/json")
		rq := &request{route: rt, base: baseURL(r), now: now, page: 1}

		if n := s.opts.MaxConcurrent; n > 0 {
			inFlight := s.flight.Add(1)
			defer s.flight.Add(-1)
			if inFlight > int64(n) {
				setRateHeaders(h, 0, 0, now.Add(time.Second), now)
				s.writeError(sw, http.StatusTooManyRequests, codeRateLimit, "API call exceeded rate limit due to too many requests.")
				return
			}
		}
		limit, remaining, reset, ok := s.limiter.take(rt.bucket, now)
		setRateHeaders(h, limit, remaining, reset, now)
		if !ok {
			s.writeError(sw, http.StatusTooManyRequests, codeRateLimit, "API call exceeded rate limit due to too many requests.")
			return
		}
		if !rt.public {
			if status, summary := s.authorize(r, rt, now); status != 0 {
				code := codeInvalidToken
				if status == http.StatusForbidden {
					code = codeForbidden
				}
				s.writeError(sw, status, code, summary)
				return
			}
		}
		if a := r.URL.Query().Get("after"); a != "" {
			c, err := decodeCursor(a)
			if err != nil {
				s.writeError(sw, http.StatusBadRequest, codeValidation, "Api validation failed: after", "after: "+err.Error())
				return
			}
			rq.page, rq.after = c.page, c.key
		}
		f, hit := s.faults.match(rt, r, rq.page)
		faulted = hit
		if d := s.opts.Latency + f.Delay; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if f.Status == http.StatusTooManyRequests && f.Reset > 0 {
			setRateHeaders(h, limit, 0, now.Add(f.Reset), now)
		}
		if f.Status != 0 {
			code, summary := defaultError(f.Status)
			s.writeError(sw, f.Status, code, summary)
			return
		}
		rq.endless, rq.emptyLast, rq.nextIn = f.EndlessCursor, f.EmptyLastPage, f.NextLink
		if rt.lim != (limits{}) {
			n, err := s.pageSize(r, rq)
			if err != nil {
				s.writeError(sw, http.StatusBadRequest, codeValidation, "Api validation failed: limit", err.Error())
				return
			}
			rq.limit = n
		}
		var out http.ResponseWriter = sw
		if f.Truncate {
			out = &truncatingWriter{ResponseWriter: sw}
		}
		rt.h(out, r, rq)
	})
}

// baseURL returns scheme://host of the request.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
