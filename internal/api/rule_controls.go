package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// RuleControls attests rules and enables, disables or tunes rulesets and rules in a scope (docs/rules-engine.md#evaluation-order). Each
// change is validated, saved and evaluates what it affects again before it returns; *app.RuleControls is one.
type RuleControls interface {
	// Ruleset returns the ruleset with key, or nil.
	Ruleset(key string) *rules.Ruleset
	// Guidance returns the title, rationale and remediation of a ruleset's rule or a policy set's policy.
	Guidance(setKey, ruleKey string) (rules.Guidance, bool)
	// Controls returns the scope's overrides and attestations, expired ones included.
	Controls(ctx context.Context, s rules.Scope) (rules.Controls, error)
	Attest(ctx context.Context, s rules.Scope, a rules.Attestation) error
	// RemoveAttestation and RemoveOverride answer sspm.ErrNotFound when there is nothing to remove.
	RemoveAttestation(ctx context.Context, s rules.Scope, ref rules.RuleRef) error
	SetOverride(ctx context.Context, s rules.Scope, o rules.Override) error
	RemoveOverride(ctx context.Context, s rules.Scope, ref rules.RuleRef) error
}

// RulesetPath names a ruleset in a scope.
type RulesetPath struct {
	Scope   string `path:"scope" doc:"global, or the id of a connector."`
	Ruleset string `path:"ruleset" doc:"A ruleset key, e.g. cis.okta.idaas_stig.v2."`
}

// RulePath names a rule of a ruleset in a scope.
type RulePath struct {
	RulesetPath
	Rule string `path:"rule" doc:"A rule key, e.g. OKTA-APP-000090."`
}

// AttestationChange is a person's statement of a rule's status in a scope.
type AttestationChange struct {
	Status    string     `json:"status" enum:"pass,fail,not_applicable"`
	Note      string     `json:"note" minLength:"1" maxLength:"2000" doc:"Why; kept with the result and in the audit log."`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the attestation lapses and the rule is evaluated again; none: never."`
}

// RulesetOverrideChange enables or disables a ruleset in a scope.
type RulesetOverrideChange struct {
	Enabled bool `json:"enabled" doc:"false: every rule of the ruleset is not applicable (ruleset_disabled) in this scope."`
}

// RuleOverrideChange enables or disables a rule in a scope and overrides its parameters.
type RuleOverrideChange struct {
	Enabled bool           `json:"enabled" doc:"false: the rule is not applicable (disabled_by_override) in this scope."`
	Params  map[string]any `json:"params,omitempty" doc:"Parameter values replacing the defaults; each must satisfy the rule's parameter schema."`
}

// RuleAttestation is a rule's attestation in a scope.
type RuleAttestation struct {
	Status    string     `json:"status" enum:"pass,fail,not_applicable"`
	Note      string     `json:"note"`
	By        string     `json:"by"`
	At        time.Time  `json:"at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Expired   bool       `json:"expired" doc:"The attestation lapsed: the rule is evaluated as if there were none."`
}

// RuleOverride is a rule's (or a ruleset's) override in a scope.
type RuleOverride struct {
	Enabled   bool           `json:"enabled"`
	Params    map[string]any `json:"params,omitempty"`
	UpdatedBy string         `json:"updated_by,omitempty"`
	UpdatedAt *time.Time     `json:"updated_at,omitempty"`
}

// RuleParameters are a rule's tunable values: the defaults and the schema an override must satisfy.
type RuleParameters struct {
	Defaults map[string]any             `json:"defaults"`
	Schema   map[string]RuleParamSchema `json:"schema,omitempty"`
}

// RuleParamSchema constrains one parameter (docs/rules-engine.md#parameters).
type RuleParamSchema struct {
	Type        string   `json:"type,omitempty" enum:"string,boolean,integer,number,array,object"`
	Description string   `json:"description,omitempty"`
	Minimum     *float64 `json:"minimum,omitempty"`
	Maximum     *float64 `json:"maximum,omitempty"`
	Enum        []any    `json:"enum,omitempty"`
}

func (a *Admin) registerRuleControls(api huma.API) {
	tags := []string{"findings"}
	rule := "/api/posture/{scope}/rulesets/{ruleset}/rules/{rule}"
	operation(a, api, huma.Operation{OperationID: "attestRule", Method: http.MethodPut, Path: rule + "/attestation",
		Summary: "Attest a rule's status in a scope", Description: "The rule reports the attested status (reason attested) " +
			"until the attestation expires; the rule is evaluated again before the answer.",
		Tags: tags, Errors: []int{404, 422, 503}}, a.attestRule)
	operation(a, api, huma.Operation{OperationID: "removeRuleAttestation", Method: http.MethodDelete, Path: rule + "/attestation",
		Summary: "Remove a rule's attestation in a scope", Tags: tags, DefaultStatus: http.StatusNoContent,
		Errors: []int{404, 422, 503}}, a.removeRuleAttestation)
	operation(a, api, huma.Operation{OperationID: "setRuleOverride", Method: http.MethodPut, Path: rule + "/override",
		Summary: "Enable or disable a rule in a scope, or override its parameters", Tags: tags,
		Errors: []int{404, 422, 503}}, a.setRuleOverride)
	operation(a, api, huma.Operation{OperationID: "removeRuleOverride", Method: http.MethodDelete, Path: rule + "/override",
		Summary: "Remove a rule's override in a scope (enabled, default parameters)", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{404, 422, 503}}, a.removeRuleOverride)
	set := "/api/posture/{scope}/rulesets/{ruleset}"
	operation(a, api, huma.Operation{OperationID: "setRulesetOverride", Method: http.MethodPut, Path: set + "/override",
		Summary: "Enable or disable a ruleset in a scope", Tags: tags, Errors: []int{404, 422, 503}}, a.setRulesetOverride)
	operation(a, api, huma.Operation{OperationID: "removeRulesetOverride", Method: http.MethodDelete, Path: set + "/override",
		Summary: "Remove a ruleset's override in a scope (enabled)", Tags: tags, DefaultStatus: http.StatusNoContent,
		Errors: []int{404, 422, 503}}, a.removeRulesetOverride)
}

func (a *Admin) attestRule(ctx context.Context, in *struct {
	RulePath
	Body AttestationChange
}) (*body[RuleResult], error) {
	t, err := a.ruleTarget(ctx, in.RulePath)
	if err != nil {
		return nil, err
	}
	now := a.now()
	att := rules.Attestation{RulesetKey: t.ref.Ruleset, RuleKey: t.ref.Rule, Status: rules.Status(in.Body.Status),
		Note: strings.TrimSpace(in.Body.Note), By: actor(ctx), At: now}
	if in.Body.ExpiresAt != nil {
		if !in.Body.ExpiresAt.After(now) {
			return nil, sspm.Errorf(sspm.CodeInvalid, "the expiry must be in the future")
		}
		att.ExpiresAt = *in.Body.ExpiresAt
	}
	ctl, err := a.changeControl(ctx, t, "rule.attest", a.attestationState(t.ref), func() error {
		return a.Rules.Attest(ctx, t.scope, att)
	})
	if err != nil {
		return nil, err
	}
	return a.ruleAnswer(ctx, t, ctl)
}

func (a *Admin) removeRuleAttestation(ctx context.Context, in *RulePath) (*struct{}, error) {
	t, err := a.ruleTarget(ctx, *in)
	if err != nil {
		return nil, err
	}
	_, err = a.changeControl(ctx, t, "rule.attestation.remove", a.attestationState(t.ref), func() error {
		return a.Rules.RemoveAttestation(ctx, t.scope, t.ref)
	})
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return nil, sspm.Errorf(sspm.CodeNotFound, "rule %s has no attestation in %s", t.ref, t.scopeName)
	}
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (a *Admin) setRuleOverride(ctx context.Context, in *struct {
	RulePath
	Body RuleOverrideChange
}) (*body[RuleResult], error) {
	t, err := a.ruleTarget(ctx, in.RulePath)
	if err != nil {
		return nil, err
	}
	if _, err := t.rule.EffectiveParams(in.Body.Params); err != nil {
		return nil, paramProblem(err)
	}
	o := rules.Override{RulesetKey: t.ref.Ruleset, RuleKey: t.ref.Rule, Enabled: in.Body.Enabled, Params: in.Body.Params,
		UpdatedBy: actor(ctx)}
	ctl, err := a.changeControl(ctx, t, "rule.override", overrideState(t.ref), func() error {
		return a.Rules.SetOverride(ctx, t.scope, o)
	})
	if err != nil {
		return nil, err
	}
	return a.ruleAnswer(ctx, t, ctl)
}

func (a *Admin) removeRuleOverride(ctx context.Context, in *RulePath) (*struct{}, error) {
	t, err := a.ruleTarget(ctx, *in)
	if err != nil {
		return nil, err
	}
	return a.removeOverride(ctx, t, "rule.override.remove")
}

func (a *Admin) setRulesetOverride(ctx context.Context, in *struct {
	RulesetPath
	Body RulesetOverrideChange
}) (*body[RulesetPosture], error) {
	t, err := a.rulesetTarget(ctx, in.RulesetPath)
	if err != nil {
		return nil, err
	}
	o := rules.Override{RulesetKey: t.ref.Ruleset, Enabled: in.Body.Enabled, UpdatedBy: actor(ctx)}
	ctl, err := a.changeControl(ctx, t, "ruleset.override", overrideState(t.ref), func() error {
		return a.Rules.SetOverride(ctx, t.scope, o)
	})
	if err != nil {
		return nil, err
	}
	rs, err := a.Store.RuleResults(ctx, t.scope)
	if err != nil {
		return nil, err
	}
	out := RulesetPosture{Key: t.ref.Ruleset, Results: []RuleResult{}}
	for _, p := range rulesetsOf(rs) {
		if p.Key == t.ref.Ruleset {
			out = p
		}
	}
	a.decorateRuleset(&out, ctl)
	return bodyOf(out), nil
}

func (a *Admin) removeRulesetOverride(ctx context.Context, in *RulesetPath) (*struct{}, error) {
	t, err := a.rulesetTarget(ctx, *in)
	if err != nil {
		return nil, err
	}
	return a.removeOverride(ctx, t, "ruleset.override.remove")
}

func (a *Admin) removeOverride(ctx context.Context, t controlTarget, action string) (*struct{}, error) {
	_, err := a.changeControl(ctx, t, action, overrideState(t.ref), func() error {
		return a.Rules.RemoveOverride(ctx, t.scope, t.ref)
	})
	if sspm.ErrorCode(err) == sspm.CodeNotFound {
		return nil, sspm.Errorf(sspm.CodeNotFound, "%s has no override in %s", t.name(), t.scopeName)
	}
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// controlTarget is the ruleset or rule a control applies to, in its scope.
type controlTarget struct {
	scope     rules.Scope
	scopeName string // global or the connector id
	ruleset   *rules.Ruleset
	rule      *rules.Rule // nil for a ruleset
	ref       rules.RuleRef
}

func (t controlTarget) name() string {
	if t.rule == nil {
		return "ruleset " + t.ref.Ruleset
	}
	return "rule " + t.ref.String()
}

// rulesetTarget resolves a ruleset path: the scope (global or an existing connector) and a ruleset evaluated in
// it.
func (a *Admin) rulesetTarget(ctx context.Context, p RulesetPath) (controlTarget, error) {
	if a.Rules == nil {
		return controlTarget{}, sspm.Errorf(sspm.CodeUnavailable, "rule controls are not configured")
	}
	t := controlTarget{scope: rules.GlobalScope(), scopeName: p.Scope, ref: rules.RuleRef{Ruleset: p.Ruleset}}
	if p.Scope != rules.ScopeGlobal {
		c, err := a.Store.Connector(ctx, p.Scope)
		if err != nil {
			return controlTarget{}, connectorNotFound(err, p.Scope)
		}
		t.scope = rules.ConnectorScope(string(c.Kind), c.ID)
	}
	if t.ruleset = a.Rules.Ruleset(p.Ruleset); t.ruleset == nil {
		return controlTarget{}, sspm.Errorf(sspm.CodeNotFound, "ruleset %s not found", p.Ruleset)
	}
	switch {
	case !t.ruleset.AppliesTo(t.scope):
		return controlTarget{}, sspm.Errorf(sspm.CodeInvalid, "ruleset %s does not apply to %s", p.Ruleset, p.Scope)
	case t.ruleset.Status == "deprecated":
		return controlTarget{}, sspm.Errorf(sspm.CodeInvalid, "ruleset %s is deprecated and not evaluated", p.Ruleset)
	}
	return t, nil
}

// ruleTarget resolves a rule path: a ruleset target and one of its active rules.
func (a *Admin) ruleTarget(ctx context.Context, p RulePath) (controlTarget, error) {
	t, err := a.rulesetTarget(ctx, p.RulesetPath)
	if err != nil {
		return controlTarget{}, err
	}
	t.ref.Rule = p.Rule
	if t.rule = t.ruleset.Rule(p.Rule); t.rule == nil || !t.rule.Active() {
		return controlTarget{}, sspm.Errorf(sspm.CodeNotFound, "rule %s not found", t.ref)
	}
	return t, nil
}

// changeControl makes a change and audits it with the control's state before and after, both read from the
// store: a change that was saved but whose evaluation failed is audited too, a rejected one is not.
func (a *Admin) changeControl(ctx context.Context, t controlTarget, action string, state func(rules.Controls) any,
	change func() error) (rules.Controls, error) {
	before, err := a.Rules.Controls(ctx, t.scope)
	if err != nil {
		return rules.Controls{}, err
	}
	changeErr := change()
	after, err := a.Rules.Controls(ctx, t.scope)
	if err != nil {
		return rules.Controls{}, errors.Join(changeErr, err)
	}
	b, af := state(before), state(after)
	if changeErr != nil && reflect.DeepEqual(b, af) {
		return after, changeErr
	}
	targetType, targetID := "rule", t.scopeName+"/"+t.ref.Ruleset+"/"+t.ref.Rule
	if t.rule == nil {
		targetType, targetID = "ruleset", t.scopeName+"/"+t.ref.Ruleset
	}
	if err := a.Store.RecordAudit(ctx, postgres.Audit{Actor: actor(ctx), Action: action, TargetType: targetType,
		TargetID: targetID, Before: b, After: af}); err != nil {
		return after, errors.Join(changeErr, err)
	}
	return after, changeErr
}

// attestationState is the audited state of a rule's attestation: nil when it has none.
func (a *Admin) attestationState(ref rules.RuleRef) func(rules.Controls) any {
	return func(ctl rules.Controls) any {
		if at := attestationOut(ctl, ref, a.now()); at != nil {
			return at
		}
		return nil
	}
}

// overrideState is the audited state of a ruleset's or rule's override: nil when it has none.
func overrideState(ref rules.RuleRef) func(rules.Controls) any {
	return func(ctl rules.Controls) any {
		if o := overrideOut(ctl, ref); o != nil {
			return o
		}
		return nil
	}
}

// ruleAnswer is a rule's current result in the target's scope, with its controls.
func (a *Admin) ruleAnswer(ctx context.Context, t controlTarget, ctl rules.Controls) (*body[RuleResult], error) {
	rs, err := a.Store.RuleResults(ctx, t.scope)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.RulesetKey == t.ref.Ruleset && r.RuleKey == t.ref.Rule {
			out := ruleResultOut(r)
			a.decorateRule(&out, t.rule, ctl, a.now())
			return bodyOf(out), nil
		}
	}
	return nil, sspm.Errorf(sspm.CodeNotFound, "rule %s has no result in %s", t.ref, t.scopeName)
}

// paramProblem is a 422 naming the offending parameter, at body.params.<name>, so a form can show it next to the
// field.
func paramProblem(err error) error {
	var pe *rules.ParamError
	if !errors.As(err, &pe) {
		return sspm.Errorf(sspm.CodeInvalid, "invalid parameters")
	}
	loc := "body.params"
	if pe.Param != "*" {
		loc += "." + pe.Param
	}
	return huma.Error422UnprocessableEntity("invalid parameters: "+pe.Error(), &huma.ErrorDetail{Location: loc, Message: pe.Message})
}

// decorateRuleset adds the ruleset's controls to its posture: whether it is disabled and, per rule, whether it
// is manual, its attestation, its override and its parameters.
func (a *Admin) decorateRuleset(p *RulesetPosture, ctl rules.Controls) {
	if a.Rules == nil {
		return
	}
	rs := a.Rules.Ruleset(p.Key)
	if rs != nil {
		p.Name = rs.Name
	}
	if o, ok := ctl.Overrides[rules.RuleRef{Ruleset: p.Key}]; ok && !o.Enabled {
		p.Disabled = true
	}
	now := a.now()
	for i := range p.Results {
		var r *rules.Rule
		if rs != nil {
			r = rs.Rule(p.Results[i].RuleKey)
		}
		a.decorateRule(&p.Results[i], r, ctl, now)
	}
}

func (a *Admin) decorateRule(out *RuleResult, r *rules.Rule, ctl rules.Controls, now time.Time) {
	ref := rules.RuleRef{Ruleset: out.RulesetKey, Rule: out.RuleKey}
	out.Attestation = attestationOut(ctl, ref, now)
	out.Override = overrideOut(ctl, ref)
	if r == nil {
		return
	}
	out.Manual = r.Manual()
	g := r.Guidance()
	out.Title, out.Rationale, out.Remediation = g.Title, g.Rationale, g.Remediation
	if p := r.Parameters; p != nil && len(p.Defaults) > 0 {
		out.Parameters = &RuleParameters{Defaults: p.Defaults}
		if len(p.Schema) > 0 {
			out.Parameters.Schema = make(map[string]RuleParamSchema, len(p.Schema))
			for k, s := range p.Schema {
				out.Parameters.Schema[k] = RuleParamSchema{Type: s.Type, Description: s.Description, Minimum: s.Minimum,
					Maximum: s.Maximum, Enum: s.Enum}
			}
		}
	}
}

func attestationOut(ctl rules.Controls, ref rules.RuleRef, now time.Time) *RuleAttestation {
	at, ok := ctl.Attestations[ref]
	if !ok {
		return nil
	}
	return &RuleAttestation{Status: string(at.Status), Note: at.Note, By: at.By, At: at.At.UTC(),
		ExpiresAt: timePtr(at.ExpiresAt), Expired: !at.ValidAt(now)}
}

func overrideOut(ctl rules.Controls, ref rules.RuleRef) *RuleOverride {
	o, ok := ctl.Overrides[ref]
	if !ok {
		return nil
	}
	out := &RuleOverride{Enabled: o.Enabled, UpdatedBy: o.UpdatedBy, UpdatedAt: timePtr(o.UpdatedAt)}
	if len(o.Params) > 0 {
		out.Params = o.Params
	}
	return out
}
