package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// CreateConnectorAudited inserts a connector with its sealed secrets and its audit row in one transaction.
func (db *DB) CreateConnectorAudited(ctx context.Context, n NewConnector, actor string) (sspm.Connector, error) {
	intervals, err := encodeIntervals(n.Intervals)
	if err != nil {
		return sspm.Connector{}, err
	}
	var out sspm.Connector
	err = db.inTx(ctx, func(q *sqlgen.Queries) error {
		row, err := q.InsertConnector(ctx, sqlgen.InsertConnectorParams{
			ID: n.ID, Kind: string(n.Kind), Name: n.Name, Enabled: n.Enabled, DiscoveryEnabled: n.DiscoveryEnabled,
			Authoritative: n.Authoritative, Config: configOrEmpty(n.Config), Intervals: intervals,
			Secret: n.Secret, SecretKeyID: n.SecretKeyID, WebhookSecret: n.WebhookSecret,
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return sspm.Errorf(sspm.CodeConflict, "connector %q already exists", n.ID)
		}
		if errors.As(err, &pgErr) && pgErr.Code == "23514" {
			return sspm.Errorf(sspm.CodeInvalid, "connector id %q is not valid", n.ID)
		}
		if err != nil {
			return err
		}
		if out, err = connectorFromRow(row); err != nil {
			return err
		}
		return insertAudit(ctx, q, Audit{Actor: actor, Action: "connector.create", TargetType: "connector", TargetID: n.ID,
			After: SnapshotConnector(out)})
	})
	if err != nil {
		return sspm.Connector{}, fmt.Errorf("create connector %s: %w", n.ID, err)
	}
	return out, nil
}

// UpdateConnectorAudited changes a connector's settings (not its secret) under a row lock: change gets the
// current connector and returns the new one (or an error, which writes nothing); the update and its audit row
// commit together.
func (db *DB) UpdateConnectorAudited(ctx context.Context, id, actor string, change func(sspm.Connector) (sspm.Connector, error)) (sspm.Connector, error) {
	return db.UpdateConnectorAndSecretAudited(ctx, id, actor, nil, "", change)
}

// UpdateConnectorAndSecretAudited is UpdateConnectorAudited that also replaces the sealed secret (when sealed
// is not empty) in the same transaction, with both audit rows: a change of the provider's host and the secret
// for the new host are stored together or not at all.
func (db *DB) UpdateConnectorAndSecretAudited(ctx context.Context, id, actor string, sealed []byte, keyID string, change func(sspm.Connector) (sspm.Connector, error)) (sspm.Connector, error) {
	var out sspm.Connector
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		before, err := lockConnector(ctx, q, id)
		if err != nil {
			return err
		}
		next, err := change(before)
		if err != nil {
			return err
		}
		intervals, err := encodeIntervals(next.Intervals)
		if err != nil {
			return err
		}
		row, err := q.UpdateConnector(ctx, sqlgen.UpdateConnectorParams{
			ID: id, Name: next.Name, Enabled: next.Enabled, DiscoveryEnabled: next.DiscoveryEnabled,
			Authoritative: next.Authoritative, Config: configOrEmpty(next.Config), Intervals: intervals,
		})
		if err != nil {
			return err
		}
		if out, err = connectorFromRow(row); err != nil {
			return err
		}
		if err := insertAudit(ctx, q, Audit{Actor: actor, Action: "connector.update", TargetType: "connector", TargetID: id,
			Before: SnapshotConnector(before), After: SnapshotConnector(out)}); err != nil {
			return err
		}
		if len(sealed) == 0 {
			return nil
		}
		if _, err := q.SetConnectorSecret(ctx, sqlgen.SetConnectorSecretParams{ID: id, Secret: sealed, SecretKeyID: keyID}); err != nil {
			return err
		}
		updated := out
		if row, err := q.GetConnector(ctx, id); err != nil {
			return err
		} else if out, err = connectorFromRow(row); err != nil {
			return err
		}
		return insertAudit(ctx, q, Audit{Actor: actor, Action: "connector.secret.set", TargetType: "connector", TargetID: id,
			Before: secretState(updated), After: secretState(out)})
	})
	if err != nil {
		return sspm.Connector{}, fmt.Errorf("update connector %s: %w", id, err)
	}
	return out, nil
}

// SetConnectorSecretAudited replaces a connector's sealed secret and records that it changed (not its value).
func (db *DB) SetConnectorSecretAudited(ctx context.Context, id string, sealed []byte, keyID, actor string) (sspm.Connector, error) {
	var out sspm.Connector
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		before, err := lockConnector(ctx, q, id)
		if err != nil {
			return err
		}
		if _, err := q.SetConnectorSecret(ctx, sqlgen.SetConnectorSecretParams{ID: id, Secret: sealed, SecretKeyID: keyID}); err != nil {
			return err
		}
		row, err := q.GetConnector(ctx, id)
		if err != nil {
			return err
		}
		if out, err = connectorFromRow(row); err != nil {
			return err
		}
		return insertAudit(ctx, q, Audit{Actor: actor, Action: "connector.secret.set", TargetType: "connector", TargetID: id,
			Before: secretState(before), After: secretState(out)})
	})
	if err != nil {
		return sspm.Connector{}, fmt.Errorf("set secret of connector %s: %w", id, err)
	}
	return out, nil
}

func secretState(c sspm.Connector) map[string]any {
	s := SnapshotConnector(c)
	return map[string]any{"has_secret": s.HasSecret, "secret_updated_at": s.SecretUpdatedAt}
}

// DeleteConnectorAudited deletes a connector and everything synced from it, with its audit row, in one
// transaction.
func (db *DB) DeleteConnectorAudited(ctx context.Context, id, actor string) error {
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		before, err := lockConnector(ctx, q, id)
		if err != nil {
			return err
		}
		if err := q.DeleteConnectorEventTargets(ctx, id); err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if err := q.DeleteConnectorInventory(ctx, id); err != nil {
			return fmt.Errorf("inventory: %w", err)
		}
		if _, err := q.DeleteConnector(ctx, id); err != nil {
			return err
		}
		return insertAudit(ctx, q, Audit{Actor: actor, Action: "connector.delete", TargetType: "connector", TargetID: id,
			Before: SnapshotConnector(before)})
	})
	if err != nil {
		return fmt.Errorf("delete connector %s: %w", id, err)
	}
	return nil
}

func lockConnector(ctx context.Context, q *sqlgen.Queries, id string) (sspm.Connector, error) {
	row, err := q.APIGetConnectorForUpdate(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return sspm.Connector{}, sspm.Errorf(sspm.CodeNotFound, "connector %s not found", id)
	}
	if err != nil {
		return sspm.Connector{}, err
	}
	return connectorFromRow(row)
}
