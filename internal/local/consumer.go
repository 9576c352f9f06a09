package local

import (
	"context"
	"log/slog"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Consume feeds queued messages to process until ctx ends, like the SQS event source of the inbox Lambda:
// batches of up to batch messages; the ones process reports as failed become visible again after retryAfter
// (and go to the dead state after the queue's attempts); the rest are acknowledged.
func Consume(ctx context.Context, q sspm.Queue, batch int, visibility, retryAfter time.Duration, process func(context.Context, []sspm.Message) []lane.Failure, log *slog.Logger) {
	for ctx.Err() == nil {
		msgs, err := q.Receive(ctx, batch, visibility)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("queue receive", "err", err)
			}
			Wait(ctx, time.Second)
			continue
		}
		if len(msgs) == 0 {
			Wait(ctx, 250*time.Millisecond)
			continue
		}
		failed := process(ctx, msgs)
		bad := make(map[string]bool, len(failed))
		for _, f := range failed {
			bad[f.Receipt] = true
			if err := q.Nack(context.WithoutCancel(ctx), f.Receipt, retryAfter, f.Err.Error()); err != nil {
				log.Error("queue nack", "err", err)
			}
		}
		var ok []string
		for _, m := range msgs {
			if !bad[m.Receipt] {
				ok = append(ok, m.Receipt)
			}
		}
		if err := q.Ack(context.WithoutCancel(ctx), ok...); err != nil {
			log.Error("queue ack", "err", err)
		}
	}
}
