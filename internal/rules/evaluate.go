package rules

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Evaluate evaluates the active rules of the ruleset in scope, in rule-key order, with the precedence of
// docs/rules-engine.md#evaluation-order: ruleset disabled → rule disabled → valid attestation → parameters → datasets → check. Datasets
// are read once per call. only, when non-empty, limits the evaluation to those rule keys. The error is
// non-nil only when a dataset could not be read for a reason other than its availability.
func (rs *Ruleset) Evaluate(ctx context.Context, scope Scope, data Datasets, ctl Controls, now time.Time, only ...string) ([]Result, error) {
	return rs.evaluate(ctx, scope, newCache(data), ctl, now, only)
}

func (rs *Ruleset) evaluate(ctx context.Context, scope Scope, c *cache, ctl Controls, now time.Time, only []string) ([]Result, error) {
	var out []Result
	for _, r := range rs.Rules {
		if !r.Active() || (len(only) > 0 && !contains(only, r.Key)) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := rs.evaluateRule(ctx, r, c, ctl, now)
		if err != nil {
			return nil, fmt.Errorf("rule %s/%s: %w", rs.Key, r.Key, err)
		}
		out = append(out, res)
	}
	return out, nil
}

func (rs *Ruleset) evaluateRule(ctx context.Context, r *Rule, c *cache, ctl Controls, now time.Time) (Result, error) {
	ev := Evidence{SchemaVersion: 1, Rule: EvidenceRule{RulesetKey: rs.Key, RuleKey: r.Key}}
	if r.plan != nil {
		ev.Check = r.plan.evidence()
	}
	ref := RuleRef{Ruleset: rs.Key, Rule: r.Key}
	done := func(o outcome) Result { return rs.result(r, o, ev, now) }
	if o, ok := ctl.Overrides[RuleRef{Ruleset: rs.Key}]; ok && !o.Enabled {
		ev.Override = &o
		return done(outcome{status: StatusNotApplicable, reason: ReasonRulesetDisabled}), nil
	}
	var params map[string]any
	if o, ok := ctl.Overrides[ref]; ok {
		ev.Override = &o
		if !o.Enabled {
			return done(outcome{status: StatusNotApplicable, reason: ReasonDisabledByOverride}), nil
		}
		params = o.Params
	}
	if a, ok := ctl.Attestations[ref]; ok {
		if a.ValidAt(now) {
			ev.Attestation = &a
			if r.plan != nil { // the computed outcome stays visible under the attestation
				shadow, err := rs.check(ctx, r, c, params, &Evidence{})
				if err != nil {
					return Result{}, err
				}
				sr := shadow.evidence()
				ev.ShadowResult = &sr
			}
			return done(outcome{status: a.Status, reason: ReasonAttested}), nil
		}
		a.Expired = true
		ev.Attestation = &a
	}
	if r.plan == nil {
		return done(outcome{status: StatusUnknown, reason: ReasonManualRule}), nil
	}
	o, err := rs.check(ctx, r, c, params, &ev)
	if err != nil {
		return Result{}, err
	}
	return done(o), nil
}

// check resolves parameters and datasets and runs the rule's plan, recording params, datasets and the selection
// in ev.
func (rs *Ruleset) check(ctx context.Context, r *Rule, c *cache, override map[string]any, ev *Evidence) (outcome, error) {
	params, err := r.EffectiveParams(override)
	if err != nil {
		var pe *ParamError
		if errors.As(err, &pe) {
			ev.InvalidParam, ev.Error = pe.Param, pe.Error()
		}
		return outcome{status: StatusError, reason: ReasonInvalidParams, errorKind: ErrInvalidParams}, nil
	}
	ev.Params = params
	p := r.plan
	sets := map[string]*loaded{}
	for _, name := range p.datasets {
		l, err := c.get(ctx, name, rs.version(name))
		if err != nil {
			return outcome{}, err
		}
		sets[name] = l
		if ev.Datasets == nil {
			ev.Datasets = map[string]DatasetEvidence{}
		}
		de := DatasetEvidence{Rows: len(l.data.Rows), Hash: l.data.Hash, Stale: l.data.Stale}
		if l.err != nil {
			de.ErrorKind = l.err.Kind
		}
		ev.Datasets[name] = de
	}
	for _, name := range p.datasets {
		if l := sets[name]; l.err != nil {
			ev.Error = l.err.Error()
			return datasetOutcome(p.policy, l.err.Kind), nil
		}
	}
	var o outcome
	switch p.kind {
	case "field_compare":
		o, err = p.fieldCompare(r, sets[p.dataset], params)
	case "count_compare":
		o, err = p.countCompare(r, sets[p.dataset], params)
	default:
		o, err = p.rawCEL(sets, params)
	}
	if err != nil {
		ev.Error = err.Error()
		return outcome{status: StatusError, reason: ReasonCELError, errorKind: ErrEngine}, nil
	}
	if p.kind != "cel" {
		ev.Selection = &EvidenceSelection{Selected: o.selected, Passed: o.passed}
	}
	return o, nil
}

func (rs *Ruleset) version(dataset string) int {
	for _, dc := range rs.DataContracts {
		if dc.Dataset == dataset {
			return dc.Version
		}
	}
	return 1
}

// datasetOutcome applies the check's policy to a dataset error (docs/rules-engine.md#dataset-errors). The error kind is kept under
// every policy (D9).
func datasetOutcome(p CheckPolicy, k ErrorKind) outcome {
	o := outcome{reason: DatasetReason(k), errorKind: k}
	switch p.action(k) {
	case "fail":
		o.status = StatusFail
	case "error":
		o.status = StatusError
	default:
		o.status = StatusUnknown
	}
	return o
}

// result assembles the result of a rule from its outcome.
func (rs *Ruleset) result(r *Rule, o outcome, ev Evidence, now time.Time) Result {
	ev.Result = o.evidence()
	if len(o.affected) > MaxAffected {
		o.affected, ev.AffectedTruncated = o.affected[:MaxAffected], true
	}
	ev.AffectedResources = o.affected
	return Result{
		RulesetKey: rs.Key, RuleKey: r.Key, Title: r.Title, Severity: r.Severity,
		Status: o.status, Reason: o.reason, ErrorKind: o.errorKind, Summary: summary(r, o),
		Selected: o.selected, Passed: o.passed, Affected: o.affected, Evidence: ev, EvaluatedAt: now,
	}
}

// summary renders the rule's template for the status ({selected}, {passed}, {failed}, {count}, {reason}), or a
// default sentence.
func summary(r *Rule, o outcome) string {
	failed := o.selected - o.passed
	count := ""
	if o.count != nil {
		count = strconv.Itoa(*o.count)
	}
	if r.Evidence != nil {
		if t, ok := r.Evidence.SummaryTemplates[string(o.status)]; ok {
			return strings.NewReplacer("{selected}", strconv.Itoa(o.selected), "{passed}", strconv.Itoa(o.passed),
				"{failed}", strconv.Itoa(failed), "{count}", count, "{reason}", string(o.reason)).Replace(t)
		}
	}
	switch o.reason {
	case ReasonManualRule:
		return "Manual check requires attestation"
	case ReasonAttested:
		return "Attested " + string(o.status)
	case ReasonDisabledByOverride:
		return "Rule disabled for this scope"
	case ReasonRulesetDisabled:
		return "Ruleset disabled for this scope"
	case ReasonInvalidParams:
		return "Invalid rule parameters"
	case ReasonEmptySelection:
		return "No rows matched the rule's selection"
	case ReasonMinSelectedNotMet:
		return fmt.Sprintf("Only %d rows matched the selection", o.selected)
	case ReasonCountCompare:
		return fmt.Sprintf("%s matching rows", count)
	case ReasonCELError:
		return "The check could not be evaluated"
	}
	if o.errorKind != "" && strings.HasPrefix(string(o.reason), reasonDatasetPrefix) {
		return "Dataset unavailable: " + string(o.errorKind)
	}
	switch o.status {
	case StatusPass:
		if o.selected > 0 {
			return fmt.Sprintf("%d of %d rows pass", o.passed, o.selected)
		}
		return "Check passed"
	case StatusFail:
		if o.selected > 0 {
			return fmt.Sprintf("%d of %d rows fail (%s)", failed, o.selected, o.reason)
		}
		return "Check failed"
	}
	return string(o.status)
}
