package sspm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WaitError says a provider's rate limit asks the caller to wait until Until, longer than what remains of the
// work's time budget (WithWaitBudget). The work should stop where it is, keep its cursor and continue after Until:
// it is not a failure. ErrorCode reports it as CodeRateLimited.
type WaitError struct {
	// Bucket names the provider's rate-limit bucket (e.g. "core", "/api/v1/users").
	Bucket string
	// Until is when the wait would end.
	Until time.Time
	// Throttled: the provider answered 429 (or a rate-limit 403) rather than the client pacing itself.
	Throttled bool
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("the %s rate limit asks to wait until %s, beyond this step's time budget",
		e.Bucket, e.Until.UTC().Format(time.RFC3339))
}

// AsWait returns the WaitError in err's chain.
func AsWait(err error) (*WaitError, bool) {
	var w *WaitError
	if errors.As(err, &w) {
		return w, true
	}
	return nil, false
}

// WaitMargin is kept free at the end of a context deadline when it bounds a wait (WaitBudget): the request still
// has to be sent and its answer stored.
const WaitMargin = 5 * time.Second

type budgetKey struct{}

type budget struct {
	deadline time.Time
	now      func() time.Time
}

// WithWaitBudget returns ctx carrying the time by which the work done under it must end: a rate-limit wait that
// would end later is not made (the transport returns a *WaitError instead). now is the clock the deadline is in
// (nil: the wall clock). A zero deadline leaves ctx as it is.
func WithWaitBudget(ctx context.Context, deadline time.Time, now func() time.Time) context.Context {
	if deadline.IsZero() {
		return ctx
	}
	return context.WithValue(ctx, budgetKey{}, budget{deadline: deadline, now: now})
}

// WaitBudget returns how long the work under ctx may still wait: until the budget of WithWaitBudget, and at most
// until WaitMargin before ctx's deadline. ok is false when neither bounds it (the caller may wait as long as the
// provider asks).
func WaitBudget(ctx context.Context) (remaining time.Duration, ok bool) {
	if b, has := ctx.Value(budgetKey{}).(budget); has {
		remaining, ok = b.deadline.Sub(Now(b.now)), true
	}
	if d, has := ctx.Deadline(); has {
		if r := time.Until(d) - WaitMargin; !ok || r < remaining {
			remaining, ok = r, true
		}
	}
	return max(remaining, 0), ok
}

// StreamUnavailable returns an error that wraps ErrStreamUnavailable (and causes) and reads as reason alone: a
// StreamSource returns it when the stream cannot be read for this connector at all.
func StreamUnavailable(reason string, causes ...error) error {
	return &streamUnavailable{reason: reason, causes: append([]error{ErrStreamUnavailable}, causes...)}
}

type streamUnavailable struct {
	reason string
	causes []error
}

func (e *streamUnavailable) Error() string   { return e.reason }
func (e *streamUnavailable) Unwrap() []error { return e.causes }
