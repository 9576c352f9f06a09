package oktasim

import "net/http"

// writeRole encodes a Role assignment; assignee is the user or group path.
func writeRole(jw *jsonw, ro *role, assignee, base string) {
	jw.beginObject()
	jw.fStr("id", ro.id)
	jw.fStr("label", ro.label)
	jw.fStr("type", ro.typ)
	jw.fStr("status", "ACTIVE")
	jw.fTime("created", ro.created)
	jw.fTime("lastUpdated", ro.created)
	jw.fStr("assignmentType", ro.assignmentType)
	jw.key("_links")
	jw.beginObject()
	jw.href("assignee", base, assignee)
	jw.endObject()
	jw.endObject()
}

// hasRole reports whether the user holds a role directly or through a group.
func (u *user) hasRole() bool {
	if len(u.roles) > 0 {
		return true
	}
	for _, g := range u.groups {
		if len(g.roles) > 0 {
			return true
		}
	}
	return false
}

// listUserRoles serves GET /api/v1/users/{userId}/roles: direct roles
// (assignmentType USER) and roles of the user's groups (GROUP); unpaged.
func (s *Server) listUserRoles(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("userId")
	s.serveRead(w, func(jw *jsonw) bool {
		u, ok := s.lookupUser(id)
		if !ok {
			return false
		}
		jw.beginArray()
		for _, ro := range u.roles {
			writeRole(jw, ro, "/api/v1/users/"+u.id, rq.base)
		}
		for _, g := range u.groups {
			for _, ro := range g.roles {
				writeRole(jw, ro, "/api/v1/groups/"+g.id, rq.base)
			}
		}
		jw.endArray()
		return true
	}, notFoundAs(s, id, "User"))
}

// listGroupRoles serves GET /api/v1/groups/{groupId}/roles.
func (s *Server) listGroupRoles(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("groupId")
	s.serveRead(w, func(jw *jsonw) bool {
		g, ok := s.org.groupByID[id]
		if !ok {
			return false
		}
		jw.beginArray()
		for _, ro := range g.roles {
			writeRole(jw, ro, "/api/v1/groups/"+g.id, rq.base)
		}
		jw.endArray()
		return true
	}, notFoundAs(s, id, "UserGroup"))
}

// listRoleAssignees serves GET /api/v1/iam/assignees/users: the users who
// hold any admin role, paged with `after` and, as Okta documents this
// listing, the next link in the body (`_links.next.href`) rather than in a
// Link header (a NextLink fault moves it to the header).
func (s *Server) listRoleAssignees(w http.ResponseWriter, r *http.Request, rq *request) {
	limit := rq.limit
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	func() {
		s.mu.RLock()
		defer s.mu.RUnlock()
		users := s.org.users
		jw.beginObject()
		jw.key("value")
		next := writePage(jw, users[afterKey(users, rq.after, userSeq):], limit, rq, (*user).hasRole, func(u *user) string {
			jw.beginObject()
			jw.fStr("id", u.id)
			jw.fStr("orn", "orn:okta:directory:"+s.org.id+":users:"+u.id)
			jw.key("_links")
			jw.beginObject()
			jw.href("self", rq.base, "/api/v1/users/"+u.id)
			jw.href("roles", rq.base, "/api/v1/users/"+u.id+"/roles")
			jw.endObject()
			jw.endObject()
			return u.id
		})
		jw.key("_links")
		jw.beginObject()
		if next != "" && rq.nextIn != NextInHeader {
			jw.key("next")
			jw.beginObject()
			jw.fStr("href", nextURL(r, rq, next))
			jw.endObject()
		}
		jw.endObject()
		jw.endObject()
		headerNext := ""
		if rq.nextIn == NextInHeader {
			headerNext = next
		}
		setLinks(w, r, rq, headerNext)
	}()
	writeBody(w, http.StatusOK, jw.b)
}
