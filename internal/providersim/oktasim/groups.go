package oktasim

import (
	"net/http"
	"strings"
)

// writeGroup encodes an Okta Group.
func writeGroup(jw *jsonw, g *group, base string) {
	jw.beginObject()
	jw.fStr("id", g.id)
	jw.fTime("created", g.created)
	jw.fTime("lastUpdated", g.lastUpdated)
	jw.fTime("lastMembershipUpdated", g.lastMembershipUpdated)
	jw.key("objectClass")
	jw.beginArray()
	if g.typ == "APP_GROUP" {
		jw.str("okta:windows_security_principal")
	} else {
		jw.str("okta:user_group")
	}
	jw.endArray()
	jw.fStr("type", g.typ)
	jw.key("profile")
	jw.beginObject()
	jw.fStr("name", g.name)
	jw.fStrOrNull("description", g.description)
	jw.endObject()
	jw.key("_links")
	jw.beginObject()
	jw.key("logo")
	jw.beginArray()
	for _, size := range [...]string{"medium", "large"} {
		jw.beginObject()
		jw.fStr("name", size)
		jw.sep()
		jw.b = append(jw.b, `"href":"`...)
		jw.b = appendEscaped(jw.b, base)
		jw.b = append(jw.b, "/assets/img/logos/groups/okta-"+size+".png\""...)
		jw.comma = true
		jw.fStr("type", "image/png")
		jw.endObject()
	}
	jw.endArray()
	jw.href("users", base, "/api/v1/groups/"+g.id+"/users")
	jw.href("apps", base, "/api/v1/groups/"+g.id+"/apps")
	jw.endObject()
	jw.endObject()
}

// groupAttr returns a group attribute for filter and search expressions.
func groupAttr(g *group) attrGetter {
	return func(attr string) (string, bool) {
		switch attr {
		case "id":
			return g.id, true
		case "type":
			return g.typ, true
		case "created":
			return fmtTime(g.created), true
		case "lastUpdated":
			return fmtTime(g.lastUpdated), true
		case "lastMembershipUpdated":
			return fmtTime(g.lastMembershipUpdated), true
		case "profile.name":
			return g.name, true
		case "profile.description":
			return g.description, true
		}
		return "", false
	}
}

// listGroups serves GET /api/v1/groups with q (name prefix), filter or
// search, limit and after, in id order.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, rq *request) {
	q := r.URL.Query()
	limit := rq.limit
	text := q.Get("search")
	if text == "" {
		text = q.Get("filter")
	}
	e, err := parseExpr(text)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, codeInvalidSearch, "Invalid search criteria.", err.Error())
		return
	}
	prefix := strings.ToLower(q.Get("q"))
	match := func(g *group) bool {
		if prefix != "" && !strings.HasPrefix(strings.ToLower(g.name), prefix) {
			return false
		}
		return e.match(groupAttr(g))
	}
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next := func() string {
		s.mu.RLock()
		defer s.mu.RUnlock()
		gs := s.org.groups
		return writePage(jw, gs[afterKey(gs, rq.after, groupSeq):], limit, rq, match,
			func(g *group) string { writeGroup(jw, g, rq.base); return g.id })
	}()
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}

// getGroup serves GET /api/v1/groups/{groupId}.
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("groupId")
	s.serveRead(w, func(jw *jsonw) bool {
		g, ok := s.org.groupByID[id]
		if ok {
			writeGroup(jw, g, rq.base)
		}
		return ok
	}, notFoundAs(s, id, "UserGroup"))
}

// listGroupUsers serves GET /api/v1/groups/{groupId}/users: the members as
// User objects, in id order.
func (s *Server) listGroupUsers(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("groupId")
	limit := rq.limit
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next, ok := func() (string, bool) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		g, ok := s.org.groupByID[id]
		if !ok {
			return "", false
		}
		m := g.members
		return writePage(jw, m[afterKey(m, rq.after, userSeq):], limit, rq, nil,
			func(u *user) string { writeUser(jw, u, s.org.userTypeID, rq.base); return u.id }), true
	}()
	if !ok {
		s.notFound(w, id, "UserGroup")
		return
	}
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}
