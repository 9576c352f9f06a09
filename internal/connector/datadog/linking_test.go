package datadog_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestUsersNeedingAnchor: after a full sync, the Datadog users whose email (or email-shaped handle) matches no
// person of the authoritative source, and every service account, need an anchor; the others are linked to their
// person by email. Service accounts are never linked automatically.
func TestUsersNeedingAnchor(t *testing.T) {
	ctx := context.Background()
	db := postgrestest.New(t)
	sim := newSim(t, ddsim.Options{})

	// The identity provider knows every Datadog user but two.
	var people []sspm.Account
	var humans, services []string
	for _, u := range sim.Users() {
		if u.ServiceAccount {
			services = append(services, u.ID)
			continue
		}
		humans = append(humans, u.ID)
		if len(humans) > 2 {
			people = append(people, sspm.Account{ExternalID: "idp-" + u.ID, Kind: sspm.AccountUser, Email: u.Email, DisplayName: u.Name, Active: true})
		}
	}
	if len(services) == 0 || len(humans) < 5 {
		t.Fatalf("%d users and %d service accounts: the test shows nothing", len(humans), len(services))
	}
	unknown := humans[:2]
	idp := sspm.Connector{ID: "idp", Kind: sspm.KindOkta, Name: "IdP", Enabled: true, Authoritative: true, Config: json.RawMessage(`{}`)}
	if _, err := db.CreateConnector(ctx, idp, nil, ""); err != nil {
		t.Fatal(err)
	}
	_, lease, _, err := db.StartRun(ctx, "idp", sspm.LaneFull, sspm.TriggerSchedule, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.WritePage(ctx, "idp", lease, &sspm.Page{Accounts: people}, sspm.RunState{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FinishRun(ctx, "idp", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, Sweep: sspm.Entities, NextDueAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LinkAccounts(ctx, "idp", true, time.Now().Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	raw, _ := json.Marshal(map[string]any{"site": sim.URL()})
	dd := sspm.Connector{ID: "dd", Kind: sspm.KindDatadog, Name: "Datadog", Enabled: true, Config: raw}
	if _, err := db.CreateConnector(ctx, dd, nil, ""); err != nil {
		t.Fatal(err)
	}
	opts := datadog.Options{AllowLoopback: true, Outbound: loopback()}
	runner := &lane.Runner{Store: db, LeaseTTL: time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, defaultSecret())
	}}
	res, err := runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "dd"}, "t", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("sync: %s %v %v", res.Outcome, err, res.Err)
	}
	if _, err := db.LinkAccounts(ctx, "dd", false, time.Now().Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	needs, err := db.NeedsAnchor(ctx, "dd", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range needs {
		got = append(got, a.ExternalID)
		if slices.Contains(services, a.ExternalID) && a.IdentityID != nil {
			t.Errorf("service account %s was linked automatically (identity %d)", a.ExternalID, *a.IdentityID)
		}
	}
	want := append(slices.Clone(unknown), services...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("needing anchor %v; want the users the IdP does not know %v and the service accounts %v", got, unknown, services)
	}
}
