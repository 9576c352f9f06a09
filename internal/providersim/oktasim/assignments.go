package oktasim

import (
	"net/http"
)

// writeAppUser encodes an AppUser: the assignment of a user to an app.
func writeAppUser(jw *jsonw, a *app, au *appUser, expandUser bool, typeID, base string) {
	u := au.u
	jw.beginObject()
	jw.fStr("id", u.id)
	jw.fNull("externalId")
	jw.fTime("created", au.created)
	jw.fTime("lastUpdated", au.lastUpdated)
	if au.direct {
		jw.fStr("scope", "USER")
	} else {
		jw.fStr("scope", "GROUP")
	}
	status, sync := "ACTIVE", "DISABLED"
	if a.provisioning() {
		status, sync = "PROVISIONED", "SYNCHRONIZED"
	}
	jw.fStr("status", status)
	jw.fTime("statusChanged", au.statusChanged)
	jw.fNull("passwordChanged")
	jw.fStr("syncState", sync)
	if sync == "SYNCHRONIZED" {
		jw.fTime("lastSync", au.lastUpdated)
	} else {
		jw.fNull("lastSync")
	}
	jw.key("credentials")
	jw.beginObject()
	jw.fStr("userName", u.p.login)
	jw.endObject()
	jw.key("profile")
	jw.beginObject()
	jw.fStrOrNull("email", u.p.email)
	jw.endObject()
	if expandUser {
		jw.key("_embedded")
		jw.beginObject()
		jw.key("user")
		writeUser(jw, u, typeID, base)
		jw.endObject()
	}
	jw.key("_links")
	jw.beginObject()
	jw.href3("app", base, "/api/v1/apps/", a.id)
	jw.href3("user", base, "/api/v1/users/", u.id)
	jw.endObject()
	jw.endObject()
}

// listAppUsers serves GET /api/v1/apps/{appId}/users (expand=user
// embeds the user), in user id order.
func (s *Server) listAppUsers(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("appId")
	limit := rq.limit
	expand := r.URL.Query().Get("expand") == "user"
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next, ok := func() (string, bool) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		a, ok := s.org.appByID[id]
		if !ok {
			return "", false
		}
		us := a.users
		return writePage(jw, us[afterKey(us, rq.after, appUserSeq):], limit, rq, nil, func(au *appUser) string {
			writeAppUser(jw, a, au, expand, s.org.userTypeID, rq.base)
			return au.u.id
		}), true
	}()
	if !ok {
		s.notFound(w, id, "AppInstance")
		return
	}
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}

// listAppGroups serves GET /api/v1/apps/{appId}/groups (expand=group
// embeds the group), in group id order.
func (s *Server) listAppGroups(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("appId")
	limit := rq.limit
	expand := r.URL.Query().Get("expand") == "group"
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next, ok := func() (string, bool) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		a, ok := s.org.appByID[id]
		if !ok {
			return "", false
		}
		gs := a.groups
		return writePage(jw, gs[afterKey(gs, rq.after, appGroupSeq):], limit, rq, nil, func(ag *appGroup) string {
			jw.beginObject()
			jw.fStr("id", ag.g.id)
			jw.fTime("lastUpdated", ag.lastUpdated)
			jw.fInt("priority", int64(ag.priority))
			jw.key("profile")
			jw.raw([]byte("{}"))
			if expand {
				jw.key("_embedded")
				jw.beginObject()
				jw.key("group")
				writeGroup(jw, ag.g, rq.base)
				jw.endObject()
			}
			jw.key("_links")
			jw.beginObject()
			jw.href("app", rq.base, "/api/v1/apps/"+a.id)
			jw.href("self", rq.base, "/api/v1/apps/"+a.id+"/groups/"+ag.g.id)
			jw.href("group", rq.base, "/api/v1/groups/"+ag.g.id)
			jw.endObject()
			jw.endObject()
			return ag.g.id
		}), true
	}()
	if !ok {
		s.notFound(w, id, "AppInstance")
		return
	}
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}

// listScopeConsentGrants serves GET /api/v1/apps/{appId}/grants: the Okta
// API scopes granted to the app.
func (s *Server) listScopeConsentGrants(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("appId")
	s.serveRead(w, func(jw *jsonw) bool {
		a, ok := s.org.appByID[id]
		if !ok {
			return false
		}
		jw.beginArray()
		for _, g := range a.grants {
			jw.beginObject()
			jw.fStr("id", g.id)
			jw.fStr("status", "ACTIVE")
			jw.fTime("created", g.created)
			jw.key("createdBy")
			jw.beginObject()
			jw.fStr("id", s.admin.id)
			jw.fStr("type", "User")
			jw.endObject()
			jw.fTime("lastUpdated", g.created)
			jw.fStr("issuer", rq.base)
			jw.fStr("clientId", a.clientID)
			jw.fStr("scopeId", g.scope)
			jw.fStr("source", g.source)
			jw.key("_links")
			jw.beginObject()
			jw.href("app", rq.base, "/api/v1/apps/"+a.id)
			jw.href("self", rq.base, "/api/v1/apps/"+a.id+"/grants/"+g.id)
			jw.endObject()
			jw.endObject()
		}
		jw.endArray()
		return true
	}, notFoundAs(s, id, "AppInstance"))
}
