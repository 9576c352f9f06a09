package lane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// DispatchStore is what the Dispatcher needs from the database.
type DispatchStore interface {
	CloseStaleRuns(ctx context.Context, cutoff time.Time, maxAttempts int) ([]sspm.SyncRun, error)
	Due(ctx context.Context, lanes []sspm.Lane, now time.Time) ([]sspm.DueWork, error)
}

// Dispatcher is what the schedule calls: it closes stale runs, lists the connector lanes that are due (interval
// passed and back-off over, or a paused run waiting to continue) and invokes one lane run per due connector.
// "Nothing due" is not an error.
type Dispatcher struct {
	Store   DispatchStore
	Invoker sspm.Invoker
	Logger  *slog.Logger
	Now     func() time.Time
	// StaleAfter closes a running run nobody holds that made no progress for this long (default 1 hour).
	StaleAfter time.Duration
	// MaxAttempts closes a run taken over this many times: a crash loop (default 20).
	MaxAttempts int
}

// Dispatch invokes the due work of the given lanes and returns what it invoked.
func (d *Dispatcher) Dispatch(ctx context.Context, lanes ...sspm.Lane) ([]sspm.DueWork, error) {
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	staleAfter, maxAttempts := d.StaleAfter, d.MaxAttempts
	if staleAfter <= 0 {
		staleAfter = time.Hour
	}
	if maxAttempts <= 0 {
		maxAttempts = 20
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	closed, err := d.Store.CloseStaleRuns(ctx, now.Add(-staleAfter), maxAttempts)
	if err != nil {
		return nil, err
	}
	for _, r := range closed {
		log.Warn("closed stale run", "connector", r.ConnectorID, "lane", r.Lane, "run", r.ID, "attempts", r.Attempts)
	}
	due, err := d.Store.Due(ctx, lanes, now)
	if err != nil {
		return nil, err
	}
	var errs []error
	var invoked []sspm.DueWork
	for _, w := range due {
		err := d.Invoker.Invoke(ctx, sspm.Invocation{Lane: w.Lane, ConnectorID: w.ConnectorID, Trigger: sspm.TriggerSchedule})
		if err != nil {
			errs = append(errs, fmt.Errorf("invoke %s for %s: %w", w.Lane, w.ConnectorID, err))
			continue
		}
		invoked = append(invoked, w)
	}
	return invoked, errors.Join(errs...)
}
