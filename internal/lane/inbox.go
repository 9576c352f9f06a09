package lane

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// InboxStore is what the inbox lane needs from the database.
type InboxStore interface {
	Connector(ctx context.Context, id string) (sspm.Connector, error)
	// StoreDeliveries stores a batch of handled deliveries, their events once each and their inbox records, in
	// one transaction, and returns how many events were new per connector.
	StoreDeliveries(ctx context.Context, outcomes []sspm.DeliveryOutcome) (map[string]int64, error)
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
// batch item failures). The batch is parsed first and stored in one transaction, so a batch costs one commit;
// a database error fails every message of the batch (each is stored once when it comes back). A delivery that can
// never succeed (unknown connector, a body that does not parse) is recorded as failed and not retried; it stays
// in the inbox table for audit and replay.
func (in *Inbox) Process(ctx context.Context, msgs []sspm.Message) []Failure {
	log := in.logger()
	conns := map[string]*sspm.Connector{}
	var failed []Failure
	var outcomes []sspm.DeliveryOutcome
	var stored []sspm.Message // the messages behind outcomes, in order
	for _, m := range msgs {
		var d sspm.Delivery
		if err := json.Unmarshal(m.Body, &d); err != nil || d.ConnectorID == "" {
			log.Error("inbox: dropping a message that is not a delivery", "message", m.ID, "err", err)
			continue // nothing to record it under; retrying cannot help
		}
		c, ok := conns[d.ConnectorID]
		if !ok {
			conn, err := in.Store.Connector(ctx, d.ConnectorID)
			switch {
			case sspm.ErrorCode(err) == sspm.CodeNotFound:
				log.Warn("inbox: delivery for a deleted connector", "connector", d.ConnectorID)
			case err != nil:
				log.Error("inbox: load connector; the delivery is retried", "connector", d.ConnectorID, "message", m.ID, "err", err)
				failed = append(failed, Failure{Receipt: m.Receipt, ID: m.ID, Err: err})
				continue
			default:
				c = &conn
			}
			conns[d.ConnectorID] = c
		}
		if c == nil {
			continue
		}
		events, err := in.parse(c.Kind, d.Body)
		o := sspm.DeliveryOutcome{Delivery: d, Events: events}
		if err != nil {
			log.Error("inbox: delivery failed for good", "connector", c.ID, "delivery", d.DeliveryID, "err", err)
			o.Failure = err.Error()
		}
		outcomes = append(outcomes, o)
		stored = append(stored, m)
	}
	if len(outcomes) == 0 {
		return failed
	}
	if _, err := in.Store.StoreDeliveries(ctx, outcomes); err != nil {
		log.Error("inbox: storing the batch failed; its deliveries are retried", "deliveries", len(stored), "err", err)
		for _, m := range stored {
			failed = append(failed, Failure{Receipt: m.Receipt, ID: m.ID, Err: err})
		}
		return failed
	}
	if in.AfterStore == nil {
		return failed
	}
	for i, o := range outcomes {
		if len(o.Events) == 0 {
			continue
		}
		if err := in.AfterStore(ctx, *conns[o.Delivery.ConnectorID], o.Events); err != nil {
			log.Error("inbox: after storing a delivery's events; it is retried", "connector", o.Delivery.ConnectorID,
				"delivery", o.Delivery.DeliveryID, "err", err)
			failed = append(failed, Failure{Receipt: stored[i].Receipt, ID: stored[i].ID, Err: fmt.Errorf("after storing events: %w", err)})
		}
	}
	return failed
}

// parse maps a delivery body to canonical push events.
func (in *Inbox) parse(kind sspm.Kind, body []byte) ([]sspm.Event, error) {
	parse, err := in.Parser(kind)
	if err != nil {
		return nil, err
	}
	events, err := parse(body)
	if err != nil {
		return nil, fmt.Errorf("parse %s delivery: %w", kind, err)
	}
	for i := range events {
		events[i].Source = "push"
	}
	return events, nil
}

func (in *Inbox) logger() *slog.Logger {
	if in.Logger != nil {
		return in.Logger
	}
	return slog.New(slog.DiscardHandler)
}
