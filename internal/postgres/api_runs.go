package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// RunFilter narrows a connector's runs.
type RunFilter struct {
	Lane   string
	Status string
}

// RunsPage lists a connector's runs, newest first by default (sort: started_at, finished_at).
func (db *DB) RunsPage(ctx context.Context, connectorID string, f RunFilter, o ListOptions) (List[sspm.SyncRun], error) {
	o, err := o.check("started_at", "finished_at")
	if err != nil {
		return List[sspm.SyncRun]{}, err
	}
	p := sqlgen.APIListRunsParams{ConnectorID: connectorID, Lane: f.Lane, Status: f.Status, Sort: o.Sort}
	var convErr error
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIListRunsRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIListRuns(ctx, p)
	}, func(r sqlgen.APIListRunsRow) int64 { return r.Total }, func(r sqlgen.APIListRunsRow) sspm.SyncRun {
		run, err := runFromRow(r.SyncRun)
		if err != nil && convErr == nil {
			convErr = err
		}
		return run
	})
	if err == nil {
		err = convErr
	}
	if err != nil {
		return List[sspm.SyncRun]{}, fmt.Errorf("runs of %s: %w", connectorID, err)
	}
	return l, nil
}

// LatestRuns returns, per connector (all with connectorID "") and lane, the newest run and the newest failed run.
func (db *DB) LatestRuns(ctx context.Context, connectorID string) ([]sspm.SyncRun, error) {
	rows, err := db.q.APILatestRuns(ctx, connectorID)
	if err != nil {
		return nil, fmt.Errorf("latest runs: %w", err)
	}
	out := make([]sspm.SyncRun, 0, len(rows))
	for _, r := range rows {
		run, err := runFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, run)
	}
	return out, nil
}

// LaneState is a lane's scheduling state for one connector, as the health page shows it.
type LaneState struct {
	ConnectorID         string
	Lane                sspm.Lane
	NextDueAt           time.Time
	ConsecutiveFailures int
	LastStatus          string
	LastRunID           int64
	LastSuccessAt       time.Time
	LastActivityAt      time.Time
}

// LaneStates lists the lane schedules of a connector, or of every connector with connectorID "".
func (db *DB) LaneStates(ctx context.Context, connectorID string) ([]LaneState, error) {
	rows, err := db.q.APILaneSchedules(ctx, connectorID)
	if err != nil {
		return nil, fmt.Errorf("lane schedules: %w", err)
	}
	out := make([]LaneState, len(rows))
	for i, r := range rows {
		out[i] = LaneState{ConnectorID: r.ConnectorID, Lane: sspm.Lane(r.Lane), NextDueAt: fromTS(r.NextDueAt),
			ConsecutiveFailures: int(r.ConsecutiveFailures), LastStatus: r.LastStatus, LastRunID: r.LastRunID.Int64,
			LastSuccessAt: fromTS(r.LastSuccessAt), LastActivityAt: fromTS(r.LastActivityAt)}
	}
	return out, nil
}

// TailState is where a tail stream is and how far behind.
type TailState struct {
	ConnectorID string
	Stream      string
	HighWater   time.Time
	LagSeconds  float64
	LastError   string
	// Unavailable is why the connector cannot read the stream ("" when it can); NotBefore is when it is read next
	// while it is held back (unavailable, or a rate limit).
	Unavailable string
	NotBefore   time.Time
	UpdatedAt   time.Time
	// RequestsPerMinute is the stream's request rate: over the current counting window once it spans a minute,
	// else the previous window's; 0 before any read. BucketLimit is its rate-limit bucket's requests per minute
	// (0 unknown).
	RequestsPerMinute float64
	BucketLimit       int
}

// TailStates lists the tail cursors of a connector, or of every connector with connectorID "".
func (db *DB) TailStates(ctx context.Context, connectorID string) ([]TailState, error) {
	rows, err := db.q.APITailCursors(ctx, connectorID)
	if err != nil {
		return nil, fmt.Errorf("tail cursors: %w", err)
	}
	out := make([]TailState, len(rows))
	for i, r := range rows {
		out[i] = TailState{ConnectorID: r.ConnectorID, Stream: r.Stream, HighWater: fromTS(r.HighWaterAt),
			LagSeconds: r.LagSeconds, LastError: r.LastError, Unavailable: r.Unavailable, NotBefore: fromTS(r.NotBefore),
			UpdatedAt: fromTS(r.UpdatedAt), BucketLimit: int(r.BucketLimit)}
		out[i].RequestsPerMinute = requestRate(r.RateRequests, fromTS(r.RateWindowStart), fromTS(r.RateWindowEnd), r.PrevRequestsPerMinute)
	}
	return out, nil
}

// requestRate is the rate of a counting window that spans a minute or more, else the previous window's, else
// the current window's count as if it were a minute.
func requestRate(requests int32, start, end time.Time, prev pgtype.Float8) float64 {
	if span := end.Sub(start); span >= time.Minute {
		return float64(requests) / span.Minutes()
	}
	if prev.Valid {
		return prev.Float64
	}
	return float64(requests)
}

// InboxStats counts a connector's push deliveries by status.
type InboxStats struct {
	ConnectorID                       string
	Received, Processed, Failed, Dead int64
	LastReceivedAt, LastProcessedAt   time.Time
}

// InboxStatsByConnector counts deliveries per connector (one connector with connectorID set).
func (db *DB) InboxStatsByConnector(ctx context.Context, connectorID string) ([]InboxStats, error) {
	rows, err := db.q.APIInboxStats(ctx, connectorID)
	if err != nil {
		return nil, fmt.Errorf("inbox stats: %w", err)
	}
	out := make([]InboxStats, len(rows))
	for i, r := range rows {
		out[i] = InboxStats{ConnectorID: r.ConnectorID, Received: r.Received, Processed: r.Processed, Failed: r.Failed,
			Dead: r.Dead, LastReceivedAt: fromTS(r.LastReceivedAt), LastProcessedAt: fromTS(r.LastProcessedAt)}
	}
	return out, nil
}

// DeadPage lists the queue's dead messages, newest first.
func (q *Queue) DeadPage(ctx context.Context, o ListOptions) (List[DeadMessage], error) {
	o, err := o.check()
	if err != nil {
		return List[DeadMessage]{}, err
	}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIDeadMessagesRow, error) {
		return q.db.q.APIDeadMessages(ctx, sqlgen.APIDeadMessagesParams{Queue: q.name, MaxRows: limit, Skip: offset})
	}, func(r sqlgen.APIDeadMessagesRow) int64 { return r.Total }, func(r sqlgen.APIDeadMessagesRow) DeadMessage {
		return DeadMessage{ID: r.ID, Body: r.Body, Attempts: int(r.Attempts), LastError: r.LastError, Enqueued: fromTS(r.EnqueuedAt)}
	})
	if err != nil {
		return l, fmt.Errorf("queue %s: dead messages: %w", q.name, err)
	}
	return l, nil
}

// DeadMessage returns one dead message.
func (q *Queue) DeadMessage(ctx context.Context, id int64) (DeadMessage, error) {
	r, err := q.db.q.APIDeadMessage(ctx, sqlgen.APIDeadMessageParams{Queue: q.name, ID: id})
	if err != nil {
		return DeadMessage{}, notFound(err, fmt.Sprintf("queue %s: dead message %d", q.name, id))
	}
	return DeadMessage{ID: r.ID, Body: r.Body, Attempts: int(r.Attempts), LastError: r.LastError, Enqueued: fromTS(r.EnqueuedAt)}, nil
}
