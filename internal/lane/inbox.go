package lane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// InboxStore is what the inbox lane needs from the database.
type InboxStore interface {
	Connector(ctx context.Context, id string) (sspm.Connector, error)
	RecordDelivery(ctx context.Context, d sspm.Delivery) (id int64, processed bool, err error)
	FinishDelivery(ctx context.Context, id int64, status, errText string) error
	StoreEvents(ctx context.Context, connectorID string, events []sspm.Event) (int64, error)
}

// ParserFunc turns a delivery body of one connector kind into canonical events.
type ParserFunc func(body []byte) ([]sspm.Event, error)

// Inbox is the event-inbox lane: it turns queued push deliveries into stored events, once each.
type Inbox struct {
	Store  InboxStore
	Parser func(kind sspm.Kind) (ParserFunc, error)
	// AfterStore runs after a delivery's events are stored (push-assisted refresh of what they touched, the
	// evaluator's event policies). An error fails the delivery so it is retried; it must be idempotent.
	AfterStore func(ctx context.Context, c sspm.Connector, events []sspm.Event) error
	Logger     *slog.Logger
}

// Failure is a message the queue should deliver again.
type Failure struct {
	Receipt string
	ID      string
	Err     error
}

// Process handles a batch of queued deliveries and returns those that failed and should be retried (SQS: the
// batch item failures). A delivery that can never succeed (unknown connector, a body that does not parse) is
// recorded as failed and not retried; it stays in the inbox table for audit and replay.
func (in *Inbox) Process(ctx context.Context, msgs []sspm.Message) []Failure {
	var failed []Failure
	for _, m := range msgs {
		if err := in.one(ctx, m); err != nil {
			failed = append(failed, Failure{Receipt: m.Receipt, ID: m.ID, Err: err})
		}
	}
	return failed
}

// errPermanent marks failures that retrying cannot fix.
var errPermanent = errors.New("permanent")

func (in *Inbox) one(ctx context.Context, m sspm.Message) error {
	log := in.logger()
	var d sspm.Delivery
	if err := json.Unmarshal(m.Body, &d); err != nil || d.ConnectorID == "" {
		log.Error("inbox: dropping a message that is not a delivery", "message", m.ID, "err", err)
		return nil // nothing to record it under; retrying cannot help
	}
	c, err := in.Store.Connector(ctx, d.ConnectorID)
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		log.Warn("inbox: delivery for a deleted connector", "connector", d.ConnectorID)
		return nil
	}
	if err != nil {
		return err
	}
	rowID, processed, err := in.Store.RecordDelivery(ctx, d)
	if err != nil {
		return err
	}
	if processed { // a redelivery of a delivery already handled
		return nil
	}
	events, err := in.handle(ctx, c, d)
	if err != nil {
		status := "received"
		if errors.Is(err, errPermanent) {
			status = "failed"
		}
		if ferr := in.Store.FinishDelivery(context.WithoutCancel(ctx), rowID, status, err.Error()); ferr != nil {
			log.Error("inbox: record failure", "err", ferr)
		}
		if status == "failed" {
			log.Error("inbox: delivery failed for good", "connector", c.ID, "delivery", d.DeliveryID, "err", err)
			return nil
		}
		return err
	}
	log.Debug("inbox: delivery stored", "connector", c.ID, "events", len(events))
	return in.Store.FinishDelivery(ctx, rowID, "processed", "")
}

func (in *Inbox) handle(ctx context.Context, c sspm.Connector, d sspm.Delivery) ([]sspm.Event, error) {
	parse, err := in.Parser(c.Kind)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errPermanent, err)
	}
	events, err := parse(d.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: parse %s delivery: %v", errPermanent, c.Kind, err)
	}
	for i := range events {
		events[i].Source = "push"
	}
	if _, err := in.Store.StoreEvents(ctx, c.ID, events); err != nil {
		return nil, err
	}
	if in.AfterStore != nil && len(events) > 0 {
		if err := in.AfterStore(ctx, c, events); err != nil {
			return nil, fmt.Errorf("after storing events: %w", err)
		}
	}
	return events, nil
}

func (in *Inbox) logger() *slog.Logger {
	if in.Logger != nil {
		return in.Logger
	}
	return slog.New(slog.DiscardHandler)
}
