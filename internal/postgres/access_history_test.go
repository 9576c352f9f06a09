package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// historyRun runs a complete, successful full run of pages; with resume, each page is written, the lease given
// up, the run taken over again (as a fresh invocation would) and the page written a second time.
func historyRun(t *testing.T, db *postgres.DB, cid string, resume bool, pages ...*sspm.Page) int64 {
	t.Helper()
	ctx := context.Background()
	_, lease, _, err := db.StartRun(ctx, cid, sspm.LaneFull, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if _, err := db.WritePage(ctx, cid, lease, p, sspm.RunState{}); err != nil {
			t.Fatal(err)
		}
		if !resume {
			continue
		}
		if err := db.ReleaseRun(ctx, lease); err != nil {
			t.Fatal(err)
		}
		var resumed bool
		if _, lease, resumed, err = db.StartRun(ctx, cid, sspm.LaneFull, sspm.TriggerManual, "t2", time.Minute); err != nil || !resumed {
			t.Fatalf("resume: %v %v", resumed, err)
		}
		if _, err := db.WritePage(ctx, cid, lease, p, sspm.RunState{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.FinishRun(ctx, cid, sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, Sweep: sspm.Entities, NextDueAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return lease.RunID
}

// changeLines renders changes as sorted "change principal target old>new [privileged] run" lines.
func changeLines(t *testing.T, db *postgres.DB, f sspm.ChangeFilter) []string {
	t.Helper()
	cs, err := db.AccessChanges(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		line := strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %s>%s", c.Change, c.PrincipalExternalID, c.TargetExternalID, c.OldValue, c.NewValue)), " ")
		if c.Via != "" && c.Via != "direct" {
			line += " via " + c.Via + ":" + c.ViaExternalID
		}
		if c.Privileged {
			line += " privileged"
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

func historyBaseline() *sspm.Page {
	future := time.Now().Add(30 * 24 * time.Hour)
	return &sspm.Page{
		Accounts: []sspm.Account{
			{ExternalID: "u1", Kind: sspm.AccountUser, Email: "ann@example.com", Status: "ACTIVE", Active: true},
			{ExternalID: "u2", Kind: sspm.AccountUser, Email: "bob@example.com", Status: "ACTIVE", Active: true},
			{ExternalID: "u3", Kind: sspm.AccountUser, Email: "cat@example.com", Status: "ACTIVE", Active: true},
		},
		Groups:       []sspm.Group{{ExternalID: "g1", Name: "Engineering"}, {ExternalID: "g2", Name: "Okta Admins"}},
		GroupMembers: []sspm.GroupMember{{GroupExternalID: "g1", MemberExternalID: "u1"}, {GroupExternalID: "g1", MemberExternalID: "u2"}},
		Resources:    []sspm.Resource{{ExternalID: "r1", Kind: "app", Name: "Payroll"}},
		Grants: []sspm.Grant{
			{PrincipalExternalID: "u1", ResourceExternalID: "r1", Permission: "read"},
			{PrincipalExternalID: "g1", PrincipalKind: sspm.MemberGroup, ResourceExternalID: "r1", Permission: "user"},
		},
		Credentials: []sspm.Credential{{ExternalID: "c1", Kind: "api_token", OwnerExternalID: "u1", Scopes: []string{"okta.users.read"}, ExpiresAt: future}},
	}
}

func historyChanged() *sspm.Page {
	p := historyBaseline()
	p.Accounts = []sspm.Account{
		{ExternalID: "u1", Kind: sspm.AccountUser, Email: "ann@example.com", Status: "SUSPENDED", Active: false},
		{ExternalID: "u2", Kind: sspm.AccountUser, Email: "bob@example.com", Status: "ACTIVE", Active: true, IsAdmin: true},
		{ExternalID: "u4", Kind: sspm.AccountUser, Email: "dan@example.com", Status: "ACTIVE", Active: true},
	}
	p.GroupMembers = []sspm.GroupMember{{GroupExternalID: "g1", MemberExternalID: "u1"}, {GroupExternalID: "g2", MemberExternalID: "u4"}}
	p.Grants = []sspm.Grant{
		{PrincipalExternalID: "u1", ResourceExternalID: "r1", Permission: "admin"},
		{PrincipalExternalID: "g1", PrincipalKind: sspm.MemberGroup, ResourceExternalID: "r1", Permission: "user"},
		{PrincipalExternalID: "u4", ResourceExternalID: "r1", Permission: "user", Via: "group", ViaExternalID: "g1"},
	}
	p.Credentials = []sspm.Credential{{ExternalID: "c2", Kind: "api_token", OwnerExternalID: "u4", Scopes: []string{"okta.users.manage"}}}
	return p
}

func TestAccessHistoryRecordsEachChangeOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "okta-h")
	historyRun(t, db, "okta-h", false, historyBaseline())
	if got := changeLines(t, db, sspm.ChangeFilter{}); len(got) != 0 {
		t.Fatalf("the baseline run recorded %q, want nothing", got)
	}
	historyRun(t, db, "okta-h", true, historyBaseline())
	if got := changeLines(t, db, sspm.ChangeFilter{}); len(got) != 0 {
		t.Fatalf("an unchanged run recorded %q, want nothing", got)
	}
	run := historyRun(t, db, "okta-h", true, historyChanged())
	want := []string{
		"account_added u4 >active",
		"account_admin_granted u2 false>true privileged",
		"account_removed u3 active>",
		"account_status_changed u1 active>suspended",
		"credential_added u4 c2 >api_token",
		"credential_revoked u1 c1 api_token>",
		"grant_added u1 r1 >admin privileged",
		"grant_added u4 r1 >user via group:g1",
		"grant_permission_changed u1 r1 read>admin privileged",
		"membership_added u4 g2 >member privileged",
		"membership_removed u2 g1 member>",
	}
	got := changeLines(t, db, sspm.ChangeFilter{})
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes (resumed run):\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	all, err := db.AccessChanges(ctx, sspm.ChangeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.RunID != run || c.ConnectorID != "okta-h" {
			t.Fatalf("change %+v: run %d, want %d", c, c.RunID, run)
		}
		if c.PrincipalKind == sspm.MemberAccount && c.AccountID == 0 && c.Change != sspm.ChangeAccountRemoved {
			t.Fatalf("change %s of %s has no account id", c.Change, c.PrincipalExternalID)
		}
	}
	historyRun(t, db, "okta-h", true, historyChanged())
	if got2 := changeLines(t, db, sspm.ChangeFilter{}); len(got2) != len(want) {
		t.Fatalf("a second run of the same state recorded more: %q", got2)
	}

	// Filters: privileged only, by change kind, by target, by principal, paging.
	if got := changeLines(t, db, sspm.ChangeFilter{PrivilegedOnly: true}); len(got) != 4 {
		t.Fatalf("privileged = %q, want 4", got)
	}
	if got := changeLines(t, db, sspm.ChangeFilter{Changes: []string{sspm.ChangeGrantAdded}, Principal: "u4"}); len(got) != 1 {
		t.Fatalf("grants added to u4 = %q", got)
	}
	if got := changeLines(t, db, sspm.ChangeFilter{Target: "g2"}); len(got) != 1 {
		t.Fatalf("changes of g2 = %q", got)
	}
	page1, err := db.AccessChanges(ctx, sspm.ChangeFilter{Limit: 6})
	if err != nil || len(page1) != 6 {
		t.Fatalf("page 1: %d %v", len(page1), err)
	}
	last := page1[len(page1)-1]
	page2, err := db.AccessChanges(ctx, sspm.ChangeFilter{Limit: 6, BeforeAt: last.ObservedAt, BeforeID: last.ID})
	if err != nil || len(page2) != len(want)-6 {
		t.Fatalf("page 2: %d %v", len(page2), err)
	}
	if future := changeLines(t, db, sspm.ChangeFilter{Since: time.Now().Add(time.Hour)}); len(future) != 0 {
		t.Fatalf("changes since an hour from now: %q", future)
	}
}

func TestAccessHistoryRecordsNothingARolledBackWriteMade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "okta-f")
	historyRun(t, db, "okta-f", false, historyBaseline())

	_, lease, _, err := db.StartRun(ctx, "okta-f", sspm.LaneFull, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// A page whose transaction fails part-way (its evidence has no app key) keeps none of its rows or changes.
	bad := historyChanged()
	bad.Evidence = []sspm.Evidence{{Kind: "sso", AppName: "x", OccurredAt: time.Now()}}
	if _, err := db.WritePage(ctx, "okta-f", lease, bad, sspm.RunState{}); err == nil {
		t.Fatal("a page with evidence without an app key was written")
	}
	// A page written without the lease is refused whole.
	if _, err := db.WritePage(ctx, "okta-f", sspm.Lease{RunID: lease.RunID, Owner: "other"}, historyChanged(), sspm.RunState{}); !errors.Is(err, sspm.ErrLeaseLost) {
		t.Fatalf("write without the lease: %v", err)
	}
	// A failed run sweeps nothing, so its end records nothing either.
	if _, err := db.FinishRun(ctx, "okta-f", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunFailed, ErrorKind: "x", NextDueAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := changeLines(t, db, sspm.ChangeFilter{}); len(got) != 0 {
		t.Fatalf("rolled-back writes recorded %q", got)
	}
}

// heldLines renders an "as of" answer as sorted "account status admin | entity target permission via" lines.
func heldLines(a sspm.AccessAsOf) []string {
	var out []string
	for _, acc := range a.Accounts {
		out = append(out, fmt.Sprintf("%s %s admin=%v", acc.ExternalID, acc.Status, acc.IsAdmin))
		for _, h := range acc.Access {
			line := fmt.Sprintf("%s %s %s %s %s", acc.ExternalID, h.Entity, h.TargetExternalID, h.Permission, h.Via)
			if h.ViaExternalID != "" {
				line += ":" + h.ViaExternalID
			}
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

func TestAccessAsOfReconstructsAKnownHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "okta-a")
	before := time.Now()
	time.Sleep(10 * time.Millisecond)
	historyRun(t, db, "okta-a", false, historyBaseline())
	link(t, db, "okta-a", true)
	ann := identityOf(t, db, "okta-a", "u1").IdentityID
	time.Sleep(10 * time.Millisecond)
	t1 := time.Now()
	time.Sleep(10 * time.Millisecond)
	historyRun(t, db, "okta-a", false, historyChanged())
	link(t, db, "okta-a", true)
	dan := identityOf(t, db, "okta-a", "u4").IdentityID
	if ann == nil || dan == nil {
		t.Fatal("accounts not linked")
	}
	if got := changeLines(t, db, sspm.ChangeFilter{Entities: []string{"identity_link"}}); len(got) != 1 || !strings.HasPrefix(got[0], "identity_linked u4 ") {
		t.Fatalf("link changes = %q, want u4's link alone (the baseline's links are the baseline)", got)
	}
	tests := []struct {
		name     string
		identity int64
		at       time.Time
		want     []string
	}{
		{"ann before the baseline is ann as first seen", *ann, before, nil},
		{"ann between the runs", *ann, t1, []string{
			"u1 active admin=false",
			"u1 credential c1 okta.users.read direct",
			"u1 grant r1 read direct",
			"u1 grant r1 user group:g1",
			"u1 membership g1 member direct",
		}},
		{"ann now", *ann, time.Now().Add(time.Minute), []string{
			"u1 grant r1 admin direct",
			"u1 grant r1 user group:g1",
			"u1 membership g1 member direct",
			"u1 suspended admin=false",
		}},
		{"dan between the runs had no account", *dan, t1, nil},
		{"dan now", *dan, time.Now().Add(time.Minute), []string{
			"u4 active admin=false",
			"u4 credential c2 okta.users.manage direct",
			"u4 grant r1 user group:g1", // the connector's own grant through g1; g2 grants nothing
			"u4 membership g2 member direct",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.AccessAsOf(ctx, tt.identity, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(heldLines(got), "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("as of %s:\n%s\nwant:\n%s", tt.at, strings.Join(heldLines(got), "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	if _, err := db.AccessAsOf(ctx, 999999, time.Now()); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("unknown identity: %v", err)
	}
}

// A push-assisted refresh records its changes with the event that caused it and the provider's time, and no run.
func TestAccessHistoryOfAPushRefreshNamesItsEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "okta-p")
	// Before the baseline, a refresh records nothing: there is nothing to compare with.
	if err := db.WriteRefreshFor(ctx, "okta-p", &sspm.Page{Accounts: []sspm.Account{{ExternalID: "u0", Kind: sspm.AccountUser, Status: "ACTIVE", Active: true}}},
		postgres.ChangeCause{EventID: 1, ProviderAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	historyRun(t, db, "okta-p", false, historyBaseline())
	if got := changeLines(t, db, sspm.ChangeFilter{}); len(got) != 0 {
		t.Fatalf("after the baseline: %q, want nothing (its sweep of u0 is part of the baseline too)", got)
	}
	at := time.Date(2026, 3, 2, 22, 15, 0, 0, time.UTC)
	if err := db.WriteRefreshFor(ctx, "okta-p", &sspm.Page{Accounts: []sspm.Account{{ExternalID: "u1", Kind: sspm.AccountUser, Email: "ann@example.com", Status: "ACTIVE", Active: true, IsAdmin: true}}},
		postgres.ChangeCause{EventID: 42, ProviderAt: at}); err != nil {
		t.Fatal(err)
	}
	cs, err := db.AccessChanges(ctx, sspm.ChangeFilter{Changes: []string{sspm.ChangeAccountAdminGranted}})
	if err != nil || len(cs) != 1 {
		t.Fatalf("admin changes = %+v, %v", cs, err)
	}
	if c := cs[0]; c.EventID != 42 || !c.ProviderAt.Equal(at) || c.RunID != 0 || !c.Privileged {
		t.Fatalf("change = %+v, want event 42 at %s, no run, privileged", c, at)
	}
}

// A re-sync in which 1% of memberships and grants changed records exactly those changes and nothing else.
func TestAccessHistoryOfAOnePercentResync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "okta-1p")
	const users, groups = 1000, 50
	page := func(changed bool) *sspm.Page {
		p := &sspm.Page{Resources: []sspm.Resource{{ExternalID: "app", Kind: "app"}}}
		for g := 0; g < groups; g++ {
			p.Groups = append(p.Groups, sspm.Group{ExternalID: fmt.Sprintf("g%d", g)})
		}
		for u := 0; u < users; u++ {
			id := fmt.Sprintf("u%d", u)
			p.Accounts = append(p.Accounts, sspm.Account{ExternalID: id, Kind: sspm.AccountUser, Status: "ACTIVE", Active: true})
			for k := 0; k < 5; k++ { // 5,000 memberships; 1% = 50 users move from one group to another
				g := (u + k) % groups
				if changed && u%20 == 0 && k == 0 {
					g = (u + 5) % groups
				}
				p.GroupMembers = append(p.GroupMembers, sspm.GroupMember{GroupExternalID: fmt.Sprintf("g%d", g), MemberExternalID: id})
			}
			perm := "user" // 1,000 grants; 1% change permission
			if changed && u%100 == 50 {
				perm = "admin"
			}
			p.Grants = append(p.Grants, sspm.Grant{PrincipalExternalID: id, ResourceExternalID: "app", Permission: perm})
		}
		return p
	}
	historyRun(t, db, "okta-1p", false, page(false))
	historyRun(t, db, "okta-1p", false, page(false))
	if cs, err := db.AccessChanges(ctx, sspm.ChangeFilter{}); err != nil || len(cs) != 0 {
		t.Fatalf("unchanged re-sync recorded %d changes (%v)", len(cs), err)
	}
	historyRun(t, db, "okta-1p", false, page(true))
	counts := map[string]int{}
	for f := (sspm.ChangeFilter{}); ; {
		cs, err := db.AccessChanges(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			counts[c.Change]++
		}
		if len(cs) < postgres.MaxChangePage {
			break
		}
		f.BeforeAt, f.BeforeID = cs[len(cs)-1].ObservedAt, cs[len(cs)-1].ID
	}
	want := map[string]int{sspm.ChangeMembershipAdded: 50, sspm.ChangeMembershipRemoved: 50, sspm.ChangeGrantAdded: 10, sspm.ChangeGrantPermission: 10}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("changes = %v, want %v", counts, want)
	}
}
