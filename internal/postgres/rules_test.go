package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func catalog(t testing.TB) *rules.Catalog {
	t.Helper()
	cat, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func seedRules(t testing.TB, db *postgres.DB, cat *rules.Catalog) sspm.RuleSeedReport {
	t.Helper()
	r, err := db.SeedRules(context.Background(), cat.Seeds())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSeedingIsIdempotent(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	cat := catalog(t)
	first := seedRules(t, db, cat)
	if first.Sets != 3 || first.Rules != 24+22+10 {
		t.Fatalf("first seed = %+v, want 3 sets and 56 rules", first)
	}
	if again := seedRules(t, db, cat); again != (sspm.RuleSeedReport{}) {
		t.Fatalf("second seed = %+v, want nothing written", again)
	}
	// A changed definition rewrites its set; a rule no longer shipped is retired.
	sets := cat.Seeds()
	sets[0].Hash, sets[0].Rules = "changed", sets[0].Rules[1:]
	r, err := db.SeedRules(context.Background(), sets)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sets != 1 || r.Rules != 0 || r.Retired != 1 {
		t.Fatalf("changed seed = %+v, want 1 set, 0 rules rewritten, 1 retired", r)
	}
	if back := seedRules(t, db, cat); back.Sets != 1 || back.Rules != 1 {
		t.Fatalf("restoring seed = %+v, want the retired rule back", back)
	}
}

func TestResultsHistoryAndPostureFindings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "okta-1")
	seedRules(t, db, catalog(t))
	scope := rules.ConnectorScope("okta", "okta-1")
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	result := func(status sspm.RuleStatus, affected ...string) []sspm.RuleResult {
		r := sspm.RuleResult{RulesetKey: "cis.okta.idaas_stig.v2", RuleKey: "OKTA-APP-000650", Title: "OKTA-APP-000650",
			Severity: "medium", Status: status, Reason: rules.ReasonAssertPassed, Selected: 2, Passed: 2}
		for _, a := range affected {
			r.Reason, r.Passed = rules.ReasonAssertFailed, 1
			r.Affected = append(r.Affected, sspm.RuleAffected{ID: a, Reason: rules.ReasonAssertFailed})
		}
		return []sspm.RuleResult{r}
	}
	key := sspm.PostureDedupeKey(scope, "cis.okta.idaas_stig.v2", "OKTA-APP-000650")
	steps := []struct {
		name       string
		give       []sspm.RuleResult
		at         time.Time
		wantStatus sspm.FindingStatus
		wantReopen int
	}{
		{"fails: opened", result(rules.StatusFail, "pw2"), t0, sspm.FindingOpen, 0},
		{"fails again: updated", result(rules.StatusFail, "pw2", "pw3"), t0.Add(time.Hour), sspm.FindingOpen, 0},
		{"passes: resolved", result(rules.StatusPass), t0.Add(2 * time.Hour), sspm.FindingResolved, 0},
		{"unknown: unchanged", []sspm.RuleResult{{RulesetKey: "cis.okta.idaas_stig.v2", RuleKey: "OKTA-APP-000650", Status: rules.StatusUnknown, Reason: rules.DatasetReason(rules.ErrPermissionDenied), ErrorKind: rules.ErrPermissionDenied}}, t0.Add(3 * time.Hour), sspm.FindingResolved, 0},
		{"fails: reopened", result(rules.StatusFail, "pw2"), t0.Add(4 * time.Hour), sspm.FindingOpen, 1},
		{"same observation again: idempotent", result(rules.StatusFail, "pw2"), t0.Add(4 * time.Hour), sspm.FindingOpen, 1},
	}
	for _, s := range steps {
		if _, err := db.SaveRuleResults(ctx, scope, s.give, s.at); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		f, err := db.FindingByKey(ctx, key)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if f.Status != s.wantStatus || f.ReopenedCount != s.wantReopen || f.ConnectorID != "okta-1" || f.Kind != sspm.FindingPosture {
			t.Fatalf("%s: finding %+v, want %s reopened %d", s.name, f, s.wantStatus, s.wantReopen)
		}
	}
	f, _ := db.FindingByKey(ctx, key)
	if !f.FirstSeenAt.Equal(t0) || !f.LastSeenAt.Equal(t0.Add(4*time.Hour)) {
		t.Errorf("first/last seen = %s/%s", f.FirstSeenAt, f.LastSeenAt)
	}
	current, err := db.RuleResults(ctx, scope)
	if err != nil || len(current) != 1 || current[0].Status != rules.StatusFail || len(current[0].Affected) != 1 {
		t.Fatalf("current results = %+v, %v", current, err)
	}
	hist, err := db.RuleHistory(ctx, scope, sspm.RuleRef{Ruleset: "cis.okta.idaas_stig.v2", Rule: "OKTA-APP-000650"}, 10)
	if err != nil || len(hist) != len(steps) {
		t.Fatalf("history = %d rows, %v; want one per evaluation", len(hist), err)
	}
	if hist[len(hist)-1].Status != rules.StatusFail || hist[len(hist)-3].Status != rules.StatusPass {
		t.Errorf("history out of order: %+v", hist)
	}
	// The history is append-only.
	if _, err := db.Pool().Exec(ctx, `UPDATE rule_evaluations SET status = 'pass'`); err == nil {
		t.Fatal("updating history succeeded")
	}
	if _, err := db.Pool().Exec(ctx, `DELETE FROM rule_evaluations`); err == nil {
		t.Fatal("deleting history succeeded")
	}
}

func TestSuppressionExpiresAndReopens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	newConnector(t, db, "okta-1")
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	obs := sspm.Finding{DedupeKey: "event:EV-001:okta-1:e1", Kind: sspm.FindingEvent, ConnectorID: "okta-1", RuleKey: "EV-001",
		Severity: "high", Title: "Admin role granted", Evidence: json.RawMessage(`{}`), SeenAt: t0}
	if _, err := db.ObserveFindings(ctx, []sspm.Finding{obs}); err != nil {
		t.Fatal(err)
	}
	f, _ := db.FindingByKey(ctx, obs.DedupeKey)
	if err := db.SetFindingStatus(ctx, f.ID, sspm.FindingStatusChange{Status: sspm.FindingSuppressed}, t0); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("suppressing without a reason: %v, want invalid", err)
	}
	if err := db.SetFindingStatus(ctx, f.ID, sspm.FindingStatusChange{Status: sspm.FindingSuppressed, Reason: "change window", Until: t0.Add(time.Hour), By: "ann"}, t0); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.ReopenExpiredFindings(ctx, t0.Add(30*time.Minute)); n != 0 {
		t.Fatalf("reopened %d before expiry", n)
	}
	if f, _ = db.FindingByKey(ctx, obs.DedupeKey); f.Status != sspm.FindingSuppressed || f.StatusBy != "ann" || f.StatusReason != "change window" {
		t.Fatalf("finding = %+v, want suppressed by ann", f)
	}
	if n, _ := db.ReopenExpiredFindings(ctx, t0.Add(2*time.Hour)); n != 1 {
		t.Fatalf("reopened %d after expiry, want 1", n)
	}
	if f, _ = db.FindingByKey(ctx, obs.DedupeKey); f.Status != sspm.FindingOpen || f.ReopenedCount != 1 {
		t.Fatalf("finding = %+v, want open again", f)
	}
	// An accepted risk that expires reopens when the condition is observed again.
	if err := db.SetFindingStatus(ctx, f.ID, sspm.FindingStatusChange{Status: sspm.FindingAcceptedRisk, Reason: "legacy", Until: t0.Add(3 * time.Hour), By: "bo"}, t0); err != nil {
		t.Fatal(err)
	}
	obs.SeenAt = t0.Add(4 * time.Hour)
	if _, err := db.ObserveFindings(ctx, []sspm.Finding{obs}); err != nil {
		t.Fatal(err)
	}
	if f, _ = db.FindingByKey(ctx, obs.DedupeKey); f.Status != sspm.FindingOpen || f.StatusReason != "accepted_risk expired" {
		t.Fatalf("finding = %+v, want reopened by the observation", f)
	}
	if err := db.SetFindingStatus(ctx, 999999, sspm.FindingStatusChange{Status: sspm.FindingResolved}, t0); !errors.Is(err, sspm.ErrNotFound) {
		t.Fatalf("unknown finding: %v", err)
	}
}

func TestOverridesAndAttestationsStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	seedRules(t, db, catalog(t))
	scope := rules.ConnectorScope("okta", "okta-1")
	ref := sspm.RuleRef{Ruleset: "cis.okta.idaas_stig.v2", Rule: "OKTA-APP-000020"}
	if err := db.SaveRuleOverride(ctx, scope, sspm.RuleOverride{RulesetKey: ref.Ruleset, RuleKey: ref.Rule, Enabled: true,
		Params: map[string]any{"idle_timeout_minutes": 30}, UpdatedBy: "ann"}); err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := db.SaveAttestation(ctx, scope, sspm.RuleAttestation{RulesetKey: ref.Ruleset, RuleKey: "OKTA-APP-000200",
		Status: rules.StatusPass, Note: "banner in place", By: "ann", At: exp.Add(-time.Hour), ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAttestation(ctx, scope, sspm.RuleAttestation{RulesetKey: ref.Ruleset, RuleKey: "NOPE", Status: rules.StatusPass,
		Note: "n", By: "b"}); !errors.Is(err, sspm.ErrNotFound) {
		t.Fatalf("attesting an unknown rule: %v", err)
	}
	ctl, err := db.RuleControls(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	if o := ctl.Overrides[ref]; !o.Enabled || o.Params["idle_timeout_minutes"] != 30.0 || o.UpdatedBy != "ann" {
		t.Fatalf("override = %+v", o)
	}
	if a := ctl.Attestations[sspm.RuleRef{Ruleset: ref.Ruleset, Rule: "OKTA-APP-000200"}]; a.Note != "banner in place" || !a.ExpiresAt.Equal(exp) {
		t.Fatalf("attestation = %+v", a)
	}
	if other, _ := db.RuleControls(ctx, rules.ConnectorScope("okta", "okta-2")); len(other.Overrides)+len(other.Attestations) != 0 {
		t.Fatalf("controls leaked into another scope: %+v", other)
	}
	if err := db.DeleteRuleOverride(ctx, scope, ref); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteRuleOverride(ctx, scope, ref); !errors.Is(err, sspm.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}

// TestFindingTransitions checks that observing findings reports each notifiable state change once: opened,
// nothing on a repeat, reopened after resolution, escalated when the severity rises, nothing when it falls.
func TestFindingTransitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	obs := sspm.Finding{DedupeKey: "identity:IDENT-MFA-001:1", Kind: sspm.FindingIdentity, RulesetKey: identity.RulesetKey,
		RuleKey: "IDENT-MFA-001", Severity: "medium", Title: "t", Subject: "ann", Evidence: json.RawMessage(`{}`), SeenAt: t0}
	observe := func(sev string, want sspm.FindingChange) {
		t.Helper()
		obs.Severity = sev
		obs.SeenAt = obs.SeenAt.Add(time.Minute)
		fc, err := db.ObserveFindings(ctx, []sspm.Finding{obs})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fc.Observed != 1:
			t.Fatalf("observed %d", fc.Observed)
		case want == "" && len(fc.Transitions) != 0:
			t.Fatalf("transitions %+v, want none", fc.Transitions)
		case want != "" && (len(fc.Transitions) != 1 || fc.Transitions[0].Change != want || fc.Transitions[0].Finding.Title != "t" || fc.Transitions[0].ID == 0):
			t.Fatalf("transitions %+v, want one %s", fc.Transitions, want)
		}
	}
	observe("medium", sspm.ChangeOpened)
	observe("medium", "")
	observe("critical", sspm.ChangeEscalated)
	observe("low", "")
	if _, err := db.ResolveFindings(ctx, []string{obs.DedupeKey}, "cleared", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	observe("low", sspm.ChangeReopened)
	f, _ := db.FindingByKey(ctx, obs.DedupeKey)
	if err := db.SetFindingStatus(ctx, f.ID, sspm.FindingStatusChange{Status: sspm.FindingSuppressed, Reason: "r", Until: t0.Add(10 * time.Hour), By: "x"}, t0); err != nil {
		t.Fatal(err)
	}
	observe("high", "") // still suppressed
	reopened, err := db.ReopenExpired(ctx, t0.Add(11*time.Hour))
	if err != nil || len(reopened) != 1 || reopened[0].Change != sspm.ChangeReopened || reopened[0].Finding.DedupeKey != obs.DedupeKey {
		t.Fatalf("reopened %+v, %v", reopened, err)
	}
}
