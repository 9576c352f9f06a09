package lane_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The evaluator's sweep deletes access changes older than the retention, and only those.
func TestSweepPrunesAccessHistoryPastItsRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-r", Kind: sspm.KindOkta, Name: "r", Enabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	fullSync(t, db, "okta-r", sspm.Page{Accounts: []sspm.Account{{ExternalID: "u1", Kind: sspm.AccountUser, Status: "ACTIVE", Active: true}}})
	fullSync(t, db, "okta-r", sspm.Page{Accounts: []sspm.Account{{ExternalID: "u2", Kind: sspm.AccountUser, Status: "ACTIVE", Active: true}}})
	count := func() int {
		cs, err := db.AccessChanges(ctx, sspm.ChangeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	if n := count(); n != 2 { // u2 added, u1 removed
		t.Fatalf("changes = %d, want 2", n)
	}
	tests := []struct {
		name      string
		retention time.Duration
		now       time.Time
		want      int
	}{
		{"within the default retention", 0, time.Now().Add(399 * 24 * time.Hour), 2},
		{"within a configured retention", 10 * 24 * time.Hour, time.Now().Add(9 * 24 * time.Hour), 2},
		{"past a configured retention", 10 * 24 * time.Hour, time.Now().Add(11 * 24 * time.Hour), 0},
	}
	for _, tt := range tests {
		now := tt.now
		ev := newEvaluator(t, db, &now)
		ev.HistoryRetention = tt.retention
		if _, err := ev.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != tt.want {
			t.Fatalf("%s: changes = %d, want %d", tt.name, n, tt.want)
		}
	}
}

// The change-based rules read the week's access history: an outside collaborator who is a leaver gains admin on
// a private repository, and a privileged team membership; each failing rule names the changes.
func TestChangeRulesNameTheChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	for _, c := range []sspm.Connector{{ID: "okta-1", Kind: sspm.KindOkta, Authoritative: true}, {ID: "gh", Kind: sspm.KindGitHub}} {
		c.Name, c.Enabled = c.ID, true
		if _, err := db.CreateConnector(ctx, c, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	ev := newEvaluator(t, db, &now)
	bob := sspm.Account{ExternalID: "bob", Kind: sspm.AccountUser, Email: "bob@example.com", Status: "outside", Active: true,
		Raw: []byte(`{"role":"outside_collaborator"}`)}
	repo := sspm.Resource{ExternalID: "r1", Kind: "repository", Name: "acme/secrets", Raw: []byte(`{"visibility":"private"}`)}
	team := sspm.Group{ExternalID: "t1", Kind: "team", Name: "repo-admins"}
	fullSync(t, db, "okta-1", sspm.Page{Accounts: []sspm.Account{{ExternalID: "00ubob", Kind: sspm.AccountUser, Email: "bob@example.com", Status: "DEPROVISIONED", Active: false}}})
	fullSync(t, db, "gh", sspm.Page{Accounts: []sspm.Account{bob}, Resources: []sspm.Resource{repo}, Groups: []sspm.Group{team}})
	for _, c := range []struct {
		id   string
		auth bool
	}{{"okta-1", true}, {"gh", false}} {
		if _, err := db.LinkAccounts(ctx, c.id, c.auth, now.Add(-90*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ev.Evaluate(ctx, lane.EvalScope{Global: true}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"NORM-CHG-002", "NORM-CHG-003", "NORM-CHG-004"} {
		if r := resultOf(t, db, rules.GlobalScope(), key); r.Status != rules.StatusPass {
			t.Fatalf("%s before any change = %s, want pass", key, r.Status)
		}
	}
	fullSync(t, db, "gh", sspm.Page{Accounts: []sspm.Account{bob}, Resources: []sspm.Resource{repo}, Groups: []sspm.Group{team},
		GroupMembers: []sspm.GroupMember{{GroupExternalID: "t1", MemberExternalID: "bob"}},
		Grants:       []sspm.Grant{{PrincipalExternalID: "bob", ResourceExternalID: "r1", Permission: "admin"}}})
	if _, err := ev.Evaluate(ctx, lane.EvalScope{Global: true}); err != nil {
		t.Fatal(err)
	}
	changes, err := db.AccessChanges(ctx, sspm.ChangeFilter{})
	if err != nil || len(changes) != 2 {
		t.Fatalf("changes = %+v, %v", changes, err)
	}
	ids := map[string]string{}
	for _, c := range changes {
		ids[c.Change] = fmt.Sprintf("access_change:%d", c.ID)
	}
	tests := []struct {
		rule string
		want []string
	}{
		{"NORM-CHG-002", []string{ids[sspm.ChangeMembershipAdded]}},
		{"NORM-CHG-003", []string{ids[sspm.ChangeGrantAdded], ids[sspm.ChangeMembershipAdded]}},
		{"NORM-CHG-004", []string{ids[sspm.ChangeGrantAdded]}},
	}
	for _, tt := range tests {
		r := resultOf(t, db, rules.GlobalScope(), tt.rule)
		var got []string
		for _, a := range r.Affected {
			got = append(got, a.ID)
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if r.Status != rules.StatusFail || !slices.Equal(got, tt.want) {
			t.Errorf("%s = %s %v, want fail naming %v", tt.rule, r.Status, got, tt.want)
		}
	}
}
