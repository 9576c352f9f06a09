package app

import (
	"context"

	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/rules"
)

// RuleControlStore is what RuleControls reads and deletes itself; the evaluator saves.
type RuleControlStore interface {
	RuleControls(ctx context.Context, s rules.Scope) (rules.Controls, error)
	DeleteRuleOverride(ctx context.Context, s rules.Scope, ref rules.RuleRef) error
	DeleteAttestation(ctx context.Context, s rules.Scope, ref rules.RuleRef) error
}

// RuleControls attests rules and enables, disables or tunes rulesets and rules per scope, for the admin API
// (api.RuleControls). The evaluator validates and saves a change and evaluates what it affects again; removing
// one deletes it and evaluates again the same way, so the current results never rest on a removed control.
type RuleControls struct {
	Store     RuleControlStore
	Evaluator *lane.Evaluator
}

// RuleControls returns the rule controls over the app's store and evaluator.
func (a *App) RuleControls() *RuleControls {
	return &RuleControls{Store: a.DB, Evaluator: a.Evaluator}
}

// Ruleset returns the catalog's ruleset with key, or nil.
func (c *RuleControls) Ruleset(key string) *rules.Ruleset { return c.Evaluator.Catalog.Ruleset(key) }

// Guidance returns the title, rationale and remediation of a ruleset's rule or a policy set's policy.
func (c *RuleControls) Guidance(setKey, ruleKey string) (rules.Guidance, bool) {
	return c.Evaluator.Catalog.Guidance(setKey, ruleKey)
}

// Controls returns the scope's overrides and attestations, expired ones included.
func (c *RuleControls) Controls(ctx context.Context, s rules.Scope) (rules.Controls, error) {
	return c.Store.RuleControls(ctx, s)
}

// Attest saves an attestation and evaluates the rule again.
func (c *RuleControls) Attest(ctx context.Context, s rules.Scope, a rules.Attestation) error {
	_, err := c.Evaluator.Attest(ctx, s, a)
	return err
}

// SetOverride saves a ruleset or rule override and evaluates what it covers again.
func (c *RuleControls) SetOverride(ctx context.Context, s rules.Scope, o rules.Override) error {
	_, err := c.Evaluator.SetOverride(ctx, s, o)
	return err
}

// RemoveAttestation deletes a rule's attestation and evaluates the rule again; sspm.ErrNotFound when it had none.
func (c *RuleControls) RemoveAttestation(ctx context.Context, s rules.Scope, ref rules.RuleRef) error {
	if err := c.Store.DeleteAttestation(ctx, s, ref); err != nil {
		return err
	}
	_, err := c.Evaluator.EvaluateRule(ctx, s, ref)
	return err
}

// RemoveOverride deletes a ruleset override (ref.Rule "") or a rule override and evaluates what it covered
// again; sspm.ErrNotFound when there was none.
func (c *RuleControls) RemoveOverride(ctx context.Context, s rules.Scope, ref rules.RuleRef) error {
	if err := c.Store.DeleteRuleOverride(ctx, s, ref); err != nil {
		return err
	}
	if c.Evaluator.Catalog.PolicySet(ref.Ruleset) != nil { // event policies apply to events evaluated from now on
		return nil
	}
	_, err := c.Evaluator.EvaluateRule(ctx, s, ref)
	return err
}
