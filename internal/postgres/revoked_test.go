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
