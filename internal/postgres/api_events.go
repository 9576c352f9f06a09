package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// EventSummary is a stored event without its raw body.
type EventSummary struct {
	ID                                                                          int64
	ConnectorID, ProviderEventID, Type, Category, ActorExternalID, ActorDisplay string
	Outcome                                                                     string
	OccurredAt, ReceivedAt                                                      time.Time
	Source                                                                      string
}

// EventFilter narrows the event stream.
type EventFilter struct {
	ConnectorID string
	TypePrefix  string // "user.session" matches user.session.start
	Category    string
	Outcome     string
	Actor       string // the actor's external id, or part of its display name
	Target      string // a target's external id, or part of its display name
	Since       time.Time
	Until       time.Time
}

// Events lists events, newest first by default (sort: occurred_at, type).
func (db *DB) Events(ctx context.Context, f EventFilter, o ListOptions) (List[EventSummary], error) {
	o, err := o.check("occurred_at", "type")
	if err != nil {
		return List[EventSummary]{}, err
	}
	p := sqlgen.APIListEventsParams{ConnectorID: f.ConnectorID, TypePrefix: prefixPattern(f.TypePrefix), Category: f.Category,
		Outcome: f.Outcome, Actor: f.Actor, ActorSearch: searchPattern(f.Actor), Target: f.Target, TargetSearch: searchPattern(f.Target),
		Since: ts(f.Since), Until: ts(f.Until), Sort: o.Sort}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIListEventsRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIListEvents(ctx, p)
	}, func(r sqlgen.APIListEventsRow) int64 { return r.Total }, func(r sqlgen.APIListEventsRow) EventSummary {
		return EventSummary{ID: r.ID, ConnectorID: r.ConnectorID, ProviderEventID: r.ProviderEventID, Type: r.Type,
			Category: r.Category, ActorExternalID: r.ActorExternalID, ActorDisplay: r.ActorDisplay, Outcome: r.Outcome,
			OccurredAt: fromTS(r.OccurredAt), ReceivedAt: fromTS(r.ReceivedAt), Source: r.Source}
	})
	if err != nil {
		return l, fmt.Errorf("list events: %w", err)
	}
	return l, nil
}

// StoredEventTarget is something a stored event touched, resolved to an account (and its identity) or a resource
// when it was stored.
type StoredEventTarget struct {
	Ordinal                       int
	Type, ExternalID, DisplayName string
	AccountID, ResourceID         *int64
	IdentityID                    *int64
}

// EventDetail is a stored event with its raw body and targets.
type EventDetail struct {
	EventSummary
	Raw     json.RawMessage
	Targets []StoredEventTarget
}

// Event returns one event with its targets.
func (db *DB) Event(ctx context.Context, id int64) (EventDetail, error) {
	r, err := db.q.APIGetEvent(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return EventDetail{}, sspm.Errorf(sspm.CodeNotFound, "event %d not found", id)
	}
	if err != nil {
		return EventDetail{}, fmt.Errorf("event %d: %w", id, err)
	}
	targets, err := db.q.APIEventTargets(ctx, id)
	if err != nil {
		return EventDetail{}, fmt.Errorf("event %d: targets: %w", id, err)
	}
	d := EventDetail{EventSummary: EventSummary{ID: r.ID, ConnectorID: r.ConnectorID, ProviderEventID: r.ProviderEventID,
		Type: r.Type, Category: r.Category, ActorExternalID: r.ActorExternalID, ActorDisplay: r.ActorDisplay, Outcome: r.Outcome,
		OccurredAt: fromTS(r.OccurredAt), ReceivedAt: fromTS(r.ReceivedAt), Source: r.Source}, Raw: r.Raw,
		Targets: make([]StoredEventTarget, len(targets))}
	for i, t := range targets {
		d.Targets[i] = StoredEventTarget{Ordinal: int(t.Ordinal), Type: t.Type, ExternalID: t.ExternalID, DisplayName: t.DisplayName,
			AccountID: int64Ptr(t.AccountID), ResourceID: int64Ptr(t.ResourceID), IdentityID: int64Ptr(t.IdentityID)}
	}
	return d, nil
}
