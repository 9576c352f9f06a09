package ddsim

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

type rel struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type resource struct {
	Type          string         `json:"type"`
	ID            string         `json:"id"`
	Attributes    map[string]any `json:"attributes"`
	Relationships map[string]any `json:"relationships,omitempty"`
}

type pageMeta struct {
	TotalCount         int `json:"total_count"`
	TotalFilteredCount int `json:"total_filtered_count"`
}

type listBody struct {
	Data     []resource      `json:"data"`
	Included []resource      `json:"included,omitempty"`
	Meta     *map[string]any `json:"meta,omitempty"`
}

func (s *Server) routes() {
	s.handle(route{"GET /api/v2/users", BucketUsers, PermUserAccessRead}, s.listUsers)
	s.handle(route{"GET /api/v2/roles", BucketRoles, PermUserAccessRead}, s.listRoles)
	s.handle(route{"GET /api/v2/roles/{role_id}/permissions", BucketRolePermissions, PermUserAccessRead}, s.rolePermissions)
	s.handle(route{"GET /api/v2/roles/{role_id}/users", BucketRoleUsers, PermUserAccessRead}, s.roleUsers)
	s.handle(route{"GET /api/v2/permissions", BucketPermissions, ""}, s.listPermissions)
	s.handle(route{"GET /api/v2/api_keys", BucketAPIKeys, PermAPIKeysRead}, s.listAPIKeys)
	s.handle(route{"GET /api/v2/application_keys", BucketAppKeys, PermOrgAppKeysRead}, s.listAppKeys)
	s.handle(route{"GET /api/v2/service_accounts/{service_account_id}/application_keys", BucketServiceAccountKeys,
		PermServiceAccountWrite}, s.serviceAccountKeys)
	s.handle(route{"GET /api/v2/audit/events", BucketAuditList, PermAuditLogsRead}, s.listAudit)
	s.handle(route{"POST /api/v2/audit/events/search", BucketAuditSearch, PermAuditLogsRead}, s.searchAudit)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.write(w, route{bucket: "unknown"}, errReply(http.StatusNotFound, "Not found"))
	})
}

func (s *Server) userResource(i int) resource {
	u := s.org.users[i]
	roles := make([]rel, len(u.Roles))
	for j, r := range u.Roles {
		roles[j] = rel{"roles", s.org.roles[r].ID}
	}
	var email any = u.Email
	return resource{Type: "users", ID: u.ID, Attributes: map[string]any{
		"email": email, "handle": u.Handle, "name": u.Name, "title": u.Title, "status": u.Status,
		"disabled": u.Disabled, "verified": u.Verified, "service_account": u.ServiceAccount,
		"mfa_enabled": u.MFA, "last_login_time": tsOrNil(u.LastLogin), "created_at": ts(u.Created),
		"modified_at": ts(u.Modified), "icon": "https://secure.gravatar.com/avatar/" + u.ID[:8] + "?d=retro",
	}, Relationships: map[string]any{
		"roles": map[string]any{"data": roles},
		"org":   map[string]any{"data": rel{"orgs", s.org.ID}},
	}}
}

func (s *Server) roleResource(i int, withPerms bool) resource {
	r := s.org.roles[i]
	res := resource{Type: "roles", ID: r.ID, Attributes: map[string]any{
		"name": r.Name, "created_at": ts(r.Created), "modified_at": ts(r.Modified), "user_count": s.org.userCount(i),
	}}
	if withPerms {
		perms := make([]rel, len(r.Perms))
		for j, p := range r.Perms {
			perms[j] = rel{"permissions", s.org.perms[p].ID}
		}
		res.Relationships = map[string]any{"permissions": map[string]any{"data": perms}}
	}
	return res
}

func (s *Server) permResource(i int) resource {
	p := s.org.perms[i]
	return resource{Type: "permissions", ID: p.ID, Attributes: map[string]any{
		"name": p.Name, "display_name": p.Display, "description": "Grants " + p.Display + ".", "group_name": p.Group,
		"display_type": "other", "restricted": p.Restricted, "created": ts(s.org.roles[0].Created),
	}}
}

// userQuery filters and sorts user indexes by filter, filter[status] and sort (users' documented params).
func (s *Server) userQuery(r *http.Request, candidates []int) ([]int, *reply) {
	q := r.URL.Query()
	text := strings.ToLower(q.Get("filter"))
	var statuses []string
	if v := q.Get("filter[status]"); v != "" {
		for _, st := range strings.Split(v, ",") {
			st = strings.TrimSpace(st)
			if st != "Active" && st != "Pending" && st != "Disabled" {
				rep := errReply(http.StatusBadRequest, "filter[status] must be a comma-separated list of Active, Pending, Disabled")
				return nil, &rep
			}
			statuses = append(statuses, st)
		}
	}
	key, desc := strings.CutPrefix(q.Get("sort"), "-")
	if q.Get("sort_dir") == "desc" {
		desc = true
	}
	var by func(a, b *user) int
	switch key {
	case "", "name": // candidates come in name order
	case "email":
		by = func(a, b *user) int { return cmp.Compare(a.Email, b.Email) }
	case "status":
		by = func(a, b *user) int { return cmp.Compare(a.Status, b.Status) }
	case "modified_at":
		by = func(a, b *user) int { return a.Modified.Compare(b.Modified) }
	case "created_at":
		by = func(a, b *user) int { return a.Created.Compare(b.Created) }
	default:
		rep := errReply(http.StatusBadRequest, "sort must be one of name, email, status, modified_at, created_at")
		return nil, &rep
	}
	var out []int
	for _, i := range candidates {
		u := s.org.users[i]
		if statuses != nil && !slices.Contains(statuses, u.Status) {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(u.Name+"\x00"+u.Email+"\x00"+u.Handle), text) {
			continue
		}
		out = append(out, i)
	}
	if by == nil {
		if desc {
			slices.Reverse(out)
		}
		return out, nil
	}
	slices.SortStableFunc(out, func(a, b int) int {
		c := by(s.org.users[a], s.org.users[b])
		if c == 0 {
			c = cmp.Compare(s.org.users[a].ID, s.org.users[b].ID)
		}
		if desc {
			return -c
		}
		return c
	})
	return out, nil
}

func (s *Server) usersPage(r *http.Request, candidates []int) reply {
	size, number, bad := paging(r, 100)
	if bad != nil {
		return *bad
	}
	idx, bad := s.userQuery(r, candidates)
	if bad != nil {
		return *bad
	}
	lo, hi := pageBounds(len(idx), size, number)
	body := listBody{Data: []resource{}}
	seen := map[int]bool{}
	for _, i := range idx[lo:hi] {
		body.Data = append(body.Data, s.userResource(i))
		for _, ro := range s.org.users[i].Roles {
			if !seen[ro] {
				seen[ro] = true
				body.Included = append(body.Included, s.roleResource(ro, false))
			}
		}
	}
	body.Meta = &map[string]any{"page": pageMeta{TotalCount: len(candidates), TotalFilteredCount: len(idx)}}
	return reply{body: body}
}

// allUsers is every user index in name order.
func (s *Server) allUsers() []int { return s.org.byName }

func (s *Server) listUsers(r *http.Request) reply { return s.usersPage(r, s.allUsers()) }

func (s *Server) role(r *http.Request) (int, bool) {
	i, ok := s.org.roleByID[r.PathValue("role_id")]
	return i, ok
}

func (s *Server) roleUsers(r *http.Request) reply {
	ri, ok := s.role(r)
	if !ok {
		return errReply(http.StatusNotFound, "Not found")
	}
	var members []int
	for _, i := range s.org.byName {
		if slices.Contains(s.org.users[i].Roles, ri) {
			members = append(members, i)
		}
	}
	return s.usersPage(r, members)
}

func (s *Server) rolePermissions(r *http.Request) reply {
	ri, ok := s.role(r)
	if !ok {
		return errReply(http.StatusNotFound, "Not found")
	}
	body := listBody{Data: []resource{}}
	for _, p := range s.org.roles[ri].Perms {
		body.Data = append(body.Data, s.permResource(p))
	}
	return reply{body: body}
}

func (s *Server) listPermissions(*http.Request) reply {
	body := listBody{Data: []resource{}}
	for i := range s.org.perms {
		body.Data = append(body.Data, s.permResource(i))
	}
	return reply{body: body}
}

func (s *Server) listRoles(r *http.Request) reply {
	size, number, bad := paging(r, 100)
	if bad != nil {
		return *bad
	}
	q := r.URL.Query()
	text := strings.ToLower(q.Get("filter"))
	var idx []int
	for i, ro := range s.org.roles {
		if text == "" || strings.Contains(strings.ToLower(ro.Name), text) {
			idx = append(idx, i)
		}
	}
	key, desc := strings.CutPrefix(q.Get("sort"), "-")
	switch key {
	case "", "name":
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(s.org.roles[a].Name, s.org.roles[b].Name) })
	case "modified_at":
		slices.SortStableFunc(idx, func(a, b int) int { return s.org.roles[a].Modified.Compare(s.org.roles[b].Modified) })
	case "user_count":
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(s.org.userCount(a), s.org.userCount(b)) })
	default:
		return errReply(http.StatusBadRequest, "sort must be one of name, modified_at, user_count")
	}
	if desc {
		slices.Reverse(idx)
	}
	lo, hi := pageBounds(len(idx), size, number)
	body := listBody{Data: []resource{}}
	for _, i := range idx[lo:hi] {
		body.Data = append(body.Data, s.roleResource(i, true))
	}
	body.Meta = &map[string]any{"page": pageMeta{TotalCount: len(s.org.roles), TotalFilteredCount: len(idx)}}
	return reply{body: body}
}

func (s *Server) apiKeyResource(k *apiKey) resource {
	by := rel{"users", s.org.users[k.CreatedBy].ID}
	return resource{Type: "api_keys", ID: k.ID, Attributes: map[string]any{
		"name": k.Name, "last4": k.Last4, "category": k.Category, "created_at": ts(k.Created),
		"modified_at": ts(k.Modified), "date_last_used": tsOrNil(k.LastUsed), "remote_config_read_enabled": false,
	}, Relationships: map[string]any{
		"created_by":  map[string]any{"data": by},
		"modified_by": map[string]any{"data": by},
	}}
}

func (s *Server) appKeyResource(k *appKey) resource {
	var scopes any
	if k.Scopes != nil {
		scopes = k.Scopes
	}
	return resource{Type: "application_keys", ID: k.ID, Attributes: map[string]any{
		"name": k.Name, "last4": k.Last4, "created_at": ts(k.Created), "last_used_at": tsOrNil(k.LastUsed),
		"scopes": scopes,
	}, Relationships: map[string]any{
		"owned_by": map[string]any{"data": rel{"users", s.org.users[k.Owner].ID}},
	}}
}

// keyPage pages n keys after filtering by name and sorting (created_at, name, last4; "-" for descending).
func keyPage[K any](r *http.Request, keys []K, name func(K) string, created func(K) int64, last4 func(K) string,
	res func(K) resource) reply {
	size, number, bad := paging(r, 100)
	if bad != nil {
		return *bad
	}
	q := r.URL.Query()
	text := strings.ToLower(q.Get("filter"))
	var sel []K
	for _, k := range keys {
		if text == "" || strings.Contains(strings.ToLower(name(k)), text) {
			sel = append(sel, k)
		}
	}
	key, desc := strings.CutPrefix(q.Get("sort"), "-")
	var by func(a, b K) int
	switch key {
	case "", "created_at":
		by = func(a, b K) int { return cmp.Compare(created(a), created(b)) }
	case "name":
		by = func(a, b K) int { return cmp.Compare(name(a), name(b)) }
	case "last4":
		by = func(a, b K) int { return cmp.Compare(last4(a), last4(b)) }
	default:
		return errReply(http.StatusBadRequest, "sort must be one of created_at, name, last4")
	}
	slices.SortStableFunc(sel, func(a, b K) int {
		if desc {
			return by(b, a)
		}
		return by(a, b)
	})
	lo, hi := pageBounds(len(sel), size, number)
	body := listBody{Data: []resource{}}
	for _, k := range sel[lo:hi] {
		body.Data = append(body.Data, res(k))
	}
	body.Meta = &map[string]any{"page": map[string]int{"total_filtered_count": len(sel)}}
	return reply{body: body}
}

func (s *Server) listAPIKeys(r *http.Request) reply {
	return keyPage(r, s.org.apiKeys, func(k *apiKey) string { return k.Name },
		func(k *apiKey) int64 { return k.Created.UnixNano() }, func(k *apiKey) string { return k.Last4 }, s.apiKeyResource)
}

func (s *Server) appKeysOf(owner int) []*appKey {
	var out []*appKey
	for _, k := range s.org.appKeys {
		if owner < 0 || k.Owner == owner {
			out = append(out, k)
		}
	}
	return out
}

func (s *Server) listAppKeys(r *http.Request) reply {
	keys := s.org.appKeys
	if v := r.URL.Query().Get("filter[owned_by]"); v != "" {
		i, ok := s.org.userByID[v]
		if !ok {
			keys = nil
		} else {
			keys = s.appKeysOf(i)
		}
	}
	return keyPage(r, keys, func(k *appKey) string { return k.Name },
		func(k *appKey) int64 { return k.Created.UnixNano() }, func(k *appKey) string { return k.Last4 }, s.appKeyResource)
}

func (s *Server) serviceAccountKeys(r *http.Request) reply {
	i, ok := s.org.userByID[r.PathValue("service_account_id")]
	if !ok || !s.org.users[i].ServiceAccount {
		return errReply(http.StatusNotFound, "Not found")
	}
	return keyPage(r, s.appKeysOf(i), func(k *appKey) string { return k.Name },
		func(k *appKey) int64 { return k.Created.UnixNano() }, func(k *appKey) string { return k.Last4 }, s.appKeyResource)
}
