package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The alert outbox (table alert_outbox): one row per finding alert and destination, delivered by
// alert.Deliverer (DB is its store).

// AlertRouter turns finding state changes into outbox entries (alert.Outbox.Entries).
type AlertRouter func([]sspm.FindingTransition) []sspm.AlertEntry

// SetAlertRouter makes every write that changes a finding's state (observing findings, syncing identity
// findings, saving event findings, reopening expired decisions) enqueue the change's alerts in the same
// transaction, so no crash can keep one without the other. Set it before the store is used; nil turns it off.
func (db *DB) SetAlertRouter(r AlertRouter) { db.alerts = r }

// enqueueTransitions enqueues the alerts of state changes within a write's transaction.
func (db *DB) enqueueTransitions(ctx context.Context, q *sqlgen.Queries, ts []sspm.FindingTransition) error {
	if db.alerts == nil || len(ts) == 0 {
		return nil
	}
	_, err := db.enqueueAlerts(ctx, q, db.alerts(ts))
	return err
}

// EnqueueAlerts inserts the entries as pending rows in one statement; an alert already enqueued for a
// destination is left alone. It returns how many rows are new.
func (db *DB) EnqueueAlerts(ctx context.Context, entries []sspm.AlertEntry) (int64, error) {
	return db.enqueueAlerts(ctx, db.q, entries)
}

func (db *DB) enqueueAlerts(ctx context.Context, q *sqlgen.Queries, entries []sspm.AlertEntry) (int64, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	p := sqlgen.EnqueueAlertsParams{
		Destinations: make([]string, len(entries)), AlertIds: make([]string, len(entries)),
		Severities: make([]string, len(entries)), Payloads: make([]string, len(entries)), ClockNow: db.clock(),
	}
	for i, e := range entries {
		payload, err := json.Marshal(e.Alert)
		if err != nil {
			return 0, fmt.Errorf("alert outbox: encode alert %s: %w", e.Alert.ID, err)
		}
		p.Destinations[i], p.AlertIds[i], p.Severities[i], p.Payloads[i] = e.Destination, e.Alert.ID, e.Alert.Severity, string(payload)
	}
	n, err := q.EnqueueAlerts(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("alert outbox: enqueue: %w", err)
	}
	return n, nil
}

// ExpireAlerts marks dead the due rows of destinations whose last attempt never finished.
func (db *DB) ExpireAlerts(ctx context.Context, destinations []string, maxAttempts int) (int64, error) {
	n, err := db.q.ExpireAlerts(ctx, sqlgen.ExpireAlertsParams{Destinations: destinations, MaxAttempts: int32(maxAttempts), ClockNow: db.clock()})
	if err != nil {
		return 0, fmt.Errorf("alert outbox: expire: %w", err)
	}
	return n, nil
}

// ClaimAlerts leases due rows (SKIP LOCKED), counting an attempt each.
func (db *DB) ClaimAlerts(ctx context.Context, c sspm.AlertClaim) ([]sspm.AlertDelivery, error) {
	rows, err := db.q.ClaimAlerts(ctx, sqlgen.ClaimAlertsParams{
		Destinations: c.Destinations, MaxRows: int32(c.Limit), LeaseSeconds: c.Lease.Seconds(), MaxAttempts: int32(c.MaxAttempts),
		ClockNow: db.clock(),
	})
	if err != nil {
		return nil, fmt.Errorf("alert outbox: claim: %w", err)
	}
	out := make([]sspm.AlertDelivery, 0, len(rows))
	for _, r := range rows {
		d := sspm.AlertDelivery{ID: r.ID, Destination: r.Destination, Claim: r.Claim, Attempts: int(r.Attempts)}
		if err := json.Unmarshal(r.Payload, &d.Alert); err != nil {
			// Unreadable (cannot happen with rows EnqueueAlerts wrote): dead, and go on with the others.
			_ = db.AlertFailed(ctx, r.ID, r.Claim, 0, true, "unreadable payload: "+err.Error())
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// AlertDelivered marks a claimed row delivered.
func (db *DB) AlertDelivered(ctx context.Context, id int64, claim string) error {
	n, err := db.q.MarkAlertDelivered(ctx, sqlgen.MarkAlertDeliveredParams{ID: id, Claim: claim, ClockNow: db.clock()})
	return claimResult(n, err, "delivered", id)
}

// AlertFailed records a failed attempt of a claimed row: pending again after retryIn, or dead.
func (db *DB) AlertFailed(ctx context.Context, id int64, claim string, retryIn time.Duration, dead bool, lastError string) error {
	n, err := db.q.MarkAlertFailed(ctx, sqlgen.MarkAlertFailedParams{
		ID: id, Claim: claim, RetrySeconds: retryIn.Seconds(), Dead: dead, LastError: truncateError(lastError),
		ClockNow: db.clock(),
	})
	return claimResult(n, err, "failed", id)
}

// ReleaseAlert gives a claimed row back, due now, without counting its attempt.
func (db *DB) ReleaseAlert(ctx context.Context, id int64, claim string) error {
	n, err := db.q.ReleaseAlert(ctx, sqlgen.ReleaseAlertParams{ID: id, Claim: claim, ClockNow: db.clock()})
	return claimResult(n, err, "release", id)
}

// PruneAlerts deletes delivered and dead rows last changed before before.
func (db *DB) PruneAlerts(ctx context.Context, before time.Time) (int64, error) {
	n, err := db.q.PruneAlerts(ctx, ts(before))
	if err != nil {
		return 0, fmt.Errorf("alert outbox: prune: %w", err)
	}
	return n, nil
}

// AlertOutboxCount is the number of rows of a destination in a state (pending, delivered, dead).
type AlertOutboxCount struct {
	Destination string
	State       string
	Rows        int64
}

// AlertOutboxCounts counts the outbox's rows by destination and state.
func (db *DB) AlertOutboxCounts(ctx context.Context) ([]AlertOutboxCount, error) {
	rows, err := db.q.AlertOutboxCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("alert outbox: counts: %w", err)
	}
	out := make([]AlertOutboxCount, len(rows))
	for i, r := range rows {
		out[i] = AlertOutboxCount{Destination: r.Destination, State: r.State, Rows: r.N}
	}
	return out, nil
}

func claimResult(n int64, err error, what string, id int64) error {
	if err != nil {
		return fmt.Errorf("alert outbox: %s %d: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("alert outbox: %s %d: %w", what, id, sspm.ErrAlertClaimLost)
	}
	return nil
}

// truncateError keeps a stored error short.
func truncateError(s string) string {
	const max = 1000
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "")
}
