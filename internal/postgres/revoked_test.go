package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// A push-assisted refresh's revoked grants and credentials expire at once, recorded as removed with the event
// that caused them; other grants and credentials stay.
func TestRefreshExpiresRevokedGrantsAndCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "gw-r")
	base := historyBaseline()
	base.Credentials = append(base.Credentials, sspm.Credential{ExternalID: "c2", Kind: "oauth_token", OwnerExternalID: "u2"})
	historyRun(t, db, "gw-r", false, base)
	if got := changeLines(t, db, sspm.ChangeFilter{}); len(got) != 0 {
		t.Fatalf("after the baseline: %q", got)
	}
	page := &sspm.Page{
		RevokedGrants:      []sspm.Grant{{PrincipalExternalID: "u1", PrincipalKind: sspm.MemberAccount, ResourceExternalID: "r1", Permission: "read"}},
		RevokedCredentials: []sspm.Credential{{ExternalID: "c1", Kind: "api_token", OwnerExternalID: "u1"}},
	}
	if err := db.WriteRefreshFor(ctx, "gw-r", page, postgres.ChangeCause{EventID: 7, ProviderAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	got := changeLines(t, db, sspm.ChangeFilter{})
	if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), sspm.ChangeGrantRemoved) {
		t.Fatalf("changes after the revocation: %q", got)
	}
	cs, err := db.AccessChanges(ctx, sspm.ChangeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.EventID != 7 {
			t.Fatalf("change %+v does not name event 7", c)
		}
	}
	// Again: nothing left to expire, nothing recorded.
	if err := db.WriteRefreshFor(ctx, "gw-r", page, postgres.ChangeCause{EventID: 8, ProviderAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if again := changeLines(t, db, sspm.ChangeFilter{}); len(again) != 2 {
		t.Fatalf("changes after revoking again: %q", again)
	}
}

// A sync run's page and a refresh expire the rows their removals name at once, in the page's transaction,
// recorded in the access history as the run's (or the event's) removals: a removed membership; a removed
// account with its memberships and grants (its credentials stay: they are the credentials listing's); a removed
// group with its memberships, the grants it holds and those that came through it. Nothing else expires, and the
// run's own sweep (none here: a delta run) is unchanged.
func TestPageRemovalsExpireAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "rm")
	base := historyBaseline()
	base.GroupMembers = append(base.GroupMembers,
		sspm.GroupMember{GroupExternalID: "g1", MemberExternalID: "u3"},
		sspm.GroupMember{GroupExternalID: "g2", MemberExternalID: "g1", MemberKind: sspm.MemberGroup})
	base.Grants = append(base.Grants,
		sspm.Grant{PrincipalExternalID: "u3", ResourceExternalID: "r1", Permission: "user", Via: "group", ViaExternalID: "g1"},
		sspm.Grant{PrincipalExternalID: "u3", ResourceExternalID: "r1", Permission: "read"})
	historyRun(t, db, "rm", false, base)

	// A delta run: u2 leaves g1, u1 is deleted.
	_, lease, _, err := db.StartRun(ctx, "rm", sspm.LaneFull, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	page := &sspm.Page{
		Accounts:        []sspm.Account{{ExternalID: "u3", Kind: sspm.AccountUser, Email: "cat@example.com", Status: "ACTIVE", Active: true}},
		RemovedMembers:  []sspm.GroupMember{{GroupExternalID: "g1", MemberExternalID: "u2"}},
		RemovedAccounts: []string{"u1", "gone-already"},
	}
	written, err := db.WritePage(ctx, "rm", lease, page, sspm.RunState{})
	if err != nil {
		t.Fatal(err)
	}
	if written["removed"] != 4 {
		t.Errorf("removed %d rows, want 4 (u1, u1 in g1, u1's grant, u2 in g1): %v", written["removed"], written)
	}
	expired, err := db.FinishRun(ctx, "rm", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, NextDueAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(expired) != 0 {
		t.Errorf("the delta run swept %v", expired)
	}
	want := []string{"account_removed u1 active>", "grant_removed u1 r1 read>", "membership_removed u1 g1 member>",
		"membership_removed u2 g1 member>"}
	if got := changeLines(t, db, sspm.ChangeFilter{}); !slices.Equal(got, want) {
		t.Fatalf("changes of the delta run:\n got %q\nwant %q", got, want)
	}
	cs, err := db.AccessChanges(ctx, sspm.ChangeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.RunID != lease.RunID {
			t.Errorf("change %s %s names run %d, want %d", c.Change, c.PrincipalExternalID, c.RunID, lease.RunID)
		}
	}
	if n := liveCount(t, db, "credentials", "rm"); n != 1 {
		t.Errorf("%d live credentials, want u1's c1 kept", n)
	}

	// A refresh: g1 is deleted.
	if err := db.WriteRefreshFor(ctx, "rm", &sspm.Page{RemovedGroups: []string{"g1"}}, postgres.ChangeCause{EventID: 9, ProviderAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "grant_removed g1 r1 user>", "grant_removed u3 r1 user> via group:g1", "membership_removed g1 g2 member> privileged",
		"membership_removed u3 g1 member>")
	slices.Sort(want)
	if got := changeLines(t, db, sspm.ChangeFilter{}); !slices.Equal(got, want) {
		t.Fatalf("changes after the group's removal:\n got %q\nwant %q", got, want)
	}
	for table, n := range map[string]int{"accounts": 2, "groups": 1, "group_members": 0, "grants": 1} {
		if got := liveCount(t, db, table, "rm"); got != n {
			t.Errorf("%d live %s, want %d", got, table, n)
		}
	}
}

func liveCount(t *testing.T, db *postgres.DB, table, cid string) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table+" WHERE connector_id = $1 AND expired_at IS NULL", cid).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A revocation of a resource's grants with no principal or permission expires every live grant on it except
// those the same page grants: a source that re-read all of a resource's grants says so with one revocation.
func TestRevokedGrantsOfAResourceKeepThePagesGrants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "gw-k")
	historyRun(t, db, "gw-k", false, historyBaseline()) // u1 read r1, g1 user r1
	page := &sspm.Page{
		Grants:        []sspm.Grant{{PrincipalExternalID: "g1", PrincipalKind: sspm.MemberGroup, ResourceExternalID: "r1", Permission: "user"}},
		RevokedGrants: []sspm.Grant{{ResourceExternalID: "r1"}},
	}
	if err := db.WriteRefreshFor(ctx, "gw-k", page, postgres.ChangeCause{EventID: 3, ProviderAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got, want := changeLines(t, db, sspm.ChangeFilter{}), []string{"grant_removed u1 r1 read>"}; !slices.Equal(got, want) {
		t.Fatalf("changes: %q, want %q", got, want)
	}
	if n := liveCount(t, db, "grants", "gw-k"); n != 1 {
		t.Errorf("%d live grants, want g1's", n)
	}
}

// A removed resource expires at once with the grants on it, whoever holds them and by any path, recorded in the
// access history as the run's removals; other resources' grants, the accounts and the credentials (which name an
// owner, not a resource) stay, and RevokedCredentials in the same page expire the credentials it names.
func TestRemovedResourcesExpireAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "rr")
	base := historyBaseline()
	base.Resources = append(base.Resources, sspm.Resource{ExternalID: "r2", Kind: "app", Name: "Wiki"})
	base.Grants = append(base.Grants,
		sspm.Grant{PrincipalExternalID: "u2", ResourceExternalID: "r1", Permission: "user", Via: "group", ViaExternalID: "g1"},
		sspm.Grant{PrincipalExternalID: "u2", ResourceExternalID: "r2", Permission: "read"})
	base.Credentials = append(base.Credentials, sspm.Credential{ExternalID: "c2", Kind: "client_secret", OwnerExternalID: "u2"})
	historyRun(t, db, "rr", false, base)

	_, lease, _, err := db.StartRun(ctx, "rr", sspm.LaneFull, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	page := &sspm.Page{RemovedResources: []string{"r1", "gone-already"}, RevokedCredentials: []sspm.Credential{{ExternalID: "c2"}}}
	written, err := db.WritePage(ctx, "rr", lease, page, sspm.RunState{})
	if err != nil {
		t.Fatal(err)
	}
	if written["removed"] != 5 {
		t.Errorf("removed %d rows, want 5 (r1, its three grants, c2): %v", written["removed"], written)
	}
	if _, err := db.FinishRun(ctx, "rr", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, NextDueAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	want := []string{"credential_revoked u2 c2 client_secret>", "grant_removed g1 r1 user>", "grant_removed u1 r1 read>", "grant_removed u2 r1 user> via group:g1"}
	got := changeLines(t, db, sspm.ChangeFilter{})
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("changes of the run:\n got %q\nwant %q", got, want)
	}
	for table, n := range map[string]int{"resources": 1, "grants": 1, "accounts": 3, "credentials": 1, "group_members": 2} {
		if got := liveCount(t, db, table, "rr"); got != n {
			t.Errorf("%d live %s, want %d", got, table, n)
		}
	}
	var live bool
	if err := db.Pool().QueryRow(ctx, `SELECT expired_at IS NULL FROM resources WHERE connector_id = 'rr' AND external_id = 'r1'`).Scan(&live); err != nil || live {
		t.Errorf("r1 live %v (%v), want expired", live, err)
	}
}
