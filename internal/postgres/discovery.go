package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// EvidenceSince returns every connector's evidence observed since the cutoff.
func (db *DB) EvidenceSince(ctx context.Context, since time.Time) ([]sspm.EvidenceRecord, error) {
	rows, err := db.q.EvidenceForScoring(ctx, ts(since))
	if err != nil {
		return nil, fmt.Errorf("evidence for scoring: %w", err)
	}
	out := make([]sspm.EvidenceRecord, len(rows))
	for i, r := range rows {
		out[i] = sspm.EvidenceRecord{ConnectorID: r.ConnectorID, ConnectorKind: sspm.Kind(r.ConnectorKind), Kind: r.Kind,
			AppKey: r.AppKey, AppID: r.AppID, AppName: r.AppName, Domain: r.Domain, ActorKey: r.ActorKey, Scopes: r.Scopes,
			FirstSeenAt: fromTS(r.FirstSeenAt), LastSeenAt: fromTS(r.LastSeenAt)}
	}
	return out, nil
}

// ConnectorFreshness lists every connector with its full lane's interval and last success.
func (db *DB) ConnectorFreshness(ctx context.Context) ([]sspm.ConnectorFreshness, error) {
	rows, err := db.q.ConnectorFreshness(ctx)
	if err != nil {
		return nil, fmt.Errorf("connector freshness: %w", err)
	}
	out := make([]sspm.ConnectorFreshness, len(rows))
	for i, r := range rows {
		var secs map[string]float64
		_ = json.Unmarshal(r.Intervals, &secs)
		interval := sspm.LaneFull.DefaultInterval()
		if s := secs[string(sspm.LaneFull)]; s > 0 {
			interval = time.Duration(s * float64(time.Second))
		}
		out[i] = sspm.ConnectorFreshness{ID: r.ID, Kind: sspm.Kind(r.Kind), Enabled: r.Enabled, FullInterval: interval, LastSuccessAt: fromTS(r.LastSuccessAt)}
	}
	return out, nil
}

// AppBindings lists every app binding.
func (db *DB) AppBindings(ctx context.Context) ([]sspm.AppBinding, error) {
	rows, err := db.q.ListBindings(ctx)
	if err != nil {
		return nil, fmt.Errorf("list app bindings: %w", err)
	}
	out := make([]sspm.AppBinding, len(rows))
	for i, r := range rows {
		out[i] = sspm.AppBinding{AppKey: r.AppKey, ConnectorID: r.ConnectorID, Manual: r.Manual, Confidence: r.Confidence, CreatedAt: fromTS(r.CreatedAt)}
	}
	return out, nil
}

// AppGovernance returns the governance of every discovered app, by key.
func (db *DB) AppGovernance(ctx context.Context) (map[string]sspm.AppGovernance, error) {
	rows, err := db.q.GovernanceOwners(ctx)
	if err != nil {
		return nil, fmt.Errorf("app governance: %w", err)
	}
	out := make(map[string]sspm.AppGovernance, len(rows))
	for _, r := range rows {
		out[r.AppKey] = sspm.AppGovernance{OwnerIdentityID: int64Ptr(r.OwnerIdentityID), Criticality: r.Criticality, Classification: r.Classification}
	}
	return out, nil
}

// SaveDiscoveredApps stores the discovery lane's results in one transaction: the apps (governance untouched),
// new automatic bindings, and zero active actors for apps no recent evidence shows.
func (db *DB) SaveDiscoveredApps(ctx context.Context, apps []sspm.SaaSApp, autoBindings []sspm.AppBinding) error {
	n := len(apps)
	p := sqlgen.UpsertSaasAppsParams{
		AppKeys: make([]string, n), DisplayNames: make([]string, n), Vendors: make([]string, n), Domains: make([]string, n),
		Sources: make([]string, n), FirstSeenAts: make([]pgtype.Timestamptz, n), LastSeenAts: make([]pgtype.Timestamptz, n),
		Actors: make([]int32, n), Scopes: make([]string, n), Privileged: make([]string, n), Confidential: make([]string, n),
		Criticalities: make([]string, n), Classifications: make([]string, n), ManagedStates: make([]string, n),
		ManagedConnectorIds: make([]string, n), RiskScores: make([]int32, n), RiskLevels: make([]string, n),
	}
	for i, a := range apps {
		p.AppKeys[i], p.DisplayNames[i], p.Vendors[i], p.Domains[i] = a.Key, a.DisplayName, a.Vendor, a.Domain
		p.Sources[i], p.FirstSeenAts[i], p.LastSeenAts[i] = strings.Join(a.Sources, " "), ts(a.FirstSeenAt), ts(a.LastSeenAt)
		p.Actors[i], p.Scopes[i] = int32(a.Actors30d), strings.Join(a.Scopes, " ")
		p.Privileged[i], p.Confidential[i] = strings.Join(a.PrivilegedScopes, " "), strings.Join(a.ConfidentialScopes, " ")
		p.Criticalities[i], p.Classifications[i] = a.SuggestedCriticality, a.SuggestedClassification
		p.ManagedStates[i], p.ManagedConnectorIds[i] = a.ManagedState, a.ManagedConnectorID
		p.RiskScores[i], p.RiskLevels[i] = int32(a.RiskScore), a.RiskLevel
	}
	return db.inTx(ctx, func(q *sqlgen.Queries) error {
		if n > 0 {
			if _, err := q.UpsertSaasApps(ctx, p); err != nil {
				return fmt.Errorf("upsert saas apps: %w", err)
			}
		}
		if _, err := q.StaleSaasApps(ctx, p.AppKeys); err != nil {
			return fmt.Errorf("stale saas apps: %w", err)
		}
		if len(autoBindings) > 0 {
			b := sqlgen.AddAutoBindingsParams{AppKeys: make([]string, len(autoBindings)), ConnectorIds: make([]string, len(autoBindings))}
			for i, x := range autoBindings {
				b.AppKeys[i], b.ConnectorIds[i] = x.AppKey, x.ConnectorID
			}
			if _, err := q.AddAutoBindings(ctx, b); err != nil {
				return fmt.Errorf("auto bindings: %w", err)
			}
		}
		return nil
	})
}

// Hotspots lists apps with at least minScore, riskiest and most recently seen first.
func (db *DB) Hotspots(ctx context.Context, minScore, limit int) ([]sspm.SaaSApp, error) {
	rows, err := db.q.Hotspots(ctx, sqlgen.HotspotsParams{MinScore: int32(minScore), MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("hotspots: %w", err)
	}
	out := make([]sspm.SaaSApp, len(rows))
	for i, r := range rows {
		out[i] = appFromRow(r)
	}
	return out, nil
}

// SaaSApp returns one discovered app.
func (db *DB) SaaSApp(ctx context.Context, key string) (sspm.SaaSApp, error) {
	r, err := db.q.GetSaasApp(ctx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return sspm.SaaSApp{}, fmt.Errorf("app %s: %w", key, sspm.ErrNotFound)
	}
	if err != nil {
		return sspm.SaaSApp{}, fmt.Errorf("app %s: %w", key, err)
	}
	return appFromRow(r), nil
}

// SetAppGovernance records people's decisions about an app and, optionally, binds it to a connector by hand
// (bindConnector "" leaves bindings alone; "-" removes manual bindings), with the change in admin_audit, in one
// transaction.
func (db *DB) SetAppGovernance(ctx context.Context, key string, g sspm.AppGovernance, bindConnector, actor string) (sspm.SaaSApp, error) {
	var out sspm.SaaSApp
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		before, err := q.GetSaasApp(ctx, key)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("app %s: %w", key, sspm.ErrNotFound)
		}
		if err != nil {
			return err
		}
		after, err := q.SetGovernance(ctx, sqlgen.SetGovernanceParams{
			AppKey: key, OwnerIdentityID: nullInt8(g.OwnerIdentityID), Criticality: g.Criticality,
			Classification: g.Classification, State: g.State, Notes: g.Notes, GovernedBy: actor,
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23514" {
			return sspm.Errorf(sspm.CodeInvalid, "app %s: invalid governance (criticality %q, classification %q, state %q)", key, g.Criticality, g.Classification, g.State)
		}
		if err != nil {
			return fmt.Errorf("govern app %s: %w", key, err)
		}
		switch bindConnector {
		case "":
		case "-":
			if err := q.RemoveManualBindings(ctx, key); err != nil {
				return err
			}
		default:
			if err := q.SetManualBinding(ctx, sqlgen.SetManualBindingParams{AppKey: key, ConnectorID: bindConnector, CreatedBy: actor}); err != nil {
				return err
			}
		}
		b, _ := json.Marshal(appFromRow(before).Governance)
		a, _ := json.Marshal(struct {
			sspm.AppGovernance
			Binding string `json:",omitempty"`
		}{appFromRow(after).Governance, bindConnector})
		out = appFromRow(after)
		return q.InsertAudit(ctx, sqlgen.InsertAuditParams{Actor: actor, Action: "saas_app.govern", TargetType: "saas_app", TargetID: key, Before: b, After: a})
	})
	return out, err
}

func appFromRow(r sqlgen.SaasApp) sspm.SaaSApp {
	return sspm.SaaSApp{
		Key: r.AppKey, DisplayName: r.DisplayName, Vendor: r.Vendor, Domain: r.Domain, Sources: r.Sources,
		FirstSeenAt: fromTS(r.FirstSeenAt), LastSeenAt: fromTS(r.LastSeenAt), Actors30d: int(r.Actors30d),
		Scopes: r.Scopes, PrivilegedScopes: r.PrivilegedScopes, ConfidentialScopes: r.ConfidentialScopes,
		SuggestedCriticality: r.SuggestedCriticality, SuggestedClassification: r.SuggestedClassification,
		ManagedState: r.ManagedState, ManagedConnectorID: r.ManagedConnectorID, RiskScore: int(r.RiskScore), RiskLevel: r.RiskLevel,
		Governance: sspm.AppGovernance{OwnerIdentityID: int64Ptr(r.OwnerIdentityID), Criticality: r.Criticality,
			Classification: r.Classification, State: r.State, Notes: r.Notes},
	}
}
