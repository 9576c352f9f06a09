package drill_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// Where a tail step's process is killed.
const (
	beforeCommit = "before the commit"      // the events are read, nothing is written yet
	insideCommit = "inside the transaction" // the events are inserted, the cursor's update waits: nothing is committed
	afterCommit  = "after the commit"       // events and cursor are committed, the step has not returned
)

// newEvents is how many sign-ins happen in the org between the first catch-up and the killed step.
const newEvents = 5

// TestDrillTailKilled kills (SIGKILL) a process in the middle of a System Log tail step, at three points:
// before its commit, inside its commit's transaction (the events inserted, the cursor's row locked by the test),
// and after its commit. The cursor and the stored events move together or not at all; a new process's steps then
// store each event once, and the connector's events equal those of a connector tailed without interruption.
func TestDrillTailKilled(t *testing.T) {
	if at := os.Getenv(envRole); at != "" {
		tailUntilKilled(t, at)
		return
	}
	t.Parallel()
	for _, at := range []string{beforeCommit, insideCommit, afterCommit} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			tailKilled(t, at)
		})
	}
}

func tailKilled(t *testing.T, at string) {
	ctx := context.Background()
	clk := clocktest.New(sourcetest.Start)
	sim := newOrg(t, clk, oktasim.HookOptions{})
	url := postgrestest.URL(t)
	db, err := postgres.Open(ctx, url, postgres.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	c, ref := oktaConnector(sim, "okta-drill"), oktaConnector(sim, "okta-reference")
	addConnector(t, db, c)
	addConnector(t, db, ref)
	tailer := newTailer(db, clk)
	catchUp(t, tailer, c.ID)
	catchUp(t, tailer, ref.ID)
	before, err := db.TailCursor(ctx, c.ID, okta.StreamSystemLog)
	must(t, err)
	stored, err := db.CountEvents(ctx, c.ID)
	must(t, err)
	if stored == 0 {
		t.Fatal("the first catch-up stored no events")
	}

	clk.Advance(2 * time.Minute)
	signIns(t, sim, newEvents)
	var lock pgx.Tx
	if at == insideCommit { // the killed process's commit will wait for this lock, its events inserted
		lock, err = db.Pool().Begin(ctx)
		must(t, err)
		defer lock.Rollback(ctx) //nolint:errcheck
		_, err = lock.Exec(ctx, `SELECT 1 FROM tail_cursors WHERE connector_id = $1 AND stream = $2 FOR UPDATE`, c.ID, okta.StreamSystemLog)
		must(t, err)
	}
	proc := startChild(t, "TestDrillTailKilled", at, "TEST_DATABASE_URL="+url, "OPEN_SSPM_DRILL_DB="+url,
		"OPEN_SSPM_DRILL_CONNECTOR="+c.ID, clockEnv(clk))
	proc.await(t, at)
	var backend int
	if at == insideCommit {
		backend = awaitLockWaiter(t, db)
	}
	proc.kill(t)
	if at == insideCommit {
		must(t, lock.Rollback(ctx))
		awaitBackendGone(t, db, backend) // the dead client's transaction is rolled back when its backend notices
	}

	after, err := db.TailCursor(ctx, c.ID, okta.StreamSystemLog)
	must(t, err)
	n, err := db.CountEvents(ctx, c.ID)
	must(t, err)
	moved := after.Cursor != before.Cursor || !after.HighWater.Equal(before.HighWater)
	switch {
	case at == afterCommit && (!moved || n != stored+newEvents):
		t.Fatalf("killed after the commit: cursor moved %v, %d events stored, want it moved and %d", moved, n, stored+newEvents)
	case at != afterCommit && (moved || n != stored):
		t.Fatalf("killed %s: cursor moved %v (%q → %q), %d events stored, want %d and the cursor kept", at, moved, before.Cursor, after.Cursor, n, stored)
	}
	if after.LastError != "" {
		t.Errorf("the stream records an error: %s", after.LastError)
	}

	// A new process goes on from the stored cursor: each event stored once.
	again := catchUp(t, newTailer(db, clk), c.ID)
	if want := map[bool]int64{true: 0, false: newEvents}[at == afterCommit]; again != want {
		t.Errorf("the new process's steps stored %d events, want %d", again, want)
	}
	catchUp(t, tailer, ref.ID)
	got, want := eventsOf(t, db, c.ID), eventsOf(t, db, ref.ID)
	if len(got) != len(want) || len(got) != int(stored)+newEvents {
		t.Fatalf("%d events stored; the uninterrupted connector has %d, want %d", len(got), len(want), int(stored)+newEvents)
	}
	for id, content := range want {
		if got[id] != content {
			t.Fatalf("event %s: %q, uninterrupted %q", id, got[id], content)
		}
	}
	final, _ := db.TailCursor(ctx, c.ID, okta.StreamSystemLog)
	refCur, _ := db.TailCursor(ctx, ref.ID, okta.StreamSystemLog)
	if !final.HighWater.Equal(refCur.HighWater) {
		t.Errorf("the cursor's high-water mark %s; the uninterrupted connector's %s", final.HighWater, refCur.HighWater)
	}
}

// tailUntilKilled is the process that is killed during its tail step, at the point at.
func tailUntilKilled(t *testing.T, at string) {
	ctx := context.Background()
	clk := childClock(t)
	db, err := postgres.Open(ctx, os.Getenv("OPEN_SSPM_DRILL_DB"), postgres.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	tailer := newTailer(&killedCommit{TailStore: db, at: at}, clk)
	_, err = tailer.Step(ctx, os.Getenv("OPEN_SSPM_DRILL_CONNECTOR"), okta.StreamSystemLog)
	t.Fatalf("the step ended before its process was killed: %v", err)
}

// killedCommit is the store of a tailer whose process hangs, to be killed, at its commit.
type killedCommit struct {
	lane.TailStore
	at string
}

func (k *killedCommit) CommitTail(ctx context.Context, connectorID, stream string, events []sspm.Event, c sspm.TailCursor, now time.Time) ([]sspm.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	switch k.at {
	case beforeCommit:
		say(k.at)
		hang()
	case insideCommit:
		say(k.at) // the commit below blocks on the test's lock until the process is killed
	}
	if _, err := k.TailStore.CommitTail(ctx, connectorID, stream, events, c, now); err != nil {
		return nil, err
	}
	say(afterCommit)
	hang() // never returns
	return nil, nil
}

func newTailer(store lane.TailStore, clk *clocktest.Clock) *lane.Tailer {
	opts := oktaOptions(clk)
	return &lane.Tailer{Store: store, Now: clk.Now, Streams: func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error) {
		return opts.NewSource(ctx, c, []byte(oktasim.DefaultToken))
	}}
}

// catchUp steps the System Log tail until the org has nothing more waiting and returns how many events it stored.
func catchUp(t *testing.T, tl *lane.Tailer, id string) int64 {
	t.Helper()
	var stored int64
	for steps := 0; ; steps++ {
		res, err := tl.Step(context.Background(), id, okta.StreamSystemLog)
		if err != nil {
			t.Fatal(err)
		}
		stored += res.Stored
		if !res.More {
			return stored
		}
		if steps > 1000 {
			t.Fatal("the tail never catches up")
		}
	}
}

// signIns makes n users sign in.
func signIns(t *testing.T, sim *oktasim.Server, n int) {
	t.Helper()
	var users []string
	for _, p := range sim.Company().People {
		if id, ok := sim.UserID(p.ID); ok {
			users = append(users, id)
		}
	}
	for i := range n {
		must(t, sim.RecordSignIn(users[i%len(users)]))
	}
}

// eventsOf is a connector's stored events: provider id → content (without the store's own columns).
func eventsOf(t *testing.T, db *postgres.DB, id string) map[string]string {
	t.Helper()
	return textMap(t, db, `SELECT provider_event_id,
		(to_jsonb(e) - 'id' - 'connector_id' - 'received_at')::text FROM events e WHERE connector_id = $1`, id)
}

// inboxOf is a connector's inbox record: delivery id → status/attempts.
func inboxOf(t *testing.T, db *postgres.DB, id string) map[string]string {
	t.Helper()
	return textMap(t, db, `SELECT delivery_id, status || '/' || attempts FROM inbox WHERE connector_id = $1`, id)
}

// textMap reads a query's two text columns as key → value.
func textMap(t *testing.T, db *postgres.DB, query string, args ...any) map[string]string {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), query, args...)
	must(t, err)
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		must(t, rows.Scan(&k, &v))
		out[k] = v
	}
	must(t, rows.Err())
	return out
}

// awaitLockWaiter waits (at most a minute) for a backend of the database to wait on a lock and returns its pid.
func awaitLockWaiter(t *testing.T, db *postgres.DB) int {
	t.Helper()
	var pid int
	poll(t, "a backend waiting on the cursor's lock", func() bool {
		err := db.Pool().QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' LIMIT 1`).Scan(&pid)
		return err == nil
	})
	return pid
}

// awaitBackendGone waits (at most a minute) for the backend pid to end.
func awaitBackendGone(t *testing.T, db *postgres.DB, pid int) {
	t.Helper()
	poll(t, "the killed process's backend to end", func() bool {
		var n int
		err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&n)
		return err == nil && n == 0
	})
}

// poll checks done every 10ms for at most a minute: it waits on another process, not on time.
func poll(t *testing.T, what string, done func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(time.Minute)
	for !done() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("waited a minute for %s", what)
		}
	}
}
