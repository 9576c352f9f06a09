package aws_test

import (
	"encoding/json"
	"slices"
	"testing"

	awsc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestFullSyncExpandsAssignments: every assignment of the instance becomes grants — a user's own (direct), a
// group's own, and one per member through the group — and users an admin-grade set reaches either way are admins.
func TestFullSyncExpandsAssignments(t *testing.T) {
	e := mustEnv(t, awssim.Options{PageSize: 4})
	page, _ := e.fullSync(t)
	if len(page.Accounts) != len(e.sim.Users()) || len(page.Groups) != len(e.sim.Groups()) {
		t.Fatalf("%d accounts, %d groups read; the instance has %d, %d", len(page.Accounts), len(page.Groups), len(e.sim.Users()), len(e.sim.Groups()))
	}
	names := map[string]string{}
	grades := map[string]string{}
	for _, r := range page.Resources {
		if r.Kind == "permission_set" {
			var ps struct {
				AdminGrade string `json:"admin_grade"`
			}
			if err := json.Unmarshal(r.Raw, &ps); err != nil {
				t.Fatal(err)
			}
			names[r.ExternalID], grades[r.Name] = r.Name, ps.AdminGrade
		}
	}
	want := map[string]string{awssim.PSAdministrator: awsc.GradeSuper, awssim.PSBreakGlass: awsc.GradeSuper, awssim.PSIAMAdmin: awsc.GradePrivileged,
		awssim.PSPowerUser: awsc.GradePrivileged, awssim.PSDeveloper: "", awssim.PSReadOnly: "", awssim.PSBilling: "", awssim.PSSecurityAudit: ""}
	for n, g := range want {
		if grades[n] != g {
			t.Errorf("permission set %s graded %q, want %q", n, grades[n], g)
		}
	}
	type key struct{ principal, account, perm, via, viaID string }
	got := map[key]bool{}
	for _, g := range page.Grants {
		got[key{g.PrincipalExternalID, g.ResourceExternalID, g.Permission, g.Via, g.ViaExternalID}] = true
	}
	members := map[string][]string{}
	for _, g := range e.sim.Groups() {
		members[g.ID] = g.Members
	}
	admins := map[string]bool{}
	expected := 0
	for _, a := range e.sim.Assignments() {
		perm := names[a.PermissionSetARN]
		if !got[key{a.PrincipalID, a.AccountID, perm, awsc.ViaDirect, ""}] {
			t.Errorf("assignment %+v: no direct grant", a)
		}
		expected++
		admin := grades[perm] != ""
		if a.PrincipalType == "USER" {
			admins[a.PrincipalID] = admins[a.PrincipalID] || admin
			continue
		}
		for _, m := range members[a.PrincipalID] {
			expected++
			admins[m] = admins[m] || admin
			if !got[key{m, a.AccountID, perm, awsc.ViaGroup, a.PrincipalID}] {
				t.Errorf("member %s of group %s: no grant of %s in %s through the group", m, a.PrincipalID, perm, a.AccountID)
			}
		}
	}
	if len(got) != expected {
		t.Errorf("%d distinct grants, the assignments make %d", len(got), expected)
	}
	nAdmins := 0
	for _, acc := range page.Accounts {
		if acc.IsAdmin != admins[acc.ExternalID] {
			t.Errorf("account %s admin %v, want %v", acc.ExternalID, acc.IsAdmin, admins[acc.ExternalID])
		}
		if acc.IsAdmin {
			nAdmins++
		}
	}
	if nAdmins == 0 {
		t.Fatal("no admin: the company's admins should reach AdministratorAccess")
	}
	// Direct and group paths to the same (account, set) are both kept.
	both := 0
	for k := range got {
		if k.via == awsc.ViaGroup && got[key{k.principal, k.account, k.perm, awsc.ViaDirect, ""}] {
			both++
		}
	}
	t.Logf("%d grants, %d admins, %d held both directly and through a group", len(got), nAdmins, both)
	accounts := 0
	for _, r := range page.Resources {
		if r.Kind == "aws_account" && slices.Contains(e.sim.Accounts(), r.ExternalID) {
			accounts++
		}
	}
	if accounts == 0 {
		t.Fatal("no AWS account resources")
	}
	for _, acc := range page.Accounts {
		if acc.Kind != sspm.AccountUser || acc.ExternalID == "" || acc.Status == "" {
			t.Fatalf("account %+v", acc)
		}
	}
}
