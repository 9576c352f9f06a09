package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Audit is one admin_audit row to write: who did what to which target, and the target before and after. Before
// and After are marshalled to JSON; they must never hold secret values (the store's own snapshots leave them out).
type Audit struct {
	Actor      string
	Action     string // e.g. connector.create, connector.secret.set, account.link
	TargetType string
	TargetID   string
	Before     any
	After      any
}

// AuditEntry is a stored admin_audit row.
type AuditEntry struct {
	ID         int64
	Actor      string
	Action     string
	TargetType string
	TargetID   string
	Before     json.RawMessage
	After      json.RawMessage
	At         time.Time
}

// AuditFilter narrows the audit log. Action matches itself and its sub-actions ("connector" matches
// "connector.create").
type AuditFilter struct {
	Actor, Action, TargetType, TargetID string
	Since, Until                        time.Time
}

// RecordAudit writes an audit row on its own, for changes outside the database (a triggered sync, a replayed
// delivery, a revealed webhook secret).
func (db *DB) RecordAudit(ctx context.Context, a Audit) error {
	return insertAudit(ctx, db.q, a)
}

func insertAudit(ctx context.Context, q *sqlgen.Queries, a Audit) error {
	before, err := auditJSON(a.Before)
	if err != nil {
		return fmt.Errorf("audit %s: before: %w", a.Action, err)
	}
	after, err := auditJSON(a.After)
	if err != nil {
		return fmt.Errorf("audit %s: after: %w", a.Action, err)
	}
	if _, err := q.APIInsertAudit(ctx, sqlgen.APIInsertAuditParams{
		Actor: a.Actor, Action: a.Action, TargetType: a.TargetType, TargetID: a.TargetID, Before: before, After: after,
	}); err != nil {
		return fmt.Errorf("audit %s: %w", a.Action, err)
	}
	return nil
}

func auditJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}

// AuditLog lists audit rows, newest first by default (sort: at, -at).
func (db *DB) AuditLog(ctx context.Context, f AuditFilter, o ListOptions) (List[AuditEntry], error) {
	o, err := o.check("at")
	if err != nil {
		return List[AuditEntry]{}, err
	}
	p := sqlgen.APIListAuditParams{Actor: f.Actor, Action: f.Action, TargetType: f.TargetType, TargetID: f.TargetID,
		Since: ts(f.Since), Until: ts(f.Until), Sort: o.Sort}
	l, err := listPage(o, func(limit, offset int32) ([]sqlgen.APIListAuditRow, error) {
		p.MaxRows, p.Skip = limit, offset
		return db.q.APIListAudit(ctx, p)
	}, func(r sqlgen.APIListAuditRow) int64 { return r.Total }, func(r sqlgen.APIListAuditRow) AuditEntry {
		return AuditEntry{ID: r.ID, Actor: r.Actor, Action: r.Action, TargetType: r.TargetType, TargetID: r.TargetID,
			Before: r.Before, After: r.After, At: fromTS(r.At)}
	})
	if err != nil {
		return l, fmt.Errorf("audit log: %w", err)
	}
	return l, nil
}

// ConnectorSnapshot is what the audit log keeps of a connector: its settings and whether (and when) a secret
// was set, never the secret.
type ConnectorSnapshot struct {
	ID               string             `json:"id"`
	Kind             string             `json:"kind"`
	Name             string             `json:"name"`
	Enabled          bool               `json:"enabled"`
	DiscoveryEnabled bool               `json:"discovery_enabled"`
	Authoritative    bool               `json:"authoritative"`
	Config           json.RawMessage    `json:"config,omitempty"`
	Intervals        map[string]float64 `json:"intervals,omitempty"`
	HasSecret        bool               `json:"has_secret"`
	SecretUpdatedAt  *time.Time         `json:"secret_updated_at,omitempty"`
}

// SnapshotConnector returns the audit snapshot of a connector.
func SnapshotConnector(c sspm.Connector) ConnectorSnapshot {
	s := ConnectorSnapshot{ID: c.ID, Kind: string(c.Kind), Name: c.Name, Enabled: c.Enabled,
		DiscoveryEnabled: c.DiscoveryEnabled, Authoritative: c.Authoritative, HasSecret: c.HasSecret}
	if len(c.Config) > 0 && json.Valid(c.Config) {
		s.Config = c.Config
	}
	if len(c.Intervals) > 0 {
		s.Intervals = make(map[string]float64, len(c.Intervals))
		for l, d := range c.Intervals {
			s.Intervals[string(l)] = d.Seconds()
		}
	}
	if !c.SecretUpdatedAt.IsZero() {
		t := c.SecretUpdatedAt.UTC()
		s.SecretUpdatedAt = &t
	}
	return s
}
