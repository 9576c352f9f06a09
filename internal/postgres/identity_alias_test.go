package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestLinkingByAlias: a Google Workspace account whose primary email no identity has joins the person of one of
// its aliases; one whose primary email and aliases match no person gets an identity of its own that no
// authoritative source anchors, so it needs an anchor. A raw "aliases" that is not a list is ignored.
func TestLinkingByAlias(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	for _, c := range []sspm.Connector{
		{ID: "okta", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true},
		{ID: "gws", Kind: sspm.KindGoogle, Name: "Workspace", Enabled: true},
	} {
		if _, err := db.CreateConnector(ctx, c, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	syncAccounts(t, db, "okta", sspm.Account{ExternalID: "00u-alice", Kind: sspm.AccountUser, Email: "alice@example.com", Active: true})
	link(t, db, "okta", true)
	raw := func(aliases any) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"aliases": aliases})
		return b
	}
	syncAccounts(t, db, "gws",
		sspm.Account{ExternalID: "g-alice", Kind: sspm.AccountUser, Email: "alice@legacy.example.com", Active: true, Raw: raw([]string{"Alice@Example.com"})},
		sspm.Account{ExternalID: "g-zed", Kind: sspm.AccountUser, Email: "zed@legacy.example.com", Active: true, Raw: raw([]string{"zed@elsewhere.example"})},
		sspm.Account{ExternalID: "g-odd", Kind: sspm.AccountUser, Email: "odd@legacy.example.com", Active: true, Raw: raw("alice@example.com")},
	)
	if r := link(t, db, "gws", false); r.Linked != 3 || r.Created != 2 {
		t.Fatalf("link = %+v, want 3 linked (one by alias) and 2 identities created", r)
	}
	alice, gAlice := identityOf(t, db, "okta", "00u-alice"), identityOf(t, db, "gws", "g-alice")
	if gAlice.IdentityID == nil || *gAlice.IdentityID != *alice.IdentityID {
		t.Fatalf("g-alice %+v, okta alice %+v: the alias did not join them", gAlice, alice)
	}
	needs, err := db.NeedsAnchor(ctx, "gws", 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range needs {
		got[n.ExternalID] = true
	}
	if len(needs) != 2 || !got["g-zed"] || !got["g-odd"] {
		t.Fatalf("needs anchor = %+v, want g-zed and g-odd", needs)
	}
}
