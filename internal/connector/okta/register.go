package okta

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/rawhttp"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// HookEventTypes are the event types RegisterHook subscribes to: user lifecycle and profile, admin privileges,
// group membership and lifecycle, app assignment, MFA factors, sign-in and SSO, OAuth consent, policy changes
// and API token creation. All are event-hook eligible in Okta's event type catalog.
var HookEventTypes = []string{
	"user.lifecycle.create", "user.lifecycle.activate", "user.lifecycle.deactivate", "user.lifecycle.reactivate",
	"user.lifecycle.suspend", "user.lifecycle.unsuspend", "user.lifecycle.delete.initiated",
	"user.account.update_profile", "user.account.privilege.grant", "user.account.privilege.revoke",
	"group.user_membership.add", "group.user_membership.remove", "group.lifecycle.create", "group.lifecycle.delete",
	"group.privilege.grant", "group.privilege.revoke",
	"application.user_membership.add", "application.user_membership.remove",
	"group.application_assignment.add", "group.application_assignment.remove",
	"user.mfa.factor.activate", "user.mfa.factor.deactivate", "user.mfa.factor.reset_all",
	"user.session.start", "user.authentication.sso",
	"app.oauth2.as.consent.grant",
	"policy.lifecycle.update", "policy.rule.update",
	"system.api_token.create",
}

// RegisterHook registers hookURL as an event hook of the connector's Okta org (the CLI's `open-sspm okta
// register-hook`): it creates the hook with Authorization = hookSecret, has Okta verify it (Okta calls the URL,
// which must answer the challenge) and activates it. It is idempotent: hooks already registered for hookURL are
// replaced (deactivated, deleted, created again), so one verified hook with the current secret and event types
// remains. With OAuth the service app needs okta.eventHooks.read and okta.eventHooks.manage. It uses the
// default Options (no loopback URLs); the composition root can call Options.RegisterHook instead.
func RegisterHook(ctx context.Context, c sspm.Connector, secret []byte, hookURL string, hookSecret string) (hookID string, err error) {
	return Options{}.RegisterHook(ctx, c, secret, hookURL, hookSecret)
}

// RegisterHook is RegisterHook with these options (demo mode may register a loopback URL).
func (o Options) RegisterHook(ctx context.Context, c sspm.Connector, secret []byte, hookURL string, hookSecret string) (string, error) {
	u, err := url.Parse(hookURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || (u.Scheme == "http" && o.AllowLoopback && connector.IsLoopback(u.Hostname()))) {
		return "", sspm.Errorf(sspm.CodeInvalid, "okta register hook: the hook URL must be an absolute https URL")
	}
	if strings.TrimSpace(hookSecret) == "" {
		return "", sspm.Errorf(sspm.CodeInvalid, "okta register hook: the hook secret is empty")
	}
	src, err := o.newSource(c, secret, HookScopes)
	if err != nil {
		return "", err
	}
	api := src.c.api.EventHookAPI
	hooks, resp, err := api.ListEventHooks(ctx).Execute()
	if err != nil {
		return "", sdkError(ctx, "list event hooks", resp, err)
	}
	for _, h := range hooks {
		if h.Channel.Config.GetUri() != hookURL {
			continue
		}
		if h.GetStatus() == "ACTIVE" {
			if _, resp, err := api.DeactivateEventHook(ctx, h.GetId()).Execute(); err != nil {
				return "", sdkError(ctx, "deactivate event hook", resp, err)
			}
		}
		if resp, err := api.DeleteEventHook(ctx, h.GetId()).Execute(); err != nil {
			return "", sdkError(ctx, "delete event hook", resp, err)
		}
	}
	cfg := okta.NewEventHookChannelConfig(hookURL)
	scheme := okta.NewEventHookChannelConfigAuthScheme()
	scheme.SetType("HEADER")
	scheme.SetKey("Authorization")
	scheme.SetValue(hookSecret)
	cfg.SetAuthScheme(*scheme)
	hook := okta.NewEventHook(*okta.NewEventHookChannel(*cfg, "HTTP", "1.0.0"),
		*okta.NewEventSubscriptions(HookEventTypes, "EVENT_TYPE"), "Open-SSPM ("+c.ID+")")
	hook.SetDescription("Open-SSPM push deliveries for connector " + c.ID)
	created, resp, err := api.CreateEventHook(ctx).EventHook(*hook).Execute()
	if err != nil {
		return "", sdkError(ctx, "create event hook", resp, err)
	}
	id := created.GetId()
	if id == "" {
		return "", sspm.Errorf(sspm.CodeUnavailable, "okta create event hook: no id in the answer")
	}
	verified, resp, err := api.VerifyEventHook(ctx, id).Execute()
	if err != nil {
		return id, sdkError(ctx, "verify event hook (Okta could not get the challenge answered by "+hookURL+")", resp, err)
	}
	if verified.GetVerificationStatus() != "VERIFIED" {
		return id, sspm.Errorf(sspm.CodeUnavailable, "okta verify event hook: status %s", verified.GetVerificationStatus())
	}
	if _, resp, err := api.ActivateEventHook(ctx, id).Execute(); err != nil {
		return id, sdkError(ctx, "activate event hook", resp, err)
	}
	return id, nil
}

// sdkError maps the error of a call decoded by the SDK's models.
func sdkError(ctx context.Context, op string, resp *okta.APIResponse, err error) error {
	cp := &rawhttp.Capture{}
	var ge *okta.GenericOpenAPIError
	if errors.As(err, &ge) {
		cp.Body = ge.Body()
	}
	if resp == nil || resp.Response == nil {
		return apiError(ctx, op, nil, cp, err)
	}
	return apiError(ctx, op, resp.Response, cp, err)
}
