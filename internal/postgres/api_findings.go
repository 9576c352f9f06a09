package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// FindingFilter narrows the findings list.
type FindingFilter struct {
	Status, Severity, Kind, ConnectorID, RuleKey string
	// IdentityID matches findings whose evidence names the identity ({"identity_id": N}).
	IdentityID int64
	Search     string // in the title and dedupe key
}

// FindingRow is a finding as the foundation migration stores it (read-only here).
type FindingRow struct {
	ID                                    int64
	DedupeKey, Kind, ConnectorID, RuleKey string
	RulesetKey                            string // the ruleset, policy set or identity checks the rule belongs to
	Severity, Status, Title, StatusReason string
	StatusUntil                           time.Time
	FirstSeenAt, LastSeenAt, ResolvedAt   time.Time
	Evidence                              json.RawMessage // only in Finding
}

// Findings lists findings (sort: severity, last_seen_at, first_seen_at, title; default newest first).
func (db *DB) Findings(ctx context.Context, f FindingFilter, o ListOptions) (List[FindingRow], error) {
	o, err := o.check("severity", "last_seen_at", "first_seen_at", "title")
	if err != nil {
		return List[FindingRow]{}, err
	}
	p := sqlgen.APIListFindingsParams{Status: f.Status, Severity: f.Severity, Kind: f.Kind, ConnectorID: f.ConnectorID,
		RuleKey: f.RuleKey, Search: searchPattern(f.Search), Sort: o.Sort}
	if f.IdentityID != 0 {
		p.IdentityID = fmt.Sprint(f.IdentityID)
	}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIListFindingsRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIListFindings(ctx, p)
	}, func(r sqlgen.APIListFindingsRow) int64 { return r.Total }, func(r sqlgen.APIListFindingsRow) FindingRow {
		return FindingRow{ID: r.ID, DedupeKey: r.DedupeKey, Kind: r.Kind, ConnectorID: r.ConnectorID.String, RuleKey: r.RuleKey, RulesetKey: r.RulesetKey,
			Severity: r.Severity, Status: r.Status, Title: r.Title, StatusReason: r.StatusReason, StatusUntil: fromTS(r.StatusUntil),
			FirstSeenAt: fromTS(r.FirstSeenAt), LastSeenAt: fromTS(r.LastSeenAt), ResolvedAt: fromTS(r.ResolvedAt)}
	})
	if err != nil {
		return l, fmt.Errorf("list findings: %w", err)
	}
	return l, nil
}

// Finding returns one finding with its evidence.
func (db *DB) Finding(ctx context.Context, id int64) (FindingRow, error) {
	r, err := db.q.APIGetFinding(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return FindingRow{}, sspm.Errorf(sspm.CodeNotFound, "finding %d not found", id)
	}
	if err != nil {
		return FindingRow{}, fmt.Errorf("finding %d: %w", id, err)
	}
	return FindingRow{ID: r.ID, DedupeKey: r.DedupeKey, Kind: r.Kind, ConnectorID: r.ConnectorID.String, RuleKey: r.RuleKey, RulesetKey: r.RulesetKey,
		Severity: r.Severity, Status: r.Status, Title: r.Title, StatusReason: r.StatusReason, StatusUntil: fromTS(r.StatusUntil),
		FirstSeenAt: fromTS(r.FirstSeenAt), LastSeenAt: fromTS(r.LastSeenAt), ResolvedAt: fromTS(r.ResolvedAt), Evidence: r.Evidence}, nil
}

// FindingSubject is a resource, account or identity a finding names.
type FindingSubject struct {
	Type                          string // resource, account or identity
	ID                            int64  // the resource's, account's or identity's id
	ConnectorID, ExternalID, Name string
	IdentityID                    *int64 // an account's identity; the identity itself
}

// FindingSubjects looks up the live resources and accounts of a connector with the given external ids, and the
// identities with the given ids (at most 200 in all).
func (db *DB) FindingSubjects(ctx context.Context, connectorID string, externalIDs []string, identityIDs []int64) ([]FindingSubject, error) {
	if externalIDs == nil {
		externalIDs = []string{}
	}
	rows, err := db.q.APIFindingSubjects(ctx, sqlgen.APIFindingSubjectsParams{ConnectorID: connectorID, ExternalIds: externalIDs, IdentityIds: nonNilIDs(identityIDs)})
	if err != nil {
		return nil, fmt.Errorf("finding subjects in %s: %w", connectorID, err)
	}
	out := make([]FindingSubject, len(rows))
	for i, r := range rows {
		out[i] = FindingSubject{Type: r.Type, ID: r.ID, ConnectorID: r.ConnectorID, ExternalID: r.ExternalID, Name: r.Name, IdentityID: int64Ptr(r.IdentityID)}
	}
	return out, nil
}
