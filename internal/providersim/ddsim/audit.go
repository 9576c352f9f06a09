package ddsim

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// Event is an Audit Trail event a test appends with AppendEvent. Zero fields take defaults: Time the server's
// clock, Name "Access Management", Action "modified", Actor the org's admin.
type Event struct {
	Time time.Time
	// Name is @evt.name: "Access Management", "Authentication", "Request", ...
	Name string
	// Action is @action: created, modified, deleted, accessed, login.
	Action string
	// AssetType, AssetID, AssetName are @asset.type (user, role, api_key, application_key, ...), .id, .name.
	AssetType, AssetID, AssetName string
	// ActorEmail is @usr.email (the acting user); ActorType @evt.actor.type (USER, API_KEY, SUPPORT_USER).
	ActorEmail, ActorType string
	Message               string
}

type auditEvent struct {
	ID   string
	Time time.Time
	Ev   Event
	// actorID is @usr.id.
	actorID string
}

// buildAudit generates the org's admin activity: users created and disabled, roles granted, keys created.
func (s *Server) buildAudit(c *providersim.Company) {
	o := s.org
	if len(o.users) == 0 {
		return
	}
	admin := o.users[o.admin]
	var evs []Event
	for _, u := range o.users {
		evs = append(evs, Event{Time: u.Created, Action: "created", AssetType: "user", AssetID: u.ID, AssetName: u.Handle,
			Message: fmt.Sprintf("%s created user %s.", admin.Handle, u.Handle)})
		for _, r := range u.Roles {
			evs = append(evs, Event{Time: u.Created.Add(time.Minute), Action: "modified", AssetType: "role",
				AssetID: o.roles[r].ID, AssetName: o.roles[r].Name,
				Message: fmt.Sprintf("%s added user %s to role %s.", admin.Handle, u.Handle, o.roles[r].Name)})
		}
		if u.Disabled {
			evs = append(evs, Event{Time: u.Modified, Action: "modified", AssetType: "user", AssetID: u.ID, AssetName: u.Handle,
				Message: fmt.Sprintf("%s disabled user %s.", admin.Handle, u.Handle)})
		}
	}
	for _, k := range o.apiKeys {
		evs = append(evs, Event{Time: k.Created, Action: "created", AssetType: "api_key", AssetID: k.ID, AssetName: k.Name,
			ActorEmail: o.users[k.CreatedBy].Email, Message: fmt.Sprintf("API key %s was created.", k.Name)})
	}
	for _, k := range o.appKeys {
		evs = append(evs, Event{Time: k.Created, Action: "created", AssetType: "application_key", AssetID: k.ID,
			AssetName: k.Name, ActorEmail: o.users[k.Owner].Email, Message: fmt.Sprintf("Application key %s was created.", k.Name)})
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.Time.Compare(b.Time) })
	_ = c
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range evs {
		s.appendLocked(e)
	}
}

// AppendEvent adds an event to the Audit Trail and returns its id.
func (s *Server) AppendEvent(e Event) string {
	s.orgMu.RLock() // the actor is looked up among the users
	defer s.orgMu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appendLocked(e).ID
}

// Events returns how many audit events the org holds.
func (s *Server) Events() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.events)
}

func (s *Server) appendLocked(e Event) *auditEvent {
	if e.Time.IsZero() {
		e.Time = s.clock()
	}
	if e.Name == "" {
		e.Name = "Access Management"
	}
	if e.Action == "" {
		e.Action = "modified"
	}
	if e.ActorType == "" {
		e.ActorType = "USER"
	}
	o := s.org
	actorID := ""
	if e.ActorEmail == "" && len(o.users) > 0 {
		e.ActorEmail, actorID = o.users[o.admin].Email, o.users[o.admin].ID
	} else {
		for _, u := range o.users {
			if strings.EqualFold(u.Email, e.ActorEmail) {
				actorID = u.ID
				break
			}
		}
	}
	s.eventSeq++
	a, b := providersim.SplitMix64(s.evSeed^s.eventSeq), providersim.SplitMix64(s.eventSeq^s.evSeed<<1)
	var raw [20]byte
	for i := range 8 {
		raw[i], raw[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	copy(raw[16:], []byte{byte(s.eventSeq >> 24), byte(s.eventSeq >> 16), byte(s.eventSeq >> 8), byte(s.eventSeq)})
	ev := &auditEvent{ID: "AQAAAZ" + base64.RawURLEncoding.EncodeToString(raw[:]), Time: e.Time.UTC().Truncate(time.Millisecond), Ev: e, actorID: actorID}
	// Keep s.events in ascending (timestamp, id) order; events are mostly appended at the end.
	i := len(s.events)
	if i > 0 && eventOrder(s.events[i-1], ev) > 0 {
		i, _ = slices.BinarySearchFunc(s.events, ev, eventOrder)
	}
	s.events = slices.Insert(s.events, i, ev)
	return ev
}

// eventOrder orders events by timestamp, then id.
func eventOrder(a, b *auditEvent) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func (s *Server) eventResource(e *auditEvent) resource {
	attrs := map[string]any{
		"evt":     map[string]any{"name": e.Ev.Name, "actor": map[string]any{"type": e.Ev.ActorType}},
		"action":  e.Ev.Action,
		"asset":   map[string]any{"type": e.Ev.AssetType, "id": e.Ev.AssetID, "name": e.Ev.AssetName},
		"usr":     map[string]any{"id": e.actorID, "email": e.Ev.ActorEmail},
		"network": map[string]any{"client": map[string]any{"ip": "198.51.100.7"}},
	}
	return resource{Type: "audit", ID: e.ID, Attributes: map[string]any{
		"timestamp": e.Time.Format("2006-01-02T15:04:05.000Z"), "service": "datadog", "message": e.Ev.Message,
		"tags": []string{"source:audit", "evt.name:" + e.Ev.Name}, "attributes": attrs,
	}}
}

// auditQuery is one audit listing request: from the GET parameters or the search body.
type auditQuery struct {
	query, from, to, sort, cursor string
	limit                         int
}

func (s *Server) listAudit(r *http.Request) reply {
	q := r.URL.Query()
	aq := auditQuery{query: q.Get("filter[query]"), from: q.Get("filter[from]"), to: q.Get("filter[to]"),
		sort: q.Get("sort"), cursor: q.Get("page[cursor]")}
	if v := q.Get("page[limit]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errReply(http.StatusBadRequest, "page[limit] must be an integer")
		}
		aq.limit = n
	}
	return s.audit(r, aq, true)
}

type searchBody struct {
	Filter struct {
		Query string `json:"query"`
		From  string `json:"from"`
		To    string `json:"to"`
	} `json:"filter"`
	Page struct {
		Cursor string `json:"cursor"`
		Limit  int    `json:"limit"`
	} `json:"page"`
	Sort string `json:"sort"`
}

func (s *Server) searchAudit(r *http.Request) reply {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return errReply(http.StatusBadRequest, "invalid gzip body")
		}
		defer zr.Close()
		rd = zr
	}
	raw, err := io.ReadAll(io.LimitReader(rd, 1<<20))
	if err != nil {
		return errReply(http.StatusBadRequest, "unreadable body")
	}
	var b searchBody
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			return errReply(http.StatusBadRequest, "invalid JSON body: "+err.Error())
		}
	}
	return s.audit(r, auditQuery{query: b.Filter.Query, from: b.Filter.From, to: b.Filter.To, sort: b.Sort,
		cursor: b.Page.Cursor, limit: b.Page.Limit}, false)
}

// maxAuditLimit is the largest page[limit] answered.
const maxAuditLimit = 1000

func (s *Server) audit(r *http.Request, aq auditQuery, get bool) reply {
	now := s.clock()
	if aq.limit == 0 {
		aq.limit = 10
	}
	if aq.limit < 0 || aq.limit > maxAuditLimit {
		return errReply(http.StatusBadRequest, "page[limit] must be between 1 and 1000")
	}
	from, err := parseTime(cmp.Or(aq.from, "now-15m"), now)
	if err != nil {
		return errReply(http.StatusBadRequest, "filter[from]: "+err.Error())
	}
	to, err := parseTime(cmp.Or(aq.to, "now"), now)
	if err != nil {
		return errReply(http.StatusBadRequest, "filter[to]: "+err.Error())
	}
	desc := false
	switch aq.sort {
	case "", "-timestamp":
		desc = true
	case "timestamp":
	default:
		return errReply(http.StatusBadRequest, "sort must be timestamp or -timestamp")
	}
	match, err := parseQuery(aq.query)
	if err != nil {
		return errReply(http.StatusBadRequest, "filter[query]: "+err.Error())
	}
	var after *cursorPos
	if aq.cursor != "" {
		c, err := decodeCursor(aq.cursor)
		if err != nil {
			return errReply(http.StatusBadRequest, "page[cursor] is invalid")
		}
		after = &c
	}
	// s.events is in ascending (timestamp, id) order: find the window's bounds, then walk it from the cursor
	// in the requested direction.
	s.mu.RLock()
	lo, _ := slices.BinarySearchFunc(s.events, from, func(e *auditEvent, t time.Time) int { return e.Time.Compare(t) })
	hi, _ := slices.BinarySearchFunc(s.events, to.Add(time.Nanosecond), func(e *auditEvent, t time.Time) int { return e.Time.Compare(t) })
	if after != nil {
		pos := &auditEvent{Time: time.UnixMilli(after.T).UTC(), ID: after.ID}
		i, found := slices.BinarySearchFunc(s.events, pos, eventOrder)
		if desc {
			hi = min(hi, i)
		} else {
			if found {
				i++
			}
			lo = max(lo, i)
		}
	}
	var sel []*auditEvent
	more := false
	for k := range max(0, hi-lo) {
		i := lo + k
		if desc {
			i = hi - 1 - k
		}
		if e := s.events[i]; match(e) {
			if len(sel) == aq.limit {
				more = true
				break
			}
			sel = append(sel, e)
		}
	}
	s.mu.RUnlock()
	data := make([]resource, 0, len(sel))
	for _, e := range sel {
		data = append(data, s.eventResource(e))
	}
	meta := map[string]any{"status": "done", "elapsed": 1, "request_id": fmt.Sprintf("req-%d", now.UnixNano())}
	body := map[string]any{"data": data, "meta": meta}
	if more {
		next := encodeCursor(cursorPos{T: sel[len(sel)-1].Time.UnixMilli(), ID: sel[len(sel)-1].ID})
		meta["page"] = map[string]string{"after": next}
		body["links"] = map[string]string{"next": nextLink(r, next, get)}
	}
	return reply{body: body}
}

// nextLink is the URL of the next page: the GET request with page[cursor] replaced (for search, the GET
// equivalent, as Datadog gives).
func nextLink(r *http.Request, cursor string, get bool) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: "/api/v2/audit/events"}
	q := url.Values{}
	if get {
		q = r.URL.Query()
	}
	q.Set("page[cursor]", cursor)
	u.RawQuery = q.Encode()
	return u.String()
}

type cursorPos struct {
	T  int64  `json:"t"`
	ID string `json:"i"`
}

func encodeCursor(c cursorPos) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursorPos, error) {
	var c cursorPos
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		return c, fmt.Errorf("bad cursor")
	}
	return c, nil
}

// parseTime reads a filter time: RFC 3339, milliseconds since the epoch, "now", or date math ("now-15m",
// "now-2h", "now-7d", "now-30s").
func parseTime(v string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(v, "now") {
		rest := strings.TrimPrefix(v, "now")
		if rest == "" {
			return now, nil
		}
		sign := time.Duration(1)
		switch rest[0] {
		case '-':
			sign = -1
		case '+':
		default:
			return time.Time{}, fmt.Errorf("unsupported date math %q", v)
		}
		n, err := strconv.Atoi(rest[1 : len(rest)-1])
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("unsupported date math %q", v)
		}
		unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[rest[len(rest)-1]]
		if unit == 0 {
			return time.Time{}, fmt.Errorf("unsupported date math unit in %q", v)
		}
		return now.Add(sign * time.Duration(n) * unit), nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339, epoch milliseconds or now-<n><unit>, got %q", v)
	}
	return t, nil
}

// parseQuery supports "*" (or empty) and space-separated terms @attr:value (value optionally quoted), all of
// which must match, over @evt.name, @evt.actor.type, @action, @asset.type, @asset.id, @asset.name, @usr.email,
// @usr.id.
func parseQuery(q string) (func(*auditEvent) bool, error) {
	q = strings.TrimSpace(q)
	if q == "" || q == "*" {
		return func(*auditEvent) bool { return true }, nil
	}
	type term struct{ field, value string }
	var terms []term
	for q != "" {
		field, rest, ok := strings.Cut(q, ":")
		if !ok || !strings.HasPrefix(field, "@") {
			return nil, fmt.Errorf("unsupported query near %q (want @attribute:value terms)", q)
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote")
			}
			value, rest = rest[1:1+end], rest[2+end:]
		} else {
			value, rest, _ = strings.Cut(rest, " ")
		}
		terms = append(terms, term{field, value})
		q = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "AND "))
	}
	get := map[string]func(*auditEvent) string{
		"@evt.name":       func(e *auditEvent) string { return e.Ev.Name },
		"@evt.actor.type": func(e *auditEvent) string { return e.Ev.ActorType },
		"@action":         func(e *auditEvent) string { return e.Ev.Action },
		"@asset.type":     func(e *auditEvent) string { return e.Ev.AssetType },
		"@asset.id":       func(e *auditEvent) string { return e.Ev.AssetID },
		"@asset.name":     func(e *auditEvent) string { return e.Ev.AssetName },
		"@usr.email":      func(e *auditEvent) string { return e.Ev.ActorEmail },
		"@usr.id":         func(e *auditEvent) string { return e.actorID },
	}
	for _, t := range terms {
		if get[t.field] == nil {
			return nil, fmt.Errorf("unsupported attribute %s", t.field)
		}
	}
	return func(e *auditEvent) bool {
		for _, t := range terms {
			if !strings.EqualFold(get[t.field](e), t.value) {
				return false
			}
		}
		return true
	}, nil
}
