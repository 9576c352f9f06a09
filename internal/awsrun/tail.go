package awsrun

import (
	"context"

	"github.com/open-sspm/open-sspm/internal/emf"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TailStepInput is the tail state machine's state: its execution input (iteration 0, as awssfn starts it) and
// each TailStep's output after that.
type TailStepInput struct {
	ConnectorID string `json:"connector_id"`
	Stream      string `json:"stream"`
	Iteration   int    `json:"iteration"`
}

// TailStepOutput is one step's result, the next state of the loop. The state machine's Choice ends the execution
// when Done, steps again at once when More, ends it when Iteration reaches its bound, and else waits and steps
// again.
type TailStepOutput struct {
	ConnectorID string `json:"connector_id"`
	Stream      string `json:"stream"`
	Iteration   int    `json:"iteration"`
	More        bool   `json:"more"`
	Stored      int64  `json:"stored"`
	// Done: the stream cannot be tailed any more (the connector was deleted or disabled, or its kind has no
	// such stream, or the connector may not read it: Unavailable): stop the loop.
	Done bool `json:"done"`
	// Unavailable is why the connector cannot read the stream (its plan or credential); the tail lane tries it
	// again rarely, when the schedule starts the stream's loop after the hold.
	Unavailable string `json:"unavailable,omitempty"`
}

// TailStep is the tail function's handler, the state machine's task: one read of the stream from its cursor,
// stored with the new cursor in one transaction. A read or store error is returned (the state machine's Retry
// and Catch handle it; the error is also recorded on the stream's cursor).
//
// Metrics (Lane tail, Connector): EventsStored, and TailLagSeconds (now minus the stream's high-water mark) when
// the stream has one; SyncFailures when the step ends in an error.
func (rt *Runtime) TailStep(ctx context.Context, in TailStepInput) (TailStepOutput, error) {
	out := TailStepOutput{ConnectorID: in.ConnectorID, Stream: in.Stream, Iteration: in.Iteration + 1}
	if in.ConnectorID == "" || in.Stream == "" {
		return out, sspm.Errorf(sspm.CodeInvalid, "tail step: connector_id and stream are required")
	}
	if err := rt.ready(ctx); err != nil {
		rt.failed(sspm.LaneTail, in.ConnectorID, 1)
		return out, err
	}
	res, err := rt.App.Tailer.Step(ctx, in.ConnectorID, in.Stream)
	out.More, out.Stored = res.More, res.Stored
	if res.Unavailable != "" && err == nil {
		rt.Logger.Info("tail: stream unavailable", "connector", in.ConnectorID, "stream", in.Stream, "reason", res.Unavailable, "retry_after", res.NotBefore)
		out.Done, out.More, out.Unavailable = true, false, res.Unavailable
		return out, nil
	}
	if code := sspm.ErrorCode(err); err != nil && (code == sspm.CodeInvalid || code == sspm.CodeNotFound) {
		rt.Logger.Warn("tail: stream ends", "connector", in.ConnectorID, "stream", in.Stream, "err", err)
		out.Done, out.More = true, false
		return out, nil
	}
	metrics := []emf.Metric{{Name: emf.EventsStored, Unit: emf.Count, Value: float64(res.Stored)}}
	if cur, cerr := rt.DB.TailCursor(ctx, in.ConnectorID, in.Stream); cerr == nil && !cur.HighWater.IsZero() {
		lag := max(0, rt.now().Sub(cur.HighWater).Seconds())
		metrics = append(metrics, emf.Metric{Name: emf.TailLagSeconds, Unit: emf.Seconds, Value: lag})
	}
	rt.emit(emf.Dimensions{Lane: string(sspm.LaneTail), Connector: in.ConnectorID}, metrics...)
	if err != nil {
		rt.failed(sspm.LaneTail, in.ConnectorID, 1)
	}
	return out, err
}
