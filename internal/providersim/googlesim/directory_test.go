package googlesim_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
)

func ids(t *testing.T, items []json.RawMessage, field string) []string {
	t.Helper()
	var out []string
	for _, raw := range items {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m[field].(string))
	}
	return out
}

// TestListingsPageToTheEnd: each listing read in small pages holds every object once, the same as one big page.
func TestListingsPageToTheEnd(t *testing.T) {
	s, _ := newSim(t, googlesim.Options{})
	groups := s.Groups()
	cust := "/admin/directory/v1/customer/" + s.CustomerID()
	for _, tc := range []struct {
		path, field, id string
		max             int
	}{
		{"/admin/directory/v1/users?customer=my_customer&orderBy=email", "users", "id", 500},
		{"/admin/directory/v1/users?domain=acme.example&sortOrder=DESCENDING&orderBy=email", "users", "id", 500},
		{"/admin/directory/v1/groups?customer=my_customer", "groups", "id", 200},
		{"/admin/directory/v1/groups/" + groups[0].ID + "/members", "members", "id", 200},
		{cust + "/roles", "items", "roleId", 100},
		{"/admin/directory/v1/customer/my_customer/roleassignments", "items", "roleAssignmentId", 200},
	} {
		t.Run(tc.path, func(t *testing.T) {
			big, _ := listAll(t, s, tc.path, tc.field, tc.max)
			small, pages := listAll(t, s, tc.path, tc.field, 3)
			want, got := ids(t, big, tc.id), ids(t, small, tc.id)
			if len(want) < 4 || pages < 2 || !slices.Equal(got, want) {
				t.Fatalf("%d items in %d small pages, %d in one: %v vs %v", len(got), pages, len(want), got, want)
			}
			if c := slices.Compact(slices.Sorted(slices.Values(got))); len(c) != len(got) {
				t.Fatalf("an item was listed twice")
			}
		})
	}
	var e apiErr
	if code, _ := get(t, s, googlesim.DefaultToken, "/admin/directory/v1/users?customer=my_customer&maxResults=501", &e); code != http.StatusBadRequest {
		t.Fatalf("maxResults 501: %d", code)
	}
	if code, _ := get(t, s, googlesim.DefaultToken, "/admin/directory/v1/users?customer=my_customer&pageToken=forged", &e); code != http.StatusBadRequest || e.reason() != "invalid" {
		t.Fatalf("a forged page token: %d %s", code, e.reason())
	}
	if code, _ := get(t, s, googlesim.DefaultToken, "/admin/directory/v1/users", &e); code != http.StatusBadRequest {
		t.Fatalf("users without customer or domain: %d", code)
	}
}

// TestDirectoryServesTheCompany: users carry the company's admin, 2SV, suspension and login signals; the nested
// group expands with includeDerivedMembership; roles and assignments cover the admins; tokens are per user.
func TestDirectoryServesTheCompany(t *testing.T) {
	s, _ := newSim(t, googlesim.Options{})
	users := s.Users()
	var admins, delegated, enrolled, suspended, archived, never int
	for _, u := range users {
		switch {
		case u.IsAdmin:
			admins++
		case u.IsDelegatedAdmin:
			delegated++
		}
		if u.IsEnrolledIn2Sv {
			enrolled++
		}
		if u.Suspended {
			suspended++
		}
		if u.Archived {
			archived++
		}
		if u.LastLoginTime == "1970-01-01T00:00:00.000Z" {
			never++
		}
		if u.OrgUnitPath == "" || !strings.HasPrefix(u.OrgUnitPath, "/") {
			t.Errorf("%s: orgUnitPath %q", u.PrimaryEmail, u.OrgUnitPath)
		}
	}
	if admins == 0 || delegated == 0 || enrolled == 0 || enrolled == len(users) || suspended+archived == 0 || never == 0 {
		t.Fatalf("admins %d delegated %d enrolled %d/%d suspended %d archived %d never %d", admins, delegated, enrolled, len(users), suspended, archived, never)
	}

	var all googlesim.Group
	for _, g := range s.Groups() {
		if g.Name == "All Departments" {
			all = g
		}
	}
	direct, _ := listAll(t, s, "/admin/directory/v1/groups/"+all.Email+"/members", "members", 200)
	derived, _ := listAll(t, s, "/admin/directory/v1/groups/"+all.ID+"/members?includeDerivedMembership=true", "members", 200)
	if len(direct) == 0 || len(derived) <= len(direct) {
		t.Fatalf("All Departments: %d direct, %d derived members", len(direct), len(derived))
	}
	owners, _ := listAll(t, s, "/admin/directory/v1/groups/"+all.ID+"/members?roles=OWNER", "members", 200)
	if len(owners) != 1 {
		t.Fatalf("%d owners of All Departments", len(owners))
	}

	var roles struct {
		Items []googlesim.Role `json:"items"`
	}
	get(t, s, googlesim.DefaultToken, "/admin/directory/v1/customer/my_customer/roles", &roles)
	super := ""
	for _, r := range roles.Items {
		if r.IsSuperAdminRole {
			super = r.RoleID
		}
	}
	var groupAssigned, orgUnit bool
	supers := 0
	for _, a := range s.RoleAssignments() {
		groupAssigned = groupAssigned || a.AssigneeType == "group"
		orgUnit = orgUnit || a.ScopeType == "ORG_UNIT"
		if a.RoleID == super {
			supers++
		}
	}
	if super == "" || supers != admins || !groupAssigned || !orgUnit {
		t.Fatalf("super role %q with %d assignments for %d super admins; group %v org unit %v", super, supers, admins, groupAssigned, orgUnit)
	}

	withTokens := 0
	for _, u := range users {
		var list struct {
			Kind  string            `json:"kind"`
			Items []googlesim.Token `json:"items"`
		}
		if code, _ := get(t, s, googlesim.DefaultToken, "/admin/directory/v1/users/"+u.PrimaryEmail+"/tokens", &list); code != http.StatusOK || list.Kind != "admin#directory#tokenList" {
			t.Fatalf("tokens of %s: %d %q", u.PrimaryEmail, code, list.Kind)
		}
		if len(list.Items) > 0 {
			withTokens++
			if tk := list.Items[0]; tk.UserKey != u.ID || tk.ClientID == "" || tk.DisplayText == "" || len(tk.Scopes) == 0 {
				t.Fatalf("token %+v", tk)
			}
		}
	}
	if withTokens == 0 {
		t.Fatal("no user has tokens")
	}
	if code, _ := get(t, s, googlesim.DefaultToken, "/admin/directory/v1/users/nobody@acme.example/tokens", nil); code != http.StatusNotFound {
		t.Fatalf("tokens of an unknown user: %d", code)
	}
}

// TestDeletionsShowInListings: a deleted user moves to showDeleted (with its deletionTime) and out of its groups
// and assignments, and is purged 20 days later; leavers deleted longer ago are purged already; a deleted group
// leaves the nesting group.
func TestDeletionsShowInListings(t *testing.T) {
	s, clk := newSim(t, googlesim.Options{})
	listDeleted := func() []json.RawMessage {
		t.Helper()
		gone, _ := listAll(t, s, "/admin/directory/v1/users?customer=my_customer&showDeleted=true", "users", 500)
		return gone
	}
	for _, raw := range listDeleted() {
		var u googlesim.User
		if err := json.Unmarshal(raw, &u); err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339, u.DeletionTime)
		if err != nil || clk.Now().Sub(at) >= 20*24*time.Hour {
			t.Fatalf("listed deleted: %s deleted at %q (%v)", u.PrimaryEmail, u.DeletionTime, err)
		}
	}
	var admin googlesim.User
	for _, u := range s.Users() {
		if u.IsDelegatedAdmin {
			admin = u
		}
	}
	if err := s.DeleteUser(admin.PrimaryEmail); err != nil {
		t.Fatal(err)
	}
	live, _ := listAll(t, s, "/admin/directory/v1/users?customer=my_customer", "users", 500)
	gone := listDeleted()
	if slices.Contains(ids(t, live, "id"), admin.ID) || !slices.Contains(ids(t, gone, "id"), admin.ID) {
		t.Fatal("the deleted user is listed live or not as deleted")
	}
	if !strings.Contains(string(gone[slices.Index(ids(t, gone, "id"), admin.ID)]), `"deletionTime":"`+clk.Now().UTC().Format("2006-01-02T15:04:05.000Z")) {
		t.Fatalf("the deleted user's deletionTime: %s", gone)
	}
	clk.t = clk.t.Add(20*24*time.Hour - time.Second)
	if !slices.Contains(ids(t, listDeleted(), "id"), admin.ID) {
		t.Fatal("the deleted user is purged before 20 days")
	}
	clk.t = clk.t.Add(time.Second)
	if slices.Contains(ids(t, listDeleted(), "id"), admin.ID) {
		t.Fatal("the deleted user is listed 20 days after its deletion")
	}
	for _, a := range s.RoleAssignments() {
		if a.AssignedTo == admin.ID {
			t.Fatal("the deleted user keeps a role assignment")
		}
	}
	groups := s.Groups()
	if err := s.DeleteGroup(groups[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, g := range s.Groups() {
		for _, m := range g.Members() {
			if m.ID == groups[0].ID || m.ID == admin.ID {
				t.Fatalf("%s still holds a deleted member %s", g.Name, m.ID)
			}
		}
	}
	if err := s.DeleteGroup(groups[0].ID); err == nil {
		t.Fatal("deleting a deleted group succeeded")
	}
}
