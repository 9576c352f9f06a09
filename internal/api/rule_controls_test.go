package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// testRuleset is a global ruleset of a manual rule and a parameterised rule over the normalized accounts.
const testRuleset = `schema_version: 2
kind: opensspm.ruleset
ruleset:
  key: t.controls
  name: Control tests
  scope: {kind: global}
  data_contracts:
    - {dataset: "normalized:accounts", version: 1}
  rules:
    - key: T-MANUAL
      title: Break-glass accounts are reviewed
      description: Break-glass accounts bypass single sign-on.
      remediation: {instructions: Review them.}
      severity: medium
      monitoring: {status: manual}
      required_data: []
      check: {type: manual.attestation}
    - key: T-PARAM
      title: Few admins
      description: Every admin widens the blast radius.
      remediation: {instructions: Remove admins.}
      severity: high
      monitoring: {status: automated}
      required_data: ["normalized:accounts"]
      parameters:
        defaults: {max_admins: 3}
        schema:
          max_admins: {type: integer, minimum: 1, maximum: 100, description: Most admins allowed.}
      check:
        engine: cel
        expression: rows("normalized:accounts").filter(a, a.is_admin == true).size() <= param("max_admins")
`

func testCatalog(t testing.TB) *rules.Catalog {
	t.Helper()
	c, err := rules.Compile(map[string][]byte{"t.yaml": []byte(testRuleset)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	manualPath = "/api/posture/global/rulesets/t.controls/rules/T-MANUAL"
	paramPath  = "/api/posture/global/rulesets/t.controls/rules/T-PARAM"
	setPath    = "/api/posture/global/rulesets/t.controls"
)

// evaluateGlobal evaluates the global test ruleset, as the evaluator lane does after a sync.
func (b *bundle) evaluateGlobal() {
	b.t.Helper()
	if _, err := b.rules.Evaluator.Evaluate(context.Background(), lane.EvalScope{Global: true}); err != nil {
		b.t.Fatal(err)
	}
}

// testRules returns the global test ruleset's posture.
func (b *bundle) testRules() (api.RulesetPosture, map[string]api.RuleResult) {
	b.t.Helper()
	var p api.Posture
	b.must(http.StatusOK, http.MethodGet, "/api/posture?connector=global", b.viewer, nil, &p)
	for _, s := range p.Scopes {
		for _, rs := range s.Rulesets {
			if rs.Key == "t.controls" {
				byKey := map[string]api.RuleResult{}
				for _, r := range rs.Results {
					byKey[r.RuleKey] = r
				}
				return rs, byKey
			}
		}
	}
	b.t.Fatalf("no t.controls in %+v", p)
	return api.RulesetPosture{}, nil
}

func (b *bundle) audit(action string) []api.AuditEntry {
	b.t.Helper()
	var l api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?sort=at&action="+action, b.admin, nil, &l)
	return l.Items
}

func TestPostureShowsRuleControls(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.evaluateGlobal()
	rs, r := b.testRules()
	if rs.Name != "Control tests" || rs.Disabled {
		t.Fatalf("ruleset = %+v", rs)
	}
	m, p := r["T-MANUAL"], r["T-PARAM"]
	if !m.Manual || m.Status != "unknown" || m.Reason != "manual_rule" || m.Attestation != nil || m.Parameters != nil {
		t.Fatalf("T-MANUAL = %+v", m)
	}
	if p.Manual || p.Parameters == nil || p.Parameters.Defaults["max_admins"] != float64(3) ||
		p.Parameters.Schema["max_admins"].Type != "integer" || *p.Parameters.Schema["max_admins"].Maximum != 100 {
		t.Fatalf("T-PARAM = %+v", p)
	}
	if p.Title != "Few admins" || p.Rationale != "Every admin widens the blast radius." || p.Remediation != "Remove admins." {
		t.Fatalf("T-PARAM guidance = %q, %q, %q", p.Title, p.Rationale, p.Remediation)
	}
}

// A finding's detail carries its rule's rationale and remediation from the catalog; the list leaves them out.
func TestFindingCarriesRuleGuidance(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.evaluateGlobal()
	now := time.Now()
	if _, err := b.db.SaveRuleResults(context.Background(), rules.GlobalScope(), []rules.Result{{RulesetKey: "t.controls",
		RuleKey: "T-PARAM", Title: "Few admins", Severity: "high", Status: rules.StatusFail, Selected: 5, EvaluatedAt: now}}, now); err != nil {
		t.Fatal(err)
	}
	var l api.Page[api.Finding]
	b.must(http.StatusOK, http.MethodGet, "/api/findings?rule=T-PARAM", b.viewer, nil, &l)
	if len(l.Items) != 1 || l.Items[0].Title != "Few admins" || l.Items[0].RulesetKey != "t.controls" || l.Items[0].Rationale != "" {
		t.Fatalf("findings = %+v", l.Items)
	}
	var f api.Finding
	b.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/findings/%d", l.Items[0].ID), b.viewer, nil, &f)
	if f.Rationale != "Every admin widens the blast radius." || f.Remediation != "Remove admins." {
		t.Fatalf("finding = %+v, want the rule's rationale and remediation", f)
	}
}

func TestAttestRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.evaluateGlobal()
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	var got api.RuleResult
	b.must(http.StatusOK, http.MethodPut, manualPath+"/attestation", b.admin,
		map[string]any{"status": "pass", "note": "reviewed the break-glass list", "expires_at": expires}, &got)
	if got.Status != "pass" || got.Reason != "attested" || got.Attestation == nil || got.Attestation.Status != "pass" ||
		got.Attestation.By != b.adminActor || got.Attestation.Expired || !got.Attestation.ExpiresAt.Equal(expires) {
		t.Fatalf("after attesting: %+v %+v", got, got.Attestation)
	}
	if _, r := b.testRules(); r["T-MANUAL"].Status != "pass" || r["T-MANUAL"].Attestation == nil {
		t.Fatalf("posture after attesting: %+v", r["T-MANUAL"])
	}
	// Automated rules may be attested too; the attestation wins.
	var auto api.RuleResult
	b.must(http.StatusOK, http.MethodPut, paramPath+"/attestation", b.admin,
		map[string]any{"status": "not_applicable", "note": "no admins in this tenant"}, &auto)
	if auto.Status != "not_applicable" || auto.Attestation == nil || auto.Attestation.ExpiresAt != nil {
		t.Fatalf("attested automated rule: %+v", auto)
	}

	// Removing the attestation evaluates the rule again.
	b.must(http.StatusNoContent, http.MethodDelete, manualPath+"/attestation", b.admin, nil, nil)
	if _, r := b.testRules(); r["T-MANUAL"].Status != "unknown" || r["T-MANUAL"].Attestation != nil {
		t.Fatalf("after removing: %+v", r["T-MANUAL"])
	}
	b.must(http.StatusNotFound, http.MethodDelete, manualPath+"/attestation", b.admin, nil, nil)

	// Every change is audited with the state before and after.
	rows := b.audit("rule")
	if len(rows) != 3 || rows[0].Action != "rule.attest" || rows[0].TargetType != "rule" || rows[0].TargetID != "global/t.controls/T-MANUAL" ||
		rows[0].Actor == "" || rows[0].Before != nil {
		t.Fatalf("audit = %+v", rows)
	}
	j, _ := json.Marshal(rows[0].After)
	if !strings.Contains(string(j), `"note":"reviewed the break-glass list"`) || !strings.Contains(string(j), `"status":"pass"`) {
		t.Fatalf("after = %s", j)
	}
	removed := rows[2]
	if removed.Action != "rule.attestation.remove" || removed.Before == nil || removed.After != nil {
		t.Fatalf("removal audit = %+v", removed)
	}
}

func TestAttestRuleRejects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("c1", "a-secret-value")
	b.evaluateGlobal()
	ok := map[string]any{"status": "pass", "note": "checked"}
	tests := []struct {
		name   string
		path   string
		token  string
		body   map[string]any
		status int
	}{
		{"viewer", manualPath, b.viewer, ok, http.StatusForbidden},
		{"unknown ruleset", "/api/posture/global/rulesets/nope/rules/T-MANUAL", b.admin, ok, http.StatusNotFound},
		{"unknown rule", "/api/posture/global/rulesets/t.controls/rules/NOPE", b.admin, ok, http.StatusNotFound},
		{"unknown connector", "/api/posture/nope/rulesets/t.controls/rules/T-MANUAL", b.admin, ok, http.StatusNotFound},
		{"ruleset of another scope", "/api/posture/c1/rulesets/t.controls/rules/T-MANUAL", b.admin, ok, http.StatusUnprocessableEntity},
		{"invalid status", manualPath, b.admin, map[string]any{"status": "unknown", "note": "x"}, http.StatusUnprocessableEntity},
		{"missing note", manualPath, b.admin, map[string]any{"status": "pass"}, http.StatusUnprocessableEntity},
		{"blank note", manualPath, b.admin, map[string]any{"status": "pass", "note": "  "}, http.StatusUnprocessableEntity},
		{"expiry in the past", manualPath, b.admin,
			map[string]any{"status": "pass", "note": "x", "expires_at": time.Now().Add(-time.Hour)}, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.must(tt.status, http.MethodPut, tt.path+"/attestation", tt.token, tt.body, nil)
		})
	}
	if _, r := b.testRules(); r["T-MANUAL"].Attestation != nil || r["T-MANUAL"].Status != "unknown" {
		t.Fatalf("after rejected attestations: %+v", r["T-MANUAL"])
	}
	b.must(http.StatusForbidden, http.MethodDelete, manualPath+"/attestation", b.viewer, nil, nil)
	if rows := b.audit("rule"); len(rows) != 0 {
		t.Fatalf("rejected changes were audited: %+v", rows)
	}
}

func TestExpiredAttestation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.evaluateGlobal()
	ctx := context.Background()
	now := time.Now()
	if err := b.db.SaveAttestation(ctx, rules.GlobalScope(), rules.Attestation{RulesetKey: "t.controls", RuleKey: "T-MANUAL",
		Status: rules.StatusPass, Note: "last year's review", By: adminEmail, At: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	b.evaluateGlobal()
	_, r := b.testRules()
	m := r["T-MANUAL"]
	if m.Status != "unknown" || m.Reason != "manual_rule" || m.Attestation == nil || !m.Attestation.Expired || m.Attestation.Note != "last year's review" {
		t.Fatalf("T-MANUAL with an expired attestation = %+v %+v", m, m.Attestation)
	}
}

func TestDisableRuleset(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.evaluateGlobal()
	b.must(http.StatusForbidden, http.MethodPut, setPath+"/override", b.viewer, map[string]any{"enabled": false}, nil)
	b.must(http.StatusNotFound, http.MethodPut, "/api/posture/global/rulesets/nope/override", b.admin, map[string]any{"enabled": false}, nil)
	var got api.RulesetPosture
	b.must(http.StatusOK, http.MethodPut, setPath+"/override", b.admin, map[string]any{"enabled": false}, &got)
	if !got.Disabled || len(got.Results) != 2 {
		t.Fatalf("disabled ruleset = %+v", got)
	}
	rs, r := b.testRules()
	if !rs.Disabled || rs.Evaluated != 0 {
		t.Fatalf("posture of a disabled ruleset = %+v", rs)
	}
	for _, x := range r {
		if x.Status != "not_applicable" || x.Reason != "ruleset_disabled" {
			t.Fatalf("%s in a disabled ruleset = %+v", x.RuleKey, x)
		}
	}
	// Enabling it again evaluates its rules again.
	b.must(http.StatusForbidden, http.MethodDelete, setPath+"/override", b.viewer, nil, nil)
	b.must(http.StatusNoContent, http.MethodDelete, setPath+"/override", b.admin, nil, nil)
	rs, r = b.testRules()
	if rs.Disabled || r["T-MANUAL"].Status != "unknown" || r["T-MANUAL"].Reason != "manual_rule" {
		t.Fatalf("after enabling: %+v", rs)
	}
	b.must(http.StatusNotFound, http.MethodDelete, setPath+"/override", b.admin, nil, nil)

	rows := b.audit("ruleset")
	if len(rows) != 2 || rows[0].Action != "ruleset.override" || rows[0].TargetType != "ruleset" || rows[0].TargetID != "global/t.controls" ||
		rows[1].Action != "ruleset.override.remove" || rows[1].After != nil {
		t.Fatalf("audit = %+v", rows)
	}
	if j, _ := json.Marshal(rows[0].After); !strings.Contains(string(j), `"enabled":false`) {
		t.Fatalf("after = %s", j)
	}
}

func TestRuleOverride(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.evaluateGlobal()
	tests := []struct {
		give     map[string]any
		location string
	}{
		{map[string]any{"enabled": true, "params": map[string]any{"max_admins": 0}}, "body.params.max_admins"},
		{map[string]any{"enabled": true, "params": map[string]any{"max_admins": 2.5}}, "body.params.max_admins"},
		{map[string]any{"enabled": true, "params": map[string]any{"max_admins": "five"}}, "body.params.max_admins"},
		{map[string]any{"enabled": true, "params": map[string]any{"nope": 1}}, "body.params.nope"},
	}
	for _, tt := range tests {
		status, body := b.do(http.MethodPut, paramPath+"/override", b.admin, tt.give)
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"location":"`+tt.location+`"`) {
			t.Errorf("%v: %d %s, want 422 at %s", tt.give, status, body, tt.location)
		}
	}
	b.must(http.StatusForbidden, http.MethodPut, paramPath+"/override", b.viewer, map[string]any{"enabled": true}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPut, manualPath+"/override", b.admin,
		map[string]any{"enabled": true, "params": map[string]any{"x": 1}}, nil)

	var got api.RuleResult
	b.must(http.StatusOK, http.MethodPut, paramPath+"/override", b.admin,
		map[string]any{"enabled": true, "params": map[string]any{"max_admins": 10}}, &got)
	if got.Override == nil || !got.Override.Enabled || got.Override.Params["max_admins"] != float64(10) || got.Override.UpdatedBy != b.adminActor {
		t.Fatalf("after overriding parameters: %+v", got.Override)
	}
	b.must(http.StatusOK, http.MethodPut, paramPath+"/override", b.admin,
		map[string]any{"enabled": false, "params": map[string]any{"max_admins": 10}}, &got)
	if got.Status != "not_applicable" || got.Reason != "disabled_by_override" {
		t.Fatalf("disabled rule = %+v", got)
	}
	if _, r := b.testRules(); r["T-PARAM"].Override == nil || r["T-PARAM"].Override.Enabled || r["T-PARAM"].Status != "not_applicable" {
		t.Fatalf("posture of a disabled rule = %+v", r["T-PARAM"])
	}
	b.must(http.StatusNoContent, http.MethodDelete, paramPath+"/override", b.admin, nil, nil)
	if _, r := b.testRules(); r["T-PARAM"].Override != nil || r["T-PARAM"].Status == "not_applicable" {
		t.Fatalf("after removing the override: %+v", r["T-PARAM"])
	}
	rows := b.audit("rule.override")
	if len(rows) != 3 || rows[0].Before != nil || rows[1].Before == nil || rows[2].Action != "rule.override.remove" || rows[2].After != nil {
		t.Fatalf("audit = %+v", rows)
	}
	if j, _ := json.Marshal(rows[1]); !strings.Contains(string(j), `"before":{"enabled":true,"params":{"max_admins":10}`) {
		t.Fatalf("second audit row = %s", j)
	}
}

func TestRuleControlsUnavailable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := &api.Admin{Store: b.db, Auth: b.issuer.Verifier()}
	mux := http.NewServeMux()
	admin.Mount(mux)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	b.must(http.StatusServiceUnavailable, http.MethodPut, manualPath+"/attestation", b.admin, map[string]any{"status": "pass", "note": "x"}, nil)
	b.must(http.StatusServiceUnavailable, http.MethodDelete, setPath+"/override", b.admin, nil, nil)
}

// A finding's detail names the live resources and accounts its evidence lists (a posture rule's affected ids),
// with the ids their pages take; ids the connector does not have are left out.
func TestFindingNamesAffectedResourcesAndAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createConnector("app", "app-secret-1")
	ctx := context.Background()
	_, lease, _, err := b.db.StartRun(ctx, "app", sspm.LaneFull, sspm.TriggerSchedule, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.WritePage(ctx, "app", lease, &sspm.Page{
		Accounts:  []sspm.Account{{ExternalID: "u-zed", Kind: sspm.AccountUser, Email: "zed@example.com", DisplayName: "Zed", Active: true}},
		Resources: []sspm.Resource{{ExternalID: "app-payroll", Kind: "app", Name: "Payroll"}},
	}, sspm.RunState{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.FinishRun(ctx, "app", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, Sweep: sspm.Entities, NextDueAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.LinkAccounts(ctx, "app", false, time.Now().Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SeedRules(ctx, []rules.SeedSet{{Key: "t.set", Kind: "posture", Name: "Test set", ScopeKind: rules.ScopeConnector,
		Status: "active", Definition: json.RawMessage(`{}`), Hash: "h", Rules: []rules.SeedRule{{Key: "R-A", Title: "Apps without MFA",
			Severity: "high", Monitoring: "automated", RequiredData: []string{}, Parameters: json.RawMessage(`{}`),
			Definition: json.RawMessage(`{}`), Hash: "R-A", Active: true}}}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := b.db.SaveRuleResults(ctx, rules.ConnectorScope("test", "app"), []rules.Result{{RulesetKey: "t.set", RuleKey: "R-A",
		Title: "Apps without MFA", Severity: "high", Status: rules.StatusFail, Selected: 3, EvaluatedAt: now,
		Affected: []rules.Affected{{ID: "app-payroll"}, {ID: "u-zed"}, {ID: "not-there"}}}}, now); err != nil {
		t.Fatal(err)
	}
	var l api.Page[api.Finding]
	b.must(http.StatusOK, http.MethodGet, "/api/findings?rule=R-A", b.viewer, nil, &l)
	if len(l.Items) != 1 || l.Items[0].Affected != nil {
		t.Fatalf("findings = %+v (the list leaves the affected out)", l.Items)
	}
	var f api.Finding
	b.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/findings/%d", l.Items[0].ID), b.viewer, nil, &f)
	got := []string{}
	for _, a := range f.Affected {
		if a.ID == 0 || a.ConnectorID != "app" {
			t.Errorf("affected %+v lacks its id or connector", a)
		}
		got = append(got, fmt.Sprintf("%s %s %s identity:%v", a.Type, a.ExternalID, a.Name, a.IdentityID != nil))
	}
	if want := "[account u-zed Zed identity:true resource app-payroll Payroll identity:false]"; fmt.Sprint(got) != want {
		t.Fatalf("affected = %v, want %s", got, want)
	}
	var r api.Resource
	for _, a := range f.Affected {
		if a.Type == "resource" {
			b.must(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/resources/%d", a.ID), b.viewer, nil, &r)
		}
	}
	if r.ExternalID != "app-payroll" {
		t.Fatalf("the resource link opens %+v", r)
	}
}
