package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// IdentityFilter narrows the identities list; nil flags do not filter.
type IdentityFilter struct {
	Search      string // in the primary email and display name
	Kind        string // person, service, bot
	ConnectorID string // linked to a live account of this connector
	Anchored    *bool  // managed: linked to a live account of an authoritative source
	Privileged  *bool
	Stale       *bool
	Leaver      *bool
	MFA         *bool
}

// identitySorts maps the identities list's sort keys to ORDER BY clauses (names and emails regardless of case);
// the identities_list_* indexes serve
// every sort but the accounts count in either direction (the id breaks ties in the same direction).
var identitySorts = map[string]string{
	"":               "i.id",
	"id":             "i.id",
	"-id":            "i.id DESC",
	"display_name":   "lower(i.display_name), i.id",
	"-display_name":  "lower(i.display_name) DESC, i.id DESC",
	"primary_email":  "lower(i.primary_email), i.id",
	"-primary_email": "lower(i.primary_email) DESC, i.id DESC",
	"last_seen_at":   "i.last_seen_at ASC NULLS FIRST, i.id",
	"-last_seen_at":  "i.last_seen_at DESC NULLS LAST, i.id DESC",
	"accounts":       "i.accounts, i.id",
	"-accounts":      "i.accounts DESC, i.id DESC",
	"created_at":     "i.created_at, i.id",
	"-created_at":    "i.created_at DESC, i.id DESC",
}

// Identities lists identities (sort: display_name, primary_email, last_seen_at, accounts, created_at, id). The
// query is built from the filter so that each sort walks its index and stops at the page; the page and the
// count of matches go to the server in one round trip.
func (db *DB) Identities(ctx context.Context, f IdentityFilter, o ListOptions) (List[Identity], error) {
	o, err := o.check("display_name", "primary_email", "last_seen_at", "accounts", "created_at", "id")
	if err != nil {
		return List[Identity]{}, err
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if p := searchPattern(f.Search); p != "" {
		// search is the email and name, case folded when the row was written (migration 00008).
		where = append(where, "i.search LIKE lower("+arg(p)+")")
	}
	if f.Kind != "" {
		where = append(where, "i.kind = "+arg(f.Kind))
	}
	for _, flag := range []struct {
		col string
		v   *bool
	}{{"anchored", f.Anchored}, {"privileged", f.Privileged}, {"stale", f.Stale}, {"leaver", f.Leaver}, {"mfa", f.MFA}} {
		if flag.v != nil {
			where = append(where, fmt.Sprintf("i.%s = %s", flag.col, arg(*flag.v)))
		}
	}
	if f.ConnectorID != "" {
		where = append(where, "i.connectors @> ARRAY["+arg(f.ConnectorID)+"::text]")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	cols := `i.id, i.kind, i.primary_email, i.display_name, i.status, i.last_seen_at, i.anchored, i.privileged,
		i.mfa, i.stale, i.leaver, i.accounts`
	order := " ORDER BY " + identitySorts[o.Sort] + fmt.Sprintf(" LIMIT %d OFFSET %d", o.Limit, o.Offset)
	var out List[Identity]
	scan := func(rows pgx.Rows, total *int64) error {
		for rows.Next() {
			var r Identity
			var last pgtype.Timestamptz
			var mfa pgtype.Bool
			var accounts int32
			dest := []any{&r.ID, &r.Kind, &r.PrimaryEmail, &r.DisplayName, &r.Status, &last, &r.Anchored,
				&r.Privileged, &mfa, &r.Stale, &r.Leaver, &accounts}
			if total != nil {
				dest = append(dest, total)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			r.LastSeenAt, r.MFA, r.Accounts = fromTS(last), boolPtr(mfa), int(accounts)
			out.Items = append(out.Items, r)
		}
		return rows.Err()
	}
	b := &pgx.Batch{}
	if f.Search != "" {
		// A search reads the table once: its matches are counted and sorted from one scan. (Walking a sort
		// index and testing each row, as the planner would for a LIMIT, reads most of the table when the
		// matches sit late in that order.)
		b.Queue(`WITH m AS MATERIALIZED (SELECT * FROM identities i`+cond+`)
			SELECT `+cols+`, (SELECT count(*) FROM m) FROM m i`+order, args...).Query(func(rows pgx.Rows) error {
			return scan(rows, &out.Total)
		})
	} else {
		// Otherwise the page walks its sort index and stops; the count is a second statement in the same
		// round trip.
		b.Queue("SELECT "+cols+" FROM identities i"+cond+order, args...).Query(func(rows pgx.Rows) error {
			return scan(rows, nil)
		})
		b.Queue("SELECT count(*) FROM identities i"+cond, args...).QueryRow(func(row pgx.Row) error {
			return row.Scan(&out.Total)
		})
	}
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return List[Identity]{}, fmt.Errorf("list identities: %w", err)
	}
	if f.Search != "" && len(out.Items) == 0 && o.Offset > 0 { // past the last match: count them alone
		if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM identities i"+cond, args...).Scan(&out.Total); err != nil {
			return List[Identity]{}, fmt.Errorf("count identities: %w", err)
		}
	}
	if out.Items == nil {
		out.Items = []Identity{}
	}
	return out, nil
}

// LinkedAccount is an account linked to an identity, with its source.
type LinkedAccount struct {
	ID                                                     int64
	ConnectorID, ConnectorKind, ConnectorName              string
	Authoritative                                          bool
	ExternalID, Kind, Email, Username, DisplayName, Status string
	Active                                                 bool
	LastLoginAt                                            time.Time
	MFAEnrolled                                            *bool
	IsAdmin                                                bool
	FirstSeenAt, SeenAt, ExpiredAt                         time.Time
	LinkReason, LinkedBy                                   string
	LinkedAt                                               time.Time
}

// IdentityAccounts lists an identity's linked accounts in every source, live ones first.
func (db *DB) IdentityAccounts(ctx context.Context, identityID int64) ([]LinkedAccount, error) {
	rows, err := db.q.APIIdentityAccounts(ctx, pgtype.Int8{Int64: identityID, Valid: true})
	if err != nil {
		return nil, fmt.Errorf("accounts of identity %d: %w", identityID, err)
	}
	out := make([]LinkedAccount, len(rows))
	for i, r := range rows {
		out[i] = LinkedAccount{ID: r.ID, ConnectorID: r.ConnectorID, ConnectorKind: r.ConnectorKind, ConnectorName: r.ConnectorName,
			Authoritative: r.Authoritative, ExternalID: r.ExternalID, Kind: r.Kind, Email: r.Email, Username: r.Username,
			DisplayName: r.DisplayName, Status: r.Status, Active: r.Active, LastLoginAt: fromTS(r.LastLoginAt),
			MFAEnrolled: boolPtr(r.MfaEnrolled), IsAdmin: r.IsAdmin, FirstSeenAt: fromTS(r.FirstSeenAt), SeenAt: fromTS(r.SeenAt),
			ExpiredAt: fromTS(r.ExpiredAt), LinkReason: r.Reason, LinkedBy: r.LinkedBy, LinkedAt: fromTS(r.LinkedAt)}
	}
	return out, nil
}

// AccountGroup is a group an account belongs to; ViaGroup names the nested group it belongs through ("" when
// direct).
type AccountGroup struct {
	AccountID                                                    int64
	ConnectorID, GroupExternalID, GroupName, GroupKind, ViaGroup string
}

// AccountGroups lists the live groups accounts belong to, directly or through nested groups.
func (db *DB) AccountGroups(ctx context.Context, accountIDs []int64) ([]AccountGroup, error) {
	rows, err := db.q.APIAccountGroups(ctx, nonNilIDs(accountIDs))
	if err != nil {
		return nil, fmt.Errorf("groups of accounts: %w", err)
	}
	out := make([]AccountGroup, len(rows))
	for i, r := range rows {
		out[i] = AccountGroup{AccountID: r.AccountID, ConnectorID: r.ConnectorID, GroupExternalID: r.GroupExternalID,
			GroupName: r.GroupName, GroupKind: r.GroupKind, ViaGroup: r.ViaGroup}
	}
	return out, nil
}

// AccountGrant is something an account can access: a grant to the account itself (PrincipalKind account) or to
// a group it belongs to.
type AccountGrant struct {
	AccountID                                                  int64
	ConnectorID, ResourceExternalID                            string
	ResourceID                                                 int64 // 0 when the resource is not in the inventory
	ResourceName, ResourceKind, Permission, Via, ViaExternalID string
	PrincipalKind, PrincipalExternalID, PrincipalName          string
}

// AccountGrants lists the live grants accounts hold, directly or through their groups.
func (db *DB) AccountGrants(ctx context.Context, accountIDs []int64) ([]AccountGrant, error) {
	rows, err := db.q.APIAccountGrants(ctx, nonNilIDs(accountIDs))
	if err != nil {
		return nil, fmt.Errorf("grants of accounts: %w", err)
	}
	out := make([]AccountGrant, len(rows))
	for i, r := range rows {
		out[i] = AccountGrant{AccountID: r.AccountID, ConnectorID: r.ConnectorID, ResourceExternalID: r.ResourceExternalID,
			ResourceID: r.ResourceID, ResourceName: r.ResourceName, ResourceKind: r.ResourceKind, Permission: r.Permission,
			Via: r.Via, ViaExternalID: r.ViaExternalID, PrincipalKind: r.PrincipalKind,
			PrincipalExternalID: r.PrincipalExternalID, PrincipalName: r.PrincipalName}
	}
	return out, nil
}

// IdentityEvents lists an identity's newest events: what its accounts did and what touched them.
func (db *DB) IdentityEvents(ctx context.Context, identityID int64, limit int) ([]EventSummary, error) {
	rows, err := db.q.APIIdentityEvents(ctx, sqlgen.APIIdentityEventsParams{IdentityID: pgtype.Int8{Int64: identityID, Valid: true}, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("events of identity %d: %w", identityID, err)
	}
	out := make([]EventSummary, len(rows))
	for i, r := range rows {
		out[i] = EventSummary{ID: r.ID, ConnectorID: r.ConnectorID, ProviderEventID: r.ProviderEventID, Type: r.Type,
			Category: r.Category, ActorExternalID: r.ActorExternalID, ActorDisplay: r.ActorDisplay, Outcome: r.Outcome,
			OccurredAt: fromTS(r.OccurredAt), ReceivedAt: fromTS(r.ReceivedAt), Source: r.Source}
	}
	return out, nil
}

// AccountFilter narrows a connector's accounts; nil flags do not filter.
type AccountFilter struct {
	Search         string // in email, display name, username and external id
	Kind           string
	Active         *bool
	Admin          *bool
	MFA            *bool
	Linked         *bool // linked to an identity
	NeedsAnchor    bool  // only accounts no anchored identity claims
	IncludeExpired bool
}

// AccountRow is an account of a connector with its link.
type AccountRow struct {
	ID                                                                  int64
	ConnectorID, ExternalID, Kind, Email, Username, DisplayName, Status string
	Active                                                              bool
	LastLoginAt                                                         time.Time
	MFAEnrolled                                                         *bool
	IsAdmin                                                             bool
	FirstSeenAt, SeenAt, ExpiredAt                                      time.Time
	IdentityID                                                          *int64
	LinkReason, LinkedBy                                                string
	Anchored                                                            bool // its identity is anchored
	// AnchorReason says why no anchored identity claims the account, "" when one does: unlinked_by_hand,
	// service_account (not a user), identity_not_anchored (linked by hand to one), guest (a user whose raw
	// userType is Guest: never linked automatically), no_email,
	// email_matches_no_identity (no anchored one), several_candidates (several anchored ones have its email) or
	// awaiting_linking (one has its email: the next linking run links it).
	AnchorReason string
}

// Accounts lists a connector's accounts (sort: external_id, display_name, email, last_login_at, first_seen_at).
func (db *DB) Accounts(ctx context.Context, connectorID string, f AccountFilter, o ListOptions) (List[AccountRow], error) {
	o, err := o.check("external_id", "display_name", "email", "last_login_at", "first_seen_at")
	if err != nil {
		return List[AccountRow]{}, err
	}
	p := sqlgen.APIListAccountsParams{ConnectorID: connectorID, IncludeExpired: f.IncludeExpired, Search: searchPattern(f.Search),
		Kind: f.Kind, Active: nullBool(f.Active), IsAdmin: nullBool(f.Admin), Mfa: nullBool(f.MFA), Linked: nullBool(f.Linked),
		NeedsAnchor: f.NeedsAnchor, Sort: o.Sort}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIListAccountsRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIListAccounts(ctx, p)
	}, func(r sqlgen.APIListAccountsRow) int64 { return r.Total }, func(r sqlgen.APIListAccountsRow) AccountRow {
		return AccountRow{ID: r.ID, ConnectorID: r.ConnectorID, ExternalID: r.ExternalID, Kind: r.Kind, Email: r.Email,
			Username: r.Username, DisplayName: r.DisplayName, Status: r.Status, Active: r.Active, LastLoginAt: fromTS(r.LastLoginAt),
			MFAEnrolled: boolPtr(r.MfaEnrolled), IsAdmin: r.IsAdmin, FirstSeenAt: fromTS(r.FirstSeenAt), SeenAt: fromTS(r.SeenAt),
			ExpiredAt: fromTS(r.ExpiredAt), IdentityID: int64Ptr(r.IdentityID), LinkReason: r.LinkReason, LinkedBy: r.LinkedBy,
			Anchored: r.Anchored, AnchorReason: r.AnchorReason}
	})
	if err != nil {
		return l, fmt.Errorf("accounts of %s: %w", connectorID, err)
	}
	return l, nil
}

// IdentitySuggestion is an identity likely to own an account, and why.
type IdentitySuggestion struct {
	ID                        int64
	DisplayName, PrimaryEmail string
	Anchored                  bool
	Reasons                   []string // same_name, email_local_part, known_alias
}

// AccountSuggestions lists up to limit identities likely to own a connector's account (not the one it is
// linked to), those with the most reasons first.
func (db *DB) AccountSuggestions(ctx context.Context, connectorID, externalID string, limit int) ([]IdentitySuggestion, error) {
	rows, err := db.q.APIAccountSuggestions(ctx, sqlgen.APIAccountSuggestionsParams{ConnectorID: connectorID, ExternalID: externalID, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("identity suggestions for %s/%s: %w", connectorID, externalID, err)
	}
	out := make([]IdentitySuggestion, len(rows))
	for i, r := range rows {
		out[i] = IdentitySuggestion{ID: r.ID, DisplayName: r.DisplayName, PrimaryEmail: r.PrimaryEmail, Anchored: r.Anchored, Reasons: r.Reasons}
	}
	return out, nil
}

type linkState struct {
	IdentityID *int64 `json:"identity_id"`
	Reason     string `json:"reason,omitempty"`
	LinkedBy   string `json:"linked_by,omitempty"`
}

// SetManualLinkAudited links a connector's account to an identity (re-pointing any link it had), or with
// identityID nil unlinks it for good, as a manual decision syncs never change; with its audit row, in one
// transaction.
func (db *DB) SetManualLinkAudited(ctx context.Context, connectorID, externalID string, identityID *int64, actor string) error {
	action := "account.link"
	if identityID == nil {
		action = "account.unlink"
	}
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		before, err := lockAccount(ctx, q, connectorID, externalID)
		if err != nil {
			return err
		}
		if identityID != nil {
			ok, err := q.APIIdentityExists(ctx, *identityID)
			if err != nil {
				return err
			}
			if !ok {
				return sspm.Errorf(sspm.CodeNotFound, "identity %d not found", *identityID)
			}
		}
		if err := q.SetManualLink(ctx, sqlgen.SetManualLinkParams{AccountID: before.AccountID, IdentityID: nullInt8(identityID), LinkedBy: actor}); err != nil {
			return err
		}
		if err := recomputeIdentities(ctx, q, int64Ptr(before.IdentityID), identityID); err != nil {
			return err
		}
		return insertAudit(ctx, q, Audit{Actor: actor, Action: action, TargetType: "account", TargetID: connectorID + "/" + externalID,
			Before: linkState{IdentityID: int64Ptr(before.IdentityID), Reason: before.Reason, LinkedBy: before.LinkedBy},
			After:  linkState{IdentityID: identityID, Reason: "manual", LinkedBy: actor}})
	})
	if err != nil {
		return fmt.Errorf("%s %s/%s: %w", action, connectorID, externalID, err)
	}
	return nil
}

// ClearManualLinkAudited forgets a manual decision (the next linking run links the account automatically
// again), with its audit row. An account without a manual decision is a conflict.
func (db *DB) ClearManualLinkAudited(ctx context.Context, connectorID, externalID, actor string) error {
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		before, err := lockAccount(ctx, q, connectorID, externalID)
		if err != nil {
			return err
		}
		n, err := q.ClearManualLink(ctx, before.AccountID)
		if err != nil {
			return err
		}
		if n == 0 {
			return sspm.Errorf(sspm.CodeConflict, "account %s/%s has no manual link to clear", connectorID, externalID)
		}
		if err := recomputeIdentities(ctx, q, int64Ptr(before.IdentityID)); err != nil {
			return err
		}
		return insertAudit(ctx, q, Audit{Actor: actor, Action: "account.link.clear", TargetType: "account", TargetID: connectorID + "/" + externalID,
			Before: linkState{IdentityID: int64Ptr(before.IdentityID), Reason: before.Reason, LinkedBy: before.LinkedBy},
			After:  linkState{}})
	})
	if err != nil {
		return fmt.Errorf("clear link of %s/%s: %w", connectorID, externalID, err)
	}
	return nil
}

func lockAccount(ctx context.Context, q *sqlgen.Queries, connectorID, externalID string) (sqlgen.APIAccountForLinkRow, error) {
	row, err := q.APIAccountForLink(ctx, sqlgen.APIAccountForLinkParams{ConnectorID: connectorID, ExternalID: externalID})
	if errors.Is(err, pgx.ErrNoRows) {
		return row, sspm.Errorf(sspm.CodeNotFound, "account %s of connector %s not found", externalID, connectorID)
	}
	return row, err
}

func nullBool(b *bool) pgtype.Bool {
	if b == nil {
		return pgtype.Bool{}
	}
	return pgtype.Bool{Bool: *b, Valid: true}
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
