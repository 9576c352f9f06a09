package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/local"
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
	rt, err := open(ctx, c.env, c.log, c.reg, openOpts{})
	if err != nil {
		return err
	}
	defer rt.close()
	inv := local.NewInvoker(*workers, 1024, rt.handle, c.log)
	defer inv.Stop()
	rt.app.Invoker = inv
	rt.startLanes(ctx, inv, []sspm.Lane{l}, *every)
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
	rt, err := open(ctx, c.env, c.log, c.reg, openOpts{migrate: true})
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
	rt, err := open(ctx, c.env, c.log, c.reg, openOpts{})
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
			return nil
		default:
			return fmt.Errorf("run %d %s: %w", res.Run.ID, res.Outcome, res.Err)
		}
	}
}
