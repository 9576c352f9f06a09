package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestStoreDeliveriesWithADuplicateInTheBatch: two copies of one delivery in one batch (a provider's retry queued
// next to the original) are stored once, together with the batch's other deliveries, instead of failing it all.
func TestStoreDeliveriesWithADuplicateInTheBatch(t *testing.T) {
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "c1")
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	delivery := func(id, event string) sspm.DeliveryOutcome {
		return sspm.DeliveryOutcome{
			Delivery: sspm.Delivery{ConnectorID: "c1", Kind: sspm.KindOkta, DeliveryID: id, ReceivedAt: at, Body: []byte(`{}`)},
			Events:   []sspm.Event{{ProviderEventID: event, Type: "user.session.start", OccurredAt: at, Source: "push"}},
		}
	}
	batch := []sspm.DeliveryOutcome{delivery("d1", "e1"), delivery("d2", "e2"), delivery("d1", "e1"),
		{Delivery: sspm.Delivery{ConnectorID: "c1", Kind: sspm.KindOkta, ReceivedAt: at, Body: []byte(`{}`)}}}
	stored, err := db.StoreDeliveries(ctx, batch)
	if err != nil {
		t.Fatalf("a batch with a duplicate: %v", err)
	}
	if stored["c1"] != 2 {
		t.Fatalf("new events = %v, want 2", stored)
	}
	processed, failed, _, err := db.InboxCounts(ctx, "c1")
	if err != nil || processed != 3 || failed != 0 {
		t.Fatalf("inbox processed %d failed %d (%v), want d1, d2 and the delivery without an id", processed, failed, err)
	}
	// Each copy is an attempt of the one record, in one batch (the fault drill found two copies recorded as one)
	// or in a later batch.
	attempts := func() int {
		var n int
		if err := db.Pool().QueryRow(ctx, "SELECT attempts FROM inbox WHERE connector_id = 'c1' AND delivery_id = 'd1'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := attempts(); n != 2 {
		t.Fatalf("attempts of d1 after two copies in one batch = %d, want 2", n)
	}
	if _, err := db.StoreDeliveries(ctx, []sspm.DeliveryOutcome{delivery("d1", "e1"), delivery("d1", "e1")}); err != nil {
		t.Fatal(err)
	}
	if n := attempts(); n != 4 {
		t.Fatalf("attempts of d1 after two more copies in a later batch = %d, want 4", n)
	}
}
