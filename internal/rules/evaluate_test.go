package rules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// oneRule compiles a ruleset of one rule over dataset "ds" and evaluates it on rows.
func oneRule(t *testing.T, check string, data Datasets, ctl Controls) Result {
	t.Helper()
	src := doc(`  key: t.set
  name: T
  scope: {kind: global}
  rules:
    - key: R
      title: The rule holds
      description: Why it matters.
      remediation: {instructions: Fix it.}
      severity: low
      monitoring: {status: automated}
      required_data: [ds]
      parameters:
        defaults: {limit: 10, labels: [a, b]}
        schema:
          limit: {type: integer, minimum: 1, maximum: 100}
          labels: {type: array}
      check: ` + check + "\n")
	cat, err := Compile(map[string][]byte{"t.yaml": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cat.Ruleset("t.set").Evaluate(context.Background(), GlobalScope(), data, ctl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func rowsOf(vals ...any) DatasetMap {
	var rows []map[string]any
	for i, v := range vals {
		rows = append(rows, map[string]any{"resource_id": fmt.Sprint("r", i), "v": v, "kind": "x"})
	}
	return DatasetMap{Rows: map[string][]map[string]any{"ds": rows}}
}

func TestExpectSemantics(t *testing.T) {
	tests := []struct {
		name       string
		check      string
		give       DatasetMap
		want       Status
		wantReason Reason
	}{
		{"v2 defaults: empty fails", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}}`, rowsOf(), StatusFail, ReasonEmptySelection},
		{"on_empty unknown", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}, expect: {on_empty: unknown}}`, rowsOf(), StatusUnknown, ReasonEmptySelection},
		{"where selects nothing", `{type: dataset.field_compare, dataset: ds, where: [{path: kind, op: eq, value: y}], assert: {path: v, op: eq, value: 1}}`, rowsOf(1.0), StatusFail, ReasonEmptySelection},
		{"missing field in where is never selected, even for neq", `{type: dataset.field_compare, dataset: ds, where: [{path: nope, op: neq, value: y}], assert: {path: v, op: eq, value: 1}, expect: {on_empty: unknown}}`, rowsOf(1.0), StatusUnknown, ReasonEmptySelection},
		{"min_selected not met", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}, expect: {min_selected: 3}}`, rowsOf(1.0, 1.0), StatusFail, ReasonMinSelectedNotMet},
		{"min_selected met", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}, expect: {min_selected: 2}}`, rowsOf(1.0, 1.0), StatusPass, ReasonAssertPassed},
		{"min_selected 0 and empty still uses on_empty", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}, expect: {min_selected: 0, on_empty: unknown}}`, rowsOf(), StatusUnknown, ReasonEmptySelection},
		{"match all fails on one row", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}}`, rowsOf(1.0, 2.0), StatusFail, ReasonAssertFailed},
		{"match any passes on one row", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}, expect: {match: any}}`, rowsOf(1.0, 2.0), StatusPass, ReasonAssertPassed},
		{"match any fails when none pass", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}, expect: {match: any}}`, rowsOf(2.0, 3.0), StatusFail, ReasonAssertFailed},
		{"missing field fails neq (D1)", `{type: dataset.field_compare, dataset: ds, assert: {path: w, op: neq, value: 1}}`, rowsOf(1.0), StatusFail, ReasonMissingField},
		{"null is missing (D1)", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: nin, value: [1]}}`, rowsOf(nil), StatusFail, ReasonMissingField},
		{"string vs number ordered (D3)", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: gte, value: 1}}`, rowsOf("5"), StatusFail, ReasonTypeMismatch},
		{"strings order", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: lt, value: m}}`, rowsOf("a"), StatusPass, ReasonAssertPassed},
		{"no coercion in eq (D3)", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: true}}`, rowsOf("true"), StatusFail, ReasonTypeMismatch},
		{"mixed failing reasons are assert_failed", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: gte, value: 5}}`, rowsOf(1.0, "x"), StatusFail, ReasonAssertFailed},
		{"in", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: in, value: [a, b]}}`, rowsOf("a", "b"), StatusPass, ReasonAssertPassed},
		{"value_param", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: lte, value_param: limit}}`, rowsOf(10.0, 11.0), StatusFail, ReasonAssertFailed},
		{"array value_param", `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: in, value_param: labels}}`, rowsOf("b"), StatusPass, ReasonAssertPassed},
		{"count_compare", `{type: dataset.count_compare, dataset: ds, where: [{path: v, op: gt, value: 1}], compare: {op: eq, value: 0}}`, rowsOf(1.0, 2.0), StatusFail, ReasonCountCompare},
		{"raw cel pass", `{engine: cel, expression: 'rows("ds").size() <= param("limit")'}`, rowsOf(1.0), StatusPass, ReasonAssertPassed},
		{"raw cel fail", `{engine: cel, expression: 'rows("ds").all(r, r.v == 1.0)'}`, rowsOf(1.0, 2.0), StatusFail, ReasonAssertFailed},
		{"raw cel error is an engine error", `{engine: cel, expression: 'rows("ds").all(r, r.missing == 1.0)'}`, rowsOf(1.0), StatusError, ReasonCELError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oneRule(t, tt.check, tt.give, Controls{})
			if got.Status != tt.want || got.Reason != tt.wantReason {
				t.Fatalf("got %s/%s (%s %s), want %s/%s", got.Status, got.Reason, got.Summary, got.Evidence.Error, tt.want, tt.wantReason)
			}
		})
	}
}

func TestDatasetErrors(t *testing.T) {
	const field = `{type: dataset.field_compare, dataset: ds, assert: {path: v, op: eq, value: 1}%s}`
	tests := []struct {
		name   string
		policy string
		give   ErrorKind
		want   Status
	}{
		{"permission denied is unknown by default", "", ErrPermissionDenied, StatusUnknown},
		{"permission denied as error", ", on_permission_denied: error", ErrPermissionDenied, StatusError},
		{"permission denied as fail", ", on_permission_denied: fail", ErrPermissionDenied, StatusFail},
		{"missing dataset", "", ErrMissingDataset, StatusUnknown},
		{"missing integration follows on_missing_dataset", ", on_missing_dataset: error", ErrMissingIntegration, StatusError},
		{"sync failed", ", on_sync_error: error", ErrSyncFailed, StatusError},
		{"engine error follows on_sync_error", "", ErrEngine, StatusUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := DatasetMap{Errors: map[string]ErrorKind{"ds": tt.give}}
			got := oneRule(t, fmt.Sprintf(field, tt.policy), data, Controls{})
			if got.Status != tt.want || got.Reason != DatasetReason(tt.give) || got.ErrorKind != tt.give {
				t.Fatalf("got %s/%s/%s, want %s/%s/%s", got.Status, got.Reason, got.ErrorKind, tt.want, DatasetReason(tt.give), tt.give)
			}
		})
	}
}

func TestRulesetDefaultsApplyBeforeCheckPolicies(t *testing.T) {
	src := doc(`  key: t.set
  name: T
  scope: {kind: global}
  defaults: {check: {on_permission_denied: error}}
  rules:
    - {key: A, title: Rule A, description: D, remediation: {instructions: I}, severity: low, monitoring: {status: automated}, required_data: [ds],
       check: {type: dataset.count_compare, dataset: ds, compare: {op: gte, value: 1}}}
    - {key: B, title: Rule B, description: D, remediation: {instructions: I}, severity: low, monitoring: {status: automated}, required_data: [ds],
       check: {type: dataset.count_compare, dataset: ds, compare: {op: gte, value: 1}, on_permission_denied: fail}}
`)
	cat, err := Compile(map[string][]byte{"t.yaml": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cat.Ruleset("t.set").Evaluate(context.Background(), GlobalScope(), DatasetMap{Errors: map[string]ErrorKind{"ds": ErrPermissionDenied}}, Controls{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != StatusError || res[1].Status != StatusFail {
		t.Fatalf("statuses = %s, %s; want error (ruleset default), fail (check's own)", res[0].Status, res[1].Status)
	}
}

func TestOverridesAndAttestations(t *testing.T) {
	cat := loadCatalog(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ref := func(rule string) RuleRef { return RuleRef{Ruleset: cis, Rule: rule} }
	idle30 := oktaData(t, func(ds map[string][]map[string]any) {
		setPath(ds["okta:policies/sign-on"][0], "actions.signon.session.maxSessionIdleMinutes", 30.0)
	})
	tests := []struct {
		name       string
		rule       string
		give       Controls
		data       DatasetMap
		want       Status
		wantReason Reason
	}{
		{"ruleset disabled", "OKTA-APP-000650", Controls{Overrides: map[RuleRef]Override{{Ruleset: cis}: {RulesetKey: cis}}}, oktaData(t, nil), StatusNotApplicable, ReasonRulesetDisabled},
		{"rule disabled", "OKTA-APP-000650", Controls{Overrides: map[RuleRef]Override{ref("OKTA-APP-000650"): {RulesetKey: cis, RuleKey: "OKTA-APP-000650"}}}, oktaData(t, nil), StatusNotApplicable, ReasonDisabledByOverride},
		{"parameter override passes a 30-minute org", "OKTA-APP-000020", Controls{Overrides: map[RuleRef]Override{ref("OKTA-APP-000020"): {Enabled: true, Params: map[string]any{"idle_timeout_minutes": 30}}}}, idle30, StatusPass, ReasonAssertPassed},
		{"invalid parameter override", "OKTA-APP-000020", Controls{Overrides: map[RuleRef]Override{ref("OKTA-APP-000020"): {Enabled: true, Params: map[string]any{"idle_timeout_minutes": 0}}}}, idle30, StatusError, ReasonInvalidParams},
		{"unknown parameter", "OKTA-APP-000020", Controls{Overrides: map[RuleRef]Override{ref("OKTA-APP-000020"): {Enabled: true, Params: map[string]any{"idle": 15}}}}, idle30, StatusError, ReasonInvalidParams},
		{"manual rule attested", "OKTA-APP-000200", Controls{Attestations: map[RuleRef]Attestation{ref("OKTA-APP-000200"): {Status: StatusPass, Note: "banner checked", By: "ann", ExpiresAt: now.Add(time.Hour)}}}, oktaData(t, nil), StatusPass, ReasonAttested},
		{"attestation expired", "OKTA-APP-000200", Controls{Attestations: map[RuleRef]Attestation{ref("OKTA-APP-000200"): {Status: StatusPass, Note: "banner checked", By: "ann", ExpiresAt: now}}}, oktaData(t, nil), StatusUnknown, ReasonManualRule},
		{"attestation without expiry", "OKTA-APP-000200", Controls{Attestations: map[RuleRef]Attestation{ref("OKTA-APP-000200"): {Status: StatusNotApplicable, Note: "no DoD", By: "ann"}}}, oktaData(t, nil), StatusNotApplicable, ReasonAttested},
		{"automated rule attested keeps a shadow result", "OKTA-APP-000020", Controls{Attestations: map[RuleRef]Attestation{ref("OKTA-APP-000020"): {Status: StatusPass, Note: "compensating control", By: "ann"}}}, idle30, StatusPass, ReasonAttested},
		{"disabled beats attested", "OKTA-APP-000200", Controls{Overrides: map[RuleRef]Override{ref("OKTA-APP-000200"): {}}, Attestations: map[RuleRef]Attestation{ref("OKTA-APP-000200"): {Status: StatusPass, Note: "n", By: "b"}}}, oktaData(t, nil), StatusNotApplicable, ReasonDisabledByOverride},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluateRule(t, cat, cis, tt.rule, tt.data, tt.give, now)
			if got.Status != tt.want || got.Reason != tt.wantReason {
				t.Fatalf("got %s/%s (%s), want %s/%s", got.Status, got.Reason, got.Evidence.Error, tt.want, tt.wantReason)
			}
		})
	}
	got := evaluateRule(t, cat, cis, "OKTA-APP-000020", idle30, Controls{Attestations: map[RuleRef]Attestation{
		ref("OKTA-APP-000020"): {Status: StatusPass, Note: "n", By: "b"}}}, now)
	if sr := got.Evidence.ShadowResult; sr == nil || sr.Status != StatusFail {
		t.Fatalf("shadow result = %+v, want the computed fail", sr)
	}
	bad := evaluateRule(t, cat, cis, "OKTA-APP-000020", idle30, Controls{Overrides: map[RuleRef]Override{
		ref("OKTA-APP-000020"): {Enabled: true, Params: map[string]any{"idle_timeout_minutes": 0}}}}, now)
	if bad.Evidence.InvalidParam != "idle_timeout_minutes" || bad.ErrorKind != ErrInvalidParams {
		t.Fatalf("evidence = %+v, want the offending parameter named", bad.Evidence)
	}
}

func TestEffectiveParamsMerge(t *testing.T) {
	r := &Rule{Parameters: &Parameters{
		Defaults: map[string]any{"obj": map[string]any{"a": 1.0, "b": map[string]any{"c": 2.0}}, "list": []any{"x"}, "mode": "strict"},
		Schema:   map[string]ParamSchema{"mode": {Type: "string", Enum: []any{"strict", "lenient"}}},
	}}
	tests := []struct {
		name    string
		give    map[string]any
		want    string
		wantErr string
	}{
		{"defaults", nil, `map[list:[x] mode:strict obj:map[a:1 b:map[c:2]]]`, ""},
		{"objects merge deeply, arrays replace", map[string]any{"obj": map[string]any{"b": map[string]any{"d": 3}}, "list": []any{"y"}},
			`map[list:[y] mode:strict obj:map[a:1 b:map[c:2 d:3]]]`, ""},
		{"enum", map[string]any{"mode": "loose"}, "", "parameter mode: must be one of [strict lenient]"},
		{"null", map[string]any{"mode": nil}, "", "parameter mode: must not be null"},
		{"unknown key", map[string]any{"other": 1}, "", "parameter other: is not a parameter of this rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.EffectiveParams(tt.give)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != tt.want {
				t.Fatalf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestSuperAdminBounds(t *testing.T) {
	cat := loadCatalog(t)
	admins := func(counts ...int) DatasetMap {
		var rows []map[string]any
		for src, n := range counts {
			for i := range n {
				rows = append(rows, map[string]any{"resource_id": fmt.Sprint(src, "-", i), "admin_tier": "super", "status": "active",
					"source_kind": "okta", "source_name": fmt.Sprint("okta-", src)})
			}
		}
		return DatasetMap{Rows: map[string][]map[string]any{DatasetAccounts: rows}}
	}
	tests := []struct {
		name string
		give DatasetMap
		want Status
	}{
		{"two and four", admins(2, 4), StatusPass},
		{"one is no break-glass", admins(1, 3), StatusFail},
		{"five is too many", admins(5), StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := cat.Ruleset("opensspm.normalized.access_hygiene.v1").Evaluate(context.Background(), GlobalScope(), tt.give, Controls{}, time.Now(), "NORM-ADMIN-001")
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Status != tt.want {
				t.Fatalf("got %s (%s), want %s", res[0].Status, res[0].Evidence.Error, tt.want)
			}
		})
	}
}

func TestClassifyTransition(t *testing.T) {
	for _, c := range []struct {
		oldStatus, oldSev, status, sev string
		want                           sspm.FindingChange
		ok                             bool
	}{
		{"", "", "open", "high", sspm.ChangeOpened, true},
		{"resolved", "high", "open", "high", sspm.ChangeReopened, true},
		{"suppressed", "high", "open", "high", sspm.ChangeReopened, true},
		{"suppressed", "low", "suppressed", "high", "", false},
		{"open", "medium", "open", "critical", sspm.ChangeEscalated, true},
		{"open", "critical", "open", "medium", "", false},
		{"open", "high", "open", "high", "", false},
		{"", "", "resolved", "high", "", false},
	} {
		got, ok := sspm.ClassifyTransition(c.oldStatus, c.oldSev, c.status, c.sev)
		if got != c.want || ok != c.ok {
			t.Errorf("sspm.ClassifyTransition(%q, %q, %q, %q) = %q, %v; want %q, %v", c.oldStatus, c.oldSev, c.status, c.sev, got, ok, c.want, c.ok)
		}
	}
}
