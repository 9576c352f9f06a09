package ddsim_test

import (
	"slices"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
)

func roleByName(t *testing.T, s *ddsim.Server, name string) map[string]any {
	t.Helper()
	for _, r := range data(do(t, s, req{path: "/api/v2/roles?page[size]=100"})) {
		if attrs(r)["name"] == name {
			return r
		}
	}
	t.Fatalf("no role %q", name)
	return nil
}

// TestRoles: roles carry their permissions; a role's permissions and users agree with its user_count; the
// admin role holds user_access_manage and a custom role holds admin-grade permissions under another name.
func TestRoles(t *testing.T) {
	s := newSim(t, ddsim.Options{ExtraRoles: 3})
	all := do(t, s, req{path: "/api/v2/roles?page[size]=100"})
	if n := pageMeta(all, "total_count"); n != 9 || len(data(all)) != 9 {
		t.Fatalf("roles %d (total %d), want 6 + 3 extra", len(data(all)), n)
	}
	perms := map[string]string{}
	for _, p := range data(do(t, s, req{path: "/api/v2/permissions"})) {
		perms[p["id"].(string)] = attrs(p)["name"].(string)
	}
	for _, tc := range []struct {
		role     string
		wantPerm string
		has      bool
	}{
		{ddsim.RoleAdmin, "user_access_manage", true},
		{ddsim.RoleReadOnly, "user_access_manage", false},
		{ddsim.RoleStandard, "org_management", false},
		{"Security Engineering", "api_keys_write", true},
		{"Compliance Auditors", ddsim.PermAuditLogsRead, true},
	} {
		t.Run(tc.role, func(t *testing.T) {
			r := roleByName(t, s, tc.role)
			id := r["id"].(string)
			var listed []string
			for _, p := range data(do(t, s, req{path: "/api/v2/roles/" + id + "/permissions"})) {
				listed = append(listed, attrs(p)["name"].(string))
			}
			var rel []string
			for _, pid := range relIDs(r, "permissions") {
				rel = append(rel, perms[pid])
			}
			slices.Sort(listed)
			slices.Sort(rel)
			if !slices.Equal(listed, rel) {
				t.Errorf("permissions endpoint %v, relationship %v", listed, rel)
			}
			if slices.Contains(listed, tc.wantPerm) != tc.has {
				t.Errorf("%s holds %s = %v, want %v", tc.role, tc.wantPerm, !tc.has, tc.has)
			}
			members := do(t, s, req{path: "/api/v2/roles/" + id + "/users?page[size]=100"})
			count := int(attrs(r)["user_count"].(float64))
			if len(data(members)) != count || pageMeta(members, "total_count") != count {
				t.Errorf("role users %d, user_count %d", len(data(members)), count)
			}
			for _, u := range data(members) {
				if !slices.Contains(relIDs(u, "roles"), id) {
					t.Errorf("member %s does not list the role", u["id"])
				}
			}
		})
	}
	if a := do(t, s, req{path: "/api/v2/roles/00000000-0000-4000-8000-000000000000/users"}); a.status != 404 {
		t.Errorf("unknown role: %d", a.status)
	}
}

// TestKeys: API and application keys are metadata only (no key), with last4, created_at, last-use times under
// their documented names, and owners that are users; a service account's keys are its own.
func TestKeys(t *testing.T) {
	s := newSimOf(t, company(t, medium), ddsim.Options{ExtraKeys: 5})
	users := map[string]map[string]any{}
	for _, u := range data(do(t, s, req{path: "/api/v2/users?page[size]=100"})) {
		users[u["id"].(string)] = u
	}
	for n := 1; ; n++ { // users beyond the first page own keys too
		page := data(do(t, s, req{path: "/api/v2/users?page[size]=100&page[number]=" + itoa(n)}))
		for _, u := range page {
			users[u["id"].(string)] = u
		}
		if len(page) < 100 {
			break
		}
	}
	api := do(t, s, req{path: "/api/v2/api_keys?page[size]=100"})
	if len(data(api)) < 3 || pageMeta(api, "total_filtered_count") != len(data(api)) {
		t.Fatalf("api keys %d", len(data(api)))
	}
	var used, unused int
	for _, k := range data(api) {
		at, id := attrs(k), k["id"].(string)
		if k["type"] != "api_keys" || at["last4"] != id[len(id)-4:] || at["created_at"] == nil || at["key"] != nil {
			t.Errorf("api key %v", k)
		}
		if at["date_last_used"] == nil {
			unused++
		} else {
			used++
		}
		if by := relIDs(k, "created_by"); len(by) != 1 || users[by[0]] == nil {
			t.Errorf("api key %s created_by %v", id, by)
		}
	}
	if used == 0 || unused == 0 {
		t.Errorf("api keys used %d, never used %d; want both", used, unused)
	}
	app := data(do(t, s, req{path: "/api/v2/application_keys?page[size]=100"}))
	scoped := 0
	for _, k := range app {
		at := attrs(k)
		if k["type"] != "application_keys" || at["last4"] == nil || at["key"] != nil {
			t.Errorf("application key %v", k)
		}
		if _, ok := at["last_used_at"]; !ok {
			t.Errorf("application key %s lacks last_used_at", k["id"])
		}
		if at["scopes"] != nil {
			scoped++
		}
		if own := relIDs(k, "owned_by"); len(own) != 1 || users[own[0]] == nil {
			t.Errorf("application key %s owned_by %v", k["id"], own)
		}
	}
	if scoped == 0 {
		t.Error("no scoped application key")
	}
	var sa, human string
	for id, u := range users {
		if attrs(u)["service_account"] == true && sa == "" {
			sa = id
		} else if attrs(u)["service_account"] == false && human == "" {
			human = id
		}
	}
	saKeys := do(t, s, req{path: "/api/v2/service_accounts/" + sa + "/application_keys"})
	if saKeys.status != 200 || len(data(saKeys)) == 0 {
		t.Fatalf("service account keys: %d %v", saKeys.status, saKeys.body)
	}
	for _, k := range data(saKeys) {
		if own := relIDs(k, "owned_by"); !slices.Equal(own, []string{sa}) {
			t.Errorf("service account key owned by %v", own)
		}
	}
	if a := do(t, s, req{path: "/api/v2/service_accounts/" + human + "/application_keys"}); a.status != 404 {
		t.Errorf("a human's id as service account: %d", a.status)
	}
	owned := do(t, s, req{path: "/api/v2/application_keys?filter[owned_by]=" + sa})
	if len(data(owned)) != len(data(saKeys)) {
		t.Errorf("filter[owned_by]: %d keys, want %d", len(data(owned)), len(data(saKeys)))
	}
}

// TestInventory: the accessors tests build expectations from agree with what the API serves.
func TestInventory(t *testing.T) {
	s := newSim(t, ddsim.Options{ExtraRoles: 2})
	served := map[string]map[string]any{}
	for _, u := range data(do(t, s, req{path: "/api/v2/users?page[size]=100"})) {
		served[u["id"].(string)] = attrs(u)
	}
	users := s.Users()
	if len(users) != len(served) {
		t.Fatalf("Users() %d, served %d", len(users), len(served))
	}
	for _, u := range users {
		at := served[u.ID]
		if at == nil || at["handle"] != u.Handle || at["status"] != u.Status || at["service_account"] != u.ServiceAccount ||
			len(u.Roles) == 0 || u.PersonID == "" {
			t.Errorf("user %+v served as %v", u, at)
		}
	}
	roles := s.Roles()
	if len(roles) != pageMeta(do(t, s, req{path: "/api/v2/roles"}), "total_count") || roles[0].Name != ddsim.RoleAdmin {
		t.Errorf("Roles() %d, first %q", len(roles), roles[0].Name)
	}
	for _, r := range roles {
		privileged := slices.ContainsFunc(r.Permissions, func(p string) bool { return slices.Contains(ddsim.AdminGradePermissions(), p) })
		want := r.Name == ddsim.RoleAdmin || r.Name == "Security Engineering" || r.Name == "User Managers"
		if r.UserCount == 0 {
			t.Errorf("role %q has no user", r.Name)
		}
		if privileged != want || privileged && r.UserCount == 0 {
			t.Errorf("role %q admin-grade %v with %d users, want admin-grade %v with users", r.Name, privileged, r.UserCount, want)
		}
	}
	keys := s.Keys()
	api := pageMeta(do(t, s, req{path: "/api/v2/api_keys"}), "total_filtered_count")
	app := pageMeta(do(t, s, req{path: "/api/v2/application_keys"}), "total_filtered_count")
	if len(keys) != api+app {
		t.Errorf("Keys() %d, served %d + %d", len(keys), api, app)
	}
}
