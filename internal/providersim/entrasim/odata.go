package entrasim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// Page sizes: Graph's directory listings default to 100 objects a page and accept $top up to 999.
const (
	defaultPage = 100
	maxPage     = 999
	// deltaLifetime is how long Graph keeps the sync state behind a delta token of identity resources.
	deltaLifetime = 7 * 24 * time.Hour
)

// queryError is a 400 with Graph's code and message.
type queryError struct{ code, msg string }

func (e *queryError) Error() string { return e.msg }

// clause is one "property eq value" term of $filter.
type clause struct {
	prop  string
	op    string // "eq", or "ge", "gt", "le", "lt" on date-time properties
	value string // string literal unquoted, "true"/"false", or a date-time
}

// paging is a listing's default and maximum page size.
type paging struct{ def, max int }

// directoryPaging is Graph's paging of directory objects: 100 by default, $top up to 999.
var directoryPaging = paging{defaultPage, maxPage}

// query is the OData options of a listing.
type query struct {
	sel    []string // nil: the type's default properties
	filter []clause
	top    int
}

// parseQuery reads $select, $filter and $top for a listing of the resource kind (entity names the type in
// messages: "User", "Group"); props are the properties $select and $filter may name, filterable those $filter
// may compare.
func (s *Server) parseQuery(v url.Values, entity string, props map[string]bool, filterable map[string]bool, pg paging, ranged map[string]bool) (query, error) {
	var q query
	if sel := v.Get("$select"); sel != "" {
		for _, p := range strings.Split(sel, ",") {
			p = strings.TrimSpace(p)
			if !props[p] {
				return q, &queryError{codeBadRequest, "Could not find a property named '" + p + "' on type 'microsoft.graph." + strings.ToLower(entity[:1]) + entity[1:] + "'."}
			}
			q.sel = append(q.sel, p)
		}
	}
	if f := v.Get("$filter"); f != "" {
		cl, err := parseFilter(f, entity, filterable, ranged)
		if err != nil {
			return q, err
		}
		q.filter = cl
	}
	top, err := s.pageSize(v, pg)
	if err != nil {
		return q, err
	}
	q.top = top
	return q, nil
}

// pageSize reads $top: 1..pg.max, default pg.def, capped by Options.PageCap.
func (s *Server) pageSize(v url.Values, pg paging) (int, error) {
	top := pg.def
	if t := v.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > pg.max {
			return 0, &queryError{codeRequestBad, "Invalid page size specified: '" + t + "'. Must be between 1 and " + strconv.Itoa(pg.max) + " inclusive."}
		}
		top = n
	}
	if s.opts.PageCap > 0 && top > s.opts.PageCap {
		top = s.opts.PageCap
	}
	return top, nil
}

// parseFilter accepts "p eq v" clauses joined by "and".
func parseFilter(f, entity string, filterable, ranged map[string]bool) ([]clause, error) {
	var out []clause
	for _, term := range splitAnd(f) {
		fields := strings.SplitN(strings.TrimSpace(term), " ", 3)
		if len(fields) != 3 {
			return nil, &queryError{codeRequestBad, "Invalid filter clause: syntax error in '" + f + "'."}
		}
		prop, op, val := fields[0], strings.ToLower(fields[1]), strings.TrimSpace(fields[2])
		rangeOp := op == "ge" || op == "gt" || op == "le" || op == "lt"
		if !(op == "eq" && filterable[prop]) && !(rangeOp && ranged[prop]) {
			return nil, &queryError{codeUnsupportedQuery, "Unsupported or invalid query filter clause specified for property '" + prop + "' of resource '" + entity + "'."}
		}
		switch {
		case rangeOp:
			t, err := time.Parse(time.RFC3339, val)
			if err != nil {
				return nil, &queryError{codeRequestBad, "Invalid filter clause: '" + val + "' is not a valid DateTimeOffset."}
			}
			val = timeJSON(t)
		case len(val) >= 2 && val[0] == '\'' && val[len(val)-1] == '\'':
			val = strings.ReplaceAll(val[1:len(val)-1], "''", "'")
		case val == "true" || val == "false":
		default:
			return nil, &queryError{codeRequestBad, "Invalid filter clause: the value of '" + prop + "' must be a quoted string or a boolean."}
		}
		out = append(out, clause{prop: prop, op: op, value: val})
	}
	return out, nil
}

// splitAnd splits on " and " outside quotes.
func splitAnd(f string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == '\'':
			quoted = !quoted
		case !quoted && i+5 <= len(f) && strings.EqualFold(f[i:i+5], " and "):
			out = append(out, f[start:i])
			start = i + 5
			i += 4
		}
	}
	return append(out, f[start:])
}

// matches reports whether every clause holds for the object's properties.
func matches(filter []clause, get func(string) any) bool {
	for _, c := range filter {
		switch v := get(c.prop).(type) {
		case string:
			switch c.op {
			case "ge", "gt", "le", "lt":
				// Date-times are formatted alike (timeJSON), so they compare as strings.
				cmp := strings.Compare(v, c.value)
				if c.op == "ge" && cmp < 0 || c.op == "gt" && cmp <= 0 || c.op == "le" && cmp > 0 || c.op == "lt" && cmp >= 0 {
					return false
				}
			default:
				if !strings.EqualFold(v, c.value) {
					return false
				}
			}
		case bool:
			if strconv.FormatBool(v) != c.value {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// pageToken is the state a $skiptoken or $deltatoken carries. It is serialized, MAC'd with the run's key and
// base64url-encoded, so clients see an opaque string and a token from another run is refused.
type pageToken struct {
	Kind   string `json:"k"`           // "list", "dskip" (a page of a delta round) or "delta" (a delta link)
	Res    string `json:"r"`           // resource path the token belongs to
	Offset int    `json:"o,omitempty"` // next position in the resource's list
	// MemberOffset is, in a groups delta round, how many members@delta entries of the group at Offset were
	// already sent.
	MemberOffset int      `json:"m,omitempty"`
	Since        uint64   `json:"s,omitempty"` // delta: changes after this sequence number
	Sel          []string `json:"sel,omitempty"`
	Filter       string   `json:"f,omitempty"`
	Top          int      `json:"t,omitempty"`
	Upto         uint64   `json:"u,omitempty"` // delta: the sequence number when the round started
	Issued       int64    `json:"i,omitempty"` // delta: when the round started (unix seconds)
	Page         int      `json:"p,omitempty"` // list: the page number the token names (Fault.Page)
	Empty        bool     `json:"e,omitempty"` // list: the extra empty page of an EmptyLastPage fault
}

func tokenKey(seed, run int64) []byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], providersim.SplitMix64(uint64(seed)^0x656e747261))
	binary.LittleEndian.PutUint64(b[8:], providersim.SplitMix64(uint64(run)^0x72756e))
	return b[:]
}

func (s *Server) encodeToken(t pageToken) string {
	raw, _ := json.Marshal(t)
	m := hmac.New(sha256.New, s.key)
	m.Write(raw)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

var errBadToken = errors.New("token does not verify")

func (s *Server) decodeToken(tok string) (pageToken, error) {
	var t pageToken
	body, mac, ok := strings.Cut(tok, ".")
	if !ok {
		return t, errBadToken
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(body)
	got, err2 := base64.RawURLEncoding.DecodeString(mac)
	if err1 != nil || err2 != nil {
		return t, errBadToken
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(raw)
	if !hmac.Equal(got, m.Sum(nil)[:12]) {
		return t, errBadToken
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return t, errBadToken
	}
	return t, nil
}
