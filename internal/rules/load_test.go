package rules

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestShippedCatalogLoads(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	type counts struct{ automated, manual int }
	want := map[string]counts{
		"cis.okta.idaas_stig.v2":                {automated: 21, manual: 3},
		"opensspm.normalized.access_hygiene.v1": {automated: 22},
	}
	for _, rs := range cat.Rulesets {
		var got counts
		for _, r := range rs.Rules {
			if r.Manual() {
				got.manual++
			} else {
				got.automated++
			}
		}
		if got != want[rs.Key] {
			t.Errorf("%s: %+v rules, want %+v", rs.Key, got, want[rs.Key])
		}
	}
	if len(cat.PolicySets) != 1 || len(cat.PolicySets[0].Policies) != 10 {
		t.Fatalf("policy sets = %d, want the catalogue of 10 policies", len(cat.PolicySets))
	}
	if got := len(cat.Policies("okta")); got != 7 {
		t.Errorf("okta policies = %d, want 7 (EV-001..006, EV-010)", got)
	}
}

// doc wraps a ruleset body (indented under ruleset:) in a v2 envelope.
func doc(body string) string {
	return "schema_version: 2\nkind: opensspm.ruleset\nruleset:\n" + body
}

const validHead = `  key: test.set
  name: Test
  scope: {kind: connector_instance, connector_kind: okta}
`

// guidanceFields are the rationale and remediation every rule and policy needs (indented as a rule's fields).
const guidanceFields = "      description: Why it matters.\n      remediation: {instructions: Fix it.}\n"

func TestLoadRejectsInvalidDocuments(t *testing.T) {
	rule := func(extra string) string {
		return doc(validHead + "  rules:\n    - key: R-1\n      title: Rule one holds\n" + guidanceFields + extra)
	}
	tests := []struct {
		name      string
		give      string
		wantRule  string
		wantField string
		wantMsg   string
	}{
		{"unknown top-level field", "schema_version: 2\nkind: opensspm.ruleset\nextra: 1\nruleset: {}\n", "", "", "field extra not found"},
		{"schema version", "schema_version: 1\nkind: opensspm.ruleset\nruleset: {}\n", "", "schema_version", "only 2"},
		{"unknown kind", "schema_version: 2\nkind: opensspm.nope\n", "", "kind", "is not one of"},
		{"unknown rule field", rule("      severity: high\n      monitoring: {status: manual}\n      required_data: []\n      colour: red\n"), "", "", "field colour not found"},
		{"missing scope connector kind", doc("  key: k\n  name: n\n  scope: {kind: connector_instance}\n  rules: []\n"), "", "scope.connector_kind", "is required"},
		{"connector kind on global", doc("  key: k\n  name: n\n  scope: {kind: global, connector_kind: okta}\n  rules: []\n"), "", "scope.connector_kind", "must be empty"},
		{"bad severity", rule("      severity: urgent\n      monitoring: {status: manual}\n      required_data: []\n"), "R-1", "severity", `"urgent" is not one of`},
		{"required_data missing", rule("      severity: low\n      monitoring: {status: manual}\n"), "R-1", "required_data", "is required"},
		{"automated without check", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: []\n"), "R-1", "check", "is required"},
		{"manual with a check", rule("      severity: low\n      monitoring: {status: manual}\n      required_data: [ds]\n      check: {type: dataset.count_compare, dataset: ds, compare: {op: eq, value: 0}}\n"), "R-1", "check", "must be absent"},
		{"slash path", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {type: dataset.field_compare, dataset: ds, assert: {path: a/b, op: eq, value: 1}}\n"), "R-1", "check.assert.path", "dot notation"},
		{"value and value_param", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      parameters: {defaults: {p: 1}}\n      check: {type: dataset.field_compare, dataset: ds, assert: {path: a, op: eq, value: 1, value_param: p}}\n"), "R-1", "check.assert", "mutually exclusive"},
		{"unknown value_param", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {type: dataset.field_compare, dataset: ds, assert: {path: a, op: eq, value_param: nope}}\n"), "R-1", "check.assert.value_param", "not a parameter default"},
		{"dataset not required", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: []\n      check: {type: dataset.field_compare, dataset: ds, assert: {path: a, op: eq, value: 1}}\n"), "R-1", "required_data", `must include "ds"`},
		{"unknown op", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {type: dataset.field_compare, dataset: ds, assert: {path: a, op: exists, value: 1}}\n"), "R-1", "check.assert.op", `"exists" is not one of`},
		{"in needs array", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {type: dataset.field_compare, dataset: ds, assert: {path: a, op: in, value: x}}\n"), "R-1", "check.assert.value", "needs an array"},
		{"on_empty pass is v1 only", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {type: dataset.field_compare, dataset: ds, assert: {path: a, op: eq, value: 1}, expect: {on_empty: pass}}\n"), "R-1", "check.expect.on_empty", `"pass" is not one of`},
		{"count_compare value_param", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      parameters: {defaults: {p: 1}}\n      check: {type: dataset.count_compare, dataset: ds, compare: {op: eq, value_param: p}}\n"), "", "", "field value_param not found"},
		{"schema without default", rule("      severity: low\n      monitoring: {status: manual}\n      required_data: []\n      parameters: {defaults: {}, schema: {p: {type: integer}}}\n"), "R-1", "parameters.schema.p", "has no default"},
		{"default violates schema", rule("      severity: low\n      monitoring: {status: manual}\n      required_data: []\n      parameters: {defaults: {p: 1.5}, schema: {p: {type: integer}}}\n"), "R-1", "parameters.defaults.p", "whole number"},
		{"unknown selector", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {type: dataset.field_compare, selector: nope, assert: {path: a, op: eq, value: 1}}\n"), "R-1", "check.selector", "not a selector"},
		{"selector with dataset", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {type: dataset.field_compare, selector: s, dataset: ds, assert: {path: a, op: eq, value: 1}}\n"), "R-1", "check.selector", "cannot be combined"},
		{"cel compile error", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {engine: cel, expression: 'rows(\"ds\").size() >'}\n"), "R-1", "check", "compile"},
		{"cel reads undeclared dataset", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: []\n      check: {engine: cel, expression: 'rows(\"ds\").size() > 0'}\n"), "R-1", "required_data", `must include "ds"`},
		{"cel unknown param", rule("      severity: low\n      monitoring: {status: automated}\n      required_data: [ds]\n      check: {engine: cel, expression: 'rows(\"ds\").size() > param(\"n\")'}\n"), "R-1", "check", `param("n")`},
		{"duplicate rule key", doc(validHead + "  rules:\n    - {key: R, title: Rule, description: D, remediation: {instructions: I}, severity: low, monitoring: {status: manual}, required_data: []}\n    - {key: R, title: Rule, description: D, remediation: {instructions: I}, severity: low, monitoring: {status: manual}, required_data: []}\n"), "", "rules[1].key", "used twice"},
		{"title is the key", doc(validHead + "  rules:\n    - {key: R-1, title: r-1, description: D, remediation: {instructions: I}, severity: low, monitoring: {status: manual}, required_data: []}\n"), "R-1", "title", "not repeat the key"},
		{"no title", doc(validHead + "  rules:\n    - {key: R-1, description: D, remediation: {instructions: I}, severity: low, monitoring: {status: manual}, required_data: []}\n"), "R-1", "title", "is required"},
		{"no rationale", doc(validHead + "  rules:\n    - {key: R-1, title: Rule, remediation: {instructions: I}, severity: low, monitoring: {status: manual}, required_data: []}\n"), "R-1", "description", "is required"},
		{"no remediation", doc(validHead + "  rules:\n    - {key: R-1, title: Rule, description: D, severity: low, monitoring: {status: manual}, required_data: []}\n"), "R-1", "remediation", "is required"},
		{"empty remediation", doc(validHead + "  rules:\n    - {key: R-1, title: Rule, description: D, remediation: {effort: low}, severity: low, monitoring: {status: manual}, required_data: []}\n"), "R-1", "remediation.instructions", "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(map[string][]byte{"rulesets/test.yaml": []byte(tt.give)})
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LoadError", err)
			}
			for _, p := range le.Problems {
				if p.File == "rulesets/test.yaml" && p.Rule == tt.wantRule && p.Field == tt.wantField && strings.Contains(p.Message, tt.wantMsg) {
					return
				}
			}
			t.Fatalf("problems:\n%v\nwant rule %q field %q message ~ %q", err, tt.wantRule, tt.wantField, tt.wantMsg)
		})
	}
}

func TestPolicyNeedsGuidance(t *testing.T) {
	tests := []struct{ name, give, want string }{
		{"no rationale", "{id: EV-900, title: Admin added, remediation: {instructions: I}", "EV-900: description: is required"},
		{"no remediation", "{id: EV-900, title: Admin added, description: D", "EV-900: remediation: is required"},
		{"title is the id", "{id: EV-900, title: EV-900, description: D, remediation: {instructions: I}", "EV-900: title: must say"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := "schema_version: 2\nkind: opensspm.event_policy_set\npolicy_set:\n  key: p\n  name: P\n  policies:\n    - " +
				tt.give + ", severity: high, matchers: [{source_kind: okta, event_types: [a]}]}\n"
			_, err := Compile(map[string][]byte{"p.yaml": []byte(give)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %s", err, tt.want)
			}
		})
	}
}

func TestPolicySetValidation(t *testing.T) {
	give := "schema_version: 2\nkind: opensspm.event_policy_set\npolicy_set:\n  key: p\n  name: P\n  policies:\n" +
		"    - {id: EV-900, title: T, description: D, remediation: {instructions: I}, severity: high, matchers: [{source_kind: okta, event_types: [a], correlate: {sequence: [], within: soon, group_by: nobody}}]}\n"
	_, err := Compile(map[string][]byte{"p.yaml": []byte(give)})
	for _, want := range []string{"correlate.sequence: must list", "correlate.within: \"soon\"", "correlate.group_by: \"nobody\""} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %s", err, want)
		}
	}
}

func TestCatalogGuidance(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		set, rule string
		wantOK    bool
		wantTitle string
	}{
		{"cis.okta.idaas_stig.v2", "OKTA-APP-000570", true, "Okta Dashboard requires multifactor authentication"},
		{"opensspm.events.catalogue.v1", "EV-001", true, "Admin role granted"},
		{"cis.okta.idaas_stig.v2", "EV-001", false, ""},
		{"opensspm.identity.flags.v1", "IDENT-LEAVER-001", false, ""},
	}
	for _, tt := range tests {
		g, ok := cat.Guidance(tt.set, tt.rule)
		if ok != tt.wantOK || g.Title != tt.wantTitle {
			t.Errorf("Guidance(%s, %s) = %q, %v; want %q, %v", tt.set, tt.rule, g.Title, ok, tt.wantTitle, tt.wantOK)
		}
		if ok && (g.Rationale == "" || !strings.HasPrefix(g.Remediation, "1. ")) {
			t.Errorf("Guidance(%s, %s) = %+v, want a rationale and numbered steps", tt.set, tt.rule, g)
		}
	}
}

// docs/rules.md is generated from the shipped rulesets; it must match them.
func TestReferenceIsCurrent(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := cat.WriteReference(&want); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("UPDATE_DOCS") == "1" {
		if err := os.WriteFile("../../docs/rules.md", []byte(want.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatal("docs/rules.md is stale: run make docs and commit it")
	}
	for _, rs := range cat.Rulesets {
		for _, r := range rs.Rules {
			if !strings.Contains(want.String(), "### "+r.Key+": "+r.Title) {
				t.Errorf("the reference has no section for %s", r.Key)
			}
		}
	}
}
