package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/rules"
)

// seedPosture seeds a global ruleset of two rules and saves one passing and one failing result, which opens a
// posture finding; it returns the finding's id.
func seedPosture(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	ctx := context.Background()
	rule := func(key, sev string) rules.SeedRule {
		return rules.SeedRule{Key: key, Title: "Rule " + key, Severity: sev, Monitoring: "automated", RequiredData: []string{},
			Parameters: json.RawMessage(`{}`), Definition: json.RawMessage(`{}`), Hash: key, Active: true}
	}
	if _, err := db.SeedRules(ctx, []rules.SeedSet{{Key: "t.set", Kind: "posture", Name: "Test set", ScopeKind: rules.ScopeGlobal,
		Status: "active", Definition: json.RawMessage(`{}`), Hash: "h", Rules: []rules.SeedRule{rule("R-1", "high"), rule("R-2", "low")}}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := db.SaveRuleResults(ctx, rules.GlobalScope(), []rules.Result{
		{RulesetKey: "t.set", RuleKey: "R-1", Title: "Rule R-1", Severity: "high", Status: rules.StatusFail, Summary: "2 admins without MFA",
			Selected: 3, Passed: 1, Affected: []rules.Affected{{ID: "u1", Display: "Ada"}, {ID: "u2", Display: "Bob"}}, EvaluatedAt: now},
		{RulesetKey: "t.set", RuleKey: "R-2", Title: "Rule R-2", Severity: "low", Status: rules.StatusPass, Selected: 1, Passed: 1, EvaluatedAt: now},
	}, now); err != nil {
		t.Fatal(err)
	}
	fs, err := db.FindingsBy(ctx, postgres.FindingQuery{})
	if err != nil || len(fs) != 1 {
		t.Fatalf("findings = %+v, %v", fs, err)
	}
	return fs[0].ID
}

func TestFindingStatusActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := seedPosture(t, b.db)
	path := fmt.Sprintf("/api/findings/%d/status", id)

	// Viewers cannot change a finding.
	b.must(http.StatusForbidden, http.MethodPost, path, b.viewer, map[string]any{"status": "resolved"}, nil)
	// Suppressing and accepting the risk need a reason; an expiry must be in the future.
	b.must(http.StatusUnprocessableEntity, http.MethodPost, path, b.admin, map[string]any{"status": "suppressed"}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPost, path, b.admin,
		map[string]any{"status": "accepted_risk", "reason": "x", "until": time.Now().Add(-time.Hour)}, nil)
	b.must(http.StatusUnprocessableEntity, http.MethodPost, path, b.admin,
		map[string]any{"status": "resolved", "until": time.Now().Add(time.Hour)}, nil)
	b.must(http.StatusNotFound, http.MethodPost, "/api/findings/999999/status", b.admin, map[string]any{"status": "resolved"}, nil)

	until := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	var f api.Finding
	b.must(http.StatusOK, http.MethodPost, path, b.admin, map[string]any{"status": "accepted_risk", "reason": "compensating control", "until": until}, &f)
	if f.Status != "accepted_risk" || f.StatusReason != "compensating control" || f.StatusUntil == nil || !f.StatusUntil.Equal(until) {
		t.Fatalf("after accepting: %+v", f)
	}
	b.must(http.StatusOK, http.MethodPost, path, b.admin, map[string]any{"status": "open"}, &f)
	if f.Status != "open" {
		t.Fatalf("after reopening: %+v", f)
	}
	b.must(http.StatusOK, http.MethodPost, path, b.admin, map[string]any{"status": "suppressed", "reason": "test tenant"}, &f)
	b.must(http.StatusOK, http.MethodPost, path, b.admin, map[string]any{"status": "resolved"}, &f)
	if f.Status != "resolved" {
		t.Fatalf("after resolving: %+v", f)
	}

	// Every change is audited with the state before and after.
	var audit api.Page[api.AuditEntry]
	b.must(http.StatusOK, http.MethodGet, "/api/audit?action=finding.status&sort=at", b.viewer, nil, &audit)
	if audit.Total != 4 {
		t.Fatalf("audit = %+v, want 4 rows", audit)
	}
	first := audit.Items[0]
	if first.Actor == "" || first.TargetType != "finding" || first.TargetID != fmt.Sprint(id) {
		t.Fatalf("first audit row = %+v", first)
	}
	j, _ := json.Marshal(first)
	if !strings.Contains(string(j), `"before":{"status":"open"}`) || !strings.Contains(string(j), `"reason":"compensating control"`) {
		t.Fatalf("first audit row = %s", j)
	}
}

func TestPostureAndRuleHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	seedPosture(t, b.db)
	var p api.Posture
	b.must(http.StatusOK, http.MethodGet, "/api/posture", b.viewer, nil, &p)
	if len(p.Scopes) != 1 || p.Scopes[0].ScopeKind != "global" || len(p.Scopes[0].Rulesets) != 1 {
		t.Fatalf("posture = %+v", p)
	}
	rs := p.Scopes[0].Rulesets[0]
	if rs.Key != "t.set" || rs.Passed != 1 || rs.Evaluated != 2 || rs.Failed != 1 || len(rs.Results) != 2 {
		t.Fatalf("ruleset = %+v", rs)
	}
	for _, r := range rs.Results {
		if r.RuleKey == "R-1" && (r.Status != "fail" || r.AffectedTotal != 2 || len(r.Affected) != 2 || r.Affected[0].Display == "") {
			t.Fatalf("R-1 = %+v", r)
		}
	}
	var none api.Posture
	b.must(http.StatusOK, http.MethodGet, "/api/posture?connector=nope", b.viewer, nil, &none)
	if len(none.Scopes) != 0 {
		t.Fatalf("posture of an unknown connector = %+v", none)
	}

	var h []api.RuleEvaluation
	b.must(http.StatusOK, http.MethodGet, "/api/rule-history?ruleset=t.set&rule=R-1", b.viewer, nil, &h)
	if len(h) != 1 || h[0].Status != "fail" || h[0].Affected != 2 {
		t.Fatalf("history = %+v", h)
	}
	b.must(http.StatusUnprocessableEntity, http.MethodGet, "/api/rule-history?ruleset=t.set", b.viewer, nil, nil)
	b.must(http.StatusNotFound, http.MethodGet, "/api/rule-history?ruleset=t.set&rule=R-1&connector=nope", b.viewer, nil, nil)
}

func TestFindingsTrend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := seedPosture(t, b.db)
	b.must(http.StatusOK, http.MethodPost, fmt.Sprintf("/api/findings/%d/status", id), b.admin, map[string]any{"status": "resolved"}, nil)
	var days []api.FindingDay
	b.must(http.StatusOK, http.MethodGet, "/api/findings-trend?days=7", b.viewer, nil, &days)
	if len(days) != 7 {
		t.Fatalf("days = %+v, want 7", days)
	}
	today := days[6]
	if today.Day != time.Now().UTC().Format(time.DateOnly) || today.Opened != 1 || today.Resolved != 1 || today.Unresolved != 0 {
		t.Fatalf("today = %+v", today)
	}
	if days[0].Opened != 0 || days[0].Unresolved != 0 {
		t.Fatalf("a week ago = %+v", days[0])
	}
	b.must(http.StatusUnprocessableEntity, http.MethodGet, "/api/findings-trend?days=0", b.viewer, nil, nil)
}
