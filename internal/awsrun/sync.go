package awsrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/open-sspm/open-sspm/internal/emf"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// SyncOutput reports one full or discovery invocation.
type SyncOutput struct {
	ConnectorID string       `json:"connector_id"`
	Lane        sspm.Lane    `json:"lane"`
	Outcome     lane.Outcome `json:"outcome"` // succeeded, failed, canceled, continue, waiting, busy; "skipped" when refused
	RunID       int64        `json:"run_id,omitempty"`
	// ResumeAt is when a run paused for a provider's rate limit continues (outcome waiting, or continue after a
	// short wait).
	ResumeAt *time.Time `json:"resume_at,omitempty"`
}

// OutcomeSkipped reports an invocation refused before a run started: the connector is gone or disabled, or
// discovery is off for it. Retrying cannot help, so it is not an error.
const OutcomeSkipped lane.Outcome = "skipped"

// defaultBudget is a sync invocation's time when its context has no deadline (tests, a local call).
const defaultBudget = 10 * time.Minute

// Sync is the full and discovery functions' handler: the payload is the sspm.Invocation the invoker sent. The run
// takes pages until SyncMargin before the function's deadline, then checkpoints and invokes the function again
// to continue (App.Handle): through FULL_FUNCTION_NAME or DISCOVERY_FUNCTION_NAME, else the function itself
// (AWS_LAMBDA_FUNCTION_NAME). A run whose provider's rate limit asks for a wait beyond the budget pauses instead
// (outcome waiting, ResumeAt): the function does not invoke itself to sleep; the dispatch schedule continues the
// run after ResumeAt (a wait under lane.ImmediateResume is outcome continue: the next invocation sleeps it). A failed run is recorded in the store and is not an error here (the schedule retries
// it with back-off); an error means the run's state could not be recorded or the continuation could not be
// invoked, and Lambda retries the event.
//
// Metrics (Lane, Connector): SyncSucceeded and RowsWritten (the run's total rows) when a run succeeds,
// SyncFailures when it fails or the invocation ends in an error.
func (rt *Runtime) Sync(ctx context.Context, inv sspm.Invocation) (SyncOutput, error) {
	out := SyncOutput{ConnectorID: inv.ConnectorID, Lane: inv.Lane}
	if inv.Lane != sspm.LaneFull && inv.Lane != sspm.LaneDiscovery {
		return out, sspm.Errorf(sspm.CodeInvalid, "sync: lane %q is not full or discovery", inv.Lane)
	}
	if err := rt.ready(ctx); err != nil {
		rt.failed(inv.Lane, inv.ConnectorID, 1)
		return out, err
	}
	rt.router.self.Store(true)
	log := rt.Logger.With("connector", inv.ConnectorID, "lane", inv.Lane)
	res, err := rt.App.Handle(ctx, inv, owner(ctx), rt.syncDeadline(ctx))
	out.Outcome, out.RunID = res.Outcome, res.Run.ID
	if !res.ResumeAt.IsZero() {
		t := res.ResumeAt.UTC()
		out.ResumeAt = &t
	}
	if code := sspm.ErrorCode(err); err != nil && (code == sspm.CodeInvalid || code == sspm.CodeNotFound) {
		log.Warn("sync: skipped", "err", err)
		out.Outcome = OutcomeSkipped
		return out, nil
	}
	if err != nil {
		rt.failed(inv.Lane, inv.ConnectorID, 1)
		return out, err
	}
	dims := emf.Dimensions{Lane: string(inv.Lane), Connector: inv.ConnectorID}
	switch res.Outcome {
	case lane.OutcomeSucceeded:
		var rows int64
		for _, n := range res.Run.Counts {
			rows += n
		}
		rt.emit(dims, emf.Metric{Name: emf.SyncSucceeded, Unit: emf.Count, Value: 1}, emf.Metric{Name: emf.RowsWritten, Unit: emf.Count, Value: float64(rows)})
	case lane.OutcomeFailed:
		rt.failed(inv.Lane, inv.ConnectorID, 1)
	case lane.OutcomeWaiting:
		log.Info("sync: paused for the provider's rate limit; the schedule continues it", "run", res.Run.ID, "resume_at", res.ResumeAt)
	}
	return out, nil
}

// syncDeadline is when a sync invocation stops taking pages: SyncMargin before the function's deadline, or
// half-way there when the whole invocation is shorter than two margins. The runner checks the deadline on its
// clock, so the time left is read on that clock too (the wall clock, but in tests that give the runner another).
func (rt *Runtime) syncDeadline(ctx context.Context) time.Time {
	now := sspm.Now(rt.App.Runner.Now)
	d, ok := ctx.Deadline()
	if !ok {
		return now.Add(defaultBudget)
	}
	remaining := d.Sub(now)
	margin := rt.Config.SyncMargin
	if remaining < 2*margin {
		margin = remaining / 2
	}
	return d.Add(-margin)
}

// owner names one invocation: the Lambda request id, or a random id outside Lambda.
func owner(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return "lambda/" + lc.AwsRequestID
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "awsrun/" + hex.EncodeToString(b)
}
