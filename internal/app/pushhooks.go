package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Push hook registrations: RegisterPush registers a connector's push hook with the provider through its kind's
// Push.Register and stores where it is (postgres.PushRegistration); PushHook reads it back for the kinds whose
// subscriptions expire and are renewed by a scheduled step (connector.Hooks, bound into the registry by New).

// HookPath is the path of a connector's push hook on this deployment: /hooks/<kind>/<id>.
func HookPath(c sspm.Connector) string { return "/hooks/" + string(c.Kind) + "/" + c.ID }

// HookURL is base + HookPath(c), unless base already is the connector's full hook URL.
func HookURL(base string, c sspm.Connector) string {
	path := HookPath(c)
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, path) {
		return base
	}
	return base + path
}

// checkHookURL checks the hook URL a provider will deliver to: absolute https, with no credentials, query or
// fragment, on this connector's path; plain http only to a loopback address when the App allows it (demo mode,
// tests).
func (a *App) checkHookURL(hookURL string, c sspm.Connector) error {
	u, err := url.Parse(hookURL)
	switch {
	case err != nil || u.Host == "" || !u.IsAbs():
		return sspm.Errorf(sspm.CodeInvalid, "connector %s: the hook URL %q is not an absolute URL: give this deployment's public base URL (https://...)", c.ID, hookURL)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return sspm.Errorf(sspm.CodeInvalid, "connector %s: the hook URL must not carry credentials, a query or a fragment", c.ID)
	case strings.Count(u.Path, "/hooks/") > 1 || !strings.HasSuffix(u.Path, HookPath(c)):
		return sspm.Errorf(sspm.CodeInvalid, "connector %s: %q is the hook URL of another connector: give the base URL or %s", c.ID, hookURL, HookPath(c))
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && connector.IsLoopback(u.Hostname()) && a.loopbackHooks:
		return nil
	case u.Scheme == "http" && connector.IsLoopback(u.Hostname()):
		return sspm.Errorf(sspm.CodeInvalid, "connector %s: a loopback hook URL is for demo mode only; providers deliver to a public https URL", c.ID)
	}
	return sspm.Errorf(sspm.CodeInvalid, "connector %s: the hook URL must use https", c.ID)
}

// pushKind returns the kind of c when it registers push hooks through the provider's API.
func (a *App) pushKind(c sspm.Connector) (connector.Kind, error) {
	kind, err := a.Registry.Lookup(c.Kind)
	if err != nil {
		return connector.Kind{}, err
	}
	if kind.Push == nil || kind.Push.Register == nil {
		return connector.Kind{}, sspm.Errorf(sspm.CodeInvalid, "connector %s: %s connectors have no push hook to register through the provider's API", c.ID, c.Kind)
	}
	return kind, nil
}

// RegisterPush registers the push hook of a connector with its provider: the hook URL is baseOrHookURL (this
// deployment's public base URL, or the connector's full hook URL) with /hooks/<kind>/<id>, and the deliveries
// carry the connector's webhook secret. On success the registration is stored, so that renewals know where the
// hook is (PushHook); a failure is stored as its message, the previous registration staying in force. It
// returns the hook URL and the provider's ids of what it registered (never a secret).
//
// Errors: sspm.CodeNotFound for an unknown connector, sspm.CodeInvalid for a kind without push registration or
// a URL that is not https (plain http only to a loopback address in demo mode), and *api.ProviderError when the
// provider refused or failed the registration.
func (a *App) RegisterPush(ctx context.Context, connectorID, baseOrHookURL string) (hookURL, providerRef string, err error) {
	c, err := a.DB.Connector(ctx, connectorID)
	if err != nil {
		return "", "", err
	}
	kind, err := a.pushKind(c)
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(baseOrHookURL) == "" {
		return "", "", sspm.Errorf(sspm.CodeInvalid, "connector %s: the URL is required: this deployment's public base URL", c.ID)
	}
	hookURL = HookURL(strings.TrimSpace(baseOrHookURL), c)
	if err := a.checkHookURL(hookURL, c); err != nil {
		return "", "", err
	}
	secret, err := a.secret(ctx, c)
	if err != nil {
		return "", "", err
	}
	hookSecret, err := a.WebhookSecret(ctx, c.ID)
	if err != nil {
		return "", "", err
	}
	ref, err := kind.Push.Register(ctx, c, secret, hookURL, hookSecret)
	if err != nil {
		perr := providerError(c, err)
		a.Logger.Warn("push hook not registered", "connector", c.ID, "hook", hookURL, "err", err)
		if _, rerr := a.DB.RecordPushFailed(ctx, c.ID, hookURL, perr.Message); rerr != nil {
			a.Logger.Warn("push hook failure not recorded", "connector", c.ID, "err", rerr)
		}
		return "", "", perr
	}
	reg, err := a.DB.RecordPushRegistered(ctx, c.ID, hookURL, ref)
	if err != nil {
		return "", "", fmt.Errorf("connector %s: the hook is registered with the provider (%s) but could not be stored: %w", c.ID, ref, err)
	}
	a.Logger.Info("push hook registered", "connector", c.ID, "hook", hookURL, "provider_ref", ref)
	return reg.HookURL, reg.ProviderRef, nil
}

// providerError describes a failed registration without anything the kind did not write to be shown: a
// connector's domain message, or a generic one (the cause goes to the log).
func providerError(c sspm.Connector, err error) *api.ProviderError {
	var de *sspm.Error
	msg := "the provider call failed; the server log has the details"
	if errors.As(err, &de) && de.Message != "" {
		msg = de.Message
	} else if errors.Is(err, context.DeadlineExceeded) {
		msg = "the provider did not answer in time"
	}
	return &api.ProviderError{Code: sspm.ErrorCode(err), Message: fmt.Sprintf("connector %s: the %s registration failed: %s", c.ID, c.Kind, msg), Err: err}
}

// PushRegistration returns a connector's stored push hook registration (sspm.CodeNotFound when none was
// attempted).
func (a *App) PushRegistration(ctx context.Context, connectorID string) (postgres.PushRegistration, error) {
	return a.DB.PushRegistration(ctx, connectorID)
}

// PushHook implements connector.Hooks: the hook URL of the connector's last successful registration and its
// webhook secret. It returns a sspm.CodeNotFound error when the connector's kind takes no push or no
// registration succeeded.
func (a *App) PushHook(ctx context.Context, c sspm.Connector) (hookURL, hookSecret string, err error) {
	kind, err := a.Registry.Lookup(c.Kind)
	if err != nil {
		return "", "", err
	}
	if kind.Push == nil {
		return "", "", sspm.Errorf(sspm.CodeNotFound, "connector %s takes no push deliveries", c.ID)
	}
	reg, err := a.DB.PushRegistration(ctx, c.ID)
	if err != nil {
		return "", "", err
	}
	if !reg.Registered() {
		return "", "", sspm.Errorf(sspm.CodeNotFound, "connector %s: no push hook is registered (the last attempt failed: %s)", c.ID, reg.LastError)
	}
	if hookSecret, err = a.WebhookSecret(ctx, c.ID); err != nil {
		return "", "", err
	}
	return reg.HookURL, hookSecret, nil
}

var _ connector.Hooks = (*App)(nil)
