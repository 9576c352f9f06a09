package awsrun

import (
	"context"
	"time"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// EvaluateInput is the evaluator function's payload: an sspm.Invocation from the full, inbox or tail functions,
// or {"sweep": true} from its schedule (re-evaluates expiring attestations and reopens expired suppressions).
type EvaluateInput struct {
	sspm.Invocation
	Sweep bool `json:"sweep,omitempty"`
}

// Evaluate is the evaluator function's handler.
func (rt *Runtime) Evaluate(ctx context.Context, in EvaluateInput) (lane.EvalReport, error) {
	if err := rt.ready(ctx); err != nil {
		return lane.EvalReport{}, err
	}
	if rt.App.Alerts != nil {
		// A frozen Lambda loses undelivered alerts: deliver them before returning.
		defer func() {
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := rt.App.Alerts.Flush(flushCtx); err != nil {
				rt.Logger.Warn("deliver alerts", "err", err)
			}
		}()
	}
	if in.Sweep {
		return rt.App.Evaluator.Sweep(ctx)
	}
	in.Lane = sspm.LaneEvaluator
	return rt.App.Evaluate(ctx, in.Invocation)
}
