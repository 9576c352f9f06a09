package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// NormalizedData returns a normalized dataset (docs/rules-engine.md#normalized-datasets) computed at now, ready for the evaluator: rows as
// the JSON decoding of the contract would give them (numbers float64, absent values nil) and a hash of the rows
// as read (D11). Accounts and identities, the datasets that grow with the org, are read as typed columns and
// built directly, without JSON; the others are decoded from JSON rows. An unknown dataset is sspm.ErrNotFound.
func (db *DB) NormalizedData(ctx context.Context, dataset string, now time.Time) (sspm.RuleData, error) {
	switch dataset {
	case sspm.DatasetAccounts:
		return db.normalizedAccounts(ctx, now)
	case sspm.DatasetIdentities:
		return db.normalizedIdentities(ctx)
	}
	raws, err := db.NormalizedRows(ctx, dataset, now)
	if err != nil {
		return sspm.RuleData{}, err
	}
	return sspm.DecodeDatasetRows(dataset, raws)
}

func (db *DB) normalizedAccounts(ctx context.Context, now time.Time) (sspm.RuleData, error) {
	rows, err := db.q.NormalizedAccountRows(ctx)
	if err != nil {
		return sspm.RuleData{}, fmt.Errorf("read %s: %w", sspm.DatasetAccounts, err)
	}
	h := newRowHasher()
	in := interner{}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		display := firstNonEmpty(r.DisplayName, r.Email, r.ExternalID)
		var identityID any
		if r.IdentityID != 0 {
			identityID = float64(r.IdentityID)
		}
		lastLogin := daysSince(now, r.LastLoginAt)
		created := daysSince(now, r.CreatedAt)
		out[i] = map[string]any{
			"resource_id": "account:" + r.SourceName + ":" + r.ExternalID, "display": display,
			"source_kind": in.get(r.SourceKind), "source_name": in.get(r.SourceName), "external_id": r.ExternalID, "email": r.Email,
			"account_kind": in.get(r.AccountKind), "status": in.get(r.Status), "user_type": in.get(r.UserType), "is_admin": r.IsAdmin,
			"admin_tier": in.get(r.AdminTier), "mfa_state": in.get(r.MfaState), "mfa_strength": in.get(r.MfaStrength),
			"last_login_known": r.LastLoginAt.Valid, "days_since_last_login": lastLogin, "days_since_created": created,
			"identity_id": identityID, "managed": r.Managed, "is_authoritative_source": r.IsAuthoritativeSource,
		}
		h.str(r.SourceKind).str(r.SourceName).str(r.ExternalID).str(r.Email).str(display).str(r.AccountKind).str(r.Status).
			str(r.UserType).boolean(r.IsAdmin).str(r.AdminTier).str(r.MfaState).str(r.MfaStrength).boolean(r.LastLoginAt.Valid).
			val(lastLogin).val(created).val(identityID).boolean(r.Managed).boolean(r.IsAuthoritativeSource).end()
	}
	return sspm.RuleData{Rows: out, Hash: h.sum()}, nil
}

func (db *DB) normalizedIdentities(ctx context.Context) (sspm.RuleData, error) {
	rows, err := db.q.NormalizedIdentityAccounts(ctx)
	if err != nil {
		return sspm.RuleData{}, fmt.Errorf("read %s: %w", sspm.DatasetIdentities, err)
	}
	h := newRowHasher()
	in := interner{}
	var out []map[string]any
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && rows[end].ID == rows[start].ID {
			end++
		}
		out = append(out, identityRow(rows[start:end], h, in))
		start = end
	}
	return sspm.RuleData{Rows: out, Hash: h.sum()}, nil
}

// identityRow aggregates one identity's live linked accounts (ordered by account id) into its row: active app
// (non-authoritative) accounts, the admin ones among them, the distinct source kinds, and the authoritative
// account (the first active authoritative one, else the first authoritative one).
func identityRow(accts []sqlgen.NormalizedIdentityAccountsRow, h *rowHasher, in interner) map[string]any {
	r := accts[0]
	var activeApps, adminApps int
	var kinds []string
	auth := -1
	for i, a := range accts {
		if a.Active && !a.Authoritative {
			activeApps++
			if a.IsAdmin {
				adminApps++
			}
		}
		if !slices.Contains(kinds, a.SourceKind) {
			kinds = append(kinds, a.SourceKind)
		}
		if a.Authoritative && (auth < 0 || (a.Active && !accts[auth].Active)) {
			auth = i
		}
	}
	sort.Strings(kinds)
	id := strconv.FormatInt(r.ID, 10)
	kind := r.Kind
	if kind == "person" {
		kind = "human"
	}
	var authAcct, idpStatus any
	var ak, an, ae, as string
	if auth >= 0 {
		a := accts[auth]
		ak, an, ae, as = a.SourceKind, a.SourceName, a.ExternalID, a.Status
		authAcct = map[string]any{"source_kind": in.get(ak), "source_name": in.get(an), "external_id": ae, "status": in.get(as)}
		idpStatus = in.get(as)
	}
	kindVals := make([]any, len(kinds))
	for j, k := range kinds {
		kindVals[j] = in.get(k)
	}
	display := firstNonEmpty(r.DisplayName, r.PrimaryEmail, "identity "+id)
	h.str(id).str(display).str(kind).str(r.PrimaryEmail).str(r.DisplayName).boolean(r.Anchored).
		str(ak).str(an).str(ae).str(as).val(float64(activeApps)).val(float64(adminApps))
	for _, k := range kinds {
		h.str(k)
	}
	h.end()
	return map[string]any{
		"resource_id": "identity:" + id, "display": display, "id": float64(r.ID), "kind": in.get(kind),
		"email": r.PrimaryEmail, "display_name": r.DisplayName, "managed": r.Anchored,
		"authoritative_account": authAcct, "idp_status": idpStatus,
		"active_app_account_count": float64(activeApps), "active_admin_app_account_count": float64(adminApps),
		"source_kinds": kindVals,
	}
}

// interner boxes the few distinct values of low-cardinality string fields once per dataset (statuses, kinds,
// source names), sparing an allocation per row and field.
type interner map[string]any

func (in interner) get(s string) any {
	if v, ok := in[s]; ok {
		return v
	}
	var v any = s
	in[s] = v
	return v
}

// daysSince is the number of whole days from t to now (floor, as the SQL of the other datasets computes it), or
// nil when t is unknown.
func daysSince(now time.Time, t pgtype.Timestamptz) any {
	if !t.Valid {
		return nil
	}
	return math.Floor(now.Sub(t.Time).Seconds() / 86400)
}

// rowHasher hashes typed rows field by field (length-prefixed, type-tagged), so a dataset's hash changes exactly
// when a row's content or the row order does.
type rowHasher struct {
	h   hash.Hash
	buf []byte
}

func newRowHasher() *rowHasher { return &rowHasher{h: sha256.New(), buf: make([]byte, 0, 512)} }

func (r *rowHasher) str(s string) *rowHasher {
	r.buf = append(r.buf, 's')
	r.buf = strconv.AppendInt(r.buf, int64(len(s)), 10)
	r.buf = append(r.buf, ':')
	r.buf = append(r.buf, s...)
	return r
}

func (r *rowHasher) boolean(b bool) *rowHasher {
	if b {
		r.buf = append(r.buf, 't')
	} else {
		r.buf = append(r.buf, 'f')
	}
	return r
}

// val hashes nil or a float64.
func (r *rowHasher) val(v any) *rowHasher {
	switch x := v.(type) {
	case float64:
		r.buf = append(r.buf, 'n')
		r.buf = strconv.AppendFloat(r.buf, x, 'g', -1, 64)
		r.buf = append(r.buf, ';')
	default:
		r.buf = append(r.buf, '0')
	}
	return r
}

func (r *rowHasher) end() {
	r.buf = append(r.buf, '\n')
	r.h.Write(r.buf)
	r.buf = r.buf[:0]
}

func (r *rowHasher) sum() string { return hex.EncodeToString(r.h.Sum(nil)) }
