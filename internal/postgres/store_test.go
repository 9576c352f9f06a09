package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestMain(m *testing.M) { postgrestest.Main(m) }

func newConnector(t testing.TB, db *postgres.DB, id string) {
	t.Helper()
	if _, err := db.CreateConnector(context.Background(), sspm.Connector{ID: id, Kind: sspm.KindOkta, Name: id, Enabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateIsIdempotentAndRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if n, err := db.Migrate(ctx); err != nil || n != 0 {
		t.Fatalf("second migrate applied %d (err %v), want 0", n, err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatal(err)
	}
	_, err := db.Migrate(ctx)
	if !errors.Is(err, postgres.ErrSchemaTooNew) {
		t.Fatalf("migrate on a newer schema: %v, want ErrSchemaTooNew", err)
	}
	cur, latest, err := db.SchemaVersion(ctx)
	if err != nil || cur != 9999 || latest >= cur {
		t.Fatalf("schema version = %d/%d, %v", cur, latest, err)
	}
}

func TestConnectors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	c, err := db.CreateConnector(ctx, sspm.Connector{
		ID: "okta-main", Kind: sspm.KindOkta, Name: "Main Okta", Enabled: true, Authoritative: true,
		Config: []byte(`{"org_url":"https://example.okta.com"}`), Intervals: map[sspm.Lane]time.Duration{sspm.LaneFull: time.Hour},
	}, []byte("sealed"), "local:abc")
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasSecret || c.SecretUpdatedAt.IsZero() || c.Intervals[sspm.LaneFull] != time.Hour || !c.Authoritative {
		t.Fatalf("created = %+v", c)
	}
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-main", Kind: sspm.KindOkta, Name: "x"}, nil, ""); sspm.ErrorCode(err) != sspm.CodeConflict {
		t.Fatalf("duplicate id: %v, want conflict", err)
	}
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "Bad Id", Kind: sspm.KindOkta, Name: "x"}, nil, ""); err == nil {
		t.Fatal("the database accepted an invalid connector id")
	}
	if _, err := db.Connector(ctx, "nope"); !errors.Is(err, sspm.ErrNotFound) {
		t.Fatalf("missing connector: %v", err)
	}
	n, err := db.RewrapConnectorSecrets(ctx, func(_ context.Context, id string, sealed []byte) ([]byte, string, error) {
		return append([]byte("re-"), sealed...), "local:def", nil
	})
	if err != nil || n != 1 {
		t.Fatalf("rewrap = %d, %v", n, err)
	}
	got, _ := db.ConnectorSecret(ctx, "okta-main")
	after, _ := db.Connector(ctx, "okta-main")
	if string(got) != "re-sealed" || !after.SecretUpdatedAt.Equal(c.SecretUpdatedAt) {
		t.Fatalf("after rewrap: secret %q, updated %v (was %v)", got, after.SecretUpdatedAt, c.SecretUpdatedAt)
	}
	if err := db.DeleteConnector(ctx, "okta-main"); err != nil {
		t.Fatal(err)
	}
}

func TestWritePageNeedsTheLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "c1")
	_, lease, _, err := db.StartRun(ctx, "c1", sspm.LaneFull, sspm.TriggerManual, "me", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	page := &sspm.Page{Accounts: []sspm.Account{{ExternalID: "a", Kind: sspm.AccountUser}, {ExternalID: "a", Kind: sspm.AccountUser, DisplayName: "dup wins"}}}
	if _, err := db.WritePage(ctx, "c1", lease, page, sspm.RunState{}); err != nil {
		t.Fatalf("a page with a duplicate key: %v", err)
	}
	stolen := lease
	stolen.Owner = "someone-else"
	_, err = db.WritePage(ctx, "c1", stolen, &sspm.Page{Accounts: []sspm.Account{{ExternalID: "b", Kind: sspm.AccountUser}}}, sspm.RunState{})
	if !errors.Is(err, sspm.ErrLeaseLost) {
		t.Fatalf("write without the lease: %v, want ErrLeaseLost", err)
	}
	// A large page is written in two concurrent halves; each checks the lease too.
	_, err = db.WritePage(ctx, "c1", stolen, accountsPage(0, 0, 5000), sspm.RunState{})
	if !errors.Is(err, sspm.ErrLeaseLost) {
		t.Fatalf("large write without the lease: %v, want ErrLeaseLost", err)
	}
	accts, _ := db.LiveAccounts(ctx, "c1", 10)
	if len(accts) != 1 || accts[0].DisplayName != "dup wins" {
		t.Fatalf("accounts = %+v: the page without the lease was written, or the duplicate lost", accts)
	}
	written, err := db.WritePage(ctx, "c1", lease, accountsPage(0, 0, 5000), sspm.RunState{Counts: map[string]int64{"accounts": 1}})
	if err != nil || written["accounts"] != 5000 {
		t.Fatalf("large page: %v %v", written, err)
	}
	run, _ := db.Run(ctx, lease.RunID)
	if run.Counts["accounts"] != 5001 {
		t.Fatalf("run counts = %v, want the page's 5000 added to 1", run.Counts)
	}
}

func TestEventsAreStoredOnceAndTailCommitsItsCursor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "c1")
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id string) sspm.Event {
		return sspm.Event{ProviderEventID: id, Type: "user.session.start", OccurredAt: at,
			Targets: []sspm.EventTarget{{Type: "User", ExternalID: "u1"}}}
	}
	fresh, err := db.CommitTail(ctx, "c1", "system_log", []sspm.Event{ev("e1"), ev("e2"), ev("e1")}, sspm.TailCursor{Cursor: "c-1", HighWater: at}, at.Add(time.Minute))
	if err != nil || len(fresh) != 2 {
		t.Fatalf("first commit stored %d (%v), want 2", len(fresh), err)
	}
	if again, _ := db.CommitTail(ctx, "c1", "system_log", []sspm.Event{ev("e2")}, sspm.TailCursor{Cursor: "c-1", HighWater: at}, at); len(again) != 0 {
		t.Fatalf("a re-read event came back as new: %+v", again)
	}
	n, err := db.StoreEvents(ctx, "c1", []sspm.Event{ev("e2"), ev("e3")}) // a push redelivers e2
	if err != nil || n != 1 {
		t.Fatalf("push stored %d (%v), want only e3", n, err)
	}
	total, _ := db.CountEvents(ctx, "c1")
	cur, err := db.TailCursor(ctx, "c1", "system_log")
	if total != 3 || err != nil || cur.Cursor != "c-1" || !cur.HighWater.Equal(at) {
		t.Fatalf("events %d, cursor %+v (%v)", total, cur, err)
	}
	if _, err := db.StoreEvents(ctx, "c1", []sspm.Event{{Type: "x"}}); err == nil {
		t.Fatal("an event without id and time was stored")
	}
	none, err := db.TailCursor(ctx, "c1", "other")
	if err != nil || none.Cursor != "" {
		t.Fatalf("unknown stream: %+v %v", none, err)
	}
}
