package entra_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestUsersNeedingAnchor: Entra is authoritative for its tenant's people: after a full sync and linking, members
// with a mail or UPN anchor their identities; B2B guests (never linked automatically) and accounts without an
// email-shaped mail or UPN are the "Microsoft Entra ID users needing anchor", as are the service principals.
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
	if kinds[guest] != string(entra.AccountGuest) {
		t.Errorf("the guest's kind is %q", kinds[guest])
	}
	members := 0
	for _, a := range needs {
		if a.Kind == string(sspm.AccountUser) && a.Email != "" {
			members++
		}
	}
	if members != 0 {
		t.Errorf("%d members with an email need an anchor: Entra should anchor them", members)
	}
}
