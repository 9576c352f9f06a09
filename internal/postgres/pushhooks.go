package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Push hook registrations (migration 00170): per connector, the hook URL last registered with the provider, the
// provider's ids of what was registered, and the last failed attempt. Nothing here is a secret: the webhook
// secret the deliveries carry stays sealed with the connector.

// PushRegistration is a connector's push hook registration.
type PushRegistration struct {
	ConnectorID string
	// HookURL is the URL the provider delivers to; "" when no registration succeeded yet.
	HookURL string
	// ProviderRef is the provider's id of what was registered (Okta's event hook id, Entra's subscription ids,
	// Google's channel ids), as the kind's Push.Register returned it.
	ProviderRef string
	// RegisteredAt is when the registration succeeded; zero when none did.
	RegisteredAt time.Time
	// LastError is the message of the last failed attempt since the last success (safe to show), with the URL it
	// tried and when; "" when the last attempt succeeded.
	LastError    string
	LastErrorURL string
	LastErrorAt  time.Time
}

// Registered reports whether a registration succeeded (it stays in force after later failed attempts).
func (r PushRegistration) Registered() bool { return r.HookURL != "" }

// PushRegistration returns a connector's push hook registration, or a sspm.CodeNotFound error when none was
// attempted.
func (db *DB) PushRegistration(ctx context.Context, connectorID string) (PushRegistration, error) {
	row, err := db.q.GetPushHook(ctx, connectorID)
	if err != nil {
		return PushRegistration{}, notFound(err, "push hook of connector "+connectorID)
	}
	return pushRegistrationFromRow(row), nil
}

// RecordPushRegistered stores a successful registration of hookURL (now, on the store's clock), replacing the
// previous one and clearing the last failure.
func (db *DB) RecordPushRegistered(ctx context.Context, connectorID, hookURL, providerRef string) (PushRegistration, error) {
	if hookURL == "" {
		return PushRegistration{}, sspm.Errorf(sspm.CodeInvalid, "push hook of connector %s: the hook URL is empty", connectorID)
	}
	row, err := db.q.PutPushHookRegistered(ctx, sqlgen.PutPushHookRegisteredParams{ConnectorID: connectorID, HookUrl: hookURL,
		ProviderRef: providerRef, ClockNow: db.clock()})
	if err != nil {
		return PushRegistration{}, pushHookError(err, connectorID)
	}
	return pushRegistrationFromRow(row), nil
}

// RecordPushFailed stores a failed attempt to register hookURL with its message (safe to show; never a secret).
// The last successful registration, if any, is kept: it is what the provider may still deliver to.
func (db *DB) RecordPushFailed(ctx context.Context, connectorID, hookURL, message string) (PushRegistration, error) {
	if message == "" {
		message = "the registration failed"
	}
	row, err := db.q.PutPushHookFailed(ctx, sqlgen.PutPushHookFailedParams{ConnectorID: connectorID, LastError: message,
		LastErrorUrl: hookURL, ClockNow: db.clock()})
	if err != nil {
		return PushRegistration{}, pushHookError(err, connectorID)
	}
	return pushRegistrationFromRow(row), nil
}

func pushHookError(err error, connectorID string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation: no such connector
		return fmt.Errorf("connector %s: %w", connectorID, sspm.ErrNotFound)
	}
	return fmt.Errorf("push hook of connector %s: %w", connectorID, err)
}

func pushRegistrationFromRow(r sqlgen.PushHook) PushRegistration {
	return PushRegistration{ConnectorID: r.ConnectorID, HookURL: r.HookUrl, ProviderRef: r.ProviderRef,
		RegisteredAt: fromTS(r.RegisteredAt), LastError: r.LastError, LastErrorURL: r.LastErrorUrl, LastErrorAt: fromTS(r.LastErrorAt)}
}
