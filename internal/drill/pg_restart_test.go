package drill_test

import (
	"context"
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
// sync committed three pages, the sync's next write finds it down, and it is started again on the same port
// before the runner goes on, so that every connection the store's pool held is dead. The run either completes
// or fails cleanly (recorded as failed, nothing expired), and then the next run completes; the inventory equals
// an uninterrupted run's.
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

	sim := newOrg(t, clk, oktasim.HookOptions{})
	c := oktaConnector(sim, "okta-drill")
	addConnector(t, db, c)
	fullSync(t, newRunner(db, clk), c.ID, "first")
	before := takeSnapshot(t, db, c.ID)
	deleteSome(t, sim)
	clk.Advance(time.Hour)
	ref := oktaConnector(sim, "okta-reference") // an uninterrupted run of the org as it is now
	addConnector(t, db, ref)
	fullSync(t, newRunner(db, clk), ref.ID, "reference")
	want := takeSnapshot(t, db, ref.ID)

	store := &restartAfter{RunStore: db, t: t, srv: srv, pages: 3}
	r := newRunner(store, clk)
	res, err := r.Run(ctx, sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: c.ID}, "during-restart", time.Time{})
	if !store.restarted {
		t.Fatal("the run ended before the database was restarted")
	}
	t.Logf("the run during the restart: %s, %v (%v); the write that found the database down: %v", res.Outcome, res.Err, err, store.downErr)
	if err != nil {
		t.Fatalf("the runner could not record the run's end on the restarted database: %v", err)
	}
	switch res.Outcome {
	case lane.OutcomeSucceeded:
	case lane.OutcomeFailed:
		rec, err := db.Run(ctx, res.Run.ID)
		must(t, err)
		if rec.Status != sspm.RunFailed || rec.ErrorText == "" {
			t.Fatalf("the failed run's record: %s %q", rec.Status, rec.ErrorText)
		}
		if d := takeSnapshot(t, db, c.ID).missing(before); d != "" {
			t.Fatalf("the failed run lost or expired rows: %s", d)
		}
		clk.Advance(time.Hour) // past the failure's back-off
		next := fullSync(t, newRunner(db, clk), c.ID, "after-restart")
		if next.Run.ID == res.Run.ID {
			t.Fatal("the failed run was continued")
		}
	default:
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
	cfg := pgembed.Config{DataDir: t.TempDir(), Ephemeral: true, NoInstall: true, Database: "drill",
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	s, err := pgembed.Start(t.Context(), cfg)
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

// restartAfter is a run store whose database is shut down once pages pages are committed, and started again
// after the next write failed on it.
type restartAfter struct {
	lane.RunStore
	t         *testing.T
	srv       *privateServer
	pages     int
	written   int
	down      bool
	restarted bool
	downErr   error
}

// during runs a store call; a call while the database is down starts it again afterwards.
func (r *restartAfter) during(call func() error) error {
	err := call()
	if r.down {
		r.downErr, r.down = err, false
		r.srv.start(r.t)
		r.restarted = true
	}
	return err
}

func (r *restartAfter) WritePage(ctx context.Context, connectorID string, l sspm.Lease, page *sspm.Page, state sspm.RunState) (n map[string]int64, err error) {
	err = r.during(func() error {
		n, err = r.RunStore.WritePage(ctx, connectorID, l, page, state)
		return err
	})
	if err == nil && !r.restarted {
		if r.written++; r.written == r.pages {
			r.srv.stop(r.t)
			r.down = true
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
