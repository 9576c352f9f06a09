package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// SeedRules stores the catalog's rulesets and policy sets. It is idempotent: a set whose definition hash is
// unchanged is not touched, and nothing is written when no hash changed. Rules a changed set no longer ships are
// retired (kept for their history, their current results deleted).
func (db *DB) SeedRules(ctx context.Context, sets []sspm.RuleSeedSet) (sspm.RuleSeedReport, error) {
	hashes, err := db.q.RulesetHashes(ctx)
	if err != nil {
		return sspm.RuleSeedReport{}, fmt.Errorf("seed rules: read hashes: %w", err)
	}
	stored := make(map[string]string, len(hashes))
	for _, h := range hashes {
		stored[h.Key] = h.DefinitionHash
	}
	var changed []sspm.RuleSeedSet
	for _, s := range sets {
		if stored[s.Key] != s.Hash {
			changed = append(changed, s)
		}
	}
	var r sspm.RuleSeedReport
	if len(changed) == 0 {
		return r, nil
	}
	err = db.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.LockRuleScope(ctx, "seed"); err != nil {
			return err
		}
		for _, s := range changed {
			n, err := q.UpsertRuleset(ctx, sqlgen.UpsertRulesetParams{Key: s.Key, Kind: s.Kind, Name: s.Name,
				ScopeKind: s.ScopeKind, ConnectorKind: s.ConnectorKind, Status: s.Status, Definition: s.Definition,
				DefinitionHash: s.Hash})
			if err != nil {
				return fmt.Errorf("ruleset %s: %w", s.Key, err)
			}
			r.Sets += n
			p := sqlgen.UpsertRulesParams{RulesetKey: s.Key}
			for _, rule := range s.Rules {
				req, _ := json.Marshal(rule.RequiredData) // a []string always encodes
				p.Keys, p.Titles, p.Severities = append(p.Keys, rule.Key), append(p.Titles, rule.Title), append(p.Severities, rule.Severity)
				p.Monitorings, p.RequiredData = append(p.Monitorings, rule.Monitoring), append(p.RequiredData, req)
				p.Parameters, p.Definitions = append(p.Parameters, rawOrEmpty(rule.Parameters)), append(p.Definitions, rule.Definition)
				p.DefinitionHashes, p.Actives = append(p.DefinitionHashes, rule.Hash), append(p.Actives, rule.Active)
			}
			if n, err = q.UpsertRules(ctx, p); err != nil {
				return fmt.Errorf("rules of %s: %w", s.Key, err)
			}
			r.Rules += n
			if n, err = q.RetireRules(ctx, sqlgen.RetireRulesParams{RulesetKey: s.Key, Keys: nonNil(p.Keys)}); err != nil {
				return fmt.Errorf("retire rules of %s: %w", s.Key, err)
			}
			r.Retired += n
		}
		_, err := q.DeleteInactiveResults(ctx)
		return err
	})
	if err != nil {
		return sspm.RuleSeedReport{}, fmt.Errorf("seed rules: %w", err)
	}
	return r, nil
}

// RuleControls returns a scope's overrides and attestations (expired ones included: the evaluator tells them
// apart).
func (db *DB) RuleControls(ctx context.Context, s sspm.RuleScope) (sspm.RuleControls, error) {
	ctl := sspm.RuleControls{Overrides: map[sspm.RuleRef]sspm.RuleOverride{}, Attestations: map[sspm.RuleRef]sspm.RuleAttestation{}}
	ovs, err := db.q.ListOverrides(ctx, sqlgen.ListOverridesParams{ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName})
	if err != nil {
		return ctl, fmt.Errorf("list rule overrides: %w", err)
	}
	for _, o := range ovs {
		ov := sspm.RuleOverride{RulesetKey: o.RulesetKey, RuleKey: o.RuleKey, Enabled: o.Enabled, UpdatedBy: o.UpdatedBy, UpdatedAt: fromTS(o.UpdatedAt)}
		if err := unmarshalIfAny(o.Params, &ov.Params); err != nil {
			return ctl, fmt.Errorf("override %s/%s params: %w", o.RulesetKey, o.RuleKey, err)
		}
		ctl.Overrides[sspm.RuleRef{Ruleset: o.RulesetKey, Rule: o.RuleKey}] = ov
	}
	atts, err := db.q.ListAttestations(ctx, sqlgen.ListAttestationsParams{ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName})
	if err != nil {
		return ctl, fmt.Errorf("list attestations: %w", err)
	}
	for _, a := range atts {
		ctl.Attestations[sspm.RuleRef{Ruleset: a.RulesetKey, Rule: a.RuleKey}] = sspm.RuleAttestation{
			RulesetKey: a.RulesetKey, RuleKey: a.RuleKey, Status: sspm.RuleStatus(a.Status), Note: a.Note, By: a.AttestedBy,
			At: fromTS(a.AttestedAt), ExpiresAt: fromTS(a.ExpiresAt)}
	}
	return ctl, nil
}

// SaveRuleOverride saves a ruleset override (RuleKey "") or a rule override in a scope. The caller has
// validated the parameters against the rule's schema.
func (db *DB) SaveRuleOverride(ctx context.Context, s sspm.RuleScope, o sspm.RuleOverride) error {
	params, err := json.Marshal(o.Params)
	if err != nil || o.Params == nil {
		params = []byte(`{}`)
	}
	err = db.q.SaveOverride(ctx, sqlgen.SaveOverrideParams{RulesetKey: o.RulesetKey, RuleKey: o.RuleKey, ScopeKind: s.Kind,
		SourceKind: s.SourceKind, SourceName: s.SourceName, Enabled: o.Enabled, Params: params, UpdatedBy: o.UpdatedBy})
	if err != nil {
		return fmt.Errorf("save override of %s/%s: %w", o.RulesetKey, o.RuleKey, err)
	}
	return nil
}

// DeleteRuleOverride removes an override; sspm.ErrNotFound when there was none.
func (db *DB) DeleteRuleOverride(ctx context.Context, s sspm.RuleScope, ref sspm.RuleRef) error {
	n, err := db.q.DeleteOverride(ctx, sqlgen.DeleteOverrideParams{RulesetKey: ref.Ruleset, RuleKey: ref.Rule,
		ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName})
	if err != nil {
		return fmt.Errorf("delete override of %s: %w", ref, err)
	}
	if n == 0 {
		return fmt.Errorf("override of %s: %w", ref, sspm.ErrNotFound)
	}
	return nil
}

// SaveAttestation saves (or replaces) the attestation of a rule in a scope; sspm.ErrNotFound for an unknown
// rule. A zero ExpiresAt never expires.
func (db *DB) SaveAttestation(ctx context.Context, s sspm.RuleScope, a sspm.RuleAttestation) error {
	n, err := db.q.SaveAttestation(ctx, sqlgen.SaveAttestationParams{ScopeKind: s.Kind, SourceKind: s.SourceKind,
		SourceName: s.SourceName, Status: string(a.Status), Note: a.Note, AttestedBy: a.By, AttestedAt: ts(a.At),
		ExpiresAt: ts(a.ExpiresAt), RulesetKey: a.RulesetKey, RuleKey: a.RuleKey})
	if err != nil {
		return fmt.Errorf("save attestation of %s/%s: %w", a.RulesetKey, a.RuleKey, err)
	}
	if n == 0 {
		return fmt.Errorf("rule %s/%s: %w", a.RulesetKey, a.RuleKey, sspm.ErrNotFound)
	}
	return nil
}

// DeleteAttestation removes the attestation of a rule in a scope; sspm.ErrNotFound when there was none.
func (db *DB) DeleteAttestation(ctx context.Context, s sspm.RuleScope, ref sspm.RuleRef) error {
	n, err := db.q.DeleteAttestation(ctx, sqlgen.DeleteAttestationParams{RulesetKey: ref.Ruleset, RuleKey: ref.Rule,
		ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName})
	if err != nil {
		return fmt.Errorf("delete attestation of %s: %w", ref, err)
	}
	if n == 0 {
		return fmt.Errorf("attestation of %s: %w", ref, sspm.ErrNotFound)
	}
	return nil
}

// SaveRuleResults stores one evaluation of a scope in one transaction, serialized per scope: the current
// result of each rule, an append-only history row per rule, and the posture findings (failing rules observed,
// passing or not-applicable rules resolved) with the alerts of the findings it opened, reopened or escalated.
// Results of rules that were not seeded are an error.
func (db *DB) SaveRuleResults(ctx context.Context, s sspm.RuleScope, results []sspm.RuleResult, now time.Time) (sspm.FindingChanges, error) {
	var fc sspm.FindingChanges
	if len(results) == 0 {
		return fc, nil
	}
	err := db.inTx(ctx, func(q *sqlgen.Queries) error {
		if err := q.LockRuleScope(ctx, s.Kind+"|"+s.SourceKind+"|"+s.SourceName); err != nil {
			return err
		}
		ids, err := ruleIDs(ctx, q, results)
		if err != nil {
			return err
		}
		p := sqlgen.UpsertRuleResultsParams{ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName, EvaluatedAt: ts(now)}
		for _, r := range results {
			id, ok := ids[sspm.RuleRef{Ruleset: r.RulesetKey, Rule: r.RuleKey}]
			if !ok {
				return fmt.Errorf("rule %s/%s is not seeded", r.RulesetKey, r.RuleKey)
			}
			ev, err := json.Marshal(r.Evidence)
			if err != nil {
				return fmt.Errorf("encode evidence of %s/%s: %w", r.RulesetKey, r.RuleKey, err)
			}
			aff, err := json.Marshal(nonNilAffected(r.Affected))
			if err != nil {
				return fmt.Errorf("encode affected resources of %s/%s: %w", r.RulesetKey, r.RuleKey, err)
			}
			p.RuleIds, p.Statuses, p.ReasonCodes = append(p.RuleIds, id), append(p.Statuses, string(r.Status)), append(p.ReasonCodes, string(r.Reason))
			p.ErrorKinds, p.Summaries = append(p.ErrorKinds, string(r.ErrorKind)), append(p.Summaries, r.Summary)
			p.SelectedCounts, p.PassedCounts = append(p.SelectedCounts, int32(r.Selected)), append(p.PassedCounts, int32(r.Passed))
			p.AffectedCounts, p.AffectedResources = append(p.AffectedCounts, int32(len(r.Affected))), append(p.AffectedResources, aff)
			p.Evidences = append(p.Evidences, ev)
		}
		if _, err := q.UpsertRuleResults(ctx, p); err != nil {
			return fmt.Errorf("upsert results: %w", err)
		}
		if _, err := q.InsertRuleEvaluations(ctx, sqlgen.InsertRuleEvaluationsParams{ScopeKind: s.Kind, SourceKind: s.SourceKind,
			SourceName: s.SourceName, EvaluatedAt: ts(now), RuleIds: p.RuleIds, Statuses: p.Statuses, ReasonCodes: p.ReasonCodes,
			ErrorKinds: p.ErrorKinds, SelectedCounts: p.SelectedCounts, PassedCounts: p.PassedCounts,
			AffectedCounts: p.AffectedCounts, Evidences: p.Evidences}); err != nil {
			return fmt.Errorf("append history: %w", err)
		}
		observe, resolve := sspm.PostureFindings(s, results, now)
		if fc, err = upsertFindings(ctx, q, observe); err != nil {
			return err
		}
		if len(resolve) > 0 {
			if fc.Resolved, err = q.ResolveFindings(ctx, sqlgen.ResolveFindingsParams{Now: ts(now), Reason: "rule passes", DedupeKeys: resolve}); err != nil {
				return err
			}
		}
		return db.enqueueTransitions(ctx, q, fc.Transitions)
	})
	if err != nil {
		return sspm.FindingChanges{}, fmt.Errorf("save results of %s %s/%s: %w", s.Kind, s.SourceKind, s.SourceName, err)
	}
	return fc, nil
}

func ruleIDs(ctx context.Context, q *sqlgen.Queries, results []sspm.RuleResult) (map[sspm.RuleRef]int64, error) {
	var keys []string
	for _, r := range results {
		if !contains(keys, r.RulesetKey) {
			keys = append(keys, r.RulesetKey)
		}
	}
	rows, err := q.RuleIDs(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("rule ids: %w", err)
	}
	ids := make(map[sspm.RuleRef]int64, len(rows))
	for _, r := range rows {
		ids[sspm.RuleRef{Ruleset: r.RulesetKey, Rule: r.Key}] = r.ID
	}
	return ids, nil
}

func nonNilAffected(a []sspm.RuleAffected) []sspm.RuleAffected {
	if a == nil {
		return []sspm.RuleAffected{}
	}
	return a
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// RuleResults lists a scope's current results, by ruleset and rule key.
func (db *DB) RuleResults(ctx context.Context, s sspm.RuleScope) ([]sspm.RuleResult, error) {
	rows, err := db.q.ListRuleResults(ctx, sqlgen.ListRuleResultsParams{ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName})
	if err != nil {
		return nil, fmt.Errorf("list rule results: %w", err)
	}
	out := make([]sspm.RuleResult, len(rows))
	for i, r := range rows {
		out[i] = sspm.RuleResult{RulesetKey: r.RulesetKey, RuleKey: r.RuleKey, Title: r.Title, Severity: r.Severity,
			Status: sspm.RuleStatus(r.Status), Reason: sspm.RuleReason(r.ReasonCode), ErrorKind: sspm.RuleErrorKind(r.ErrorKind),
			Summary: r.Summary, Selected: int(r.SelectedCount), Passed: int(r.PassedCount), EvaluatedAt: fromTS(r.EvaluatedAt)}
		if err := unmarshalIfAny(r.AffectedResources, &out[i].Affected); err != nil {
			return nil, fmt.Errorf("result %s/%s affected resources: %w", r.RulesetKey, r.RuleKey, err)
		}
		if err := unmarshalIfAny(r.Evidence, &out[i].Evidence); err != nil {
			return nil, fmt.Errorf("result %s/%s evidence: %w", r.RulesetKey, r.RuleKey, err)
		}
	}
	return out, nil
}

// RuleEvaluation is one history row of a rule in a scope.
type RuleEvaluation struct {
	ID          int64
	Status      sspm.RuleStatus
	Reason      sspm.RuleReason
	ErrorKind   sspm.RuleErrorKind
	Selected    int
	Passed      int
	Affected    int
	Evidence    json.RawMessage
	EvaluatedAt time.Time
}

// RuleHistory lists the newest evaluations of a rule in a scope, newest first.
func (db *DB) RuleHistory(ctx context.Context, s sspm.RuleScope, ref sspm.RuleRef, limit int) ([]RuleEvaluation, error) {
	rows, err := db.q.ListRuleEvaluations(ctx, sqlgen.ListRuleEvaluationsParams{RulesetKey: ref.Ruleset, RuleKey: ref.Rule,
		ScopeKind: s.Kind, SourceKind: s.SourceKind, SourceName: s.SourceName, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", ref, err)
	}
	out := make([]RuleEvaluation, len(rows))
	for i, r := range rows {
		out[i] = RuleEvaluation{ID: r.ID, Status: sspm.RuleStatus(r.Status), Reason: sspm.RuleReason(r.ReasonCode),
			ErrorKind: sspm.RuleErrorKind(r.ErrorKind), Selected: int(r.SelectedCount), Passed: int(r.PassedCount),
			Affected: int(r.AffectedCount), Evidence: r.Evidence, EvaluatedAt: fromTS(r.EvaluatedAt)}
	}
	return out, nil
}

// ExpiredAttestations lists the current results that rest on an attestation expired at now.
func (db *DB) ExpiredAttestations(ctx context.Context, now time.Time) ([]sspm.ScopedRule, error) {
	rows, err := db.q.ExpiredAttestedResults(ctx, ts(now))
	if err != nil {
		return nil, fmt.Errorf("expired attestations: %w", err)
	}
	out := make([]sspm.ScopedRule, len(rows))
	for i, r := range rows {
		out[i] = sspm.ScopedRule{Scope: sspm.RuleScope{Kind: r.ScopeKind, SourceKind: r.SourceKind, SourceName: r.SourceName},
			Ref: sspm.RuleRef{Ruleset: r.RulesetKey, Rule: r.RuleKey}}
	}
	return out, nil
}

// LastFullSync returns the connector's last complete, successful full run (id, finish time and the entities it
// could not read, e.g. "dataset:okta:log-streams"); sspm.ErrNotFound when it never completed one.
func (db *DB) LastFullSync(ctx context.Context, connectorID string) (sspm.SyncRun, error) {
	r, err := db.q.LastSucceededFullRun(ctx, connectorID)
	if errors.Is(err, pgx.ErrNoRows) {
		return sspm.SyncRun{}, fmt.Errorf("successful full run of %s: %w", connectorID, sspm.ErrNotFound)
	}
	if err != nil {
		return sspm.SyncRun{}, fmt.Errorf("last full run of %s: %w", connectorID, err)
	}
	return sspm.SyncRun{ID: r.ID, ConnectorID: connectorID, Lane: sspm.LaneFull, Status: sspm.RunSucceeded,
		FinishedAt: fromTS(r.FinishedAt), Unavailable: r.Unavailable}, nil
}

// SyncedConnectors counts connectors with at least one successful full sync.
func (db *DB) SyncedConnectors(ctx context.Context) (int64, error) {
	n, err := db.q.CountSucceededConnectors(ctx)
	if err != nil {
		return 0, fmt.Errorf("count synced connectors: %w", err)
	}
	return n, nil
}

// NormalizedRows returns the rows of the JSON-built normalized datasets (entitlement assignments, credentials,
// OAuth grants; docs/rules-engine.md#normalized-datasets) as JSON objects, computed at now. Accounts and identities are served typed by
// NormalizedData; any other dataset is sspm.ErrNotFound.
func (db *DB) NormalizedRows(ctx context.Context, dataset string, now time.Time) ([]json.RawMessage, error) {
	var (
		rows []json.RawMessage
		err  error
		at   = pgtype.Timestamptz{Time: now, Valid: true}
	)
	switch dataset {
	case sspm.DatasetEntitlements:
		rows, err = db.q.NormalizedEntitlements(ctx)
	case sspm.DatasetCredentials:
		rows, err = db.q.NormalizedCredentials(ctx, sqlgen.NormalizedCredentialsParams{Now: at, HighPrivilegeKinds: sspm.HighPrivilegeCredentialKinds()})
	case sspm.DatasetOAuthGrants:
		rows, err = db.q.NormalizedOAuthGrants(ctx, sqlgen.NormalizedOAuthGrantsParams{Now: at, PrivilegedScopes: sspm.PrivilegedScopes()})
	case sspm.DatasetAccessChanges:
		rows, err = db.q.NormalizedAccessChanges(ctx, ts(now.Add(-sspm.AccessChangeWindow)))
	default:
		return nil, fmt.Errorf("normalized dataset %s: %w", dataset, sspm.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dataset, err)
	}
	return rows, nil
}
