package drill_test

import (
	"slices"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
)

// TestDrillDeliveriesTwiceOutOfOrder has Okta push a series of changes (some undoing others) to one connector in
// order, once each, and replays the same deliveries to a second connector of the same org newest first, each
// twice, the copies side by side in one inbox batch. Every event is stored once, each delivery has one inbox
// record (the second connector's counting two attempts), and both connectors end with the same events and the
// same inventory: the result does not depend on the order or the copies.
func TestDrillDeliveriesTwiceOutOfOrder(t *testing.T) {
	t.Parallel()
	r := newPushRig(t, oktasim.HookOptions{BatchSize: 2}, nil)
	inOrder, inOrderSecret := r.connector(t, "okta-in-order")
	replayed, replayedSecret := r.connector(t, "okta-replayed")
	r.subscribe(t, inOrder, inOrderSecret)
	r.changeOrg(t)
	batches := r.deliver(t)
	for r.process(t, 1) > 0 { // one delivery at a time, in the order sent, until none is left
		continue
	}
	sent := r.received(inOrder.ID)
	if len(sent) != batches {
		t.Fatalf("recorded %d deliveries, Okta made %d", len(sent), batches)
	}

	reversed := slices.Clone(sent)
	slices.Reverse(reversed)
	for _, d := range reversed {
		r.send(t, replayed.ID, replayedSecret, d)
		r.send(t, replayed.ID, replayedSecret, d)
	}
	if n := r.process(t, 2*len(sent)); n != 2*len(sent) { // every copy in one batch
		t.Fatalf("the batch held %d messages, want %d", n, 2*len(sent))
	}

	want, got := eventsOf(t, r.db, inOrder.ID), eventsOf(t, r.db, replayed.ID)
	if len(want) < batches || len(got) != len(want) {
		t.Fatalf("%d events stored from deliveries twice and newest first; %d in order (from %d deliveries)", len(got), len(want), batches)
	}
	for id, content := range want {
		if got[id] != content {
			t.Fatalf("event %s: %q; in order %q", id, got[id], content)
		}
	}
	inboxWant, inboxGot := inboxOf(t, r.db, inOrder.ID), inboxOf(t, r.db, replayed.ID)
	if len(inboxWant) != batches || len(inboxGot) != batches {
		t.Fatalf("inbox records: %d in order, %d replayed; want %d each", len(inboxWant), len(inboxGot), batches)
	}
	for id, rec := range inboxWant {
		if rec != "processed/1" || inboxGot[id] != "processed/2" {
			t.Errorf("delivery %s: in order %s, replayed %s; want processed/1 and processed/2", id, rec, inboxGot[id])
		}
	}
	if d := takeSnapshot(t, r.db, replayed.ID).diff(takeSnapshot(t, r.db, inOrder.ID), true); d != "" {
		t.Fatalf("the inventory after deliveries twice and newest first differs from in-order delivery: %s", d)
	}
}
