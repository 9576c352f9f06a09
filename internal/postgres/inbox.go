package postgres

import (
	"context"
	"fmt"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// RecordDelivery stores a push delivery for audit and replay (once per provider delivery id) and returns its
// row id and whether it was already processed.
func (db *DB) RecordDelivery(ctx context.Context, d sspm.Delivery) (id int64, processed bool, err error) {
	row, err := db.q.RecordDelivery(ctx, sqlgen.RecordDeliveryParams{
		ConnectorID: d.ConnectorID, DeliveryID: d.DeliveryID, Kind: string(d.Kind), Body: d.Body, ReceivedAt: ts(d.ReceivedAt),
	})
	if err != nil {
		return 0, false, fmt.Errorf("record delivery for %s: %w", d.ConnectorID, err)
	}
	return row.ID, row.Status == "processed", nil
}

// FinishDelivery records how processing a delivery ended: processed, or failed with the error.
func (db *DB) FinishDelivery(ctx context.Context, id int64, status, errText string) error {
	if err := db.q.FinishDelivery(ctx, sqlgen.FinishDeliveryParams{ID: id, Status: status, Error: errText}); err != nil {
		return fmt.Errorf("finish delivery %d: %w", id, err)
	}
	return nil
}

// InboxCounts counts a connector's deliveries by status.
func (db *DB) InboxCounts(ctx context.Context, connectorID string) (processed, failed, received int64, err error) {
	r, err := db.q.InboxCounts(ctx, connectorID)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("inbox counts of %s: %w", connectorID, err)
	}
	return r.Processed, r.Failed, r.Received, nil
}

// SetWebhookSecret stores a connector's sealed webhook secret.
func (db *DB) SetWebhookSecret(ctx context.Context, id string, sealed []byte) error {
	n, err := db.q.SetWebhookSecret(ctx, sqlgen.SetWebhookSecretParams{ID: id, WebhookSecret: sealed})
	if err != nil {
		return fmt.Errorf("set webhook secret of %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("set webhook secret of %s: %w", id, sspm.ErrNotFound)
	}
	return nil
}

// WebhookSecret returns a connector's sealed webhook secret, or nil when none is set.
func (db *DB) WebhookSecret(ctx context.Context, id string) ([]byte, error) {
	row, err := db.q.GetConnector(ctx, id)
	if err != nil {
		return nil, notFound(err, "webhook secret of "+id)
	}
	return row.WebhookSecret, nil
}

// PushRun is the run marker of rows written by push-assisted refreshes outside a sync run. A full run's sweep
// keeps such rows when they were written after it started, and expires them like any other row otherwise.
const PushRun = 0

// WriteRefresh upserts rows read by a push-assisted refresh, outside any sync run.
func (db *DB) WriteRefresh(ctx context.Context, connectorID string, page *sspm.Page) error {
	return db.inTx(ctx, func(q *sqlgen.Queries) error {
		return upsertPage(ctx, q, connectorID, PushRun, page, map[string]int64{})
	})
}
