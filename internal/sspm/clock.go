package sspm

import (
	"context"
	"time"
)

// Now returns now() when a test substitutes a clock, else the wall clock.
func Now(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}

// Sleep waits d or until ctx ends, through sleep when a test substitutes one (to advance a fake clock).
func Sleep(ctx context.Context, d time.Duration, sleep func(context.Context, time.Duration) error) error {
	if sleep != nil {
		return sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
