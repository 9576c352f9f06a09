package local

import (
	"context"
	"log/slog"
	"time"
)

// Every calls fn at once and then every interval until ctx ends, like an EventBridge schedule. Errors are
// logged; the schedule goes on.
func Every(ctx context.Context, interval time.Duration, name string, log *slog.Logger, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			log.Error("scheduled task failed", "task", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
