package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// PushRegistrar registers connectors' push hooks with their providers (app.App.RegisterPush): it builds the hook
// URL under the given base URL, calls the kind's Push.Register with the connector's credential and webhook
// secret, and stores the registration. A provider's refusal or failure is a *ProviderError.
type PushRegistrar interface {
	RegisterPush(ctx context.Context, connectorID, baseOrHookURL string) (hookURL, providerRef string, err error)
}

type pushHookStore interface {
	PushRegistration(ctx context.Context, connectorID string) (postgres.PushRegistration, error)
}

// PushHook is a connector's push hook registration: where the provider delivers and the provider's ids of what
// was registered. It never holds a secret.
type PushHook struct {
	ConnectorID  string     `json:"connector_id"`
	URL          string     `json:"url" doc:"The URL the provider delivers to; empty when no registration succeeded yet."`
	ProviderRef  string     `json:"provider_ref" doc:"The provider's ids of what was registered (event hook, subscriptions, channels)."`
	RegisteredAt *time.Time `json:"registered_at,omitempty" doc:"When the registration in force succeeded."`
	LastError    string     `json:"last_error,omitempty" doc:"Why the last attempt since then failed; the registration in force, if any, is kept."`
	LastErrorURL string     `json:"last_error_url,omitempty" doc:"The URL the failed attempt tried."`
	LastErrorAt  *time.Time `json:"last_error_at,omitempty"`
}

// PushHookInput is where to register a connector's push hook.
type PushHookInput struct {
	URL string `json:"url" minLength:"1" maxLength:"2000" doc:"This deployment's public base URL (https); /hooks/{kind}/{id} is appended unless it is already the full hook URL."`
}

func (a *Admin) registerPushHooks(api huma.API) {
	tags := []string{"connectors"}
	operation(a, api, huma.Operation{OperationID: "getConnectorPushHook", Method: http.MethodGet, Path: "/api/connectors/{id}/push-hook",
		Summary: "The connector's push hook registration", Tags: tags, Errors: []int{404}}, a.getPushHook)
	operation(a, api, huma.Operation{OperationID: "registerConnectorPushHook", Method: http.MethodPost, Path: "/api/connectors/{id}/push-hook",
		Summary: "Register the connector's push hook with the provider",
		Description: "For kinds whose push hook is registered through the provider's API (the kind's push_registration): " +
			"registers {url}/hooks/{kind}/{id} with the connector's webhook secret and stores it, so that subscriptions " +
			"that expire are renewed there. A provider's refusal answers 502 with its reason.",
		Tags: tags, Errors: []int{404, 422, 502, 503}}, a.registerPushHook)
}

func (a *Admin) getPushHook(ctx context.Context, in *ConnectorPath) (*body[PushHook], error) {
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	r, err := a.Store.PushRegistration(ctx, c.ID)
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return nil, sspm.Errorf(sspm.CodeNotFound, "connector %s has no push hook registered", c.ID)
	}
	if err != nil {
		return nil, err
	}
	return bodyOf(pushHookOut(r)), nil
}

func (a *Admin) registerPushHook(ctx context.Context, in *struct {
	ConnectorPath
	Body PushHookInput
}) (*body[PushHook], error) {
	c, err := a.Store.Connector(ctx, in.ID)
	if err != nil {
		return nil, connectorNotFound(err, in.ID)
	}
	if a.PushHooks == nil {
		return nil, sspm.Errorf(sspm.CodeUnavailable, "this server cannot register push hooks")
	}
	// Record who asked before the provider is called: the registration changes the provider's side.
	if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: "connector.push_hook.register", TargetType: "connector",
		TargetID: c.ID, After: map[string]any{"url": in.Body.URL}}); err != nil {
		return nil, err
	}
	if _, _, err := a.PushHooks.RegisterPush(ctx, c.ID, in.Body.URL); err != nil {
		return nil, err
	}
	r, err := a.Store.PushRegistration(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return bodyOf(pushHookOut(r)), nil
}

func pushHookOut(r postgres.PushRegistration) PushHook {
	out := PushHook{ConnectorID: r.ConnectorID, URL: r.HookURL, ProviderRef: r.ProviderRef, LastError: r.LastError, LastErrorURL: r.LastErrorURL}
	if !r.RegisteredAt.IsZero() {
		t := r.RegisteredAt.UTC()
		out.RegisteredAt = &t
	}
	if !r.LastErrorAt.IsZero() {
		t := r.LastErrorAt.UTC()
		out.LastErrorAt = &t
	}
	return out
}
