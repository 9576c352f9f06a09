package oktasim

import (
	"net/http"
	"strings"
)

// writeUser encodes an Okta User (also the GroupMember shape).
func writeUser(jw *jsonw, u *user, typeID, base string) {
	jw.beginObject()
	jw.fStr("id", u.id)
	jw.fStr("status", u.status)
	jw.fTime("created", u.created)
	jw.fTime("activated", u.activated)
	jw.fTime("statusChanged", u.statusChanged)
	jw.fTime("lastLogin", u.lastLogin)
	jw.fTime("lastUpdated", u.lastUpdated)
	jw.fTime("passwordChanged", u.passwordChanged)
	jw.key("type")
	jw.beginObject()
	jw.fStr("id", typeID)
	jw.endObject()
	p := &u.p
	jw.key("profile")
	jw.beginObject()
	jw.fStrOrNull("firstName", p.firstName)
	jw.fStrOrNull("lastName", p.lastName)
	jw.fStrOrNull("mobilePhone", p.mobilePhone)
	jw.fStrOrNull("secondEmail", p.secondEmail)
	jw.fStr("login", p.login)
	jw.fStrOrNull("email", p.email)
	jw.fStrOrNull("displayName", p.displayName)
	jw.fStrOrNull("department", p.department)
	jw.fStrOrNull("title", p.title)
	jw.fStrOrNull("employeeNumber", p.employeeNumber)
	jw.fStrOrNull("userType", p.userType)
	jw.fStrOrNull("manager", p.manager)
	jw.fStrOrNull("managerId", p.managerID)
	jw.fStrOrNull("organization", p.organization)
	jw.fStrOrNull("city", p.city)
	jw.endObject()
	jw.key("credentials")
	jw.beginObject()
	if u.credProvider == "OKTA" {
		jw.key("password")
		jw.beginObject()
		jw.endObject()
	}
	if p.email != "" {
		jw.key("emails")
		jw.beginArray()
		jw.beginObject()
		jw.fStr("value", p.email)
		jw.fStr("status", "VERIFIED")
		jw.fStr("type", "PRIMARY")
		jw.endObject()
		jw.endArray()
	}
	jw.key("provider")
	jw.beginObject()
	jw.fStr("type", u.credProvider)
	jw.fStr("name", u.credProviderName)
	jw.endObject()
	jw.endObject()
	jw.key("_links")
	jw.beginObject()
	jw.href3("self", base, "/api/v1/users/", u.id)
	jw.endObject()
	jw.endObject()
}

// userAttr returns a user attribute for filter and search expressions.
func userAttr(u *user) attrGetter {
	return func(attr string) (string, bool) {
		switch attr {
		case "id":
			return u.id, true
		case "status":
			return u.status, true
		case "created":
			return fmtTime(u.created), true
		case "activated":
			return fmtTime(u.activated), true
		case "statusChanged":
			return fmtTime(u.statusChanged), true
		case "lastUpdated":
			return fmtTime(u.lastUpdated), true
		case "lastLogin":
			return fmtTime(u.lastLogin), true
		case "passwordChanged":
			return fmtTime(u.passwordChanged), true
		}
		p := &u.p
		switch attr {
		case "profile.login":
			return p.login, true
		case "profile.email":
			return p.email, true
		case "profile.secondEmail":
			return p.secondEmail, true
		case "profile.firstName":
			return p.firstName, true
		case "profile.lastName":
			return p.lastName, true
		case "profile.displayName":
			return p.displayName, true
		case "profile.department":
			return p.department, true
		case "profile.title":
			return p.title, true
		case "profile.employeeNumber":
			return p.employeeNumber, true
		case "profile.userType":
			return p.userType, true
		case "profile.manager":
			return p.manager, true
		case "profile.managerId":
			return p.managerID, true
		case "profile.organization":
			return p.organization, true
		case "profile.city":
			return p.city, true
		}
		return "", false
	}
}

// listUsers serves GET /api/v1/users. Without search, filter or q it lists
// every user except DEPROVISIONED ones, as Okta does; with an expression the
// expression decides (so `status eq "DEPROVISIONED"` finds leavers). Results
// are in id order; `after` is the last id of the previous page.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, rq *request) {
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
	match := func(u *user) bool {
		if prefix != "" {
			return strings.HasPrefix(strings.ToLower(u.p.firstName), prefix) ||
				strings.HasPrefix(strings.ToLower(u.p.lastName), prefix) ||
				strings.HasPrefix(strings.ToLower(u.p.email), prefix)
		}
		if e == nil {
			return u.status != "DEPROVISIONED"
		}
		return e.match(userAttr(u))
	}
	jw := s.bufs.get()
	defer s.bufs.put(jw)
	next := func() string {
		s.mu.RLock()
		defer s.mu.RUnlock()
		users := s.org.users
		return writePage(jw, users[afterKey(users, rq.after, userSeq):], limit, rq, match,
			func(u *user) string { writeUser(jw, u, s.org.userTypeID, rq.base); return u.id })
	}()
	setLinks(w, r, rq, next)
	writeBody(w, http.StatusOK, jw.b)
}

// writePage writes a JSON array of the first limit items that match and
// returns the `after` token of the next page ("" when there is none).
func writePage[T any](jw *jsonw, items []T, limit int, rq *request, match func(T) bool, write func(T) string) string {
	jw.beginArray()
	n, last, more := 0, "", false
	for _, it := range items {
		if match != nil && !match(it) {
			continue
		}
		if n == limit {
			more = true
			break
		}
		last = write(it)
		n++
	}
	jw.endArray()
	return nextCursor(rq, more, last)
}

// lookupUser finds a user by id or login; the caller holds s.mu.
func (s *Server) lookupUser(idOrLogin string) (*user, bool) {
	if u, ok := s.org.userByID[idOrLogin]; ok {
		return u, true
	}
	u, ok := s.org.userByLogin[strings.ToLower(idOrLogin)]
	return u, ok
}

// getUser serves GET /api/v1/users/{userId} (id or login).
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("userId")
	s.serveRead(w, func(jw *jsonw) bool {
		u, ok := s.lookupUser(id)
		if ok {
			writeUser(jw, u, s.org.userTypeID, rq.base)
		}
		return ok
	}, notFoundAs(s, id, "User"))
}

// listUserGroups serves GET /api/v1/users/{userId}/groups.
func (s *Server) listUserGroups(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("userId")
	s.serveRead(w, func(jw *jsonw) bool {
		u, ok := s.lookupUser(id)
		if !ok {
			return false
		}
		jw.beginArray()
		for _, g := range u.groups {
			writeGroup(jw, g, rq.base)
		}
		jw.endArray()
		return true
	}, notFoundAs(s, id, "User"))
}
