package drill_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/pgembed"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestDrillDatabaseRestarted restarts PostgreSQL in the middle of a full sync: a private server (pgembed, the
// machine's PostgreSQL binaries, run as the postgres user when the test runs as root) is shut down after the
// sync committed three pages, and started again on the same port, so that every connection the store's pool
// held is dead:
//
//   - "back at once": it is started again right after the sync's next store call failed on it, before the runner
//     records the failure;
//   - "down for the invocation": it is started again only after the invocation ended, so the runner cannot
//     record anything.
//
// The run then completes, or is recorded as failed (nothing expired) and the next run completes, or, when
// nothing could be recorded, keeps its lease until it expires and is taken over from its checkpoint (one lost
// lease). Either way the inventory ends equal to an uninterrupted run's. Both modes share one server, one after
// the other.
func TestDrillDatabaseRestarted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := clocktest.New(sourcetest.Start)
	srv := newPrivateServer(t)
	db, err := postgres.Open(ctx, srv.url(), postgres.WithClock(clk.Now))
	must(t, err)
	t.Cleanup(db.Close)
	_, err = db.Migrate(ctx)
	must(t, err)
	for _, backAtOnce := range []bool{true, false} {
		name := map[bool]string{true: "back at once", false: "down for the invocation"}[backAtOnce]
		t.Run(name, func(t *testing.T) { restartDuringSync(t, srv, db, clk, backAtOnce) })
	}
}

func restartDuringSync(t *testing.T, srv *privateServer, db *postgres.DB, clk *clocktest.Clock, backAtOnce bool) {
	ctx := context.Background()
	sim := newOrg(t, clk, oktasim.HookOptions{})
	prefix := map[bool]string{true: "at-once", false: "down"}[backAtOnce]
	c, ref := oktaConnector(sim, prefix+"-drill"), oktaConnector(sim, prefix+"-reference")
	addConnector(t, db, c)
	addConnector(t, db, ref)
	r := newRunner(db, clk)
	fullSync(t, r, c.ID, "first")
	before := takeSnapshot(t, db, c.ID)
	deleteSome(t, sim)
	clk.Advance(time.Hour)
	fullSync(t, r, ref.ID, "reference") // an uninterrupted run of the org as it is now
	want := takeSnapshot(t, db, ref.ID)

	store := &restartAfter{RunStore: db, t: t, srv: srv, pages: 3, backAtOnce: backAtOnce}
	res, err := newRunner(store, clk).Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: c.ID}, "during-restart", time.Time{})
	if !store.stopped {
		t.Fatal("the run ended before the database was stopped")
	}
	if !backAtOnce {
		srv.start(t)
	}
	t.Logf("the run during the restart: %s %v (recording it: %v); the call that found the database down: %v", res.Outcome, res.Err, err, store.downErr)
	runs, rerr := db.Runs(ctx, c.ID, sspm.LaneFull, 1)
	if rerr != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %v", runs, rerr)
	}
	rec := runs[0]
	if d := takeSnapshot(t, db, c.ID).missing(before); d != "" && res.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("the interrupted run lost or expired rows: %s", d)
	}
	switch {
	case err != nil: // nothing could be recorded: the run waits for its lease to expire, then is taken over
		if rec.Status != sspm.RunRunning || rec.Progress.Pages != 3 {
			t.Fatalf("the run that could record nothing: %s after %d pages; want running after 3", rec.Status, rec.Progress.Pages)
		}
		clk.Advance(time.Minute + time.Second)
		next := fullSync(t, r, c.ID, "after-restart")
		if !next.Resumed || next.Run.ID != rec.ID {
			t.Fatalf("the next run %d (resumed %v) did not take over run %d", next.Run.ID, next.Resumed, rec.ID)
		}
		if done, _ := db.Run(ctx, rec.ID); done.LostLeases != 1 || done.Attempts != 2 {
			t.Fatalf("the taken-over run's record: %d lost leases, %d attempts; want 1 and 2", done.LostLeases, done.Attempts)
		}
	case res.Outcome == lane.OutcomeFailed:
		if rec.Status != sspm.RunFailed || rec.ErrorText == "" || rec.ID != res.Run.ID {
			t.Fatalf("the failed run's record: %s %q", rec.Status, rec.ErrorText)
		}
		clk.Advance(time.Hour) // past the failure's back-off
		if next := fullSync(t, r, c.ID, "after-restart"); next.Run.ID == rec.ID {
			t.Fatal("the failed run was continued")
		}
	case res.Outcome != lane.OutcomeSucceeded:
		t.Fatalf("the run during the restart: %s (%v)", res.Outcome, res.Err)
	}
	if d := takeSnapshot(t, db, c.ID).diff(want, true); d != "" {
		t.Fatalf("after the restart the inventory differs from an uninterrupted run's: %s", d)
	}
}

// privateServer is a PostgreSQL server of the test's own, which it may stop and start.
type privateServer struct {
	cfg pgembed.Config
	mu  sync.Mutex
	srv *pgembed.Server
}

func newPrivateServer(t *testing.T) *privateServer {
	t.Helper()
	// The machine's binaries when it has them (OPEN_SSPM_PG_BIN, then system PostgreSQL), else pgembed's npm
	// package, as make test's own embedded server.
	cfg := pgembed.Config{DataDir: t.TempDir(), Ephemeral: true, NoInstall: true, Database: "drill",
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	s, err := pgembed.Start(t.Context(), cfg)
	if errors.Is(err, pgembed.ErrNoBinaries) {
		cfg.NoInstall = false
		s, err = pgembed.Start(t.Context(), cfg)
	}
	if err != nil {
		t.Fatalf("start a private PostgreSQL: %v", err)
	}
	cfg.Port = s.Port() // the restarted server listens where the pool connects
	p := &privateServer{cfg: cfg, srv: s}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if err := p.srv.Destroy(context.Background()); err != nil {
			t.Errorf("destroy the private PostgreSQL: %v", err)
		}
	})
	return p
}

func (p *privateServer) url() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.srv.URL()
}

func (p *privateServer) stop(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.srv.Stop(context.Background()); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
}

func (p *privateServer) start(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := pgembed.Start(context.Background(), p.cfg)
	if err != nil {
		t.Fatalf("start PostgreSQL again: %v", err)
	}
	p.srv = s
}

// restartAfter is a run store whose database is shut down once pages pages are committed; with backAtOnce it
// is started again right after the next store call failed on it.
type restartAfter struct {
	lane.RunStore
	t          *testing.T
	srv        *privateServer
	pages      int
	backAtOnce bool
	written    int
	down       bool
	stopped    bool
	downErr    error
}

// during runs a store call; the first call while the database is down keeps its error and, with backAtOnce,
// starts the database again afterwards.
func (r *restartAfter) during(call func() error) error {
	err := call()
	if r.down {
		r.downErr, r.down = err, false
		if r.backAtOnce {
			r.srv.start(r.t)
		}
	}
	return err
}

func (r *restartAfter) WritePage(ctx context.Context, connectorID string, l sspm.Lease, page *sspm.Page, state sspm.RunState) (n map[string]int64, err error) {
	err = r.during(func() error {
		n, err = r.RunStore.WritePage(ctx, connectorID, l, page, state)
		return err
	})
	if err == nil && !r.stopped {
		if r.written++; r.written == r.pages {
			r.srv.stop(r.t)
			r.down, r.stopped = true, true
		}
	}
	return n, err
}

func (r *restartAfter) Watermark(ctx context.Context, connectorID string, l sspm.Lane, stage string) (w string, err error) {
	err = r.during(func() error {
		w, err = r.RunStore.Watermark(ctx, connectorID, l, stage)
		return err
	})
	return w, err
}

func (r *restartAfter) SaveRunState(ctx context.Context, l sspm.Lease, s sspm.RunState) error {
	return r.during(func() error { return r.RunStore.SaveRunState(ctx, l, s) })
}

func (r *restartAfter) Schedule(ctx context.Context, connectorID string, l sspm.Lane) (s sspm.LaneSchedule, err error) {
	err = r.during(func() error {
		s, err = r.RunStore.Schedule(ctx, connectorID, l)
		return err
	})
	return s, err
}
