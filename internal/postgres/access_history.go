package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Access history is recorded by triggers on the inventory tables (migration 00160), in the transaction of each
// write: this file reads it, sets the change context writers give it, and prunes it.

// MaxChangePage is the most changes one page returns.
const MaxChangePage = 1000

// ChangeCause says what observed a transaction's changes, for the change rows its writes record: the run (a
// sweep's changes are its run's even though the rows keep their last seen run), the stored event a push-assisted
// refresh follows, and the provider's time of the change.
type ChangeCause struct {
	RunID      int64
	EventID    int64
	ProviderAt time.Time
}

// setChangeCause sets the transaction's change context (transaction-local settings the triggers read).
func setChangeCause(ctx context.Context, q *sqlgen.Queries, c ChangeCause) error {
	p := sqlgen.SetChangeContextParams{}
	if c.RunID != 0 {
		p.RunID = strconv.FormatInt(c.RunID, 10)
	}
	if c.EventID != 0 {
		p.EventID = strconv.FormatInt(c.EventID, 10)
	}
	if !c.ProviderAt.IsZero() {
		p.ProviderAt = c.ProviderAt.UTC().Format(time.RFC3339Nano)
	}
	if err := q.SetChangeContext(ctx, p); err != nil {
		return fmt.Errorf("set change context: %w", err)
	}
	return nil
}

// AccessChanges returns a page of recorded access changes matching f, newest first. The next page is the one
// before the last change returned (f.BeforeAt, f.BeforeID).
func (db *DB) AccessChanges(ctx context.Context, f sspm.ChangeFilter) ([]sspm.AccessChange, error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxChangePage {
		limit = MaxChangePage
	}
	p := sqlgen.ListAccessChangesParams{
		ConnectorID: f.ConnectorID, Target: f.Target, Principal: f.Principal, Changes: nonNil(f.Changes),
		Entities: nonNil(f.Entities), PrivilegedOnly: f.PrivilegedOnly, Ids: nonNilIDs(f.IDs), BeforeID: f.BeforeID, MaxRows: int32(limit),
	}
	if !f.Since.IsZero() {
		p.Since = ts(f.Since)
	}
	if !f.Until.IsZero() {
		p.Until = ts(f.Until)
	}
	if !f.BeforeAt.IsZero() {
		p.BeforeAt = ts(f.BeforeAt)
	}
	if f.AccountID != 0 {
		p.AccountID = pgtype.Int8{Int64: f.AccountID, Valid: true}
	}
	if f.IdentityID != 0 {
		p.IdentityID = pgtype.Int8{Int64: f.IdentityID, Valid: true}
	}
	rows, err := db.q.ListAccessChanges(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list access changes: %w", err)
	}
	out := make([]sspm.AccessChange, 0, len(rows))
	for _, r := range rows {
		out = append(out, sspm.AccessChange{
			ID: r.ID, ConnectorID: r.ConnectorID, Entity: sspm.ChangeEntity(r.Entity), Change: r.Change,
			ObservedAt: fromTS(r.ObservedAt), ProviderAt: fromTS(r.ProviderAt), RunID: r.RunID.Int64, EventID: r.EventID.Int64,
			PrincipalKind: sspm.MemberKind(r.PrincipalKind), PrincipalExternalID: r.PrincipalExternalID,
			AccountID: r.AccountID.Int64, TargetKind: r.TargetKind, TargetExternalID: r.TargetExternalID,
			Permission: r.Permission, Via: r.Via, ViaExternalID: r.ViaExternalID, OldValue: r.OldValue,
			NewValue: r.NewValue, LinkIdentityID: r.LinkIdentityID.Int64, Privileged: r.Privileged,
			AccountDisplay: r.AccountDisplay, AccountEmail: r.AccountEmail, IdentityID: r.IdentityID.Int64,
			TargetName: r.TargetName, PrincipalName: r.PrincipalGroupName, ViaName: r.ViaName,
		})
	}
	return out, nil
}

// PrivilegedChangesSince counts the privileged access changes observed since a time.
func (db *DB) PrivilegedChangesSince(ctx context.Context, since time.Time) (int64, error) {
	n, err := db.q.CountPrivilegedChanges(ctx, ts(since))
	if err != nil {
		return 0, fmt.Errorf("count privileged changes: %w", err)
	}
	return n, nil
}

// pruneBatch is how many changes one prune statement deletes: short transactions that never hold a year's rows.
const pruneBatch = 10000

// PruneAccessChanges deletes the access changes observed before cutoff, in batches, and returns how many.
func (db *DB) PruneAccessChanges(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		n, err := db.q.PruneAccessChanges(ctx, sqlgen.PruneAccessChangesParams{Cutoff: ts(cutoff), MaxRows: pruneBatch})
		if err != nil {
			return total, fmt.Errorf("prune access changes before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
