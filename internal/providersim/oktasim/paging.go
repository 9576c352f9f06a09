package oktasim

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// A cursor is the opaque `after` token of a listing: the page number it
// leads to (for page faults and endless cursors) and the sort key of the last
// item already returned.
type cursor struct {
	page int
	key  string
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(c.page) + ":" + c.key))
}

func decodeCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, errors.New("invalid after cursor")
	}
	p, key, ok := strings.Cut(string(raw), ":")
	n, err := strconv.Atoi(p)
	if !ok || err != nil || n < 2 {
		return cursor{}, errors.New("invalid after cursor")
	}
	return cursor{page: n, key: key}, nil
}

// limits are the page sizes of one listing: the default when `limit` is
// absent and the largest size served.
type limits struct{ def, max int }

// pageSize returns the page size a request asks for, capped by the
// listing's maximum and by the server's page cap for the route.
func (s *Server) pageSize(r *http.Request, rq *request) (int, error) {
	l := rq.route.lim
	n := l.def
	if v := r.URL.Query().Get("limit"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return 0, errors.New("limit must be a non-negative integer")
		}
		n = x
	}
	if n == 0 || (l.max > 0 && n > l.max) {
		n = l.max
	}
	if c := s.opts.PageCaps[rq.route.path]; c > 0 && n > c {
		n = c
	}
	return n, nil
}

// setLinks writes the `Link` headers of a listing page, one header line per
// relation as Okta sends them: rel="self" always, rel="next" when next is
// non-empty. Links are absolute, built from the request's host.
func setLinks(w http.ResponseWriter, r *http.Request, rq *request, next string) {
	h := w.Header()
	h.Add("Link", "<"+rq.base+r.URL.RequestURI()+`>; rel="self"`)
	if next == "" || rq.nextIn == NextInBody {
		return
	}
	h.Add("Link", "<"+nextURL(r, rq, next)+`>; rel="next"`)
}

// nextURL returns the absolute URL of the next page: the request's query
// with `after` replaced.
func nextURL(r *http.Request, rq *request, after string) string {
	q := r.URL.Query()
	q.Set("after", after)
	return rq.base + r.URL.Path + "?" + q.Encode()
}

// nextCursor returns the `after` token for the page after this one, given
// whether more items exist and the key of the last item returned. With an
// endless-cursor fault a token is returned even at the end; with an
// empty-last-page fault, at the end of a page that returned items.
func nextCursor(rq *request, more bool, lastKey string) string {
	if !more && !rq.endless && !(rq.emptyLast && lastKey != "") {
		return ""
	}
	if lastKey == "" {
		lastKey = rq.after
	}
	return cursor{page: rq.page + 1, key: lastKey}.encode()
}
