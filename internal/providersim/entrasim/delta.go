package entrasim

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// deltaSource is a resource delta queries track.
type deltaSource struct {
	res      string // "users", "groups", "servicePrincipals" or "applications"
	entity   string
	props    map[string]bool // what $select may name
	defaults []string        // the properties returned without $select
	length   int
	at       func(i int) (obj item, seq uint64, deleted string)
	members  func(i int, since uint64) ([]string, bool) // members@delta entries (JSON objects) for groups
}

// usersDelta serves GET /users/delta.
func (s *Server) usersDelta(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.dir
	s.serveDelta(w, r, c, deltaSource{res: "users", entity: "User", props: union(userProps, nil), defaults: userDefault, length: len(d.users),
		at: func(i int) (item, uint64, string) { u := d.users[i]; return u, u.seq, u.deleted }})
}

// groupsDelta serves GET /groups/delta; members@delta is included when $select is absent or names members.
func (s *Server) groupsDelta(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.dir
	s.serveDelta(w, r, c, deltaSource{res: "groups", entity: "Group", props: union(groupProps, setOf("members")), defaults: groupDefault, length: len(d.groups),
		at: func(i int) (item, uint64, string) { g := d.groups[i]; return g, g.seq, g.deleted },
		members: func(i int, since uint64) ([]string, bool) {
			return d.membersDelta(d.groups[i], since)
		}})
}

// servicePrincipalsDelta serves GET /servicePrincipals/delta and applicationsDelta GET /applications/delta:
// objects changed after the round's token (appsDir.seq; an object never changed has sequence 1), or every one
// on an initial round. Graph reports a service principal or application whose properties changed; changes to
// its owners or app role assignments alone are not properties and are not reported.
func (s *Server) servicePrincipalsDelta(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveRecordDelta(w, r, c, "servicePrincipals", "ServicePrincipal", s.apps.sps)
}

func (s *Server) applicationsDelta(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveRecordDelta(w, r, c, "applications", "Application", s.apps.apps)
}

func (s *Server) serveRecordDelta(w http.ResponseWriter, r *http.Request, c *call, res, entity string, rs []record) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := recordListing(res, entity, rs, nil)
	a := s.apps
	s.serveDelta(w, r, c, deltaSource{res: res, entity: entity, props: l.props, defaults: l.defaults, length: len(rs),
		at: func(i int) (item, uint64, string) {
			if a.isDeleted(rs[i]) {
				return rs[i], a.seqOf(rs[i]), "deleted"
			}
			return rs[i], a.seqOf(rs[i]), ""
		}})
}

// isDeleted tells a deleted record (a tombstone).
func (a *appsDir) isDeleted(r record) bool {
	id, _ := r["id"].(string)
	return a.deleted[id]
}

// seqOf is a record's last change (1 when never changed).
func (a *appsDir) seqOf(r record) uint64 {
	id, _ := r["id"].(string)
	if n := a.seq[id]; n > 0 {
		return n
	}
	return 1
}

// membersDelta returns the members@delta entries: every member on an initial round (since 0), else the net
// membership changes after since, removals carrying @removed {"reason":"deleted"}.
func (d *directory) membersDelta(g *group, since uint64) ([]string, bool) {
	var out []string
	entry := func(id string, removed bool) {
		typ := "#microsoft.graph.user"
		if d.grpByID[id] != nil {
			typ = "#microsoft.graph.group"
		}
		e := `{"@odata.type":` + strconv.Quote(typ) + `,"id":` + strconv.Quote(id)
		if removed {
			e += `,"@removed":{"reason":"deleted"}`
		}
		out = append(out, e+"}")
	}
	if since == 0 {
		for _, id := range g.members {
			entry(id, false)
		}
		return out, true
	}
	last := map[string]bool{}
	var order []string
	for _, ch := range g.changes {
		if ch.seq <= since {
			continue
		}
		if _, seen := last[ch.id]; !seen {
			order = append(order, ch.id)
		}
		last[ch.id] = ch.added
	}
	for _, id := range order {
		entry(id, !last[id])
	}
	return out, len(out) > 0
}

// serveDelta answers one page of a delta round. A round starts without a token (everything live) or with a
// $deltatoken (changes after the previous round started); its pages are linked by @odata.nextLink with an
// opaque $skiptoken, and its last page carries @odata.deltaLink. An object changed while a round runs may be
// reported again in the next round (Graph's clients take the last occurrence).
func (s *Server) serveDelta(w http.ResponseWriter, r *http.Request, c *call, src deltaSource) {
	v := r.URL.Query()
	now := s.now()
	d := s.dir
	var t pageToken
	switch {
	case v.Get("$skiptoken") != "":
		tok, err := s.decodeToken(v.Get("$skiptoken"))
		if err != nil || tok.Kind != "dskip" || tok.Res != src.res {
			s.graphError(w, r, http.StatusBadRequest, codeSyncStateNotFund, "The sync state generation is not found. Please re-sync.")
			return
		}
		t = tok
	case v.Get("$deltatoken") == "latest":
		t = pageToken{Kind: "delta", Res: src.res, Since: d.seq, Sel: selList(v), Issued: now.Unix()}
		s.writeDeltaPage(w, r, src, "[]", "", t)
		return
	case v.Get("$deltatoken") != "":
		tok, err := s.decodeToken(v.Get("$deltatoken"))
		if err != nil || tok.Kind != "delta" || tok.Res != src.res || now.Sub(time.Unix(tok.Issued, 0)) > deltaLifetime {
			s.graphError(w, r, http.StatusBadRequest, codeSyncStateNotFund, "The sync state generation is not found. Please re-sync.")
			return
		}
		t = pageToken{Kind: "dskip", Res: src.res, Since: tok.Since, Sel: tok.Sel, Top: tok.Top, Upto: d.seq, Issued: now.Unix()}
	default:
		if v.Get("$filter") != "" {
			s.graphError(w, r, http.StatusBadRequest, codeUnsupportedQuery, "Unsupported query: $filter is not supported by this delta query.")
			return
		}
		q, err := s.parseQuery(url.Values{"$select": {v.Get("$select")}}, src.entity, src.props, nil, directoryPaging, nil)
		if err != nil {
			s.queryFailed(w, r, err)
			return
		}
		top, err := s.deltaPageSize(v, r)
		if err != nil {
			s.queryFailed(w, r, err)
			return
		}
		t = pageToken{Kind: "dskip", Res: src.res, Sel: q.sel, Top: top, Upto: d.seq, Issued: now.Unix()}
	}
	if t.Top <= 0 {
		t.Top = defaultPage
		if s.opts.PageCap > 0 {
			t.Top = min(t.Top, s.opts.PageCap)
		}
	}
	if src.res == "users" && contains(t.Sel, "signInActivity") {
		s.graphError(w, r, http.StatusBadRequest, codeUnsupportedQuery, "Unsupported query: signInActivity is not supported by delta; read it from the users list.")
		return
	}
	sel := t.Sel
	if sel == nil {
		sel = src.defaults
	}
	withMembers := src.members != nil && (t.Sel == nil || contains(t.Sel, "members"))
	qualifies := func(i int) bool {
		_, seq, deleted := src.at(i)
		return seq > t.Since && (t.Since > 0 || deleted == "")
	}
	chunk := s.opts.DeltaMembersPerObject
	var b bytes.Buffer
	b.WriteByte('[')
	n, i, mo := 0, t.Offset, t.MemberOffset
	for i < src.length && n < t.Top {
		if !qualifies(i) {
			i, mo = i+1, 0
			continue
		}
		obj, _, deleted := src.at(i)
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		if deleted != "" {
			b.WriteString(`{"id":` + strconv.Quote(obj.get("id").(string)) + `,"@removed":{"reason":"` + deleted + `"}}`)
			i, mo = i+1, 0
			continue
		}
		var extra [][2]string
		done := true
		if withMembers {
			if entries, ok := src.members(i, t.Since); ok {
				part := entries[min(mo, len(entries)):]
				if chunk > 0 && len(part) > chunk {
					part, done = part[:chunk], false
				}
				extra = append(extra, [2]string{"members@delta", "[" + strings.Join(part, ",") + "]"})
			}
		}
		writeObject(&b, "", obj.get, sel, src.props, extra...)
		if done {
			i, mo = i+1, 0
		} else {
			mo += chunk
		}
	}
	b.WriteByte(']')
	more := mo > 0
	for j := i; !more && j < src.length; j++ {
		if qualifies(j) {
			more = true
		}
	}
	if more {
		next := t
		next.Offset, next.MemberOffset = i, mo
		s.writeDeltaPage(w, r, src, b.String(), s.encodeToken(next), pageToken{})
		return
	}
	s.writeDeltaPage(w, r, src, b.String(), "", pageToken{Kind: "delta", Res: src.res, Since: t.Upto, Sel: t.Sel, Top: t.Top, Issued: now.Unix()})
}

// writeDeltaPage writes a delta page with either a nextLink (skip != "") or a deltaLink.
func (s *Server) writeDeltaPage(w http.ResponseWriter, r *http.Request, src deltaSource, value, skip string, delta pageToken) {
	base := baseURL(r) + "/v1.0/" + src.res + "/delta"
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":` + strconv.Quote(baseURL(r)+"/v1.0/$metadata#"+src.res) + `,"value":` + value)
	if skip != "" {
		b.WriteString(`,"@odata.nextLink":` + strconv.Quote(base+"?$skiptoken="+skip))
	} else {
		b.WriteString(`,"@odata.deltaLink":` + strconv.Quote(base+"?$deltatoken="+s.encodeToken(delta)))
	}
	b.WriteByte('}')
	writeJSON(w, http.StatusOK, b.Bytes())
}

// deltaPageSize reads $top or Prefer: odata.maxpagesize=N (Graph honours either on delta).
func (s *Server) deltaPageSize(v url.Values, r *http.Request) (int, error) {
	for _, p := range strings.Split(r.Header.Get("Prefer"), ",") {
		if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "odata.maxpagesize") && v.Get("$top") == "" {
			v = url.Values{"$top": {val}}
		}
	}
	return s.pageSize(v, directoryPaging)
}

func selList(v url.Values) []string {
	if sel := v.Get("$select"); sel != "" {
		return strings.Split(sel, ",")
	}
	return nil
}
