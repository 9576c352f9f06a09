package awsrun

import (
	"context"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// EvaluateInput is the evaluator function's payload: an sspm.Invocation from the full, inbox or tail functions,
// or {"sweep": true} from its schedule (re-evaluates expiring attestations, reopens expired suppressions and
// retries alert deliveries).
type EvaluateInput struct {
	sspm.Invocation
	Sweep bool `json:"sweep,omitempty"`
}

// Evaluate is the evaluator function's handler. After the evaluation (or the sweep), successful or not, it
// delivers the finding alerts that are due, within the invocation's time; a failing destination never fails it.
//
// Metrics (Lane evaluator, Connector when the invocation names one): SyncFailures when the evaluation or the
// sweep ends in an error.
func (rt *Runtime) Evaluate(ctx context.Context, in EvaluateInput) (rep lane.EvalReport, err error) {
	defer func() {
		if err != nil {
			rt.failed(sspm.LaneEvaluator, in.ConnectorID, 1)
		}
	}()
	if err := rt.ready(ctx); err != nil {
		return lane.EvalReport{}, err
	}
	defer rt.deliverAlerts(ctx, in.Sweep)
	if in.Sweep {
		return rt.App.Evaluator.Sweep(ctx)
	}
	in.Lane = sspm.LaneEvaluator
	return rt.App.Evaluate(ctx, in.Invocation)
}
