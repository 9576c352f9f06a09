package sspm

import (
	"context"
	"time"
)

// Message is a queued delivery.
type Message struct {
	ID       string
	Body     []byte
	Attempts int    // deliveries so far, including this one
	Receipt  string // handle for Ack and Nack
}

// Queue is the inbox between the webhook and the inbox lane: SQS on AWS, a PostgreSQL table locally.
// Delivery is at least once; a message received and not acknowledged within its visibility timeout is delivered
// again; after the queue's maximum attempts it is moved to the dead state (SQS: the DLQ).
type Queue interface {
	Send(ctx context.Context, bodies ...[]byte) error
	Receive(ctx context.Context, max int, visibility time.Duration) ([]Message, error)
	Ack(ctx context.Context, receipts ...string) error
	// Nack makes the message visible again after retryAfter and records why it failed.
	Nack(ctx context.Context, receipt string, retryAfter time.Duration, reason string) error
}

// Invocation asks for one lane to run for one connector (and stream, for the tail lane).
type Invocation struct {
	Lane        Lane    `json:"lane"`
	ConnectorID string  `json:"connector_id,omitempty"`
	Stream      string  `json:"stream,omitempty"`
	Trigger     Trigger `json:"trigger,omitempty"`
}

// Invoker starts lane work asynchronously: a Lambda async invoke on AWS, a bounded goroutine pool locally.
// Invoke returns once the work is accepted, not when it is done.
type Invoker interface {
	Invoke(ctx context.Context, inv Invocation) error
}
