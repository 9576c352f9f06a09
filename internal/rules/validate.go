package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Problem is one validation error, located by file, ruleset or policy set, rule and field.
type Problem struct {
	File    string
	Set     string // ruleset or policy set key
	Rule    string // rule key or policy id
	Field   string
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Set != "" {
		b.WriteString(": " + p.Set)
	}
	if p.Rule != "" {
		b.WriteString(": " + p.Rule)
	}
	if p.Field != "" {
		b.WriteString(": " + p.Field)
	}
	b.WriteString(": " + p.Message)
	return b.String()
}

// LoadError lists every problem found while loading rule documents.
type LoadError struct{ Problems []Problem }

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid rule documents:\n  " + strings.Join(lines, "\n  ")
}

// checker collects problems for one document.
type checker struct {
	file, set, rule string
	problems        []Problem
}

func (c *checker) addf(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: c.file, Set: c.set, Rule: c.rule, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.addf(field, "is required")
	}
}

func (c *checker) oneOf(field, v string, allowed ...string) {
	if v != "" && !contains(allowed, v) {
		c.addf(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

var (
	monitorings  = []string{"automated", "partial", "manual", "unsupported"}
	policyActs   = []string{"unknown", "fail", "error"}
	ops          = []string{"eq", "neq", "gt", "gte", "lt", "lte", "in", "nin"}
	refTypes     = []string{"documentation", "standard", "blog", "ticket", "other"}
	coverages    = []string{"direct", "partial", "supporting"}
	efforts      = []string{"low", "medium", "high"}
	dateRE       = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	segmentRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	paramTypes   = []string{"string", "boolean", "integer", "number", "array", "object"}
	summaryKeys  = []string{"pass", "fail", "unknown", "error", "not_applicable"}
	replacedByRE = regexp.MustCompile(`^[^/\s]+/[^/\s]+$`)
)

// checkRuleset validates a ruleset document (docs/rules-engine.md#documents) before it is compiled.
func (c *checker) checkRuleset(rs *Ruleset) {
	c.required("key", rs.Key)
	c.required("name", rs.Name)
	switch rs.Scope.Kind {
	case ScopeGlobal:
		if rs.Scope.ConnectorKind != "" {
			c.addf("scope.connector_kind", "must be empty for a global ruleset")
		}
	case ScopeConnector:
		c.required("scope.connector_kind", rs.Scope.ConnectorKind)
	case "":
		c.addf("scope.kind", "is required")
	default:
		c.addf("scope.kind", "%q is not one of global, connector_instance", rs.Scope.Kind)
	}
	c.oneOf("status", rs.Status, "active", "deprecated")
	if s := rs.Source; s != nil {
		c.required("source.name", s.Name)
		c.required("source.version", s.Version)
		if !dateRE.MatchString(s.Date) {
			c.addf("source.date", "%q is not a YYYY-MM-DD date", s.Date)
		}
	}
	c.checkRefs("references", rs.References, rs.FrameworkMappings)
	contracts := map[string]bool{}
	for i, dc := range rs.DataContracts {
		f := fmt.Sprintf("data_contracts[%d]", i)
		c.required(f+".dataset", dc.Dataset)
		if dc.Version < 1 {
			c.addf(f+".version", "must be at least 1")
		}
		if contracts[dc.Dataset] {
			c.addf(f+".dataset", "%q has more than one version", dc.Dataset)
		}
		contracts[dc.Dataset] = true
	}
	if d := rs.Defaults; d != nil {
		c.checkPolicy("defaults.check", d.Check)
	}
	for _, name := range sortedKeys(rs.Selectors) {
		sel := rs.Selectors[name]
		f := "selectors." + name
		c.required(f+".dataset", sel.Dataset)
		for i, p := range sel.Where {
			c.checkPredicate(fmt.Sprintf("%s.where[%d]", f, i), p, nil)
		}
	}
	if len(rs.Rules) == 0 {
		c.addf("rules", "must list at least one rule")
	}
	seen := map[string]bool{}
	for i, r := range rs.Rules {
		if r == nil {
			c.addf(fmt.Sprintf("rules[%d]", i), "is empty")
			continue
		}
		if seen[r.Key] {
			c.addf(fmt.Sprintf("rules[%d].key", i), "%q is used twice", r.Key)
		}
		seen[r.Key] = true
		rc := checker{file: c.file, set: c.set, rule: r.Key}
		if r.Key == "" {
			rc.rule = fmt.Sprintf("rules[%d]", i)
		}
		rc.checkRule(rs, r, contracts)
		c.problems = append(c.problems, rc.problems...)
	}
}

func (c *checker) checkRefs(field string, refs []Reference, maps []FrameworkMapping) {
	for i, r := range refs {
		c.required(fmt.Sprintf("%s[%d].url", field, i), r.URL)
		c.oneOf(fmt.Sprintf("%s[%d].type", field, i), r.Type, refTypes...)
	}
	for i, m := range maps {
		f := fmt.Sprintf("framework_mappings[%d]", i)
		c.required(f+".framework", m.Framework)
		c.required(f+".control", m.Control)
		c.oneOf(f+".coverage", m.Coverage, coverages...)
	}
}

func (c *checker) checkPolicy(field string, p CheckPolicy) {
	c.oneOf(field+".on_missing_dataset", p.OnMissingDataset, policyActs...)
	c.oneOf(field+".on_permission_denied", p.OnPermissionDenied, policyActs...)
	c.oneOf(field+".on_sync_error", p.OnSyncError, policyActs...)
}

func (c *checker) checkRule(rs *Ruleset, r *Rule, contracts map[string]bool) {
	c.required("key", r.Key)
	c.checkGuidance(r.Key, r.Title, r.Description, r.Remediation)
	c.required("severity", r.Severity)
	c.oneOf("severity", r.Severity, sspm.Severities...)
	c.required("monitoring.status", r.Monitoring.Status)
	c.oneOf("monitoring.status", r.Monitoring.Status, monitorings...)
	if r.RequiredData == nil {
		c.addf("required_data", "is required (it may be empty)")
	}
	c.checkParams(r.Parameters)
	c.checkRefs("references", r.References, r.FrameworkMappings)
	if e := r.Evidence; e != nil {
		for k := range e.SummaryTemplates {
			c.oneOf("evidence.summary_templates", k, summaryKeys...)
		}
	}
	if l := r.Lifecycle; l != nil && l.ReplacedBy != "" && !replacedByRE.MatchString(l.ReplacedBy) {
		c.addf("lifecycle.replaced_by", "%q is not <ruleset>/<rule>", l.ReplacedBy)
	}
	automated := r.Monitoring.Status == "automated" || r.Monitoring.Status == "partial"
	switch {
	case automated && (r.Check == nil || r.Check.Type == CheckManual):
		c.addf("check", "is required for a %s rule", r.Monitoring.Status)
	case !automated && r.Check != nil && r.Check.Type != CheckManual:
		c.addf("check", "must be absent (or manual.attestation) for a %s rule", r.Monitoring.Status)
	case r.Check != nil:
		c.checkCheck(rs, r, contracts)
	}
}

// checkGuidance checks what a person reads about a rule or policy: a human title that is not the key, a
// rationale (description) and remediation instructions.
func (c *checker) checkGuidance(key, title, rationale string, rm *Remediation) {
	c.required("title", title)
	if key != "" && strings.EqualFold(strings.TrimSpace(title), key) {
		c.addf("title", "must say what the rule checks in words, not repeat the key %s", key)
	}
	c.required("description", rationale)
	if rm == nil {
		c.addf("remediation", "is required: the steps that fix a failure")
		return
	}
	c.required("remediation.instructions", rm.Instructions)
	c.oneOf("remediation.effort", rm.Effort, efforts...)
}

func (c *checker) checkParams(p *Parameters) {
	if p == nil {
		return
	}
	if p.Defaults == nil {
		c.addf("parameters.defaults", "is required")
	}
	for _, k := range sortedKeys(p.Schema) {
		s := p.Schema[k]
		if _, ok := p.Defaults[k]; !ok {
			c.addf("parameters.schema."+k, "has no default")
		}
		c.oneOf("parameters.schema."+k+".type", s.Type, paramTypes...)
	}
	for _, k := range sortedKeys(p.Defaults) {
		if err := checkParam(k, p.Schema[k], p.Defaults[k], p.Schema != nil); err != nil {
			c.addf("parameters.defaults."+k, "%s", err.(*ParamError).Message)
		}
	}
}

func (c *checker) checkCheck(rs *Ruleset, r *Rule, contracts map[string]bool) {
	k := r.Check
	required := r.Required()
	c.checkPolicy("check", k.CheckPolicy)
	if k.Engine != "" {
		c.oneOf("check.engine", k.Engine, EngineCEL)
		if k.Type != "" || k.Dataset != "" || k.Selector != "" || len(k.Where) > 0 || k.Assert != nil || k.Expect != nil || k.Compare != nil {
			c.addf("check", "a raw CEL check has only engine, expression and policies")
		}
		c.required("check.expression", k.Expression)
		return // datasets named by rows() are checked once compiled
	}
	c.oneOf("check.type", k.Type, CheckFieldCompare, CheckCountCompare, CheckManual)
	if k.Type == CheckManual {
		if k.Dataset != "" || k.Selector != "" || len(k.Where) > 0 || k.Assert != nil || k.Expect != nil || k.Compare != nil {
			c.addf("check", "%s takes no fields", CheckManual)
		}
		return
	}
	if k.Type == "" {
		c.addf("check.type", "is required (or engine: cel)")
		return
	}
	dataset := k.Dataset
	switch {
	case k.Selector != "" && k.Dataset != "":
		c.addf("check.selector", "cannot be combined with an explicit dataset")
	case k.Selector != "":
		sel, ok := rs.Selectors[k.Selector]
		if !ok {
			c.addf("check.selector", "%q is not a selector of the ruleset", k.Selector)
		}
		dataset = sel.Dataset
	case k.Dataset == "":
		c.addf("check.dataset", "is required (or selector)")
	}
	if dataset != "" && !contains(required, dataset) {
		c.addf("required_data", "must include %q, which the check reads", dataset)
	}
	if dataset != "" && len(rs.DataContracts) > 0 && !contracts[dataset] {
		c.addf("check.dataset", "%q has no data contract in the ruleset", dataset)
	}
	for i, p := range k.Where {
		c.checkPredicate(fmt.Sprintf("check.where[%d]", i), p, r.Parameters)
	}
	switch k.Type {
	case CheckFieldCompare:
		if k.Assert == nil {
			c.addf("check.assert", "is required for %s", k.Type)
		} else {
			c.checkPredicate("check.assert", *k.Assert, r.Parameters)
		}
		if k.Compare != nil {
			c.addf("check.compare", "is only for %s", CheckCountCompare)
		}
		if e := k.Expect; e != nil {
			c.oneOf("check.expect.match", e.Match, "all", "any")
			c.oneOf("check.expect.on_empty", e.OnEmpty, "fail", "unknown")
			if e.MinSelected != nil && *e.MinSelected < 0 {
				c.addf("check.expect.min_selected", "must not be negative")
			}
		}
	case CheckCountCompare:
		if k.Assert != nil || k.Expect != nil {
			c.addf("check", "%s takes compare, not assert or expect", k.Type)
		}
		if k.Compare == nil {
			c.addf("check.compare", "is required for %s", k.Type)
			return
		}
		c.oneOf("check.compare.op", k.Compare.Op, "eq", "neq", "gt", "gte", "lt", "lte")
		if k.Compare.Value == nil {
			c.addf("check.compare.value", "is required (an integer)")
		}
	}
}

func (c *checker) checkPredicate(field string, p Predicate, params *Parameters) {
	c.required(field+".path", p.Path)
	if strings.Contains(p.Path, "/") {
		c.addf(field+".path", "%q uses /; v2 paths use dot notation", p.Path)
	} else if p.Path != "" {
		for _, seg := range strings.Split(p.Path, ".") {
			if !segmentRE.MatchString(seg) {
				c.addf(field+".path", "%q has an invalid segment %q", p.Path, seg)
				break
			}
		}
	}
	c.required(field+".op", p.Op)
	c.oneOf(field+".op", p.Op, ops...)
	switch {
	case p.Value != nil && p.ValueParam != "":
		c.addf(field, "value and value_param are mutually exclusive")
	case p.Value == nil && p.ValueParam == "":
		c.addf(field, "needs value or value_param")
	case p.ValueParam != "":
		if params == nil || params.Defaults == nil {
			c.addf(field+".value_param", "%q is not a parameter default", p.ValueParam)
		} else if _, ok := params.Defaults[p.ValueParam]; !ok {
			c.addf(field+".value_param", "%q is not a parameter default", p.ValueParam)
		}
	case p.Op == "in" || p.Op == "nin":
		if _, ok := p.Value.([]any); !ok {
			c.addf(field+".value", "%s needs an array", p.Op)
		}
	case p.Op == "gt" || p.Op == "gte" || p.Op == "lt" || p.Op == "lte":
		_, isNum := number(p.Value)
		_, isStr := p.Value.(string)
		if !isNum && !isStr {
			c.addf(field+".value", "%s needs a number or a string", p.Op)
		}
	}
}
