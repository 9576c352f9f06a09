package rules

import (
	"fmt"
	"regexp"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// PolicySet is a catalogue of event policies (ours: the spec has no event-policy kind; docs/rules-engine.md#event-policies).
type PolicySet struct {
	Key         string    `yaml:"key" json:"key"`
	Name        string    `yaml:"name" json:"name"`
	Description string    `yaml:"description,omitempty" json:"description,omitempty"`
	Policies    []*Policy `yaml:"policies" json:"policies"`

	file string
}

// Policy turns matching canonical events into event findings.
type Policy struct {
	ID       string `yaml:"id" json:"id"`
	Title    string `yaml:"title" json:"title"`
	Severity string `yaml:"severity" json:"severity"`
	// Description is the rationale: one paragraph on why a match matters and what the policy fires on.
	Description string       `yaml:"description" json:"description"`
	Remediation *Remediation `yaml:"remediation" json:"remediation"`
	Mode        string       `yaml:"mode,omitempty" json:"mode,omitempty"` // active (default) or shadow
	Matchers    []*Matcher   `yaml:"matchers" json:"matchers"`
	Escalate    []Escalation `yaml:"escalate,omitempty" json:"escalate,omitempty"`
	// Resync lists posture datasets a matching event makes stale: the rules reading them should re-run after
	// the connector refreshed them.
	Resync []string `yaml:"resync,omitempty" json:"resync,omitempty"`
}

// Matcher matches the events of one connector kind. A policy is skipped for sources whose kind no matcher
// names, so matchers for connectors that do not exist yet cost nothing.
type Matcher struct {
	SourceKind string     `yaml:"source_kind" json:"source_kind"`
	EventTypes []string   `yaml:"event_types,omitempty" json:"event_types,omitempty"`
	Categories []string   `yaml:"categories,omitempty" json:"categories,omitempty"`
	When       string     `yaml:"when,omitempty" json:"when,omitempty"` // CEL boolean over `event`
	Correlate  *Correlate `yaml:"correlate,omitempty" json:"correlate,omitempty"`
	Notes      string     `yaml:"notes,omitempty" json:"notes,omitempty"`

	when  cel.Program
	types map[string]bool
	cats  map[string]bool
}

// Correlate makes a matcher a sequence: the matched event fires only when the steps happened before it, in
// order, for the same group (the event's first target, or its actor), within the window.
type Correlate struct {
	Sequence []Step `yaml:"sequence" json:"sequence"`
	Within   string `yaml:"within" json:"within"` // a Go duration, e.g. 24h
	GroupBy  string `yaml:"group_by" json:"group_by"`

	within time.Duration
}

// Step is one earlier event of a sequence.
type Step struct {
	EventTypes []string `yaml:"event_types,omitempty" json:"event_types,omitempty"`
	Categories []string `yaml:"categories,omitempty" json:"categories,omitempty"`
}

// Escalation raises a finding's severity when its CEL condition holds for the event.
type Escalation struct {
	When     string `yaml:"when" json:"when"`
	Severity string `yaml:"severity" json:"severity"`

	prg cel.Program
}

// Shadow reports whether the policy records findings without alerting.
func (p *Policy) Shadow() bool { return p.Mode == "shadow" }

// SourceKinds lists the connector kinds the policy reads.
func (p *Policy) SourceKinds() []string {
	var out []string
	for _, m := range p.Matchers {
		if !contains(out, m.SourceKind) {
			out = append(out, m.SourceKind)
		}
	}
	return out
}

var policyIDRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)

func (c *checker) checkPolicySet(ps *PolicySet, ids map[string]string) {
	c.required("key", ps.Key)
	c.required("name", ps.Name)
	if len(ps.Policies) == 0 {
		c.addf("policies", "must list at least one policy")
	}
	for i, p := range ps.Policies {
		if p == nil {
			c.addf(fmt.Sprintf("policies[%d]", i), "is empty")
			continue
		}
		pc := checker{file: c.file, set: c.set, rule: p.ID}
		if !policyIDRE.MatchString(p.ID) {
			pc.addf("id", "%q is not an id like EV-001", p.ID)
		}
		if prev, dup := ids[p.ID]; dup {
			pc.addf("id", "is also used in %s", prev)
		}
		ids[p.ID] = c.file
		pc.checkGuidance(p.ID, p.Title, p.Description, p.Remediation)
		pc.required("severity", p.Severity)
		pc.oneOf("severity", p.Severity, sspm.Severities...)
		pc.oneOf("mode", p.Mode, "active", "shadow")
		if len(p.Matchers) == 0 {
			pc.addf("matchers", "must list at least one matcher")
		}
		for j, m := range p.Matchers {
			f := fmt.Sprintf("matchers[%d]", j)
			if m == nil { // `- ` or `- null` in the list
				pc.addf(f, "is empty")
				continue
			}
			pc.required(f+".source_kind", m.SourceKind)
			if len(m.EventTypes) == 0 && len(m.Categories) == 0 {
				pc.addf(f, "needs event_types or categories")
			}
			if k := m.Correlate; k != nil {
				if len(k.Sequence) == 0 {
					pc.addf(f+".correlate.sequence", "must list at least one earlier step")
				}
				for s, st := range k.Sequence {
					if len(st.EventTypes) == 0 && len(st.Categories) == 0 {
						pc.addf(fmt.Sprintf("%s.correlate.sequence[%d]", f, s), "needs event_types or categories")
					}
				}
				d, err := time.ParseDuration(k.Within)
				if err != nil || d <= 0 {
					pc.addf(f+".correlate.within", "%q is not a positive duration", k.Within)
				}
				k.within = d
				pc.oneOf(f+".correlate.group_by", k.GroupBy, "target", "actor")
				pc.required(f+".correlate.group_by", k.GroupBy)
			}
		}
		for j, e := range p.Escalate {
			pc.required(fmt.Sprintf("escalate[%d].when", j), e.When)
			pc.oneOf(fmt.Sprintf("escalate[%d].severity", j), e.Severity, sspm.Severities...)
		}
		c.problems = append(c.problems, pc.problems...)
	}
}

func (c *checker) compilePolicySet(env *cel.Env, ps *PolicySet) {
	for _, p := range ps.Policies {
		c.rule = p.ID
		for j, m := range p.Matchers {
			m.types, m.cats = set(m.EventTypes), set(m.Categories)
			if m.When == "" {
				continue
			}
			prg, err := program(env, m.When, cel.BoolType)
			if err != nil {
				c.addf(fmt.Sprintf("matchers[%d].when", j), "%v", err)
				continue
			}
			m.when = prg
		}
		for j := range p.Escalate {
			prg, err := program(env, p.Escalate[j].When, cel.BoolType)
			if err != nil {
				c.addf(fmt.Sprintf("escalate[%d].when", j), "%v", err)
				continue
			}
			p.Escalate[j].prg = prg
		}
	}
	c.rule = ""
}

func set(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}

// Policies lists the policies with a matcher for sourceKind, with the catalogue's policy set key.
func (c *Catalog) Policies(sourceKind string) []PolicyRef {
	var out []PolicyRef
	for _, ps := range c.PolicySets {
		for _, p := range ps.Policies {
			if contains(p.SourceKinds(), sourceKind) {
				out = append(out, PolicyRef{Set: ps.Key, Policy: p})
			}
		}
	}
	return out
}

// PolicyRef is a policy with the key of its set.
type PolicyRef struct {
	Set    string
	Policy *Policy
}

// PolicySet returns the policy set with key, or nil.
func (c *Catalog) PolicySet(key string) *PolicySet {
	for _, ps := range c.PolicySets {
		if ps.Key == key {
			return ps
		}
	}
	return nil
}

// Policy returns the set's policy with id, or nil.
func (ps *PolicySet) Policy(id string) *Policy {
	for _, p := range ps.Policies {
		if p.ID == id {
			return p
		}
	}
	return nil
}
