package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// upsertFindings observes findings in one statement (see UpsertFindings in queries/findings.sql) and returns
// how many it observed and the notifiable state changes it made.
func upsertFindings(ctx context.Context, q *sqlgen.Queries, fs []sspm.Finding) (sspm.FindingChanges, error) {
	var fc sspm.FindingChanges
	if len(fs) == 0 {
		return fc, nil
	}
	fs = dedupe(fs, func(f *sspm.Finding) string { return f.DedupeKey })
	p := sqlgen.UpsertFindingsParams{}
	byKey := make(map[string]int, len(fs))
	for i, f := range fs {
		byKey[f.DedupeKey] = i
		p.DedupeKeys, p.Kinds, p.ConnectorIds = append(p.DedupeKeys, f.DedupeKey), append(p.Kinds, string(f.Kind)), append(p.ConnectorIds, f.ConnectorID)
		p.RulesetKeys, p.RuleKeys, p.Severities = append(p.RulesetKeys, f.RulesetKey), append(p.RuleKeys, f.RuleKey), append(p.Severities, f.Severity)
		p.Titles, p.Subjects, p.Evidences = append(p.Titles, f.Title), append(p.Subjects, f.Subject), append(p.Evidences, rawOrEmpty(f.Evidence))
		p.SeenAts = append(p.SeenAts, ts(f.SeenAt))
	}
	rows, err := q.UpsertFindings(ctx, p)
	if err != nil {
		return fc, fmt.Errorf("upsert findings: %w", err)
	}
	fc.Observed = int64(len(rows))
	for _, r := range rows {
		change, ok := sspm.ClassifyTransition(r.OldStatus, r.OldSeverity, r.Status, r.Severity)
		if !ok {
			continue
		}
		f := fs[byKey[r.DedupeKey]]
		prev := ""
		if change == sspm.ChangeEscalated {
			prev = r.OldSeverity
		}
		fc.Transitions = append(fc.Transitions, sspm.FindingTransition{Change: change, ID: r.ID, Finding: f,
			Status: sspm.FindingStatus(r.Status), PreviousSeverity: prev, ReopenedCount: int(r.ReopenedCount), At: f.SeenAt})
	}
	return fc, nil
}

// ObserveFindings opens new findings and updates known ones (last seen, evidence), reopening resolved posture
// and identity findings and expired suppressions. Observing the same findings again is harmless.
func (db *DB) ObserveFindings(ctx context.Context, fs []sspm.Finding) (sspm.FindingChanges, error) {
	var fc sspm.FindingChanges
	err := db.inTx(ctx, func(q *sqlgen.Queries) (err error) {
		if fc, err = upsertFindings(ctx, q, fs); err != nil {
			return err
		}
		return db.enqueueTransitions(ctx, q, fc.Transitions)
	})
	return fc, err
}

// ResolveFindings resolves the findings with the given dedupe keys whose condition cleared.
func (db *DB) ResolveFindings(ctx context.Context, keys []string, reason string, now time.Time) (int64, error) {
	n, err := db.q.ResolveFindings(ctx, sqlgen.ResolveFindingsParams{Now: ts(now), Reason: reason, DedupeKeys: nonNil(keys)})
	if err != nil {
		return 0, fmt.Errorf("resolve findings: %w", err)
	}
	return n, nil
}

// SyncIdentityFindings observes an identity finding for every identity whose flags meet a check (leaver,
// privileged without MFA, stale privileged: identity.Check.Holds) and resolves the checks' findings whose flag
// cleared, in one transaction.
func (db *DB) SyncIdentityFindings(ctx context.Context, checks []identity.Check, now time.Time) (sspm.FindingChanges, error) {
	var fc sspm.FindingChanges
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.LockRuleScope(ctx, "identity-findings"); err != nil {
			return err
		}
		rows, err := q.FlaggedIdentities(ctx)
		if err != nil {
			return fmt.Errorf("flagged identities: %w", err)
		}
		var fs []sspm.Finding
		keep := []string{}
		var keys []string
		for _, c := range checks {
			keys = append(keys, c.Key)
		}
		for _, r := range rows {
			for _, c := range checks {
				flags := identity.Flags{Privileged: r.Privileged, MFA: boolPtr(r.Mfa), Stale: r.Stale, Leaver: r.Leaver}
				if !c.Holds(flags) {
					continue
				}
				ev, _ := json.Marshal(map[string]any{"identity_id": r.ID, "email": r.PrimaryEmail, "flag": c.Flag,
					"privileged": r.Privileged, "mfa": boolPtr(r.Mfa), "stale": r.Stale, "leaver": r.Leaver,
					"last_seen_at": fromTS(r.LastSeenAt)})
				f := sspm.Finding{DedupeKey: identity.DedupeKey(c.Key, r.ID), Kind: sspm.FindingIdentity,
					RulesetKey: identity.RulesetKey, RuleKey: c.Key, Severity: c.Severity, Title: c.Title,
					Subject: firstNonEmpty(r.DisplayName, r.PrimaryEmail, "identity "+strconv.FormatInt(r.ID, 10)), Evidence: ev, SeenAt: now}
				fs = append(fs, f)
				keep = append(keep, f.DedupeKey)
			}
		}
		if fc, err = upsertFindings(ctx, q, fs); err != nil {
			return err
		}
		fc.Resolved, err = q.ResolveFindingsExcept(ctx, sqlgen.ResolveFindingsExceptParams{Now: ts(now), Reason: "flag cleared",
			Kind: string(sspm.FindingIdentity), RuleKeys: nonNil(keys), Keep: keep})
		if err != nil {
			return err
		}
		return db.enqueueTransitions(ctx, q, fc.Transitions)
	})
	if err != nil {
		return sspm.FindingChanges{}, fmt.Errorf("sync identity findings: %w", err)
	}
	return fc, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// SetFindingStatus records a person's decision on a finding; sspm.ErrNotFound for an unknown id.
func (db *DB) SetFindingStatus(ctx context.Context, id int64, c sspm.FindingStatusChange, now time.Time) error {
	if err := c.Validate(); err != nil {
		return err
	}
	n, err := db.q.SetFindingStatus(ctx, sqlgen.SetFindingStatusParams{ID: id, Status: string(c.Status), Reason: c.Reason,
		Until: ts(c.Until), StatusBy: c.By, Now: ts(now)})
	if err != nil {
		return fmt.Errorf("set status of finding %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("finding %d: %w", id, sspm.ErrNotFound)
	}
	return nil
}

// ReopenExpiredFindings reopens suppressed and accepted findings whose decision expired at now and says how
// many reopened.
func (db *DB) ReopenExpiredFindings(ctx context.Context, now time.Time) (int64, error) {
	reopened, err := db.ReopenExpired(ctx, now)
	return int64(len(reopened)), err
}

// ReopenExpired reopens suppressed and accepted findings whose decision expired at now and returns the reopen
// transitions (to notify).
func (db *DB) ReopenExpired(ctx context.Context, now time.Time) ([]sspm.FindingTransition, error) {
	var out []sspm.FindingTransition
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		rows, err := q.ReopenExpiredFindings(ctx, ts(now))
		if err != nil {
			return fmt.Errorf("reopen expired findings: %w", err)
		}
		out = make([]sspm.FindingTransition, len(rows))
		for i, r := range rows {
			f := findingFromRow(r)
			out[i] = sspm.FindingTransition{Change: sspm.ChangeReopened, ID: r.ID, Finding: f.Finding, Status: f.Status,
				ReopenedCount: f.ReopenedCount, At: now}
		}
		return db.enqueueTransitions(ctx, q, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func findingFromRow(r sqlgen.Finding) sspm.StoredFinding {
	return sspm.StoredFinding{
		Finding: sspm.Finding{DedupeKey: r.DedupeKey, Kind: sspm.FindingKind(r.Kind), ConnectorID: r.ConnectorID.String,
			RulesetKey: r.RulesetKey, RuleKey: r.RuleKey, Severity: r.Severity, Title: r.Title, Subject: r.Subject,
			Evidence: r.Evidence, SeenAt: fromTS(r.LastSeenAt)},
		ID: r.ID, Status: sspm.FindingStatus(r.Status), StatusReason: r.StatusReason, StatusUntil: fromTS(r.StatusUntil),
		StatusBy: r.StatusBy, FirstSeenAt: fromTS(r.FirstSeenAt), LastSeenAt: fromTS(r.LastSeenAt),
		ResolvedAt: fromTS(r.ResolvedAt), ReopenedCount: int(r.ReopenedCount),
	}
}

// FindingByKey returns the finding with a dedupe key; sspm.ErrNotFound when there is none.
func (db *DB) FindingByKey(ctx context.Context, key string) (sspm.StoredFinding, error) {
	r, err := db.q.GetFinding(ctx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return sspm.StoredFinding{}, fmt.Errorf("finding %s: %w", key, sspm.ErrNotFound)
	}
	if err != nil {
		return sspm.StoredFinding{}, fmt.Errorf("finding %s: %w", key, err)
	}
	return findingFromRow(r), nil
}

// FindingQuery narrows FindingsBy; empty fields match everything.
type FindingQuery struct {
	Kind        sspm.FindingKind
	Status      sspm.FindingStatus
	ConnectorID string
	Limit       int
}

// FindingsBy lists findings with their lifecycle state, by id (the evaluator's and tests' view; the admin API
// pages with Findings).
func (db *DB) FindingsBy(ctx context.Context, f FindingQuery) ([]sspm.StoredFinding, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	rows, err := db.q.ListFindings(ctx, sqlgen.ListFindingsParams{Kind: string(f.Kind), Status: string(f.Status),
		ConnectorID: f.ConnectorID, MaxRows: int32(f.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	out := make([]sspm.StoredFinding, len(rows))
	for i, r := range rows {
		out[i] = findingFromRow(r)
	}
	return out, nil
}

// EventWatermark returns the id of the last event of a connector the evaluator has processed (0 when none).
func (db *DB) EventWatermark(ctx context.Context, connectorID string) (int64, error) {
	w, err := db.Watermark(ctx, connectorID, sspm.LaneEvaluator, "events")
	if err != nil || w == "" {
		return 0, err
	}
	id, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("event watermark of %s: %w", connectorID, err)
	}
	return id, nil
}

// EventsAfter lists up to limit events of a connector stored after event id afterID, oldest first.
func (db *DB) EventsAfter(ctx context.Context, connectorID string, kind sspm.Kind, afterID int64, limit int) ([]sspm.Event, error) {
	rows, err := db.q.EventsAfter(ctx, sqlgen.EventsAfterParams{ConnectorID: connectorID, AfterID: afterID, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("events of %s after %d: %w", connectorID, afterID, err)
	}
	out := make([]sspm.Event, len(rows))
	for i, r := range rows {
		out[i] = sspm.Event{ID: r.ID, ConnectorID: connectorID, SourceKind: kind, ProviderEventID: r.ProviderEventID,
			Type: r.Type, Category: r.Category, Outcome: r.Outcome, ActorExternalID: r.ActorExternalID, ActorDisplay: r.ActorDisplay,
			OccurredAt: fromTS(r.OccurredAt), Source: r.Source, Raw: r.Raw}
		if err := unmarshalIfAny(r.Targets, &out[i].Targets); err != nil {
			return nil, fmt.Errorf("targets of event %d: %w", r.ID, err)
		}
	}
	return out, nil
}

// LookbackEvents answers a sequence policy's question about earlier events (at most 1,000).
func (db *DB) LookbackEvents(ctx context.Context, kind sspm.Kind, lq sspm.EventLookback) ([]sspm.Event, error) {
	rows, err := db.q.LookbackEvents(ctx, sqlgen.LookbackEventsParams{ConnectorID: lq.ConnectorID, Since: ts(lq.Since),
		Until: ts(lq.Until), Types: nonNil(lq.EventTypes), Categories: nonNil(lq.Categories), GroupBy: lq.GroupBy, Keys: nonNil(lq.Keys)})
	if err != nil {
		return nil, fmt.Errorf("look back over events of %s: %w", lq.ConnectorID, err)
	}
	out := make([]sspm.Event, len(rows))
	for i, r := range rows {
		out[i] = sspm.Event{ID: r.ID, ConnectorID: lq.ConnectorID, SourceKind: kind, ProviderEventID: r.ProviderEventID,
			Type: r.Type, Category: r.Category, Outcome: r.Outcome, ActorExternalID: r.ActorExternalID, ActorDisplay: r.ActorDisplay,
			OccurredAt: fromTS(r.OccurredAt), Source: r.Source, Raw: r.Raw}
		if err := unmarshalIfAny(r.Targets, &out[i].Targets); err != nil {
			return nil, fmt.Errorf("targets of event %d: %w", r.ID, err)
		}
	}
	return out, nil
}

// SaveEventFindings observes the findings of a batch of events and moves the connector's event watermark from
// from to to, in one transaction. When another evaluation moved the watermark first, nothing is written and the
// error wraps sspm.ErrBusy (its findings are the same: they are keyed by event).
func (db *DB) SaveEventFindings(ctx context.Context, connectorID string, fs []sspm.Finding, from, to int64) (sspm.FindingChanges, error) {
	var n sspm.FindingChanges
	err := db.inTx(ctx, func(q *sqlgen.Queries) (err error) {
		old := ""
		if from > 0 {
			old = strconv.FormatInt(from, 10)
		}
		moved, err := q.AdvanceEventWatermark(ctx, sqlgen.AdvanceEventWatermarkParams{ConnectorID: connectorID,
			NewValue: strconv.FormatInt(to, 10), OldValue: old})
		if err != nil {
			return fmt.Errorf("advance watermark: %w", err)
		}
		if moved == 0 {
			return sspm.ErrBusy
		}
		if n, err = upsertFindings(ctx, q, fs); err != nil {
			return err
		}
		return db.enqueueTransitions(ctx, q, n.Transitions)
	})
	if err != nil {
		return sspm.FindingChanges{}, fmt.Errorf("save event findings of %s: %w", connectorID, err)
	}
	return n, nil
}
