package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// LinkResult reports a linking run.
type LinkResult struct {
	Created    int64 // identities created for emails no identity had
	Linked     int64 // accounts linked automatically
	Recomputed int64 // identities whose attributes or flags changed
}

// LinkAccounts links a connector's live, unlinked user accounts by email (case-insensitive) to identities,
// creating an identity for an email none has, preferring identities an authoritative source anchors; service and
// bot accounts are never linked automatically, and manual decisions are never overwritten. Then it recomputes
// every identity's attributes and flags (stale: no activity since staleBefore). One transaction, serialized
// against other linking runs.
func (db *DB) LinkAccounts(ctx context.Context, connectorID string, authoritative bool, staleBefore time.Time) (LinkResult, error) {
	var r LinkResult
	err := db.inTx(ctx, func(q *sqlgen.Queries) (err error) {
		if err = q.LockLinking(ctx); err != nil {
			return err
		}
		// Anchored flags must be current before choosing between identities.
		if _, err = q.RecomputeIdentities(ctx, sqlgen.RecomputeIdentitiesParams{StaleBefore: ts(staleBefore)}); err != nil {
			return err
		}
		if r.Created, err = q.CreateIdentitiesForEmails(ctx, connectorID); err != nil {
			return err
		}
		if r.Linked, err = q.LinkByEmail(ctx, sqlgen.LinkByEmailParams{ConnectorID: connectorID, Authoritative: authoritative}); err != nil {
			return err
		}
		if r.Recomputed, err = q.RecomputeIdentities(ctx, sqlgen.RecomputeIdentitiesParams{StaleBefore: ts(staleBefore)}); err != nil {
			return err
		}
		_, err = q.ClearOrphanIdentities(ctx, nil)
		return err
	})
	if err != nil {
		return LinkResult{}, fmt.Errorf("link accounts of %s: %w", connectorID, err)
	}
	return r, nil
}

// recomputeIdentities recomputes the attributes and flags of the given identities (after a manual link moved an
// account between them), as LinkAccounts does for all.
func recomputeIdentities(ctx context.Context, q *sqlgen.Queries, ids ...*int64) error {
	var list []int64
	for _, id := range ids {
		if id != nil {
			list = append(list, *id)
		}
	}
	if len(list) == 0 {
		return nil
	}
	if _, err := q.RecomputeIdentities(ctx, sqlgen.RecomputeIdentitiesParams{
		StaleBefore: ts(time.Now().Add(-sspm.StaleAfter)), Ids: list}); err != nil {
		return fmt.Errorf("recompute identities %v: %w", list, err)
	}
	if _, err := q.ClearOrphanIdentities(ctx, list); err != nil {
		return fmt.Errorf("clear orphan identities %v: %w", list, err)
	}
	return nil
}

// AccountLink is how an account is linked.
type AccountLink struct {
	IdentityID *int64 // nil: not linked (or deliberately unlinked, when Reason is manual)
	Reason     string // authoritative, auto_email, manual, or "" when no link row exists
	LinkedBy   string
}

// AccountLink returns how a connector's account is linked.
func (db *DB) AccountLink(ctx context.Context, connectorID, externalID string) (AccountLink, error) {
	row, err := db.q.AccountIdentity(ctx, sqlgen.AccountIdentityParams{ConnectorID: connectorID, ExternalID: externalID})
	if err != nil {
		return AccountLink{}, notFound(err, fmt.Sprintf("account %s/%s", connectorID, externalID))
	}
	return AccountLink{IdentityID: int64Ptr(row.IdentityID), Reason: row.Reason, LinkedBy: row.LinkedBy}, nil
}

// Identity is a person, service or bot behind accounts.
type Identity struct {
	ID           int64
	Kind         string
	PrimaryEmail string
	DisplayName  string
	Status       string
	LastSeenAt   time.Time
	Anchored     bool
	Privileged   bool
	MFA          *bool
	Stale        bool
	Leaver       bool
	Accounts     int
}

// Identity returns one identity.
func (db *DB) Identity(ctx context.Context, id int64) (Identity, error) {
	r, err := db.q.GetIdentity(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Identity{}, fmt.Errorf("identity %d: %w", id, sspm.ErrNotFound)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("identity %d: %w", id, err)
	}
	return Identity{ID: r.ID, Kind: r.Kind, PrimaryEmail: r.PrimaryEmail, DisplayName: r.DisplayName, Status: r.Status,
		LastSeenAt: fromTS(r.LastSeenAt), Anchored: r.Anchored, Privileged: r.Privileged, MFA: boolPtr(r.Mfa),
		Stale: r.Stale, Leaver: r.Leaver, Accounts: int(r.Accounts)}, nil
}

// NeedsAnchorAccount is an account no identity anchored by an authoritative source claims.
type NeedsAnchorAccount struct {
	ExternalID  string
	Kind        string
	Email       string
	DisplayName string
	IdentityID  *int64
	Reason      string
}

// NeedsAnchor lists a connector's live accounts that no authoritatively anchored identity claims.
func (db *DB) NeedsAnchor(ctx context.Context, connectorID string, limit int) ([]NeedsAnchorAccount, error) {
	rows, err := db.q.NeedsAnchor(ctx, sqlgen.NeedsAnchorParams{ConnectorID: connectorID, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("needs anchor of %s: %w", connectorID, err)
	}
	out := make([]NeedsAnchorAccount, len(rows))
	for i, r := range rows {
		out[i] = NeedsAnchorAccount{ExternalID: r.ExternalID, Kind: r.Kind, Email: r.Email, DisplayName: r.DisplayName, IdentityID: int64Ptr(r.IdentityID), Reason: r.Reason}
	}
	return out, nil
}

func nullInt8(p *int64) pgtype.Int8 {
	if p == nil {
		return pgtype.Int8{}
	}
	return pgtype.Int8{Int64: *p, Valid: true}
}

func int64Ptr(v pgtype.Int8) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}
