package entra_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestUsersNeedingAnchor: Entra is authoritative for its tenant's people: after a full sync and linking, members
// with a mail or UPN anchor their identities; B2B guests (people, accounts of kind user, but never linked
// automatically: reason guest) and accounts without an email-shaped mail or UPN (reason no_email) are the
// "Microsoft Entra ID users needing anchor", as are the service principals (reason service_account).
func TestUsersNeedingAnchor(t *testing.T) {
	e := newDeltaEnv(t)
	ctx := context.Background()
	e.conn.Authoritative = entra.NewKind(entra.Options{}).Authoritative // the kind's default
	if !e.conn.Authoritative {
		t.Fatal("Entra is not authoritative by default")
	}
	if _, err := e.db.UpdateConnector(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	noEmail, err := e.tn.sim.AddUser(entrasim.NewUser{DisplayName: "Kiosk", UserPrincipalName: "kiosk"})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := e.tn.sim.AddUser(entrasim.NewUser{DisplayName: "Guest", Mail: "pat@partner.example",
		UserPrincipalName: "pat_partner.example#EXT#@tenant.onmicrosoft.com", Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	if _, err := e.db.LinkAccounts(ctx, e.conn.ID, entra.NewKind(entra.Options{}).Authoritative, time.Now().Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	needs, err := e.db.NeedsAnchor(ctx, e.conn.ID, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	kinds := map[string]string{}
	for _, a := range needs {
		got = append(got, a.ExternalID)
		kinds[a.ExternalID] = a.Kind
	}
	for _, id := range []string{noEmail, guest} {
		if !slices.Contains(got, id) {
			t.Errorf("%s does not need an anchor (needing: %d accounts)", id, len(got))
		}
	}
	if kinds[guest] != string(sspm.AccountUser) {
		t.Errorf("the guest's kind is %q, want user", kinds[guest])
	}
	list, err := e.db.Accounts(ctx, e.conn.ID, postgres.AccountFilter{NeedsAnchor: true}, postgres.ListOptions{Limit: postgres.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	members := 0
	for _, a := range list.Items {
		reasons[a.ExternalID] = a.AnchorReason
		if a.Kind == string(sspm.AccountUser) && a.Email != "" && a.AnchorReason != "guest" {
			members++
		}
		if a.Kind == string(sspm.AccountServicePrincipal) && a.AnchorReason != "service_account" {
			t.Errorf("service principal %s needs an anchor for %q, want service_account", a.ExternalID, a.AnchorReason)
		}
	}
	if int64(len(list.Items)) != list.Total || list.Total != int64(len(needs)) {
		t.Errorf("the API lists %d of %d needing an anchor, the store %d", len(list.Items), list.Total, len(needs))
	}
	for id, want := range map[string]string{guest: "guest", noEmail: "no_email"} {
		if reasons[id] != want {
			t.Errorf("%s needs an anchor for %q, want %q", id, reasons[id], want)
		}
	}
	if members != 0 {
		t.Errorf("%d members with an email need an anchor: Entra should anchor them", members)
	}
}

// TestGuestAdminWithoutMFA: an Entra guest is a person to the normalized rules: a guest who holds a directory
// role and registered no MFA method fails both the guest-admin rule (NORM-GUEST-001, user_type guest) and the
// MFA rule for people (NORM-MFA-001, account_kind human), each naming the guest.
func TestGuestAdminWithoutMFA(t *testing.T) {
	e := newDeltaEnv(t)
	ctx := context.Background()
	guest, err := e.tn.sim.AddUser(entrasim.NewUser{DisplayName: "Partner Admin", Mail: "admin@partner.example",
		UserPrincipalName: "admin_partner.example#EXT#@tenant.onmicrosoft.com", Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.tn.sim.AddRoleMember("Global Administrator", guest))
	e.sync(t)
	data, err := e.db.NormalizedData(ctx, "normalized:accounts", e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	for _, r := range data.Rows {
		if r["external_id"] == guest {
			row = r
		}
	}
	if row == nil || row["account_kind"] != "human" || row["user_type"] != "guest" || row["is_admin"] != true || row["mfa_state"] != "not_enrolled" {
		t.Fatalf("the guest's normalized row: %v", row)
	}
	cat, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	rs := cat.Ruleset("opensspm.normalized.access_hygiene.v1")
	if rs == nil {
		t.Fatal("the normalized access hygiene ruleset is not shipped")
	}
	results, err := rs.Evaluate(ctx, rules.GlobalScope(), rules.DatasetMap{Rows: map[string][]map[string]any{"normalized:accounts": data.Rows}},
		rules.Controls{}, e.clk.Now(), "NORM-GUEST-001", "NORM-MFA-001")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	for _, r := range results {
		named := false
		for _, a := range r.Affected {
			named = named || strings.Contains(a.ID, guest)
		}
		if r.Status != rules.StatusFail || !named {
			t.Errorf("%s: %s, affected %v: want a failure naming the guest %s", r.RuleKey, r.Status, r.Affected, guest)
		}
	}
}
