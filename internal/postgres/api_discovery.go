package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// AppFilter narrows the discovered apps.
type AppFilter struct {
	State        string // sanctioned, unsanctioned, under_review, ignored
	ManagedState string
	RiskLevel    string
	Search       string // in the name, domain and key
}

// SaaSApps lists discovered apps, riskiest first by default (sort: risk_score, display_name, last_seen_at,
// first_seen_at, actors_30d).
func (db *DB) SaaSApps(ctx context.Context, f AppFilter, o ListOptions) (List[sspm.SaaSApp], error) {
	o, err := o.check("risk_score", "display_name", "last_seen_at", "first_seen_at", "actors_30d")
	if err != nil {
		return List[sspm.SaaSApp]{}, err
	}
	if o.Sort == "" {
		o.Sort = "-risk_score"
	}
	p := sqlgen.APIListSaasAppsParams{State: f.State, ManagedState: f.ManagedState, RiskLevel: f.RiskLevel,
		Search: searchPattern(f.Search), Sort: o.Sort}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIListSaasAppsRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIListSaasApps(ctx, p)
	}, func(r sqlgen.APIListSaasAppsRow) int64 { return r.Total }, func(r sqlgen.APIListSaasAppsRow) sspm.SaaSApp {
		return appFromRow(r.SaasApp)
	})
	if err != nil {
		return l, fmt.Errorf("list apps: %w", err)
	}
	return l, nil
}

// AppEvidenceRow is one piece of discovery evidence of an app: which connector saw which actor use it, how
// (sso, oauth_grant), how often, when, and with which scopes.
type AppEvidenceRow struct {
	ID                                        int64
	ConnectorID, Kind, AppID, AppName, Domain string
	ActorKey, ActorID, ActorEmail             string
	Scopes                                    []string
	Occurrences                               int64
	FirstSeenAt, LastSeenAt                   time.Time
}

// AppEvidence lists an app's evidence, most recently seen first.
func (db *DB) AppEvidence(ctx context.Context, appKey string, o ListOptions) (List[AppEvidenceRow], error) {
	o, err := o.check()
	if err != nil {
		return List[AppEvidenceRow]{}, err
	}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIAppEvidenceRow, error) {
		return db.q.APIAppEvidence(ctx, sqlgen.APIAppEvidenceParams{AppKey: appKey, MaxRows: limit, Skip: offset})
	}, func(r sqlgen.APIAppEvidenceRow) int64 { return r.Total }, func(r sqlgen.APIAppEvidenceRow) AppEvidenceRow {
		return AppEvidenceRow{ID: r.ID, ConnectorID: r.ConnectorID, Kind: r.Kind, AppID: r.AppID, AppName: r.AppName,
			Domain: r.Domain, ActorKey: r.ActorKey, ActorID: r.ActorID, ActorEmail: r.ActorEmail, Scopes: r.Scopes,
			Occurrences: r.Occurrences, FirstSeenAt: fromTS(r.FirstSeenAt), LastSeenAt: fromTS(r.LastSeenAt)}
	})
	if err != nil {
		return l, fmt.Errorf("evidence of app %s: %w", appKey, err)
	}
	return l, nil
}

// AppBindingsOf lists the connectors bound to an app, manual bindings first.
func (db *DB) AppBindingsOf(ctx context.Context, appKey string) ([]AppBindingRow, error) {
	rows, err := db.q.APIAppBindings(ctx, appKey)
	if err != nil {
		return nil, fmt.Errorf("bindings of app %s: %w", appKey, err)
	}
	out := make([]AppBindingRow, len(rows))
	for i, r := range rows {
		out[i] = AppBindingRow{AppBinding: sspm.AppBinding{AppKey: r.AppKey, ConnectorID: r.ConnectorID, Manual: r.Manual,
			Confidence: r.Confidence, CreatedAt: fromTS(r.CreatedAt)}, CreatedBy: r.CreatedBy}
	}
	return out, nil
}

// AppBindingRow is an app binding with who made it (manual bindings).
type AppBindingRow struct {
	sspm.AppBinding
	CreatedBy string
}
