package entrasim

import (
	"net/http"
	"strconv"
	"strings"
)

// Application permissions that satisfy each dataset (any one suffices).
var (
	rolesUsers  = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	rolesGroups = []string{"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	rolesAudit  = []string{"AuditLog.Read.All"}
)

// route is one Graph endpoint: its pattern, the permissions it needs, its resource-unit cost and its handler.
type route struct {
	method  string // empty: GET
	pattern string
	roles   []string
	cost    int
	report  bool // counts against the reports bucket (Options.ReportRequests), not resource units
	h       func(http.ResponseWriter, *http.Request, *call)
}

// call is what the middleware learned about a Graph request.
type call struct {
	grant grant
	route *route
}

func (s *Server) routes() {
	login, graph := http.NewServeMux(), http.NewServeMux()
	login.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)
	login.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.openIDConfig)
	s.mux.Handle("/", login)
	s.mux.Handle("/v1.0/", graph)
	table := []route{
		{pattern: "/v1.0/users", roles: rolesUsers, cost: 2, h: s.listUsers},
		{pattern: "/v1.0/users/{id}", roles: rolesUsers, cost: 1, h: s.getUser},
		{pattern: "/v1.0/groups", roles: rolesGroups, cost: 1, h: s.listGroups},
		{pattern: "/v1.0/groups/{id}", roles: rolesGroups, cost: 1, h: s.getGroup},
		{pattern: "/v1.0/groups/{id}/members", roles: rolesGroups, cost: 3, h: s.listMembers(false)},
		{pattern: "/v1.0/groups/{id}/transitiveMembers", roles: rolesGroups, cost: 5, h: s.listMembers(true)},
		{pattern: "/v1.0/", cost: 1, h: s.unknownSegment},
	}
	table = append(table, s.appRoutes()...)
	table = append(table, s.subscriptionRoutes()...)
	for _, suffix := range []string{"delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()"} {
		table = append(table,
			route{pattern: "/v1.0/users/" + suffix, roles: rolesUsers, cost: 2, h: s.usersDelta},
			route{pattern: "/v1.0/groups/" + suffix, roles: rolesGroups, cost: 2, h: s.groupsDelta},
			route{pattern: "/v1.0/servicePrincipals/" + suffix, roles: rolesApps, cost: 2, h: s.servicePrincipalsDelta},
			route{pattern: "/v1.0/applications/" + suffix, roles: rolesApps, cost: 2, h: s.applicationsDelta})
	}
	for i := range table {
		rt := &table[i]
		method := rt.method
		if method == "" {
			method = "GET"
		}
		graph.Handle(method+" "+rt.pattern, s.serve(rt))
	}
}

// serve wraps a Graph handler: faults, bearer token, permissions, throttling.
func (s *Server) serve(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.stats.count(routeName(rt.pattern))
		if f, ok := s.faults.match(rt.pattern, r, s.pageNumber(r)); ok {
			s.statusError(w, r, f)
			return
		}
		g, ok := s.bearer(w, r)
		if !ok {
			return
		}
		if len(rt.roles) > 0 && !g.hasRole(rt.roles...) {
			s.graphError(w, r, http.StatusForbidden, codeDenied, "Insufficient privileges to complete the operation.")
			return
		}
		bucket, cost := s.throttle, requestCost(rt.cost, r)
		if rt.report {
			bucket, cost = s.reports, 1
		}
		if !bucket.admit(w, g.app.ClientID, cost, s.now()) {
			s.stats.spent(0, true)
			s.graphError(w, r, http.StatusTooManyRequests, codeThrottled, "Too many requests.")
			return
		}
		if !rt.report {
			s.stats.spent(cost, false)
		}
		w.Header().Set("request-id", s.requestID())
		rt.h(w, r, &call{grant: g, route: rt})
	})
}

// requestCost applies Graph's resource-unit adjustments: $select −1, $top under 20 −1, never below 1.
func requestCost(base int, r *http.Request) int {
	q := r.URL.Query()
	c := base
	if q.Get("$select") != "" {
		c--
	}
	if t, err := strconv.Atoi(q.Get("$top")); err == nil && t < 20 {
		c--
	}
	return max(c, 1)
}

// unknownSegment answers paths Graph has no resource for.
func (s *Server) unknownSegment(w http.ResponseWriter, r *http.Request, _ *call) {
	seg := strings.TrimPrefix(r.URL.Path, "/v1.0/")
	seg, _, _ = strings.Cut(seg, "/")
	s.graphError(w, r, http.StatusBadRequest, codeBadRequest, "Resource not found for the segment '"+seg+"'.")
}

// routeName is the name Stats counts a route under: delta routes by their plain form.
func routeName(pattern string) string {
	for _, suffix := range []string{"/microsoft.graph.delta()", "/microsoft.graph.delta", "/delta()"} {
		if p, ok := strings.CutSuffix(pattern, suffix); ok {
			return p + "/delta"
		}
	}
	return pattern
}

// pageNumber is the page of a listing a request asks for: 1 without a $skiptoken, else the number its token
// carries (0 when it carries none).
func (s *Server) pageNumber(r *http.Request) int {
	tok := r.URL.Query().Get("$skiptoken")
	if tok == "" {
		return 1
	}
	t, err := s.decodeToken(tok)
	if err != nil {
		return 0
	}
	return t.Page
}
