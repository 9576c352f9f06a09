package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// NewHooks returns the webhook endpoint, queueing verified deliveries on q.
func (a *App) NewHooks(q sspm.Queue) *api.Hooks {
	return &api.Hooks{Store: a.DB, Registry: a.Registry, Open: a.WebhookSealer().Open, Queue: q, Logger: a.Logger}
}

// NewInbox returns the event-inbox lane.
func (a *App) NewInbox() *lane.Inbox {
	return &lane.Inbox{Store: a.DB, Parser: a.parser, AfterStore: a.afterEvents, Logger: a.Logger}
}

func (a *App) parser(k sspm.Kind) (lane.ParserFunc, error) {
	kind, err := a.Registry.Lookup(k)
	if err != nil {
		return nil, err
	}
	if kind.Push == nil {
		return nil, sspm.Errorf(sspm.CodeInvalid, "connector kind %s takes no push deliveries", k)
	}
	return kind.Push.Parse, nil
}

// afterEvents follows new pushed or tailed events: it refreshes what they touched and asks the evaluator to run
// the event policies over them.
func (a *App) afterEvents(ctx context.Context, c sspm.Connector, events []sspm.Event) error {
	if err := a.refresh(ctx, c, events); err != nil {
		return err
	}
	a.requestEvaluation(ctx, sspm.Invocation{Lane: sspm.LaneEvaluator, ConnectorID: c.ID, Trigger: sspm.TriggerPush})
	return nil
}

// requestEvaluation asks for an evaluation. It is best effort: the evaluator reads events from its own
// watermark and its schedule evaluates again, so a request that cannot be made is logged, not a failure of the
// sync or delivery that made it.
func (a *App) requestEvaluation(ctx context.Context, inv sspm.Invocation) {
	if err := a.invoke(ctx, inv); err != nil {
		a.Logger.Warn("evaluation not requested", "connector", inv.ConnectorID, "trigger", inv.Trigger, "err", err)
	}
}

// refresh re-reads at once what new pushed events touched, when the connector's source can (push-assisted
// sync), and stores it outside any sync run.
func (a *App) refresh(ctx context.Context, c sspm.Connector, events []sspm.Event) error {
	if kind, err := a.Registry.Lookup(c.Kind); err != nil || kind.NewSource == nil {
		return err
	}
	src, err := a.source(ctx, c)
	if err != nil {
		return err
	}
	var page sspm.Page
	switch r := src.(type) {
	case sspm.EventRefresher:
		page, err = r.RefreshEvents(ctx, events)
	case sspm.Refresher:
		var targets []sspm.EventTarget
		for _, e := range events {
			targets = append(targets, e.Targets...)
		}
		page, err = r.Refresh(ctx, targets)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("refresh %s: %w", c.ID, err)
	}
	if page.Len() == 0 {
		return nil
	}
	return a.DB.WriteRefreshFor(ctx, c.ID, &page, refreshCause(events))
}

// refreshCause names the newest stored event of a refresh as what observed its changes.
func refreshCause(events []sspm.Event) postgres.ChangeCause {
	var cause postgres.ChangeCause
	for _, e := range events {
		if e.ID != 0 && (cause.EventID == 0 || !e.OccurredAt.Before(cause.ProviderAt)) {
			cause.EventID, cause.ProviderAt = e.ID, e.OccurredAt
		}
	}
	return cause
}

// WebhookSecret returns a connector's webhook secret, to register with the provider.
func (a *App) WebhookSecret(ctx context.Context, connectorID string) (string, error) {
	sealed, err := a.DB.WebhookSecret(ctx, connectorID)
	if err != nil {
		return "", err
	}
	if len(sealed) == 0 {
		return "", sspm.Errorf(sspm.CodeNotFound, "connector %s takes no push deliveries", connectorID)
	}
	plain, err := a.WebhookSealer().Open(ctx, connectorID, sealed)
	if err != nil {
		return "", fmt.Errorf("open webhook secret of %s: %w", connectorID, err)
	}
	return string(plain), nil
}

// newWebhookSecret returns 32 random bytes, URL-safe base64: the value providers send or sign with.
func newWebhookSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return []byte(base64.RawURLEncoding.EncodeToString(b)), nil
}
