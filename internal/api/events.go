package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
)

type eventStore interface {
	Events(ctx context.Context, f postgres.EventFilter, o postgres.ListOptions) (postgres.List[postgres.EventSummary], error)
	Event(ctx context.Context, id int64) (postgres.EventDetail, error)
}

// EventSummary is a canonical provider event.
type EventSummary struct {
	ID              int64     `json:"id"`
	ConnectorID     string    `json:"connector_id"`
	ProviderEventID string    `json:"provider_event_id"`
	Type            string    `json:"type"`
	Category        string    `json:"category,omitempty"`
	ActorExternalID string    `json:"actor_external_id,omitempty"`
	ActorDisplay    string    `json:"actor_display,omitempty"`
	Outcome         string    `json:"outcome,omitempty"`
	OccurredAt      time.Time `json:"occurred_at"`
	ReceivedAt      time.Time `json:"received_at"`
	Source          string    `json:"source" enum:"tail,push"`
}

// EventDetail is an event with its targets and raw body.
type EventDetail struct {
	EventSummary
	Targets []EventTarget `json:"targets" nullable:"false"`
	Raw     any           `json:"raw"`
}

// EventTarget is something an event touched, resolved when it was stored.
type EventTarget struct {
	Type        string `json:"type"`
	ExternalID  string `json:"external_id"`
	DisplayName string `json:"display_name"`
	AccountID   *int64 `json:"account_id,omitempty"`
	IdentityID  *int64 `json:"identity_id,omitempty"`
	ResourceID  *int64 `json:"resource_id,omitempty"`
}

type listEventsInput struct {
	PageParams
	ConnectorID string    `query:"connector"`
	Type        string    `query:"type" doc:"A type or its prefix: user.session matches user.session.start."`
	Category    string    `query:"category"`
	Outcome     string    `query:"outcome"`
	Actor       string    `query:"actor" doc:"The actor's external id, or part of its name."`
	Target      string    `query:"target" doc:"A target's external id, or part of its name."`
	Since       time.Time `query:"since" doc:"RFC 3339; inclusive."`
	Until       time.Time `query:"until" doc:"RFC 3339; exclusive."`
	Sort        string    `query:"sort" enum:"occurred_at,-occurred_at,type,-type"`
}

type eventPath struct {
	ID int64 `path:"id"`
}

func (a *Admin) registerEvents(api huma.API) {
	tags := []string{"events"}
	operation(a, api, huma.Operation{OperationID: "listEvents", Method: http.MethodGet, Path: "/api/events",
		Summary: "The event stream, newest first", Tags: tags, Errors: []int{422}}, a.listEvents)
	operation(a, api, huma.Operation{OperationID: "getEvent", Method: http.MethodGet, Path: "/api/events/{id}",
		Summary: "An event with its targets and raw body", Tags: tags, Errors: []int{404}}, a.getEvent)
}

func (a *Admin) listEvents(ctx context.Context, in *listEventsInput) (*body[Page[EventSummary]], error) {
	o := in.options(in.Sort)
	l, err := a.Store.Events(ctx, postgres.EventFilter{ConnectorID: in.ConnectorID, TypePrefix: in.Type, Category: in.Category,
		Outcome: in.Outcome, Actor: in.Actor, Target: in.Target, Since: in.Since, Until: in.Until}, o)
	if err != nil {
		return nil, err
	}
	return bodyOf(pageOf(l, o, eventOut)), nil
}

func eventOut(e postgres.EventSummary) EventSummary {
	return EventSummary{ID: e.ID, ConnectorID: e.ConnectorID, ProviderEventID: e.ProviderEventID, Type: e.Type, Category: e.Category,
		ActorExternalID: e.ActorExternalID, ActorDisplay: e.ActorDisplay, Outcome: e.Outcome, OccurredAt: e.OccurredAt.UTC(),
		ReceivedAt: e.ReceivedAt.UTC(), Source: e.Source}
}

func (a *Admin) getEvent(ctx context.Context, in *eventPath) (*body[EventDetail], error) {
	e, err := a.Store.Event(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := EventDetail{EventSummary: eventOut(e.EventSummary), Targets: make([]EventTarget, len(e.Targets))}
	for i, t := range e.Targets {
		out.Targets[i] = EventTarget{Type: t.Type, ExternalID: t.ExternalID, DisplayName: t.DisplayName, AccountID: t.AccountID,
			IdentityID: t.IdentityID, ResourceID: t.ResourceID}
	}
	if len(e.Raw) > 0 {
		_ = json.Unmarshal(e.Raw, &out.Raw)
	}
	return bodyOf(out), nil
}
