package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/demo"
	"github.com/open-sspm/open-sspm/internal/kinds"
	"github.com/open-sspm/open-sspm/internal/local"
	"github.com/open-sspm/open-sspm/internal/pgembed"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// runtime is an opened local runtime: the database (embedded or DATABASE_URL), migrated, the simulated demo org
// when asked for, and the App wired over them.
type runtime struct {
	env    Env
	log    *slog.Logger
	pg     *pgembed.Server
	db     *postgres.DB
	app    *app.App
	inv    *local.Invoker // nil in one-shot commands
	demo   *demo.Org      // nil outside demo mode
	alerts alert.Config
	owners atomic.Int64
}

type openOpts struct {
	createKey bool // generate the local key on first start (dev)
	migrate   bool // apply migrations (dev, migrate); the others only check the schema version
	// workers > 0 runs lane invocations on an in-process pool of that many workers with room for backlog
	// waiting ones (dev, serve, worker).
	workers, backlog int
	// invoker takes lane invocations when there is no pool (sync runs the evaluations it asks for itself).
	invoker sspm.Invoker
	// demo is dev's --demo mode: on, off or auto (on when no connector but the demo's is configured); "" is off.
	demo string
}

// open opens the local runtime and wires the App in one step: the database, the demo's simulators (the kinds
// reach them), the invoker and the alert routes are all given to app.New. In demo mode the demo's connectors
// point at this start's simulators before open returns, so no lane ever runs against a previous start's.
func open(ctx context.Context, env Env, log *slog.Logger, ko kinds.Options, o openOpts) (_ *runtime, err error) {
	rt := &runtime{env: env, log: log}
	defer func() {
		if err != nil {
			rt.close()
		}
	}()
	keys, err := env.localKey(o.createKey, log)
	if err != nil {
		return nil, err
	}
	url := env.DatabaseURL
	if url == "" {
		start := time.Now()
		rt.pg, err = pgembed.Start(ctx, pgembed.Config{DataDir: filepath.Join(env.DataDir, "pg"), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("embedded postgres: %w (or set DATABASE_URL)", err)
		}
		url = rt.pg.URL()
		log.Info("embedded postgres ready", "took", time.Since(start).Round(time.Millisecond))
	}
	if rt.db, err = postgres.Open(ctx, url); err != nil {
		return nil, err
	}
	if o.migrate {
		n, err := rt.db.Migrate(ctx)
		if err != nil {
			return nil, err
		}
		log.Info("database migrated", "applied", n)
	} else if cur, latest, err := rt.db.SchemaVersion(ctx); err != nil {
		return nil, err
	} else if cur != latest {
		return nil, fmt.Errorf("database schema is at version %d, this binary needs %d: run `open-sspm migrate`", cur, latest)
	}
	if rt.demo, err = startDemo(ctx, rt.db, o.demo, log); err != nil {
		return nil, err
	}
	if rt.demo != nil {
		ko = rt.demo.KindOptions()
		rt.env.Discovery = true
	}
	if rt.alerts, err = alert.ConfigFromEnv(os.Getenv); err == nil {
		err = rt.alerts.LocalOnly()
	}
	if err != nil {
		return nil, fmt.Errorf("alert destinations: %w", err)
	}
	invoker := o.invoker
	if o.workers > 0 {
		rt.inv = local.NewInvoker(o.workers, o.backlog, rt.handle, log) // takes work only once the App exists
		invoker = rt.inv
	}
	retention, err := app.ParseHistoryRetention(rt.env.HistoryRetention)
	if err != nil {
		return nil, err
	}
	rt.app, err = app.New(app.Deps{DB: rt.db, Keys: keys, Registry: kinds.NewRegistry(ko), Invoker: invoker,
		AlertRoutes: rt.alerts.Routes(), DiscoveryEnabled: rt.env.Discovery, Logger: log, HistoryRetention: retention,
		LoopbackHooks: ko.AllowLoopback})
	if err != nil {
		return nil, err
	}
	if rt.demo != nil {
		if err := rt.demo.Configure(ctx, rt.app); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

// startDemo starts the simulated org when the mode asks for it (auto: no connector but the demo's is
// configured).
func startDemo(ctx context.Context, db *postgres.DB, mode string, log *slog.Logger) (*demo.Org, error) {
	switch mode {
	case "", "off":
		return nil, nil
	case "on":
	case "auto":
		conns, err := db.Connectors(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range conns {
			if !demo.IsDemoConnector(k.ID) {
				return nil, nil
			}
		}
	default:
		return nil, fmt.Errorf("--demo %q: want on, off or auto", mode)
	}
	return demo.Start(log)
}

// startAlerts starts delivering finding alerts from the outbox to the configured destinations until ctx ends:
// every few seconds and whenever this process enqueues one. Other processes (serve, workers) may deliver from
// the same outbox at once: each claims different rows.
func (rt *runtime) startAlerts(ctx context.Context) {
	if len(rt.alerts.Routes()) == 0 {
		return
	}
	notifiers, err := rt.alerts.Notifiers(ctx, nil)
	if err != nil { // cannot happen after ConfigFromEnv and LocalOnly accepted the configuration
		rt.log.Error("alert destinations", "err", err)
	}
	d := rt.app.NewAlertDeliverer(notifiers, alert.DeliverOptions{BaseURL: rt.alerts.BaseURL, Logger: rt.log})
	go d.Run(ctx, 10*time.Second, 0)
	rt.log.Info("delivering finding alerts", "destinations", d.Destinations())
}

func (rt *runtime) close() {
	if rt.inv != nil {
		rt.inv.Stop()
	}
	if rt.demo != nil {
		rt.demo.Close()
	}
	if rt.db != nil {
		rt.db.Close()
	}
	if rt.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rt.pg.Stop(ctx); err != nil {
			rt.log.Warn("stop embedded postgres", "err", err)
		}
	}
}

// inboxMaxAttempts is the local queue's maxReceiveCount, as the SQS redrive policy on AWS.
const inboxMaxAttempts = 5

// inbox is the queue between the webhook and the inbox lane.
func (rt *runtime) inbox() *postgres.Queue { return rt.db.Queue(app.InboxQueue, inboxMaxAttempts) }

// owner names one invocation uniquely: host, process and a counter.
func (rt *runtime) owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%d", host, os.Getpid(), rt.owners.Add(1))
}

// budget is how long one local invocation of a sync lane runs before it pauses and re-invokes itself, as a
// Lambda would at the end of its time.
const budget = 10 * time.Minute

// handle executes one invocation from the local invoker.
func (rt *runtime) handle(ctx context.Context, inv sspm.Invocation) error {
	switch inv.Lane {
	case sspm.LaneFull, sspm.LaneDiscovery:
		_, err := rt.app.Handle(ctx, inv, rt.owner(), time.Now().Add(budget))
		return err
	case sspm.LaneTail:
		_, err := local.TailLoop(ctx, rt.app.Tailer, inv.ConnectorID, inv.Stream, 50, rt.log)
		return err
	case sspm.LaneEvaluator:
		_, err := rt.app.Evaluate(ctx, inv) // the evaluator logs its one line
		return err
	}
	return fmt.Errorf("lane %s cannot be invoked locally yet", inv.Lane)
}

// startLanes starts the schedules of the given lanes on the invoker until ctx ends.
func (rt *runtime) startLanes(ctx context.Context, lanes []sspm.Lane, every time.Duration) {
	var sync []sspm.Lane
	for _, l := range lanes {
		switch l {
		case sspm.LaneFull:
			sync = append(sync, l)
		case sspm.LaneDiscovery:
			if rt.env.Discovery {
				sync = append(sync, l)
			}
		case sspm.LaneEvaluator:
			// Evaluations follow syncs and events; the schedule re-evaluates expiring attestations and suppressions.
			go local.Every(ctx, 10*every, "evaluator sweep", rt.log, func(ctx context.Context) error {
				_, err := rt.app.Evaluator.Sweep(ctx)
				return err
			})
		case sspm.LaneEventInbox:
			inbox := rt.app.NewInbox()
			go local.Consume(ctx, rt.inbox(), 10, time.Minute, 30*time.Second, inbox.Process, rt.log)
		case sspm.LaneTail:
			go local.Every(ctx, every, "tail", rt.log, func(ctx context.Context) error {
				streams, err := rt.app.TailStreams(ctx)
				if err != nil {
					return err
				}
				for _, s := range streams {
					if err := rt.inv.Invoke(ctx, s); err != nil {
						rt.log.Warn("tail: invoke", "connector", s.ConnectorID, "stream", s.Stream, "err", err)
					}
				}
				return nil
			})
		}
	}
	if len(sync) > 0 {
		go local.Every(ctx, every, "dispatch", rt.log, func(ctx context.Context) error {
			_, err := rt.app.Dispatcher.Dispatch(ctx, sync...)
			return err
		})
	}
}
