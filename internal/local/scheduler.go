package local

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// Every calls fn at once and then every interval until ctx ends, like an EventBridge schedule. Errors are
// logged; the schedule goes on.
func Every(ctx context.Context, interval time.Duration, name string, log *slog.Logger, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := protect(fn, ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduled task failed", "task", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// protect calls fn; a panic becomes its error (with the stack), so one bad tick does not end the schedule or the
// process.
func protect(fn func(context.Context) error, ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx)
}
