package lane

import (
	"context"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TailStore is what the Tailer needs from the database.
type TailStore interface {
	Connector(ctx context.Context, id string) (sspm.Connector, error)
	TailCursor(ctx context.Context, connectorID, stream string) (sspm.TailCursor, error)
	CommitTail(ctx context.Context, connectorID, stream string, events []sspm.Event, c sspm.TailCursor, now time.Time) ([]sspm.Event, error)
	SetTailError(ctx context.Context, connectorID, stream, msg string) error
}

// StreamFactory builds a connector's stream source.
type StreamFactory func(ctx context.Context, c sspm.Connector) (sspm.StreamSource, error)

// Tailer reads event streams from stored cursors. One Step is one read: on AWS a Step Functions task, locally
// one turn of the loop driver.
type Tailer struct {
	Store   TailStore
	Streams StreamFactory
	Now     func() time.Time
	// AfterStore runs after a step stored new events (push-assisted refresh of what they touched, the
	// evaluator's event policies), with the events that were new. Its error is returned; the cursor has already
	// moved.
	AfterStore func(ctx context.Context, c sspm.Connector, events []sspm.Event) error
}

// TailResult reports one step.
type TailResult struct {
	Stored int64 // events that were new
	Read   int   // events read, including ones already stored
	More   bool  // the provider has more waiting: step again at once
}

// Step reads the stream once from its cursor, and stores the events and the new cursor in one transaction.
// A read error is recorded on the cursor (the connector health view shows it) and returned.
func (t *Tailer) Step(ctx context.Context, connectorID, stream string) (TailResult, error) {
	c, err := t.Store.Connector(ctx, connectorID)
	if err != nil {
		return TailResult{}, err
	}
	if !c.Enabled {
		return TailResult{}, sspm.Errorf(sspm.CodeInvalid, "connector %s is disabled", c.ID)
	}
	src, err := t.Streams(ctx, c)
	if err != nil {
		return TailResult{}, fmt.Errorf("tail %s/%s: build source: %w", connectorID, stream, err)
	}
	cur, err := t.Store.TailCursor(ctx, connectorID, stream)
	if err != nil {
		return TailResult{}, err
	}
	page, err := src.ReadStream(ctx, stream, cur.Cursor)
	if err != nil {
		if serr := t.Store.SetTailError(context.WithoutCancel(ctx), connectorID, stream, err.Error()); serr != nil {
			return TailResult{}, fmt.Errorf("tail %s/%s: %w (and recording it: %v)", connectorID, stream, err, serr)
		}
		return TailResult{}, fmt.Errorf("tail %s/%s: %w", connectorID, stream, err)
	}
	for i := range page.Events {
		if page.Events[i].Source == "" {
			page.Events[i].Source = "tail"
		}
	}
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	hw := page.HighWater
	if hw.IsZero() {
		hw = cur.HighWater
	}
	fresh, err := t.Store.CommitTail(ctx, connectorID, stream, page.Events, sspm.TailCursor{Cursor: page.Cursor, HighWater: hw}, now)
	if err != nil {
		return TailResult{}, err
	}
	stored := int64(len(fresh))
	// Only new events go on: the overlap a tail re-reads was refreshed and evaluated when it was first stored.
	if t.AfterStore != nil && stored > 0 {
		if err := t.AfterStore(ctx, c, fresh); err != nil {
			return TailResult{Stored: stored, Read: len(page.Events), More: page.More}, fmt.Errorf("tail %s/%s: after storing events: %w", connectorID, stream, err)
		}
	}
	return TailResult{Stored: stored, Read: len(page.Events), More: page.More}, nil
}
