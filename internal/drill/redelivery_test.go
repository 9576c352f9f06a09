package drill_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awssqs"
	"github.com/open-sspm/open-sspm/internal/awssqs/sqsfake"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// visibility is the inbox messages' visibility timeout in the drill.
const visibility = 30 * time.Second

// TestDrillQueueRedelivery has an inbox worker receive Okta's deliveries, store their events and die before it
// acknowledges them; after the visibility timeout the queue (the SQS fake behind the real SQS client, and the
// local PostgreSQL queue) delivers them again to another worker. The work is done once: no event is stored
// again, each delivery keeps one inbox record, now processed in two attempts, and the queue ends empty with
// nothing dead.
func TestDrillQueueRedelivery(t *testing.T) {
	t.Parallel()
	queues := []struct {
		name  string
		queue func(t *testing.T) (func(*postgres.DB, *clocktest.Clock) sspm.Queue, func() (live, dead int))
	}{
		{"sqs", func(t *testing.T) (func(*postgres.DB, *clocktest.Clock) sspm.Queue, func() (int, int)) {
			srv := sqsfake.NewServer()
			t.Cleanup(srv.Close)
			url, dlq, err := srv.CreateQueueWithDLQ("inbox", 5)
			must(t, err)
			depth := func() (int, int) {
				visible, inFlight, err := srv.Depth(url)
				must(t, err)
				deadVisible, deadInFlight, err := srv.Depth(dlq)
				must(t, err)
				return visible + inFlight, deadVisible + deadInFlight
			}
			return func(_ *postgres.DB, clk *clocktest.Clock) sspm.Queue {
				srv.SetClock(clk.Now)
				return awssqs.New(srv.Client(), url)
			}, depth
		}},
		{"local", func(t *testing.T) (func(*postgres.DB, *clocktest.Clock) sspm.Queue, func() (int, int)) {
			var db *postgres.DB
			depth := func() (int, int) {
				var live, dead int
				must(t, db.Pool().QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE state = 'ready'),
					count(*) FILTER (WHERE state = 'dead') FROM queue_messages`).Scan(&live, &dead))
				return live, dead
			}
			return func(d *postgres.DB, _ *clocktest.Clock) sspm.Queue {
				db = d
				return d.Queue("inbox", 5)
			}, depth
		}},
	}
	for _, q := range queues {
		t.Run(q.name, func(t *testing.T) {
			t.Parallel()
			newQueue, depth := q.queue(t)
			redelivered(t, newQueue, depth)
		})
	}
}

func redelivered(t *testing.T, newQueue func(*postgres.DB, *clocktest.Clock) sspm.Queue, depth func() (live, dead int)) {
	ctx := context.Background()
	r := newPushRig(t, oktasim.HookOptions{BatchSize: 2}, newQueue)
	c, secret := r.connector(t, "okta-drill")
	r.subscribe(t, c, secret)
	r.changeOrg(t)
	batches := r.deliver(t)

	// The first worker stores the deliveries' events and dies before its acknowledgement.
	first, err := r.queue.Receive(ctx, 10, visibility)
	must(t, err)
	if len(first) != batches {
		t.Fatalf("received %d messages, Okta made %d deliveries", len(first), batches)
	}
	if failed := r.app.NewInbox().Process(ctx, first); len(failed) > 0 {
		t.Fatalf("inbox failures: %+v", failed)
	}
	stored := eventsOf(t, r.db, c.ID)
	inventory := takeSnapshot(t, r.db, c.ID)
	if len(stored) < batches {
		t.Fatalf("%d events stored from %d deliveries", len(stored), batches)
	}
	if again, err := r.queue.Receive(ctx, 10, visibility); err != nil || len(again) != 0 {
		t.Fatalf("within the visibility timeout %d messages were received again (%v)", len(again), err)
	}

	// After the visibility timeout another worker receives them again and finishes the work.
	r.clk.Advance(visibility + time.Second)
	second, err := r.queue.Receive(ctx, 10, visibility)
	must(t, err)
	if len(second) != len(first) {
		t.Fatalf("after the visibility timeout %d of %d messages came again", len(second), len(first))
	}
	ids := map[string]bool{}
	for _, m := range first {
		ids[m.ID] = true
	}
	for _, m := range second {
		if !ids[m.ID] || m.Attempts != 2 {
			t.Fatalf("message %s came again as attempt %d; want a message of the first receive, attempt 2", m.ID, m.Attempts)
		}
	}
	if failed := r.app.NewInbox().Process(ctx, second); len(failed) > 0 {
		t.Fatalf("inbox failures: %+v", failed)
	}
	for _, m := range second {
		must(t, r.queue.Ack(ctx, m.Receipt))
	}

	got := eventsOf(t, r.db, c.ID)
	if len(got) != len(stored) {
		t.Fatalf("the redelivered messages changed the events: %d, were %d", len(got), len(stored))
	}
	for id, content := range stored {
		if got[id] != content {
			t.Fatalf("event %s changed on redelivery: %q, was %q", id, got[id], content)
		}
	}
	if d := takeSnapshot(t, r.db, c.ID).diff(inventory, true); d != "" {
		t.Fatalf("the redelivered messages changed the inventory: %s", d)
	}
	inbox := inboxOf(t, r.db, c.ID)
	if len(inbox) != batches {
		t.Fatalf("%d inbox records for %d deliveries", len(inbox), batches)
	}
	for id, rec := range inbox {
		if rec != "processed/2" {
			t.Errorf("delivery %s: %s, want processed/2", id, rec)
		}
	}
	r.clk.Advance(visibility + time.Second)
	if live, dead := depth(); live != 0 || dead != 0 {
		t.Fatalf("the queue holds %d messages and %d dead after the work", live, dead)
	}
}
