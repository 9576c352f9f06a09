package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestPushRegistrations: a registration is stored per connector with the store's clock, a failed attempt keeps
// the registration in force next to its message, a later success clears the failure, a connector that does not
// exist gets NotFound, and deleting the connector deletes its registration.
func TestPushRegistrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := clocktest.New(start)
	db := postgrestest.New(t, postgres.WithClock(clock.Now))
	newConnector(t, db, "okta-a")
	newConnector(t, db, "okta-b")

	if _, err := db.PushRegistration(ctx, "okta-a"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("nothing registered: want not found, got %v", err)
	}
	// A first attempt that fails leaves no registration in force.
	r, err := db.RecordPushFailed(ctx, "okta-a", "https://sspm.example.com/hooks/okta/okta-a", "okta verify event hook: status UNVERIFIED")
	if err != nil || r.Registered() || r.LastError != "okta verify event hook: status UNVERIFIED" || !r.LastErrorAt.Equal(start) ||
		r.LastErrorURL != "https://sspm.example.com/hooks/okta/okta-a" {
		t.Fatalf("first failure: %+v, %v", r, err)
	}

	clock.Advance(time.Minute)
	r, err = db.RecordPushRegistered(ctx, "okta-a", "https://sspm.example.com/hooks/okta/okta-a", "who1abc")
	want := postgres.PushRegistration{ConnectorID: "okta-a", HookURL: "https://sspm.example.com/hooks/okta/okta-a", ProviderRef: "who1abc",
		RegisteredAt: start.Add(time.Minute)}
	if err != nil || !samePush(r, want) {
		t.Fatalf("registered: %+v, %v; want %+v", r, err, want)
	}
	if got, err := db.PushRegistration(ctx, "okta-a"); err != nil || !samePush(got, want) {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	if _, err := db.PushRegistration(ctx, "okta-b"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("another connector sees the registration: %v", err)
	}

	// A failed attempt at another URL keeps the registration in force.
	clock.Advance(time.Minute)
	r, err = db.RecordPushFailed(ctx, "okta-a", "https://other.example.com/hooks/okta/okta-a", "")
	failed := want
	failed.LastError, failed.LastErrorURL, failed.LastErrorAt = "the registration failed", "https://other.example.com/hooks/okta/okta-a", start.Add(2*time.Minute)
	if err != nil || !samePush(r, failed) {
		t.Fatalf("failed again: %+v, %v; want %+v", r, err, failed)
	}
	// A new registration replaces the old one and clears the failure.
	clock.Advance(time.Minute)
	r, err = db.RecordPushRegistered(ctx, "okta-a", "https://other.example.com/hooks/okta/okta-a", "who2def")
	again := postgres.PushRegistration{ConnectorID: "okta-a", HookURL: "https://other.example.com/hooks/okta/okta-a", ProviderRef: "who2def",
		RegisteredAt: start.Add(3 * time.Minute)}
	if err != nil || !samePush(r, again) {
		t.Fatalf("registered again: %+v, %v; want %+v", r, err, again)
	}

	if _, err := db.RecordPushRegistered(ctx, "okta-a", "", "x"); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("empty hook URL: want invalid, got %v", err)
	}
	if _, err := db.RecordPushRegistered(ctx, "nope", "https://sspm.example.com/hooks/okta/nope", "x"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("unknown connector: want not found, got %v", err)
	}
	if _, err := db.RecordPushFailed(ctx, "nope", "https://sspm.example.com/hooks/okta/nope", "x"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("unknown connector (failure): want not found, got %v", err)
	}

	if _, err := db.Pool().Exec(ctx, `DELETE FROM connectors WHERE id = 'okta-a'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PushRegistration(ctx, "okta-a"); sspm.ErrorCode(err) != sspm.CodeNotFound {
		t.Fatalf("deleted connector's registration: want not found, got %v", err)
	}
}

func samePush(a, b postgres.PushRegistration) bool {
	return a.ConnectorID == b.ConnectorID && a.HookURL == b.HookURL && a.ProviderRef == b.ProviderRef &&
		a.RegisteredAt.Equal(b.RegisteredAt) && a.LastError == b.LastError && a.LastErrorURL == b.LastErrorURL &&
		a.LastErrorAt.Equal(b.LastErrorAt)
}
