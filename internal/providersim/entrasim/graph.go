package entrasim

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// signInActivityPage is Graph's page-size cap for user listings that select signInActivity.
const signInActivityPage = 120

// item is a directory object as a property getter.
type item interface{ get(string) any }

// listing describes one paged collection.
type listing struct {
	res        string // token resource: "users", "groups", "groups/{id}/members", ...
	entity     string // type name in error messages
	context    string // @odata.context fragment: "users", "groups", "directoryObjects"
	props      map[string]bool
	filterable map[string]bool
	defaults   []string
	paging     paging          // zero: directoryPaging
	ranged     map[string]bool // date-time properties $filter may compare with ge/gt/le/lt
	length     int
	// at returns the object at position i, its @odata.type when the collection mixes types, and whether it
	// is live (not deleted).
	at func(i int) (item, string, bool)
}

// serveList answers one page of a listing: $select, $filter, $top on the first request, then opaque
// $skiptoken links that carry them.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request, c *call, l listing) {
	v := r.URL.Query()
	var q query
	offset, page, empty := 0, 1, false
	if l.paging.max == 0 {
		l.paging = directoryPaging
	}
	if tok := v.Get("$skiptoken"); tok != "" {
		t, err := s.decodeToken(tok)
		if err != nil || t.Kind != "list" || t.Res != l.res {
			s.graphError(w, r, http.StatusBadRequest, codeExpiredPageToken, "The specified page token value has expired and can no longer be included in your request.")
			return
		}
		q.sel, q.top, offset, page, empty = t.Sel, t.Top, t.Offset, t.Page, t.Empty
		if t.Filter != "" {
			q.filter, _ = parseFilter(t.Filter, l.entity, l.filterable, l.ranged)
		}
	} else {
		var err error
		if q, err = s.parseQuery(v, l.entity, l.props, l.filterable, l.paging, l.ranged); err != nil {
			s.queryFailed(w, r, err)
			return
		}
	}
	if l.res == "users" && contains(q.sel, "signInActivity") {
		if !s.signInActivityAllowed(w, r, c) {
			return
		}
		q.top = min(q.top, signInActivityPage)
	}
	sel := q.sel
	if sel == nil {
		sel = l.defaults
	}
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":`)
	b.WriteString(strconv.Quote(baseURL(r) + "/v1.0/$metadata#" + l.context + selectSuffix(q.sel)))
	b.WriteString(`,"value":[`)
	n, i := 0, offset
	for ; i < l.length && n < q.top; i++ {
		obj, typ, live := l.at(i)
		if !live || !matches(q.filter, obj.get) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		writeObject(&b, typ, obj.get, sel, l.props)
		n++
	}
	b.WriteByte(']')
	more := false
	for j := i; j < l.length; j++ {
		if obj, _, live := l.at(j); live && matches(q.filter, obj.get) {
			more = true
			break
		}
	}
	if !more && !empty && s.faults.emptyLast(c.route.pattern, r) {
		more, empty, i = true, true, l.length
	}
	if more {
		t := pageToken{Kind: "list", Res: l.res, Offset: i, Sel: q.sel, Top: q.top, Filter: v.Get("$filter"), Page: page + 1, Empty: empty}
		if v.Get("$skiptoken") != "" {
			t.Filter = filterString(q.filter)
		}
		link := url.Values{}
		if q.sel != nil {
			link.Set("$select", strings.Join(q.sel, ","))
		}
		if v.Get("$top") != "" || v.Get("$skiptoken") != "" {
			link.Set("$top", strconv.Itoa(q.top))
		}
		if t.Filter != "" {
			link.Set("$filter", t.Filter)
		}
		link.Set("$skiptoken", s.encodeToken(t))
		b.WriteString(`,"@odata.nextLink":`)
		b.WriteString(strconv.Quote(baseURL(r) + r.URL.Path + "?" + link.Encode()))
	}
	b.WriteByte('}')
	writeJSON(w, http.StatusOK, b.Bytes())
}

// filterString re-renders parsed clauses for a next link.
func filterString(cl []clause) string {
	var parts []string
	for _, c := range cl {
		v := c.value
		if c.op == "eq" && v != "true" && v != "false" {
			v = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		parts = append(parts, c.prop+" "+c.op+" "+v)
	}
	return strings.Join(parts, " and ")
}

func selectSuffix(sel []string) string {
	if sel == nil {
		return ""
	}
	return "(" + strings.Join(sel, ",") + ")"
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// signInActivityAllowed enforces what Graph requires to read signInActivity: AuditLog.Read.All and a tenant
// with Entra ID P1 or P2.
func (s *Server) signInActivityAllowed(w http.ResponseWriter, r *http.Request, c *call) bool {
	if !c.grant.hasRole(rolesAudit...) {
		s.graphError(w, r, http.StatusForbidden, codeDenied, "Insufficient privileges to complete the operation.")
		return false
	}
	if s.opts.WithoutP1 {
		s.graphError(w, r, http.StatusForbidden, codeNonPremium, "Neither tenant is B2C or tenant doesn't have premium license")
		return false
	}
	return true
}

func (s *Server) queryFailed(w http.ResponseWriter, r *http.Request, err error) {
	var qe *queryError
	if errors.As(err, &qe) {
		s.graphError(w, r, http.StatusBadRequest, qe.code, qe.msg)
		return
	}
	s.graphError(w, r, http.StatusBadRequest, codeRequestBad, "Invalid request.")
}

func (s *Server) userListing() listing {
	d := s.dir
	return listing{res: "users", entity: "User", context: "users", props: userProps, filterable: userFilterable,
		defaults: userDefault, length: len(d.users),
		at: func(i int) (item, string, bool) { u := d.users[i]; return u, "", u.deleted == "" }}
}

func (s *Server) groupListing() listing {
	d := s.dir
	return listing{res: "groups", entity: "Group", context: "groups", props: groupProps, filterable: groupFilterable,
		defaults: groupDefault, length: len(d.groups),
		at: func(i int) (item, string, bool) { g := d.groups[i]; return g, "", g.deleted == "" }}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.serveList(w, r, c, s.userListing())
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.serveList(w, r, c, s.groupListing())
}

// listMembers serves /groups/{id}/members (direct) and /groups/{id}/transitiveMembers.
func (s *Server) listMembers(transitive bool) func(http.ResponseWriter, *http.Request, *call) {
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		d := s.dir
		id := r.PathValue("id")
		g := d.grpByID[id]
		if g == nil || g.deleted != "" {
			s.notFound(w, r, id)
			return
		}
		ids, res := g.members, "groups/"+id+"/members"
		if transitive {
			ids, res = d.transitive(g), "groups/"+id+"/transitiveMembers"
		}
		s.serveList(w, r, c, listing{res: res, entity: "DirectoryObject", context: "directoryObjects",
			props: memberProps, filterable: setOf("id"), defaults: userDefault, length: len(ids),
			at: func(i int) (item, string, bool) {
				if u := d.userByID[ids[i]]; u != nil {
					return u, "#microsoft.graph.user", u.deleted == ""
				}
				sub := d.grpByID[ids[i]]
				return sub, "#microsoft.graph.group", sub != nil && sub.deleted == ""
			}})
	}
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := r.PathValue("id")
	u := s.dir.userByID[id]
	if u == nil {
		for _, x := range s.dir.users {
			if strings.EqualFold(x.upn, id) {
				u = x
				break
			}
		}
	}
	if u == nil || u.deleted != "" {
		s.notFound(w, r, id)
		return
	}
	s.getOne(w, r, c, u, "User", "users", userProps, userDefault)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := r.PathValue("id")
	g := s.dir.grpByID[id]
	if g == nil || g.deleted != "" {
		s.notFound(w, r, id)
		return
	}
	s.getOne(w, r, c, g, "Group", "groups", groupProps, groupDefault)
}

func (s *Server) getOne(w http.ResponseWriter, r *http.Request, c *call, obj item, entity, ctx string, props map[string]bool, defaults []string) {
	q, err := s.parseQuery(r.URL.Query(), entity, props, nil, directoryPaging, nil)
	if err != nil {
		s.queryFailed(w, r, err)
		return
	}
	if entity == "User" && contains(q.sel, "signInActivity") && !s.signInActivityAllowed(w, r, c) {
		return
	}
	sel := q.sel
	if sel == nil {
		sel = defaults
	}
	var b bytes.Buffer
	writeObject(&b, "", obj.get, sel, props, [2]string{"@odata.context", strconv.Quote(baseURL(r) + "/v1.0/$metadata#" + ctx + selectSuffix(q.sel) + "/$entity")})
	writeJSON(w, http.StatusOK, b.Bytes())
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, id string) {
	s.graphError(w, r, http.StatusNotFound, codeNotFound, "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}
