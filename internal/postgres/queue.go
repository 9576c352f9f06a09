package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Queue is the local stand-in for SQS: messages in a PostgreSQL table, received with SKIP LOCKED under a
// visibility timeout, retried up to MaxAttempts times and then moved to the dead state (the DLQ).
type Queue struct {
	db          *DB
	name        string
	maxAttempts int
}

// Queue returns the named queue. maxAttempts is SQS's maxReceiveCount.
func (db *DB) Queue(name string, maxAttempts int) *Queue {
	if maxAttempts < 1 {
		maxAttempts = 1
	}
	return &Queue{db: db, name: name, maxAttempts: maxAttempts}
}

var _ sspm.Queue = (*Queue)(nil)

// Send enqueues bodies in one statement.
func (q *Queue) Send(ctx context.Context, bodies ...[]byte) error {
	if len(bodies) == 0 {
		return nil
	}
	if _, err := q.db.q.EnqueueMessages(ctx, sqlgen.EnqueueMessagesParams{Queue: q.name, Bodies: bodies, ClockNow: q.db.clock()}); err != nil {
		return fmt.Errorf("queue %s: send: %w", q.name, err)
	}
	return nil
}

// Receive leases up to max visible messages for visibility. Messages that used their last attempt and timed
// out go to the dead state instead.
func (q *Queue) Receive(ctx context.Context, max int, visibility time.Duration) ([]sspm.Message, error) {
	var rows []sqlgen.ReceiveMessagesRow
	err := q.db.inAsyncTx(ctx, func(tx *sqlgen.Queries) (err error) {
		rows, err = tx.ReceiveMessages(ctx, sqlgen.ReceiveMessagesParams{
			Queue: q.name, VisibilitySeconds: visibility.Seconds(), MaxMessages: int32(max), MaxAttempts: int32(q.maxAttempts),
			ClockNow: q.db.clock(),
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("queue %s: receive: %w", q.name, err)
	}
	out := make([]sspm.Message, len(rows))
	for i, r := range rows {
		out[i] = sspm.Message{ID: strconv.FormatInt(r.ID, 10), Body: r.Body, Attempts: int(r.Attempts), Receipt: r.Receipt}
	}
	return out, nil
}

// Ack deletes received messages. Receives and acknowledgements commit without waiting for the WAL flush: after
// a crash the worst case is a redelivery, which at-least-once delivery allows. Sends wait: an accepted delivery is
// never lost.
func (q *Queue) Ack(ctx context.Context, receipts ...string) error {
	if len(receipts) == 0 {
		return nil
	}
	if err := q.db.inAsyncTx(ctx, func(tx *sqlgen.Queries) error {
		_, err := tx.DeleteMessages(ctx, receipts)
		return err
	}); err != nil {
		return fmt.Errorf("queue %s: ack: %w", q.name, err)
	}
	return nil
}

// Nack returns a message to the queue after retryAfter, or moves it to the dead state after its last attempt.
func (q *Queue) Nack(ctx context.Context, receipt string, retryAfter time.Duration, reason string) error {
	if _, err := q.db.q.NackMessage(ctx, sqlgen.NackMessageParams{
		Receipt: receipt, RetrySeconds: retryAfter.Seconds(), Reason: reason, MaxAttempts: int32(q.maxAttempts), ClockNow: q.db.clock(),
	}); err != nil {
		return fmt.Errorf("queue %s: nack: %w", q.name, err)
	}
	return nil
}

// Depth returns the ready and dead message counts.
func (q *Queue) Depth(ctx context.Context) (ready, dead int64, err error) {
	r, err := q.db.q.QueueDepth(ctx, q.name)
	if err != nil {
		return 0, 0, fmt.Errorf("queue %s: depth: %w", q.name, err)
	}
	return r.Ready, r.Dead, nil
}

// DeadMessage is a message that used all its attempts.
type DeadMessage struct {
	ID        int64
	Body      []byte
	Attempts  int
	LastError string
	Enqueued  time.Time
}

// Dead lists up to limit dead messages.
func (q *Queue) Dead(ctx context.Context, limit int) ([]DeadMessage, error) {
	rows, err := q.db.q.ListDeadMessages(ctx, sqlgen.ListDeadMessagesParams{Queue: q.name, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("queue %s: list dead: %w", q.name, err)
	}
	out := make([]DeadMessage, len(rows))
	for i, r := range rows {
		out[i] = DeadMessage{ID: r.ID, Body: r.Body, Attempts: int(r.Attempts), LastError: r.LastError, Enqueued: fromTS(r.EnqueuedAt)}
	}
	return out, nil
}

// Replay makes a dead message ready again with fresh attempts.
func (q *Queue) Replay(ctx context.Context, id int64) error {
	n, err := q.db.q.ReplayDeadMessage(ctx, sqlgen.ReplayDeadMessageParams{ID: id, Queue: q.name, ClockNow: q.db.clock()})
	if err != nil {
		return fmt.Errorf("queue %s: replay %d: %w", q.name, id, err)
	}
	if n == 0 {
		return fmt.Errorf("queue %s: replay %d: %w", q.name, id, sspm.ErrNotFound)
	}
	return nil
}
