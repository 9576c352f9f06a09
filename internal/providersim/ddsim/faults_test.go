package ddsim_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
)

// TestPageFaultsAndReset: a fault on page 2 of a listing answers only page[number]=1; a 429 fault's Reset is
// what X-RateLimit-Reset asks for, with nothing remaining.
func TestPageFaultsAndReset(t *testing.T) {
	s := newSim(t, ddsim.Options{})
	s.AddFault(ddsim.Fault{Path: "/api/v2/users", Page: 2, Status: http.StatusTooManyRequests, Reset: 90 * time.Second, Times: 1})
	if a := do(t, s, req{path: "/api/v2/users?page[size]=5&page[number]=0"}); a.status != http.StatusOK {
		t.Fatalf("page 1: %d", a.status)
	}
	a := do(t, s, req{path: "/api/v2/users?page[size]=5&page[number]=1"})
	if a.status != http.StatusTooManyRequests || a.header.Get("X-RateLimit-Reset") != "90" || a.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("page 2: %d reset %q remaining %q", a.status, a.header.Get("X-RateLimit-Reset"), a.header.Get("X-RateLimit-Remaining"))
	}
	if a := do(t, s, req{path: "/api/v2/users?page[size]=5&page[number]=1"}); a.status != http.StatusOK {
		t.Fatalf("page 2 after the fault retired: %d", a.status)
	}
}

// TestEmptyLastPage: under the fault every page of a listing is full (the last filled from the start again),
// one more page of repeats follows, then an empty page; the items seen are exactly the listing's.
func TestEmptyLastPage(t *testing.T) {
	s := newSim(t, ddsim.Options{})
	var plain []string
	for p := 0; ; p++ {
		page := data(do(t, s, req{path: "/api/v2/roles?page[size]=4&page[number]=" + itoa(p)}))
		for _, d := range page {
			plain = append(plain, d["id"].(string))
		}
		if len(page) < 4 {
			break
		}
	}
	s.AddFault(ddsim.Fault{Path: "/api/v2/roles", EmptyLastPage: true})
	var seen []string
	pages := 0
	for p := 0; ; p++ {
		page := data(do(t, s, req{path: "/api/v2/roles?page[size]=4&page[number]=" + itoa(p)}))
		pages++
		if len(page) == 0 {
			break
		}
		if len(page) != 4 {
			t.Fatalf("page %d has %d items; every page before the empty one is full", p, len(page))
		}
		for _, d := range page {
			if id := d["id"].(string); !slices.Contains(seen, id) {
				seen = append(seen, id)
			}
		}
	}
	slices.Sort(plain)
	slices.Sort(seen)
	if !slices.Equal(seen, plain) || pages != (len(plain)+3)/4+2 {
		t.Fatalf("%d pages with %v; want %d pages with %v", pages, seen, (len(plain)+3)/4+2, plain)
	}
}

// TestAdminChanges: a deleted role leaves the listing and its members; a removed member leaves the role; a
// deleted key leaves its listing; a disabled user stays, disabled.
func TestAdminChanges(t *testing.T) {
	s := newSim(t, ddsim.Options{})
	var auditors, managers ddsim.Role
	for _, r := range s.Roles() {
		switch r.Name {
		case "Compliance Auditors":
			auditors = r
		case "User Managers":
			managers = r
		}
	}
	if auditors.UserCount == 0 || managers.UserCount == 0 {
		t.Fatal("no members to change")
	}
	if err := s.DeleteRole(auditors.ID); err != nil {
		t.Fatal(err)
	}
	var member string
	for _, u := range s.Users() {
		if slices.Contains(u.Roles, "Compliance Auditors") {
			t.Fatalf("user %s still holds the deleted role", u.Handle)
		}
		if member == "" && slices.Contains(u.Roles, "User Managers") {
			member = u.ID
		}
	}
	if err := s.RemoveRoleMember(managers.ID, member); err != nil {
		t.Fatal(err)
	}
	if n := len(data(do(t, s, req{path: "/api/v2/roles/" + managers.ID + "/users"}))); n != managers.UserCount-1 {
		t.Fatalf("User Managers has %d members, want %d", n, managers.UserCount-1)
	}
	for _, r := range data(do(t, s, req{path: "/api/v2/roles?page[size]=100"})) {
		if r["id"] == auditors.ID {
			t.Fatal("the deleted role is still listed")
		}
	}
	key := s.Keys()[0]
	if err := s.DeleteKey(key.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range data(do(t, s, req{path: "/api/v2/api_keys?page[size]=100"})) {
		if k["id"] == key.ID {
			t.Fatal("the deleted key is still listed")
		}
	}
	if err := s.DisableUser(member); err != nil {
		t.Fatal(err)
	}
	for _, u := range s.Users() {
		if u.ID == member && u.Status != "Disabled" {
			t.Fatalf("disabled user is %s", u.Status)
		}
	}
	if err := s.DeleteRole(s.Roles()[0].ID); err == nil {
		t.Fatal("a managed role was deleted")
	}
}
