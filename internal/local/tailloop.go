package local

import (
	"context"
	"log/slog"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
)

// TailStepper is one read of a stream: lane.Tailer.Step.
type TailStepper interface {
	Step(ctx context.Context, connectorID, stream string) (lane.TailResult, error)
}

// TailLoop drives one stream the way the Step Functions state machine does: step, and when the provider has more
// step again at once, else wait; at most maxSteps steps per execution.
func TailLoop(ctx context.Context, t TailStepper, connectorID, stream string, maxSteps int, log *slog.Logger) (stored int64, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for range maxSteps {
		res, err := t.Step(ctx, connectorID, stream)
		if err != nil {
			return stored, err
		}
		stored += res.Stored
		if !res.More {
			return stored, nil
		}
		select {
		case <-ctx.Done():
			return stored, ctx.Err()
		default:
		}
	}
	log.Debug("tail loop reached its step bound", "connector", connectorID, "stream", stream, "steps", maxSteps)
	return stored, nil
}

// Wait sleeps d or until ctx ends.
func Wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
