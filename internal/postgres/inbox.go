package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

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
	return db.WriteRefreshFor(ctx, connectorID, page, ChangeCause{})
}

// WriteRefreshFor is WriteRefresh with what caused the refresh (the stored event it follows and the provider's
// time of it), which the access changes it records name. The page's removals (sspm.Page: RevokedGrants,
// RemovedAccounts, ...) expire their live rows at once.
func (db *DB) WriteRefreshFor(ctx context.Context, connectorID string, page *sspm.Page, cause ChangeCause) error {
	return db.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.MarkHistoryBaseline(ctx, connectorID); err != nil {
			return fmt.Errorf("history baseline: %w", err)
		}
		if cause != (ChangeCause{}) {
			if err := setChangeCause(ctx, q, cause); err != nil {
				return err
			}
		}
		if err := upsertPage(ctx, q, connectorID, PushRun, page, map[string]int64{}); err != nil {
			return err
		}
		_, err := expireRemoved(ctx, q, connectorID, page)
		return err
	})
}

// StoreDeliveries stores a batch of handled push deliveries in one transaction: every delivery's events (each
// stored once per provider event id) and the inbox record of every delivery. Copies of one delivery (a connector
// and provider delivery id) in the batch are recorded once, as the last copy, with an attempt for each copy. It
// returns how many events were new per connector.
func (db *DB) StoreDeliveries(ctx context.Context, outcomes []sspm.DeliveryOutcome) (map[string]int64, error) {
	outcomes, copies := dedupeDeliveries(outcomes)
	stored := map[string]int64{}
	byConnector := map[string][]sspm.Event{}
	var order []string
	n := len(outcomes)
	p := sqlgen.RecordDeliveriesParams{
		ConnectorIds: make([]string, n), DeliveryIds: make([]string, n), Kinds: make([]string, n),
		Bodies: make([][]byte, n), Statuses: make([]string, n), Errors: make([]string, n),
		ReceivedAts: make([]pgtype.Timestamptz, n), Attempts: copies,
	}
	for i, o := range outcomes {
		d := o.Delivery
		if _, ok := byConnector[d.ConnectorID]; !ok {
			order = append(order, d.ConnectorID)
		}
		byConnector[d.ConnectorID] = append(byConnector[d.ConnectorID], o.Events...)
		status := "processed"
		if o.Failure != "" {
			status = "failed"
		}
		p.ConnectorIds[i], p.DeliveryIds[i], p.Kinds[i], p.Bodies[i] = d.ConnectorID, d.DeliveryID, string(d.Kind), d.Body
		p.Statuses[i], p.Errors[i], p.ReceivedAts[i] = status, o.Failure, ts(d.ReceivedAt)
	}
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		for _, id := range order {
			if len(byConnector[id]) == 0 {
				continue
			}
			n, err := insertEvents(ctx, q, id, byConnector[id])
			if err != nil {
				return err
			}
			stored[id] += n
		}
		if n > 0 {
			if _, err := q.RecordDeliveries(ctx, p); err != nil {
				return fmt.Errorf("record deliveries: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store deliveries: %w", err)
	}
	return stored, nil
}

// dedupeDeliveries keeps one outcome per connector and provider delivery id, the last, in the order of the first,
// and counts the copies of each: one INSERT ... ON CONFLICT cannot touch the same inbox row twice, and the record
// says how often the delivery came. Deliveries without an id are all kept.
func dedupeDeliveries(outcomes []sspm.DeliveryOutcome) ([]sspm.DeliveryOutcome, []int32) {
	type key struct{ connector, delivery string }
	at := make(map[key]int, len(outcomes))
	out := make([]sspm.DeliveryOutcome, 0, len(outcomes))
	copies := make([]int32, 0, len(outcomes))
	for _, o := range outcomes {
		if o.Delivery.DeliveryID == "" {
			out, copies = append(out, o), append(copies, 1)
			continue
		}
		k := key{o.Delivery.ConnectorID, o.Delivery.DeliveryID}
		if i, ok := at[k]; ok {
			out[i] = o
			copies[i]++
			continue
		}
		at[k] = len(out)
		out, copies = append(out, o), append(copies, 1)
	}
	return out, copies
}
