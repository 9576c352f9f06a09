package drill_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// killedAfterPage is the page after whose commit the sync's process is killed.
const killedAfterPage = 3

// TestDrillSyncKilled kills (SIGKILL) a process in the middle of a full sync, after it committed three pages of
// an org whose admin deleted a user, a group and a membership since the last sync. The killed run expired nothing
// and still holds its lease; a run started before the lease expires finds the run busy; once it has expired a new
// process takes the run over from its checkpoint, the run counts one lost lease and two attempts, and the
// inventory equals that of an uninterrupted run (the deleted rows expired, nothing else).
func TestDrillSyncKilled(t *testing.T) {
	if os.Getenv(envRole) == "sync" {
		syncUntilKilled(t)
		return
	}
	t.Parallel()
	ctx := context.Background()
	clk := clocktest.New(sourcetest.Start)
	sim := newOrg(t, clk, oktasim.HookOptions{})
	c := oktaConnector(sim, "okta-drill")
	url := postgrestest.URL(t)
	db, err := postgres.Open(ctx, url, postgres.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	addConnector(t, db, c)
	r := newRunner(db, clk)
	fullSync(t, r, c.ID, "first")
	before := takeSnapshot(t, db, c.ID)
	deleteSome(t, sim)
	clk.Advance(time.Hour)

	// An uninterrupted run of the org as it is now, by a connector of its own.
	ref := oktaConnector(sim, "okta-reference")
	addConnector(t, db, ref)
	refRun := fullSync(t, r, ref.ID, "reference")
	want := takeSnapshot(t, db, ref.ID)
	if refRun.Run.Progress.Pages < 2*killedAfterPage {
		t.Fatalf("a full sync takes %d pages; the kill after page %d would not be in its middle", refRun.Run.Progress.Pages, killedAfterPage)
	}
	if before.diff(want, false) == "" {
		t.Fatal("the deletions changed nothing the sync stores")
	}

	proc := startChild(t, "TestDrillSyncKilled", "sync", "TEST_DATABASE_URL="+url, "OPEN_SSPM_DRILL_DB="+url,
		"OPEN_SSPM_DRILL_CONNECTOR="+c.ID, clockEnv(clk))
	proc.await(t, "committed")
	proc.kill(t)

	runs, err := db.Runs(ctx, c.ID, sspm.LaneFull, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	killed := runs[0]
	if killed.Status != sspm.RunRunning || killed.Progress.Pages != killedAfterPage || killed.Attempts != 1 {
		t.Fatalf("the killed run: %s, %d pages, %d attempts; want running, %d pages, 1 attempt", killed.Status,
			killed.Progress.Pages, killed.Attempts, killedAfterPage)
	}
	if owner := leaseOwner(t, db, killed.ID); owner != "killed-process" {
		t.Fatalf("the killed run's lease is held by %q", owner)
	}
	if d := takeSnapshot(t, db, c.ID).missing(before); d != "" {
		t.Fatalf("the killed run lost or expired rows: %s", d)
	}

	if res, err := r.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: c.ID}, "too-early", time.Time{}); err != nil || res.Outcome != lane.OutcomeBusy {
		t.Fatalf("a run while the dead process's lease lasts: %s %v", res.Outcome, err)
	}
	clk.Advance(r.LeaseTTL + time.Second)
	res := fullSync(t, r, c.ID, "new-process")
	if !res.Resumed || res.Run.ID != killed.ID {
		t.Fatalf("the new process started run %d (resumed %v); want run %d resumed", res.Run.ID, res.Resumed, killed.ID)
	}
	got := takeSnapshot(t, db, c.ID)
	if d := got.diff(want, true); d != "" {
		t.Fatalf("after the resumed run the inventory differs from an uninterrupted run's: %s", d)
	}
	var expired int64
	for _, n := range res.Expired {
		expired += n
	}
	if gone := int64(before.rows() + wantOnly(want, before) - got.rows()); expired != gone || expired == 0 {
		t.Fatalf("the resumed run expired %d rows (%v); %d went", expired, res.Expired, gone)
	}
	rec, err := db.Run(ctx, killed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != sspm.RunSucceeded || rec.Attempts != 2 || rec.LostLeases != 1 {
		t.Fatalf("the run's record: %s, %d attempts, %d lost leases; want succeeded, 2 attempts, 1 lost lease", rec.Status, rec.Attempts, rec.LostLeases)
	}
}

// syncUntilKilled is the process that is killed: it runs the full lane and, once it has committed its third
// page, says so and waits to be killed, holding the run's lease.
func syncUntilKilled(t *testing.T) {
	ctx := context.Background()
	clk := childClock(t)
	db, err := postgres.Open(ctx, os.Getenv("OPEN_SSPM_DRILL_DB"), postgres.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(&killedAfter{RunStore: db, pages: killedAfterPage}, clk)
	_, err = r.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: os.Getenv("OPEN_SSPM_DRILL_CONNECTOR")}, "killed-process", time.Time{})
	t.Fatalf("the run ended before its process was killed: %v", err)
}

// killedAfter is the store of a process that hangs (to be killed) once it has committed pages pages.
type killedAfter struct {
	lane.RunStore
	pages, written int
}

func (k *killedAfter) WritePage(ctx context.Context, connectorID string, l sspm.Lease, page *sspm.Page, state sspm.RunState) (map[string]int64, error) {
	n, err := k.RunStore.WritePage(ctx, connectorID, l, page, state)
	if err != nil {
		return n, err
	}
	if k.written++; k.written == k.pages {
		say("committed")
		hang()
	}
	return n, nil
}

func leaseOwner(t *testing.T, db *postgres.DB, runID int64) string {
	t.Helper()
	var owner *string
	if err := db.Pool().QueryRow(context.Background(), `SELECT lease_owner FROM sync_runs WHERE id = $1`, runID).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	if owner == nil {
		return ""
	}
	return *owner
}

// wantOnly counts the rows of want that before lacks (rows the org gained).
func wantOnly(want, before snapshot) int {
	n := 0
	for e, rows := range want {
		for k := range rows {
			if _, ok := before[e][k]; !ok {
				n++
			}
		}
	}
	return n
}
