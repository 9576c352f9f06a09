package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// syncAccounts writes accounts as one complete, successful full run of a connector.
func syncAccounts(t *testing.T, db *postgres.DB, connectorID string, accts ...sspm.Account) {
	t.Helper()
	ctx := context.Background()
	_, lease, _, err := db.StartRun(ctx, connectorID, sspm.LaneFull, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.WritePage(ctx, connectorID, lease, &sspm.Page{Accounts: accts}, sspm.RunState{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FinishRun(ctx, connectorID, sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, Sweep: sspm.Entities, NextDueAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, db *postgres.DB, connectorID string, authoritative bool) postgres.LinkResult {
	t.Helper()
	r, err := db.LinkAccounts(context.Background(), connectorID, authoritative, time.Now().Add(-90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func identityOf(t *testing.T, db *postgres.DB, connectorID, externalID string) postgres.AccountLink {
	t.Helper()
	l, err := db.AccountLink(context.Background(), connectorID, externalID)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLinkingByEmailAcrossSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "gh", Kind: sspm.KindGitHub, Name: "GitHub", Enabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	recent := time.Now().Add(-time.Hour)
	// GitHub syncs first: its accounts create identities that are not anchored yet.
	syncAccounts(t, db, "gh",
		sspm.Account{ExternalID: "gh-alice", Kind: sspm.AccountUser, Email: "ALICE@Example.com", Active: true, IsAdmin: true, LastLoginAt: recent},
		sspm.Account{ExternalID: "gh-bob", Kind: sspm.AccountUser, Email: "bob@example.com", Active: true, LastLoginAt: recent},
		sspm.Account{ExternalID: "gh-carol", Kind: sspm.AccountUser, Email: "carol@example.com", Active: true},
		sspm.Account{ExternalID: "gh-nomail", Kind: sspm.AccountUser, Active: true},
		sspm.Account{ExternalID: "gh-bot", Kind: sspm.AccountBot, Email: "ci-bot@example.com", Active: true},
	)
	if r := link(t, db, "gh", false); r.Created != 3 || r.Linked != 3 {
		t.Fatalf("first link = %+v, want 3 identities created and 3 accounts linked (not the bot, not the one without email)", r)
	}
	syncAccounts(t, db, "okta",
		sspm.Account{ExternalID: "00u-alice", Kind: sspm.AccountUser, Email: "alice@example.com", DisplayName: "Alice Authoritative", Active: true, LastLoginAt: recent},
		sspm.Account{ExternalID: "00u-carol", Kind: sspm.AccountUser, Email: "carol@example.com", Status: "DEPROVISIONED", Active: false},
		sspm.Account{ExternalID: "00u-svc", Kind: sspm.AccountServiceAccount, Email: "svc@example.com", Active: true},
	)
	if r := link(t, db, "okta", true); r.Created != 0 || r.Linked != 2 {
		t.Fatalf("okta link = %+v, want the two users joined to the existing identities", r)
	}
	alice := identityOf(t, db, "okta", "00u-alice")
	if ghAlice := identityOf(t, db, "gh", "gh-alice"); alice.IdentityID == nil || *ghAlice.IdentityID != *alice.IdentityID || alice.Reason != "authoritative" {
		t.Fatalf("alice: okta %+v, github %+v; want one identity, case-insensitively", alice, ghAlice)
	}
	if svc := identityOf(t, db, "okta", "00u-svc"); svc.IdentityID != nil {
		t.Fatalf("a service account was auto-linked: %+v", svc)
	}
	id, err := db.Identity(ctx, *alice.IdentityID)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Anchored || !id.Privileged || id.DisplayName != "Alice Authoritative" || id.Stale || id.Leaver || id.Accounts != 2 {
		t.Fatalf("alice's identity = %+v", id)
	}
	carol, _ := db.Identity(ctx, *identityOf(t, db, "okta", "00u-carol").IdentityID)
	if !carol.Leaver || !carol.Stale {
		t.Fatalf("carol (deprovisioned in Okta, active in GitHub, never seen) = %+v, want leaver and stale", carol)
	}
	needs, err := db.NeedsAnchor(ctx, "gh", 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range needs {
		got[n.ExternalID] = true
	}
	if len(needs) != 3 || !got["gh-bob"] || !got["gh-nomail"] || !got["gh-bot"] {
		t.Fatalf("needs anchor = %+v, want bob (no authoritative account), the account without email and the bot", needs)
	}
}

func TestManualLinksSurviveSyncs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	accts := []sspm.Account{
		{ExternalID: "a", Kind: sspm.AccountUser, Email: "a@example.com", Active: true},
		{ExternalID: "b", Kind: sspm.AccountUser, Email: "b@example.com", Active: true},
		{ExternalID: "svc", Kind: sspm.AccountServiceAccount, Email: "svc@example.com", Active: true},
	}
	syncAccounts(t, db, "okta", accts...)
	link(t, db, "okta", true)
	aID := identityOf(t, db, "okta", "a").IdentityID

	// An admin re-points b to a's identity, unlinks a for good, and links the service account by hand.
	if err := db.SetManualLinkAudited(ctx, "okta", "b", aID, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetManualLinkAudited(ctx, "okta", "a", nil, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetManualLinkAudited(ctx, "okta", "svc", aID, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	bad := int64(999999)
	if err := db.SetManualLinkAudited(ctx, "okta", "b", &bad, "x"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("link to a missing identity: %v", err)
	}
	for range 2 { // later syncs and linking runs change none of it
		syncAccounts(t, db, "okta", accts...)
		link(t, db, "okta", true)
	}
	if l := identityOf(t, db, "okta", "b"); l.Reason != "manual" || *l.IdentityID != *aID || l.LinkedBy != "admin@example.com" {
		t.Fatalf("b = %+v", l)
	}
	if l := identityOf(t, db, "okta", "a"); l.Reason != "manual" || l.IdentityID != nil {
		t.Fatalf("a = %+v, want deliberately unlinked", l)
	}
	if l := identityOf(t, db, "okta", "svc"); l.Reason != "manual" || *l.IdentityID != *aID {
		t.Fatalf("svc = %+v", l)
	}
	// Forgetting the decision lets linking take over again.
	if err := db.ClearManualLinkAudited(ctx, "okta", "a", "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	link(t, db, "okta", true)
	if l := identityOf(t, db, "okta", "a"); l.Reason != "authoritative" || l.IdentityID == nil {
		t.Fatalf("a after clearing = %+v", l)
	}
}

func TestManualLinkRecomputesIdentities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	for _, c := range []sspm.Connector{
		{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true},
		{ID: "gh", Kind: sspm.KindGitHub, Name: "GitHub", Enabled: true},
	} {
		if _, err := db.CreateConnector(ctx, c, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	syncAccounts(t, db, "okta", sspm.Account{ExternalID: "a", Kind: sspm.AccountUser, Email: "a@example.com", Active: true})
	syncAccounts(t, db, "gh", sspm.Account{ExternalID: "42", Kind: sspm.AccountUser, Username: "octo-a", Active: true, IsAdmin: true})
	link(t, db, "okta", true)
	link(t, db, "gh", false)
	aID := identityOf(t, db, "okta", "a").IdentityID

	check := func(when string, accounts int, privileged bool, inGitHub int64) {
		t.Helper()
		i, err := db.Identity(ctx, *aID)
		if err != nil {
			t.Fatal(err)
		}
		l, err := db.Identities(ctx, postgres.IdentityFilter{ConnectorID: "gh"}, postgres.ListOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if i.Accounts != accounts || i.Privileged != privileged || l.Total != inGitHub || int64(len(l.Items)) != inGitHub {
			t.Fatalf("%s: identity %+v, identities in GitHub %d (%d listed); want %d accounts, privileged %v, %d in GitHub",
				when, i, l.Total, len(l.Items), accounts, privileged, inGitHub)
		}
	}
	check("before", 1, false, 0)
	// Linking the GitHub admin by hand shows at once in the identity's attributes and the source filter.
	if err := db.SetManualLinkAudited(ctx, "gh", "42", aID, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	check("linked", 2, true, 1)
	if err := db.SetManualLinkAudited(ctx, "gh", "42", nil, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	check("unlinked", 1, false, 0)
}

func TestIdentitiesList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	syncAccounts(t, db, "okta",
		sspm.Account{ExternalID: "1", Kind: sspm.AccountUser, Email: "ada@example.com", DisplayName: "Ada Lovelace", Active: true, IsAdmin: true, LastLoginAt: now},
		sspm.Account{ExternalID: "2", Kind: sspm.AccountUser, Email: "grace_h@example.com", DisplayName: "Grace Hopper", Active: true, LastLoginAt: now.Add(-time.Hour)},
		sspm.Account{ExternalID: "3", Kind: sspm.AccountUser, Email: "alan@example.org", DisplayName: "Alan Turing 100%", Active: true},
	)
	link(t, db, "okta", true)
	yes := true
	for _, tc := range []struct {
		name      string
		filter    postgres.IdentityFilter
		opts      postgres.ListOptions
		want      string // display names in order, comma-separated
		wantTotal int64
	}{
		{"by name", postgres.IdentityFilter{}, postgres.ListOptions{Limit: 10, Sort: "display_name"}, "Ada Lovelace,Alan Turing 100%,Grace Hopper", 3},
		{"by name, descending", postgres.IdentityFilter{}, postgres.ListOptions{Limit: 10, Sort: "-display_name"}, "Grace Hopper,Alan Turing 100%,Ada Lovelace", 3},
		{"last seen, newest first, never last", postgres.IdentityFilter{}, postgres.ListOptions{Limit: 10, Sort: "-last_seen_at"}, "Ada Lovelace,Grace Hopper,Alan Turing 100%", 3},
		{"a page and the total", postgres.IdentityFilter{}, postgres.ListOptions{Limit: 1, Offset: 1, Sort: "primary_email"}, "Alan Turing 100%", 3},
		{"search ignores case", postgres.IdentityFilter{Search: "HOPPER"}, postgres.ListOptions{Limit: 10}, "Grace Hopper", 1},
		{"search in emails", postgres.IdentityFilter{Search: "example.com"}, postgres.ListOptions{Limit: 10, Sort: "display_name"}, "Ada Lovelace,Grace Hopper", 2},
		{"underscore is literal", postgres.IdentityFilter{Search: "e_h"}, postgres.ListOptions{Limit: 10}, "Grace Hopper", 1},
		{"percent is literal", postgres.IdentityFilter{Search: "100%"}, postgres.ListOptions{Limit: 10}, "Alan Turing 100%", 1},
		{"search past the last match still counts", postgres.IdentityFilter{Search: "example.com"}, postgres.ListOptions{Limit: 10, Offset: 5}, "", 2},
		{"flag filter", postgres.IdentityFilter{Privileged: &yes}, postgres.ListOptions{Limit: 10}, "Ada Lovelace", 1},
		{"source filter", postgres.IdentityFilter{ConnectorID: "okta", Search: "a"}, postgres.ListOptions{Limit: 2, Sort: "display_name"}, "Ada Lovelace,Alan Turing 100%", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := db.Identities(ctx, tc.filter, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, i := range l.Items {
				names = append(names, i.DisplayName)
			}
			if got := strings.Join(names, ","); got != tc.want || l.Total != tc.wantTotal {
				t.Fatalf("got %q (total %d), want %q (total %d)", got, l.Total, tc.want, tc.wantTotal)
			}
		})
	}
}

// TestLinkingSeesTheEmailAnIdentityIsAboutToTake: a sync changes an account's email and brings a new account
// with that email; a linking run with accounts to link first recomputes the identities (a steady run, with
// none, skips that pass), so the identity whose account's new email makes it the owner of that email is found
// and the new account joins it instead of a new identity.
func TestLinkingSeesTheEmailAnIdentityIsAboutToTake(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	syncAccounts(t, db, "okta", sspm.Account{ExternalID: "00u-1", Kind: sspm.AccountUser, Email: "old@example.com", Active: true})
	if r := link(t, db, "okta", true); r.Created != 1 || r.Linked != 1 {
		t.Fatalf("first link = %+v", r)
	}
	syncAccounts(t, db, "okta",
		sspm.Account{ExternalID: "00u-1", Kind: sspm.AccountUser, Email: "new@example.com", Active: true},
		sspm.Account{ExternalID: "00u-2", Kind: sspm.AccountUser, Email: "new@example.com", Active: true})
	if r := link(t, db, "okta", true); r.Created != 0 || r.Linked != 1 {
		t.Fatalf("second link = %+v, want the new account linked to the existing identity, none created", r)
	}
	first, second := identityOf(t, db, "okta", "00u-1"), identityOf(t, db, "okta", "00u-2")
	if first.IdentityID == nil || second.IdentityID == nil || *first.IdentityID != *second.IdentityID {
		t.Fatalf("identities %v and %v, want one", first.IdentityID, second.IdentityID)
	}
	// A steady run changes nothing.
	if r := link(t, db, "okta", true); r != (postgres.LinkResult{}) {
		t.Fatalf("steady link = %+v, want nothing", r)
	}
}

// Names sort regardless of case ("esilva" before "Yuki Jones", whatever the database's collation) and account
// statuses are stored in one case, whichever case the provider uses (Okta ACTIVE, GitHub active).
func TestNamesSortIgnoringCaseAndStatusesHaveOneCase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	syncAccounts(t, db, "okta",
		sspm.Account{ExternalID: "1", Kind: sspm.AccountUser, Email: "yuki@example.com", DisplayName: "Yuki Jones", Status: "ACTIVE", Active: true},
		sspm.Account{ExternalID: "2", Kind: sspm.AccountUser, Email: "esilva@example.com", DisplayName: "esilva", Status: "active", Active: true},
		sspm.Account{ExternalID: "3", Kind: sspm.AccountUser, Email: "Bo@example.com", DisplayName: "Bo Lee", Status: "Suspended"},
	)
	link(t, db, "okta", true)
	ids, err := db.Identities(ctx, postgres.IdentityFilter{}, postgres.ListOptions{Limit: 10, Sort: "display_name"})
	if err != nil {
		t.Fatal(err)
	}
	var names, statuses []string
	for _, i := range ids.Items {
		names, statuses = append(names, i.DisplayName), append(statuses, i.Status)
	}
	if got := strings.Join(names, ","); got != "Bo Lee,esilva,Yuki Jones" {
		t.Errorf("identities by name: %s", got)
	}
	if got := strings.Join(statuses, ","); got != "suspended,active,active" {
		t.Errorf("identity statuses: %s", got)
	}
	accts, err := db.Accounts(ctx, "okta", postgres.AccountFilter{}, postgres.ListOptions{Limit: 10, Sort: "-display_name"})
	if err != nil {
		t.Fatal(err)
	}
	names, statuses = nil, nil
	for _, a := range accts.Items {
		names, statuses = append(names, a.DisplayName), append(statuses, a.Status)
	}
	if got := strings.Join(names, ","); got != "Yuki Jones,esilva,Bo Lee" {
		t.Errorf("accounts by name, descending: %s", got)
	}
	if got := strings.Join(statuses, ","); got != "active,active,suspended" {
		t.Errorf("account statuses: %s", got)
	}
}
