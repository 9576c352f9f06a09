package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// LinkResult reports a linking run.
type LinkResult struct {
	Created    int64 // identities created for emails no identity had
	Linked     int64 // accounts linked automatically
	Recomputed int64 // identities whose attributes or flags changed
}

// LinkAccounts links a connector's live, unlinked user accounts by email (case-insensitive), or by an alias when no
// identity has the primary email (Google Workspace), to identities,
// creating an identity for an email none has, preferring identities an authoritative source anchors; service and
// bot accounts are never linked automatically, and manual decisions are never overwritten. Then it recomputes
// every identity's attributes and flags with identity.Rollup (stale: no activity since staleBefore). One
// transaction, serialized against other linking runs.
func (db *DB) LinkAccounts(ctx context.Context, connectorID string, authoritative bool, staleBefore time.Time) (LinkResult, error) {
	var r LinkResult
	err := db.inTx(ctx, func(q *sqlgen.Queries) (err error) {
		if err = q.LockLinking(ctx); err != nil {
			return err
		}
		// Anchored flags (and emails) must be current before choosing between identities, when there is anything
		// to link: a steady run, where every account is linked already, reads the accounts once, not twice.
		linkable, err := q.HasLinkableAccounts(ctx, connectorID)
		if err != nil {
			return err
		}
		if linkable {
			if _, err = recompute(ctx, q, staleBefore, nil); err != nil {
				return err
			}
		}
		aliased, err := q.LinkByAlias(ctx, sqlgen.LinkByAliasParams{ConnectorID: connectorID, Authoritative: authoritative})
		if err != nil {
			return err
		}
		if r.Created, err = q.CreateIdentitiesForEmails(ctx, connectorID); err != nil {
			return err
		}
		if r.Linked, err = q.LinkByEmail(ctx, sqlgen.LinkByEmailParams{ConnectorID: connectorID, Authoritative: authoritative}); err != nil {
			return err
		}
		r.Linked += aliased
		if r.Recomputed, err = recompute(ctx, q, staleBefore, nil); err != nil {
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
	if _, err := recompute(ctx, q, time.Now().Add(-identity.StaleAfter), list); err != nil {
		return fmt.Errorf("recompute identities %v: %w", list, err)
	}
	if _, err := q.ClearOrphanIdentities(ctx, list); err != nil {
		return fmt.Errorf("clear orphan identities %v: %w", list, err)
	}
	return nil
}

// recompute derives the attributes and flags of every identity with live linked accounts (or of those in ids)
// with identity.Rollup over the accounts streamed by identity, and writes those that changed in one statement.
// It returns how many identities changed.
func recompute(ctx context.Context, q *sqlgen.Queries, staleBefore time.Time, ids []int64) (int64, error) {
	rows, err := q.IdentityAccounts(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("read linked accounts: %w", err)
	}
	var p sqlgen.SetIdentityAttributesParams
	var accounts []identity.Account
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && rows[end].IdentityID == rows[start].IdentityID {
			end++
		}
		accounts = accounts[:0]
		for _, r := range rows[start:end] {
			accounts = append(accounts, identity.Account{ID: r.ID, ConnectorID: r.ConnectorID, Authoritative: r.Authoritative,
				Active: r.Active, IsAdmin: r.IsAdmin, MFAEnrolled: boolPtr(r.MfaEnrolled), LastLoginAt: fromTS(r.LastLoginAt),
				DisplayName: r.DisplayName, Email: r.Email, Status: r.Status})
		}
		r := rows[start]
		current := identity.Attributes{DisplayName: r.IdentityDisplayName, PrimaryEmail: r.IdentityEmail, Status: r.IdentityStatus,
			LastSeenAt: fromTS(r.IdentityLastSeenAt), Flags: identity.Flags{Anchored: r.Anchored, Privileged: r.Privileged,
				MFA: boolPtr(r.Mfa), Stale: r.Stale, Leaver: r.Leaver}, Accounts: int(r.Accounts), Connectors: r.Connectors}
		if next := identity.Rollup(current, accounts, staleBefore); !next.Equal(current) {
			appendAttributes(&p, r.IdentityID, next)
		}
		start = end
	}
	if len(p.Ids) == 0 {
		return 0, nil
	}
	n, err := q.SetIdentityAttributes(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("write identity attributes: %w", err)
	}
	return n, nil
}

func appendAttributes(p *sqlgen.SetIdentityAttributesParams, id int64, a identity.Attributes) {
	mfa := ""
	if a.MFA != nil {
		mfa = strconv.FormatBool(*a.MFA)
	}
	p.Ids, p.DisplayNames, p.PrimaryEmails = append(p.Ids, id), append(p.DisplayNames, a.DisplayName), append(p.PrimaryEmails, a.PrimaryEmail)
	p.Statuses, p.LastSeenAts = append(p.Statuses, a.Status), append(p.LastSeenAts, ts(a.LastSeenAt))
	p.Anchored, p.Privileged, p.Mfa = append(p.Anchored, a.Anchored), append(p.Privileged, a.Privileged), append(p.Mfa, mfa)
	p.Stale, p.Leaver, p.Accounts = append(p.Stale, a.Stale), append(p.Leaver, a.Leaver), append(p.Accounts, int32(a.Accounts))
	p.Connectors = append(p.Connectors, strings.Join(a.Connectors, ",")) // connector ids have no commas
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
