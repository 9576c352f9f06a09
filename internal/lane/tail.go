package lane

import (
	"context"
	"errors"
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
	// HoldTail records c's LastError, Unavailable and NotBefore without moving the cursor.
	HoldTail(ctx context.Context, connectorID, stream string, c sspm.TailCursor) error
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
	// WaitBudget is the longest rate-limit wait a read makes in-process (default DefaultTailWaitBudget): a longer
	// one ends the step, keeps the cursor, and holds the stream until the provider's reset.
	WaitBudget time.Duration
	// UnavailableRetry is how long a stream the connector cannot read (sspm.ErrStreamUnavailable) is left alone
	// before it is tried again (default DefaultUnavailableRetry).
	UnavailableRetry time.Duration
}

// Defaults of the Tailer.
const (
	DefaultTailWaitBudget   = time.Minute
	DefaultUnavailableRetry = 24 * time.Hour
)

// TailResult reports one step.
type TailResult struct {
	Stored int64 // events that were new
	Read   int   // events read, including ones already stored
	More   bool  // the provider has more waiting: step again at once
	// Unavailable is why the connector cannot read the stream (a state, not an error); "" when it can.
	Unavailable string
	// NotBefore, when set, is when the stream is read next: the step was held back by a rate limit or by the
	// stream being unavailable, and steps before then read nothing.
	NotBefore time.Time
}

// Step reads the stream once from its cursor, and stores the events and the new cursor in one transaction.
// A read error is recorded on the cursor (the connector health view shows it) and returned. Two read outcomes are
// not errors: a provider rate limit asking for a wait beyond WaitBudget (*sspm.WaitError) ends the step with the
// cursor kept and holds the stream until the reset; a stream the connector cannot read (sspm.ErrStreamUnavailable)
// is recorded as unavailable with the reason and held for UnavailableRetry. A held stream's steps read nothing.
func (t *Tailer) Step(ctx context.Context, connectorID, stream string) (TailResult, error) {
	c, err := t.Store.Connector(ctx, connectorID)
	if err != nil {
		return TailResult{}, err
	}
	if !c.Enabled {
		return TailResult{}, sspm.Errorf(sspm.CodeInvalid, "connector %s is disabled", c.ID)
	}
	cur, err := t.Store.TailCursor(ctx, connectorID, stream)
	if err != nil {
		return TailResult{}, err
	}
	if cur.NotBefore.After(t.now()) { // held back: not even the source (its secret) is needed
		return TailResult{Unavailable: cur.Unavailable, NotBefore: cur.NotBefore}, nil
	}
	src, err := t.Streams(ctx, c)
	if err != nil {
		return TailResult{}, fmt.Errorf("tail %s/%s: build source: %w", connectorID, stream, err)
	}
	readCtx := sspm.WithWaitBudget(ctx, t.now().Add(t.waitBudget()), t.Now)
	page, err := src.ReadStream(readCtx, stream, cur.Cursor)
	if w, ok := sspm.AsWait(err); ok && ctx.Err() == nil {
		// Not a failure: the stream's last error stays what it was, and the read starts again from the cursor.
		hold := sspm.TailCursor{LastError: cur.LastError, Unavailable: cur.Unavailable, NotBefore: w.Until}
		if herr := t.Store.HoldTail(context.WithoutCancel(ctx), connectorID, stream, hold); herr != nil {
			return TailResult{}, fmt.Errorf("tail %s/%s: hold for the rate limit: %w", connectorID, stream, herr)
		}
		return TailResult{Unavailable: cur.Unavailable, NotBefore: w.Until}, nil
	}
	if errors.Is(err, sspm.ErrStreamUnavailable) {
		hold := sspm.TailCursor{Unavailable: err.Error(), NotBefore: t.now().Add(t.unavailableRetry())}
		if herr := t.Store.HoldTail(context.WithoutCancel(ctx), connectorID, stream, hold); herr != nil {
			return TailResult{}, fmt.Errorf("tail %s/%s: record it unavailable: %w", connectorID, stream, herr)
		}
		return TailResult{Unavailable: hold.Unavailable, NotBefore: hold.NotBefore}, nil
	}
	if err != nil && ctx.Err() != nil {
		// The invocation is shutting down: the stream did not fail, and its last error stays what it was.
		return TailResult{}, fmt.Errorf("tail %s/%s: %w", connectorID, stream, err)
	}
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
	now := t.now()
	hw := page.HighWater
	if hw.IsZero() {
		hw = cur.HighWater
	}
	fresh, err := t.Store.CommitTail(ctx, connectorID, stream, page.Events, sspm.TailCursor{Cursor: page.Cursor, HighWater: hw,
		Requests: page.Requests, BucketLimit: page.BucketLimit}, now)
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

func (t *Tailer) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Tailer) waitBudget() time.Duration {
	if t.WaitBudget > 0 {
		return t.WaitBudget
	}
	return DefaultTailWaitBudget
}

func (t *Tailer) unavailableRetry() time.Duration {
	if t.UnavailableRetry > 0 {
		return t.UnavailableRetry
	}
	return DefaultUnavailableRetry
}
