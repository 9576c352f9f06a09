package awsrun

import (
	"context"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/open-sspm/open-sspm/internal/emf"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Inbox is the inbox function's handler for its SQS event source, which must report batch item failures
// (FunctionResponseTypes ReportBatchItemFailures). Each record is a queued delivery; the event-inbox lane stores
// its events once. Records that failed and should be retried are returned as batch item failures (by message
// id): SQS delivers them again and, after the queue's maxReceiveCount, moves them to the DLQ. The rest are
// deleted by the event source. An error (the database is not ready) fails the whole batch.
//
// Metrics (Lane event-inbox): InboxFailures, the records returned for retry; SyncFailures, the same count when
// it is not zero, or 1 when the whole batch fails.
func (rt *Runtime) Inbox(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	if err := rt.ready(ctx); err != nil {
		rt.failed(sspm.LaneEventInbox, "", 1)
		return resp, err
	}
	msgs := make([]sspm.Message, len(ev.Records))
	for i, r := range ev.Records {
		attempts, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
		msgs[i] = sspm.Message{ID: r.MessageId, Body: []byte(r.Body), Attempts: max(attempts, 1), Receipt: r.MessageId}
	}
	for _, f := range rt.App.NewInbox().Process(ctx, msgs) {
		rt.Logger.Warn("inbox: delivery will be retried", "message", f.ID, "err", f.Err)
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: f.ID})
	}
	rt.emit(emf.Dimensions{Lane: string(sspm.LaneEventInbox)}, emf.Metric{Name: emf.InboxFailures, Unit: emf.Count, Value: float64(len(resp.BatchItemFailures))})
	rt.failed(sspm.LaneEventInbox, "", len(resp.BatchItemFailures))
	return resp, nil
}
