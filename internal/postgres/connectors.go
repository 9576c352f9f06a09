package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// NewConnector is a connector to create with its sealed secrets.
type NewConnector struct {
	sspm.Connector
	Secret        []byte // sealed provider credential; nil for none
	SecretKeyID   string
	WebhookSecret []byte // sealed push secret; nil for kinds without push
}

// CreateConnector inserts a connector with its sealed secret (nil for none). The id must be new.
func (db *DB) CreateConnector(ctx context.Context, c sspm.Connector, sealed []byte, keyID string) (sspm.Connector, error) {
	return db.CreateConnectorWithSecrets(ctx, NewConnector{Connector: c, Secret: sealed, SecretKeyID: keyID})
}

// CreateConnectorWithSecrets inserts a connector and its sealed secrets in one statement.
func (db *DB) CreateConnectorWithSecrets(ctx context.Context, n NewConnector) (sspm.Connector, error) {
	c := n.Connector
	intervals, err := encodeIntervals(c.Intervals)
	if err != nil {
		return sspm.Connector{}, err
	}
	row, err := db.q.InsertConnector(ctx, sqlgen.InsertConnectorParams{
		ID: c.ID, Kind: string(c.Kind), Name: c.Name, Enabled: c.Enabled, DiscoveryEnabled: c.DiscoveryEnabled,
		Authoritative: c.Authoritative, Config: configOrEmpty(c.Config), Intervals: intervals,
		Secret: n.Secret, SecretKeyID: n.SecretKeyID, WebhookSecret: n.WebhookSecret,
	})
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return sspm.Connector{}, sspm.Errorf(sspm.CodeConflict, "connector %q already exists", c.ID)
		}
		return sspm.Connector{}, fmt.Errorf("create connector %s: %w", c.ID, err)
	}
	return connectorFromRow(row)
}

// UpdateConnector replaces a connector's settings (not its secret).
func (db *DB) UpdateConnector(ctx context.Context, c sspm.Connector) (sspm.Connector, error) {
	intervals, err := encodeIntervals(c.Intervals)
	if err != nil {
		return sspm.Connector{}, err
	}
	row, err := db.q.UpdateConnector(ctx, sqlgen.UpdateConnectorParams{
		ID: c.ID, Name: c.Name, Enabled: c.Enabled, DiscoveryEnabled: c.DiscoveryEnabled,
		Authoritative: c.Authoritative, Config: configOrEmpty(c.Config), Intervals: intervals,
	})
	if err != nil {
		return sspm.Connector{}, notFound(err, "update connector "+c.ID)
	}
	return connectorFromRow(row)
}

// Connector returns one connector.
func (db *DB) Connector(ctx context.Context, id string) (sspm.Connector, error) {
	row, err := db.q.GetConnector(ctx, id)
	if err != nil {
		return sspm.Connector{}, notFound(err, "connector "+id)
	}
	return connectorFromRow(row)
}

// Connectors lists every connector.
func (db *DB) Connectors(ctx context.Context) ([]sspm.Connector, error) {
	rows, err := db.q.ListConnectors(ctx)
	if err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	out := make([]sspm.Connector, 0, len(rows))
	for _, r := range rows {
		c, err := connectorFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// DeleteConnector deletes a connector and everything synced from it.
func (db *DB) DeleteConnector(ctx context.Context, id string) error {
	return db.inTx(ctx, func(q *sqlgen.Queries) error {
		n, err := q.DeleteConnector(ctx, id)
		if err != nil {
			return fmt.Errorf("delete connector %s: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("delete connector %s: %w", id, sspm.ErrNotFound)
		}
		if err := q.DeleteConnectorEventTargets(ctx, id); err != nil {
			return fmt.Errorf("delete connector %s: events: %w", id, err)
		}
		if err := q.DeleteConnectorInventory(ctx, id); err != nil {
			return fmt.Errorf("delete connector %s: inventory: %w", id, err)
		}
		if err := q.DeleteConnectorAccessChanges(ctx, id); err != nil {
			return fmt.Errorf("delete connector %s: access history: %w", id, err)
		}
		return nil
	})
}

// SetConnectorSecret stores a connector's sealed secret (envelope ciphertext).
func (db *DB) SetConnectorSecret(ctx context.Context, id string, sealed []byte, keyID string) error {
	n, err := db.q.SetConnectorSecret(ctx, sqlgen.SetConnectorSecretParams{ID: id, Secret: sealed, SecretKeyID: keyID})
	if err != nil {
		return fmt.Errorf("set connector secret %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("set connector secret %s: %w", id, sspm.ErrNotFound)
	}
	return nil
}

// ConnectorSecret returns a connector's sealed secret, or nil when none is set.
func (db *DB) ConnectorSecret(ctx context.Context, id string) ([]byte, error) {
	row, err := db.q.GetConnector(ctx, id)
	if err != nil {
		return nil, notFound(err, "connector secret "+id)
	}
	return row.Secret, nil
}

// RewrapConnectorSecrets calls rewrap for every stored secret and replaces the ciphertext, keeping
// secret_updated_at (the secret itself did not change). It returns how many secrets were re-wrapped.
func (db *DB) RewrapConnectorSecrets(ctx context.Context, rewrap func(ctx context.Context, connectorID string, sealed []byte) ([]byte, string, error)) (int, error) {
	rows, err := db.q.ListConnectors(ctx)
	if err != nil {
		return 0, fmt.Errorf("rewrap secrets: %w", err)
	}
	n := 0
	for _, r := range rows {
		if len(r.Secret) == 0 {
			continue
		}
		next, keyID, err := rewrap(ctx, r.ID, r.Secret)
		if err != nil {
			return n, fmt.Errorf("rewrap secret of %s: %w", r.ID, err)
		}
		changed, err := db.q.RewrapConnectorSecret(ctx, sqlgen.RewrapConnectorSecretParams{
			ID: r.ID, Secret: next, SecretKeyID: keyID, OldSecret: r.Secret,
		})
		if err != nil {
			return n, fmt.Errorf("rewrap secret of %s: %w", r.ID, err)
		}
		n += int(changed)
	}
	return n, nil
}

// RewrapWebhookSecrets calls rewrap for every stored webhook secret and replaces the ciphertext. It returns
// how many webhook secrets were re-wrapped.
func (db *DB) RewrapWebhookSecrets(ctx context.Context, rewrap func(ctx context.Context, connectorID string, sealed []byte) ([]byte, error)) (int, error) {
	rows, err := db.q.ListConnectors(ctx)
	if err != nil {
		return 0, fmt.Errorf("rewrap webhook secrets: %w", err)
	}
	n := 0
	for _, r := range rows {
		if len(r.WebhookSecret) == 0 {
			continue
		}
		next, err := rewrap(ctx, r.ID, r.WebhookSecret)
		if err != nil {
			return n, fmt.Errorf("rewrap webhook secret of %s: %w", r.ID, err)
		}
		changed, err := db.q.RewrapWebhookSecret(ctx, sqlgen.RewrapWebhookSecretParams{
			ID: r.ID, WebhookSecret: next, OldWebhookSecret: r.WebhookSecret,
		})
		if err != nil {
			return n, fmt.Errorf("rewrap webhook secret of %s: %w", r.ID, err)
		}
		n += int(changed)
	}
	return n, nil
}

func connectorFromRow(r sqlgen.Connector) (sspm.Connector, error) {
	c := sspm.Connector{
		ID: r.ID, Kind: sspm.Kind(r.Kind), Name: r.Name, Enabled: r.Enabled, DiscoveryEnabled: r.DiscoveryEnabled,
		Authoritative: r.Authoritative, Config: r.Config, HasSecret: len(r.Secret) > 0,
		SecretUpdatedAt: fromTS(r.SecretUpdatedAt), CreatedAt: fromTS(r.CreatedAt), UpdatedAt: fromTS(r.UpdatedAt),
	}
	var secs map[string]float64
	if len(r.Intervals) > 0 {
		if err := json.Unmarshal(r.Intervals, &secs); err != nil {
			return sspm.Connector{}, fmt.Errorf("connector %s: intervals: %w", r.ID, err)
		}
	}
	c.Intervals = make(map[sspm.Lane]time.Duration, len(secs))
	for lane, s := range secs {
		c.Intervals[sspm.Lane(lane)] = time.Duration(s * float64(time.Second))
	}
	return c, nil
}

func encodeIntervals(m map[sspm.Lane]time.Duration) ([]byte, error) {
	secs := make(map[string]float64, len(m))
	for lane, d := range m {
		if _, err := sspm.ParseLane(string(lane)); err != nil {
			return nil, err
		}
		if d < 0 {
			return nil, sspm.Errorf(sspm.CodeInvalid, "interval of lane %s is negative", lane)
		}
		secs[string(lane)] = d.Seconds()
	}
	return json.Marshal(secs)
}

func configOrEmpty(c json.RawMessage) json.RawMessage {
	if len(c) == 0 {
		return json.RawMessage(`{}`)
	}
	return c
}
