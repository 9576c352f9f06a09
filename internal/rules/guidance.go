package rules

// Guidance is what a person reads about a rule or event policy: its human title, the rationale (why it matters
// and what it checks) and the remediation steps.
type Guidance struct {
	Title       string
	Rationale   string
	Remediation string
}

// Guidance returns the guidance of a ruleset's rule or a policy set's policy; ok is false when the catalog has
// neither (an identity check, or a rule removed since the finding was raised).
func (c *Catalog) Guidance(setKey, ruleKey string) (g Guidance, ok bool) {
	if r := c.Rule(RuleRef{Ruleset: setKey, Rule: ruleKey}); r != nil {
		return r.Guidance(), true
	}
	if ps := c.PolicySet(setKey); ps != nil {
		if p := ps.Policy(ruleKey); p != nil {
			return guidance(p.Title, p.Description, p.Remediation), true
		}
	}
	return Guidance{}, false
}

// Guidance returns the rule's title, rationale and remediation steps.
func (r *Rule) Guidance() Guidance { return guidance(r.Title, r.Description, r.Remediation) }

func guidance(title, rationale string, rm *Remediation) Guidance {
	g := Guidance{Title: title, Rationale: rationale}
	if rm != nil {
		g.Remediation = rm.Instructions
	}
	return g
}
