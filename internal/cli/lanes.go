package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// worker runs one lane's schedule and workers until interrupted.
func (c *command) worker(ctx context.Context, args []string) error {
	fs := c.flags("worker")
	laneName := fs.String("lane", "", "the lane to run: full, discovery, event-inbox, tail or evaluator")
	every := fs.Duration("tick", 30*time.Second, "how often the scheduler looks for due work")
	workers := fs.Int("workers", 4, "concurrent invocations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l, err := sspm.ParseLane(*laneName)
	if err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{workers: *workers, backlog: 1024})
	if err != nil {
		return err
	}
	defer rt.close()
	rt.startLanes(ctx, []sspm.Lane{l}, *every)
	rt.startAlerts(ctx)
	c.log.Info("worker running", "lane", l)
	<-ctx.Done()
	return nil
}

// migrate applies the migrations.
func (c *command) migrate(ctx context.Context, args []string) error {
	if err := c.flags("migrate").Parse(args); err != nil {
		return err
	}
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{migrate: true})
	if err != nil {
		return err
	}
	rt.close()
	return nil
}

// sync runs one connector's lane in the foreground until it completes.
func (c *command) sync(ctx context.Context, args []string) error {
	fs := c.flags("sync")
	id := fs.String("connector", "", "connector id")
	laneName := fs.String("lane", "full", "full or discovery")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("--connector is required")
	}
	l, err := sspm.ParseLane(*laneName)
	if err != nil {
		return err
	}
	requested := &requests{} // the evaluation a successful full sync asks for runs here, after the sync
	rt, err := open(ctx, c.env, c.log, c.kinds, openOpts{invoker: requested})
	if err != nil {
		return err
	}
	defer rt.close()
	inv := sspm.Invocation{Lane: l, ConnectorID: *id, Trigger: sspm.TriggerManual}
	for {
		res, err := rt.app.Runner.Run(ctx, inv, rt.owner(), time.Now().Add(budget))
		if err != nil {
			return err
		}
		switch res.Outcome {
		case lane.OutcomeContinue:
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted; run %d continues on the next sync or schedule", res.Run.ID)
			}
			continue
		case lane.OutcomeWaiting: // a provider's rate limit: wait here for its reset, then go on with the same run
			fmt.Fprintf(c.stdout, "run %d waits for the provider's rate limit until %s\n", res.Run.ID, res.ResumeAt.Format(time.TimeOnly))
			if err := sspm.Sleep(ctx, time.Until(res.ResumeAt), nil); err != nil {
				return fmt.Errorf("interrupted; run %d continues after %s on the next sync or schedule", res.Run.ID, res.ResumeAt.Format(time.RFC3339))
			}
			continue
		case lane.OutcomeBusy:
			return fmt.Errorf("connector %s: a %s run is already in progress", *id, l)
		case lane.OutcomeSucceeded:
			fmt.Fprintf(c.stdout, "run %d succeeded: written %v, expired %v\n", res.Run.ID, res.Run.Counts, res.Expired)
			return c.evaluate(ctx, rt, requested.take())
		default:
			return fmt.Errorf("run %d %s: %w", res.Run.ID, res.Outcome, res.Err)
		}
	}
}

// requests holds the lane invocations a foreground command's work asks for, to run after it.
type requests struct {
	mu   sync.Mutex
	invs []sspm.Invocation
}

func (r *requests) Invoke(_ context.Context, inv sspm.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.invs, inv) {
		r.invs = append(r.invs, inv)
	}
	return nil
}

func (r *requests) take() []sspm.Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.invs
	r.invs = nil
	return out
}

// evaluate runs the evaluations a sync asked for, as the evaluator lane would after it; other lanes' requests
// are left to their schedules.
func (c *command) evaluate(ctx context.Context, rt *runtime, invs []sspm.Invocation) error {
	for _, inv := range invs {
		if inv.Lane != sspm.LaneEvaluator {
			continue
		}
		rep, err := rt.app.Evaluate(ctx, inv)
		if err != nil {
			return fmt.Errorf("evaluate %s: %w", inv.ConnectorID, err)
		}
		fmt.Fprintf(c.stdout, "evaluated %s: rule results %v; posture findings %d observed, %d resolved; identity findings %d observed, %d resolved\n",
			inv.ConnectorID, rep.Statuses, rep.PostureFindings.Observed, rep.PostureFindings.Resolved,
			rep.IdentityFindings.Observed, rep.IdentityFindings.Resolved)
	}
	return nil
}
