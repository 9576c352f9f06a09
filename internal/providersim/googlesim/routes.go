package googlesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/open-sspm/open-sspm/internal/providersim/simhttp"
)

// Route patterns (as faults and Stats.ByRoute name them).
const (
	RouteUsers       = "/admin/directory/v1/users"
	RouteUser        = "/admin/directory/v1/users/{userKey}"
	RouteTokens      = "/admin/directory/v1/users/{userKey}/tokens"
	RouteGroups      = "/admin/directory/v1/groups"
	RouteMembers     = "/admin/directory/v1/groups/{groupKey}/members"
	RouteRoles       = "/admin/directory/v1/customer/{customer}/roles"
	RouteAssignments = "/admin/directory/v1/customer/{customer}/roleassignments"
	RouteActivities  = "/admin/reports/v1/activity/users/{userKey}/applications/{applicationName}"
)

// route is one API endpoint: the scopes that satisfy it (any one), whether quota answers come as Reports sends
// them, and its handler.
type route struct {
	pattern string
	scopes  []string
	reports bool
	h       func(http.ResponseWriter, *http.Request, *call)
}

// call is what the middleware learned about a request.
type call struct {
	grant grant
	route *route
	page  int // the listing page asked for, 1 for the first
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /token", s.token)
	s.mux.HandleFunc("POST "+RouteSignJwt, s.signJwt)
	userScopes := []string{ScopeUserReadonly, ScopeUser}
	table := []route{
		{pattern: RouteUsers, scopes: userScopes, h: s.listUsers},
		{pattern: RouteUser, scopes: userScopes, h: s.getUser},
		{pattern: RouteTokens, scopes: []string{ScopeUserSecurity}, h: s.listTokens},
		{pattern: RouteGroups, scopes: []string{ScopeGroupReadonly, ScopeGroup}, h: s.listGroups},
		{pattern: RouteMembers, scopes: []string{ScopeMemberReadonly, ScopeMember, ScopeGroupReadonly, ScopeGroup}, h: s.listMembers},
		{pattern: RouteRoles, scopes: []string{ScopeRoleReadonly, ScopeRole}, h: s.listRoles},
		{pattern: RouteAssignments, scopes: []string{ScopeRoleReadonly, ScopeRole}, h: s.listAssignments},
		{pattern: RouteActivities, scopes: []string{ScopeReportsAuditReadonly}, reports: true, h: s.listActivities},
	}
	for i := range table {
		rt := &table[i]
		s.mux.Handle("GET "+rt.pattern, s.serve(rt))
	}
	for _, rt := range []*route{
		{pattern: RouteWatch, scopes: []string{ScopeReportsAuditReadonly}, reports: true, h: s.watch},
		{pattern: RouteStop, scopes: []string{ScopeReportsAuditReadonly}, reports: true, h: s.stopChannel},
	} {
		s.mux.Handle("POST "+rt.pattern, s.serve(rt))
	}
}

// serve wraps a handler: request counts, faults, the bearer token, scopes, the subject's admin rights, quota.
func (s *Server) serve(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.stats.Update(func(st *Stats) { st.Total++; simhttp.Count(&st.ByRoute, rt.pattern) })
		page := s.pageOf(r.URL.Query().Get("pageToken"))
		if f, ok := s.fault(rt.pattern, r, page, func(f Fault) bool { return f.Status != 0 }); ok {
			statusError(w, f)
			return
		}
		g, ok := s.bearer(w, r)
		if !ok {
			return
		}
		if !g.hasScope(rt.scopes...) {
			forbidden(w, "insufficientPermissions")
			return
		}
		s.mu.RLock()
		admin := g.subject >= 0 && s.dir.isAdmin(s.dir.users[g.subject])
		s.mu.RUnlock()
		if !admin {
			forbidden(w, "forbidden")
			return
		}
		if !s.quota.admit(s.now()) {
			s.stats.Update(func(st *Stats) { st.Throttled++ })
			if rt.reports {
				statusError(w, Fault{Status: http.StatusServiceUnavailable})
			} else {
				forbidden(w, "userRateLimitExceeded")
			}
			return
		}
		rt.h(w, r, &call{grant: g, route: rt, page: page})
	})
}

// pageToken is the position of a listing's next page: its offset and page number, MAC'd with the run's key.
func (s *Server) pageToken(offset, page int) string {
	raw := strconv.Itoa(offset) + ":" + strconv.Itoa(page)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(raw))
	return base64.RawURLEncoding.EncodeToString([]byte(raw + ":" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:9])))
}

// parseToken returns the offset and page of a token; ok is false for a token this run did not issue.
func (s *Server) parseToken(tok string) (offset, page int, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, 0, false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 {
		return 0, 0, false
	}
	offset, err1 := strconv.Atoi(parts[0])
	page, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || offset < 0 || s.pageToken(offset, page) != tok {
		return 0, 0, false
	}
	return offset, page, true
}

func (s *Server) pageOf(tok string) int {
	if tok == "" {
		return 1
	}
	if _, page, ok := s.parseToken(tok); ok {
		return page
	}
	return 0
}

// window reads maxResults (1..max, default def) and pageToken; ok is false when it answered 400.
func (s *Server) window(w http.ResponseWriter, r *http.Request, def, max int) (offset, size int, ok bool) {
	q := r.URL.Query()
	size = def
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			badRequest(w, "Invalid value for maxResults: "+v+" (1 to "+strconv.Itoa(max)+")")
			return 0, 0, false
		}
		size = n
	}
	if s.opts.PageCap > 0 && size > s.opts.PageCap {
		size = s.opts.PageCap
	}
	if tok := q.Get("pageToken"); tok != "" {
		off, _, valid := s.parseToken(tok)
		if !valid {
			badRequest(w, "Invalid Input: pageToken")
			return 0, 0, false
		}
		offset = off
	}
	return offset, size, true
}

// writePage answers one page of items under field, with nextPageToken when more remain (or, with an
// EmptyLastPage fault, one empty page more).
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, c *call, kind, field string, items []T, offset, size int) {
	extra := offset > len(items) // the empty page an EmptyLastPage fault added
	offset = min(offset, len(items))
	end := min(offset+size, len(items))
	out := map[string]any{"kind": kind, "etag": etag(0, uint64(len(items))), field: items[offset:end]}
	if end < len(items) {
		out["nextPageToken"] = s.pageToken(end, c.page+1)
	} else if !extra {
		if _, ok := s.fault(c.route.pattern, r, 0, func(f Fault) bool { return f.EmptyLastPage }); ok {
			out["nextPageToken"] = s.pageToken(len(items)+1, c.page+1)
		}
	}
	if end == offset {
		delete(out, field) // Google leaves out an empty list
	}
	body, _ := json.Marshal(out)
	writeJSON(w, http.StatusOK, body)
}

// customerOK checks a customer parameter: my_customer or the domain's id.
func (s *Server) customerOK(v string) bool { return v == "my_customer" || v == s.dir.customerID }

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	offset, size, ok := s.window(w, r, 100, 500)
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case q.Get("customer") != "" && !s.customerOK(q.Get("customer")):
		forbidden(w, "forbidden")
		return
	case q.Get("customer") == "" && q.Get("domain") == "":
		badRequest(w, "Bad Request")
		return
	case q.Get("domain") != "" && !strings.EqualFold(q.Get("domain"), s.dir.domain):
		forbidden(w, "forbidden")
		return
	}
	if p := q.Get("projection"); p != "" && p != "basic" && p != "full" && p != "custom" {
		badRequest(w, "Invalid value for projection: "+p)
		return
	}
	deleted, now := q.Get("showDeleted") == "true", s.now()
	filter, err := parseUserQuery(q.Get("query"))
	if err != nil {
		badRequest(w, "Invalid Input: "+err.Error())
		return
	}
	var out []*User
	for _, u := range s.dir.users {
		if (deleted && u.listedDeleted(now) || !deleted && !u.deleted) && filter(u) {
			out = append(out, u)
		}
	}
	switch q.Get("orderBy") {
	case "email":
		sort.SliceStable(out, func(i, j int) bool {
			return strings.ToLower(out[i].PrimaryEmail) < strings.ToLower(out[j].PrimaryEmail)
		})
	case "givenName":
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name.GivenName < out[j].Name.GivenName })
	case "familyName":
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name.FamilyName < out[j].Name.FamilyName })
	case "":
	default:
		badRequest(w, "Invalid value for orderBy: "+q.Get("orderBy"))
		return
	}
	if q.Get("sortOrder") == "DESCENDING" {
		slices.Reverse(out)
	}
	writePage(s, w, r, c, "admin#directory#users", "users", out, offset, size)
}

// parseUserQuery supports the query clauses isAdmin=, isSuspended=, isDelegatedAdmin=, isEnrolledIn2Sv=,
// orgUnitPath= and email: (prefix), joined by spaces.
func parseUserQuery(q string) (func(*User) bool, error) {
	var preds []func(*User) bool
	for _, clause := range strings.Fields(q) {
		k, v, eq := strings.Cut(clause, "=")
		if !eq {
			k, v, eq = strings.Cut(clause, ":")
			if !eq || k != "email" {
				return nil, errUnsupported(clause)
			}
			prefix := strings.ToLower(strings.TrimSuffix(v, "*"))
			preds = append(preds, func(u *User) bool { return strings.HasPrefix(strings.ToLower(u.PrimaryEmail), prefix) })
			continue
		}
		want := strings.EqualFold(v, "true")
		switch k {
		case "isAdmin":
			preds = append(preds, func(u *User) bool { return u.IsAdmin == want })
		case "isDelegatedAdmin":
			preds = append(preds, func(u *User) bool { return u.IsDelegatedAdmin == want })
		case "isSuspended":
			preds = append(preds, func(u *User) bool { return u.Suspended == want })
		case "isEnrolledIn2Sv":
			preds = append(preds, func(u *User) bool { return u.IsEnrolledIn2Sv == want })
		case "orgUnitPath":
			path := strings.Trim(v, "'")
			preds = append(preds, func(u *User) bool { return u.OrgUnitPath == path })
		default:
			return nil, errUnsupported(clause)
		}
	}
	return func(u *User) bool {
		for _, p := range preds {
			if !p(u) {
				return false
			}
		}
		return true
	}, nil
}

type errUnsupported string

func (e errUnsupported) Error() string { return "unsupported query clause " + string(e) }

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, _ *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.dir.user(r.PathValue("userKey"))
	if !ok {
		notFound(w, "userKey")
		return
	}
	body, _ := json.Marshal(u)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.dir.user(r.PathValue("userKey"))
	if !ok {
		notFound(w, "userKey")
		return
	}
	out := map[string]any{"kind": "admin#directory#tokenList", "etag": etag(0, uint64(len(s.dir.tokens[u.ID])))}
	if toks := s.dir.tokens[u.ID]; len(toks) > 0 {
		out["items"] = toks
	}
	body, _ := json.Marshal(out)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	offset, size, ok := s.window(w, r, 200, 200)
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Group
	switch {
	case q.Get("userKey") != "":
		u, ok := s.dir.user(q.Get("userKey"))
		if !ok {
			notFound(w, "userKey")
			return
		}
		for _, g := range s.dir.groups {
			if slices.ContainsFunc(g.members, func(m Member) bool { return m.ID == u.ID }) {
				out = append(out, g)
			}
		}
	case q.Get("customer") != "" && !s.customerOK(q.Get("customer")), q.Get("domain") != "" && !strings.EqualFold(q.Get("domain"), s.dir.domain):
		forbidden(w, "forbidden")
		return
	case q.Get("customer") == "" && q.Get("domain") == "":
		badRequest(w, "Bad Request")
		return
	default:
		out = s.dir.groups
	}
	writePage(s, w, r, c, "admin#directory#groups", "groups", out, offset, size)
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	offset, size, ok := s.window(w, r, 200, 200)
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.dir.group(r.PathValue("groupKey"))
	if !ok {
		notFound(w, "groupKey")
		return
	}
	members := g.members
	if q.Get("includeDerivedMembership") == "true" {
		members = s.dir.derived(g, map[string]bool{})
	}
	if roles := q.Get("roles"); roles != "" {
		want := strings.Split(roles, ",")
		var out []Member
		for _, m := range members {
			if slices.Contains(want, m.Role) {
				out = append(out, m)
			}
		}
		members = out
	}
	writePage(s, w, r, c, "admin#directory#members", "members", members, offset, size)
}

// derived lists a group's members with nested groups expanded: each user once, the nested groups kept.
func (d *directory) derived(g *Group, seen map[string]bool) []Member {
	var out []Member
	seen[g.ID] = true
	for _, m := range g.members {
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		out = append(out, m)
		if m.Type == "GROUP" {
			if ng, ok := d.group(m.ID); ok {
				out = append(out, d.derived(ng, seen)...)
			}
		}
	}
	return out
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, c *call) {
	offset, size, ok := s.window(w, r, 100, 100)
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.customerOK(r.PathValue("customer")) {
		forbidden(w, "forbidden")
		return
	}
	writePage(s, w, r, c, "admin#directory#roles", "items", s.dir.roles, offset, size)
}

func (s *Server) listAssignments(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	offset, size, ok := s.window(w, r, 100, 200)
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.customerOK(r.PathValue("customer")) {
		forbidden(w, "forbidden")
		return
	}
	out := s.dir.assigns
	if role, user := q.Get("roleId"), q.Get("userKey"); role != "" || user != "" {
		uid := ""
		if user != "" {
			u, ok := s.dir.user(user)
			if !ok {
				notFound(w, "userKey")
				return
			}
			uid = u.ID
		}
		out = nil
		for _, a := range s.dir.assigns {
			if (role == "" || a.RoleID == role) && (uid == "" || a.AssignedTo == uid) {
				out = append(out, a)
			}
		}
	}
	writePage(s, w, r, c, "admin#directory#roleAssignments", "items", out, offset, size)
}
