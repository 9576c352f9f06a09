package aws_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	awsc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestUsersNeedingAnchor: "AWS IAM Identity Center users needing anchor". Identity Center is not authoritative by
// default; its users link to the identity provider's people by email, and the users the identity provider does
// not know wait in the connector's needs-anchor list, never anchoring an identity of their own.
func TestUsersNeedingAnchor(t *testing.T) {
	ctx := context.Background()
	db := postgrestest.New(t)
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := awssim.New(company, awssim.Options{})
	t.Cleanup(sim.Close)

	// The identity provider knows every Identity Center user but two.
	users := sim.Users()
	if len(users) < 5 {
		t.Fatalf("%d users: the test shows nothing", len(users))
	}
	email := func(u awssim.User) string {
		if u.Email != "" {
			return u.Email
		}
		return u.UserName
	}
	var people []sspm.Account
	for _, u := range users[2:] {
		people = append(people, sspm.Account{ExternalID: "idp-" + u.ID, Kind: sspm.AccountUser, Email: strings.ToLower(email(u)), DisplayName: u.DisplayName, Active: true})
	}
	unknown := []string{users[0].ID, users[1].ID}
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

	kind := awsc.NewKind(awsc.Options{})
	raw, _ := json.Marshal(map[string]any{"region": sim.Region(), "instance_arn": sim.InstanceARN(), "identity_store_id": sim.IdentityStoreID(), "endpoint": sim.URL(),
		"requests_per_second": 20})
	conn := sspm.Connector{ID: "aws", Kind: sspm.KindAWSIDC, Name: "AWS", Enabled: true, Authoritative: kind.Authoritative, Config: raw}
	if conn.Authoritative {
		t.Fatal("Identity Center is authoritative by default")
	}
	if _, err := db.CreateConnector(ctx, conn, nil, ""); err != nil {
		t.Fatal(err)
	}
	keys, _ := json.Marshal(map[string]string{"access_key_id": awssim.DefaultAccessKeyID, "secret_access_key": awssim.DefaultSecretAccessKey})
	opts := awsc.Options{AllowLoopback: true, Outbound: sourcetest.Loopback}
	runner := &lane.Runner{Store: db, LeaseTTL: time.Minute, Sources: func(ctx context.Context, c sspm.Connector) (sspm.Source, error) {
		return opts.NewSource(ctx, c, keys)
	}}
	res, err := runner.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "aws"}, "t", time.Time{})
	if err != nil || res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("sync: %s %v %v", res.Outcome, err, res.Err)
	}
	if _, err := db.LinkAccounts(ctx, "aws", false, time.Now().Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	needs, err := db.NeedsAnchor(ctx, "aws", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range needs {
		got = append(got, a.ExternalID)
	}
	slices.Sort(got)
	slices.Sort(unknown)
	if !slices.Equal(got, unknown) {
		t.Fatalf("needing anchor %v; want the users the identity provider does not know %v", got, unknown)
	}
}
