package oktasim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// retention is how long the System Log keeps events.
const retention = 90 * 24 * time.Hour

// systemLog holds events in persistence order and in (published, seq) order.
type systemLog struct {
	events []*logEvent // ascending seq; stored times ascending
	byTime []*logEvent // ascending (published, seq)
}

func (l *systemLog) append(e *logEvent) {
	e.seq = int64(len(l.events) + 1)
	l.events = append(l.events, e)
	i := sort.Search(len(l.byTime), func(i int) bool { return !timeSeqLess(l.byTime[i], e) })
	l.byTime = append(l.byTime, nil)
	copy(l.byTime[i+1:], l.byTime[i:])
	l.byTime[i] = e
}

func timeSeqLess(a, b *logEvent) bool {
	if !a.published.Equal(b.published) {
		return a.published.Before(b.published)
	}
	return a.seq < b.seq
}

// logQuery is a parsed System Log request.
type logQuery struct {
	since, until time.Time
	descending   bool
	bounded      bool // until given, or descending: ordered by published, finite
	limit        int
	filter       expr
	keyword      string
	afterSeq     int64     // polling cursor
	afterTime    time.Time // bounded cursor
	hasAfter     bool
}

// parseLogQuery reads since, until, after, limit, sortOrder, filter and q.
func (s *Server) parseLogQuery(r *http.Request, rq *request) (logQuery, string) {
	q := r.URL.Query()
	lq := logQuery{}
	var err error
	lq.limit = rq.limit
	switch strings.ToUpper(q.Get("sortOrder")) {
	case "", "ASCENDING":
	case "DESCENDING":
		lq.descending = true
	default:
		return lq, "sortOrder: must be ASCENDING or DESCENDING"
	}
	lq.until = rq.now
	if v := q.Get("until"); v != "" {
		if lq.until, err = parseTime(v); err != nil {
			return lq, "until: invalid date"
		}
		lq.bounded = true
	}
	lq.bounded = lq.bounded || lq.descending
	lq.since = lq.until.Add(-7 * 24 * time.Hour)
	if v := q.Get("since"); v != "" {
		if lq.since, err = parseTime(v); err != nil {
			return lq, "since: invalid date"
		}
	}
	if lq.filter, err = parseExpr(q.Get("filter")); err != nil {
		return lq, "filter: " + err.Error()
	}
	lq.keyword = strings.ToLower(q.Get("q"))
	if rq.after != "" {
		lq.hasAfter = true
		mode, rest := rq.after[:1], rq.after[1:]
		switch {
		case mode == "p" && !lq.bounded:
			lq.afterSeq, err = strconv.ParseInt(rest, 10, 64)
		case mode == "b" && lq.bounded:
			ns, seq, _ := strings.Cut(rest, ".")
			var n int64
			if n, err = strconv.ParseInt(ns, 10, 64); err == nil {
				lq.afterTime = time.Unix(0, n).UTC()
				lq.afterSeq, err = strconv.ParseInt(seq, 10, 64)
			}
		default:
			return lq, "after: cursor does not match the request"
		}
		if err != nil {
			return lq, "after: invalid cursor"
		}
	}
	return lq, ""
}

func (lq *logQuery) match(e *logEvent, oldest time.Time) bool {
	if e.published.Before(oldest) || !lq.filter.match(logAttr(e)) {
		return false
	}
	return lq.keyword == "" || strings.Contains(strings.ToLower(e.displayMessage+" "+e.eventType), lq.keyword)
}

// listLogs serves GET /api/v1/logs. A request without `until` in ascending
// order is a polling request: events in persistence order stored at or after
// `since`, and a `next` link on every page, even an empty one. A request
// with `until` (or sortOrder=DESCENDING) is bounded: events with since ≤
// published < until ordered by published, with `next` only while more remain.
// Events older than the 90-day retention are never returned.
func (s *Server) listLogs(w http.ResponseWriter, r *http.Request, rq *request) {
	lq, bad := s.parseLogQuery(r, rq)
	if bad != "" {
		s.writeError(w, http.StatusBadRequest, codeValidation, "Api validation failed: "+bad, bad)
		return
	}
	oldest := rq.now.Add(-retention)
	s.mu.Lock()
	s.storeDue() // what the lag held back is visible once stored, to every request
	s.mu.Unlock()
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next := func() string {
		s.mu.RLock()
		defer s.mu.RUnlock()
		if !lq.bounded {
			return s.pollLogs(jw, &lq, rq, oldest)
		}
		return s.boundedLogs(jw, &lq, rq, oldest)
	}()
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}

func (s *Server) pollLogs(jw *jsonw, lq *logQuery, rq *request, oldest time.Time) string {
	evs := s.log.events
	start := int(lq.afterSeq) // events[i].seq == i+1
	if !lq.hasAfter {
		start = sort.Search(len(evs), func(i int) bool { return !evs[i].stored.Before(lq.since) })
	}
	start = min(start, len(evs))
	last := int64(start)
	n := 0
	jw.beginArray()
	for _, e := range evs[start:] {
		if n == lq.limit {
			break
		}
		last = e.seq
		if lq.match(e, oldest) {
			writeLogEvent(jw, e, s.eventSeed)
			n++
		}
	}
	jw.endArray()
	return cursor{page: rq.page + 1, key: "p" + strconv.FormatInt(last, 10)}.encode()
}

func (s *Server) boundedLogs(jw *jsonw, lq *logQuery, rq *request, oldest time.Time) string {
	evs := s.log.byTime
	inRange := func(e *logEvent) bool { return !e.published.Before(lq.since) && e.published.Before(lq.until) }
	pivot := &logEvent{published: lq.afterTime, seq: lq.afterSeq}
	jw.beginArray()
	n, more := 0, false
	var last *logEvent
	visit := func(e *logEvent) bool {
		if !inRange(e) || !lq.match(e, oldest) {
			return true
		}
		if n == lq.limit {
			more = true
			return false
		}
		writeLogEvent(jw, e, s.eventSeed)
		last = e
		n++
		return true
	}
	if lq.descending {
		i := sort.Search(len(evs), func(i int) bool { return !evs[i].published.Before(lq.until) })
		if lq.hasAfter {
			i = sort.Search(len(evs), func(i int) bool { return !timeSeqLess(evs[i], pivot) })
		}
		for i--; i >= 0 && !evs[i].published.Before(lq.since); i-- {
			if !visit(evs[i]) {
				break
			}
		}
	} else {
		i := sort.Search(len(evs), func(i int) bool { return !evs[i].published.Before(lq.since) })
		if lq.hasAfter {
			i = sort.Search(len(evs), func(i int) bool { return timeSeqLess(pivot, evs[i]) })
		}
		for ; i < len(evs) && evs[i].published.Before(lq.until); i++ {
			if !visit(evs[i]) {
				break
			}
		}
	}
	jw.endArray()
	key := ""
	if last != nil {
		key = "b" + strconv.FormatInt(last.published.UnixNano(), 10) + "." + strconv.FormatInt(last.seq, 10)
	} else if rq.after != "" {
		key = rq.after
	} else {
		key = "b" + strconv.FormatInt(lq.since.UnixNano(), 10) + ".0"
	}
	return nextCursor(rq, more, key)
}
