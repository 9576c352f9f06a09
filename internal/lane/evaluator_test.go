package lane_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/identity"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/rules"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

const cisKey = "cis.okta.idaas_stig.v2"

// oktaDatasets are an Okta org's CIS datasets with the given minimum password length.
func oktaDatasets(minLength int) []sspm.DatasetRow {
	row := func(ds, id string, v map[string]any) sspm.DatasetRow {
		v["resource_id"] = id
		b, _ := json.Marshal(v)
		return sspm.DatasetRow{Dataset: ds, ExternalID: id, Raw: b}
	}
	return []sspm.DatasetRow{
		row("okta:policies/sign-on", "top", map[string]any{"name": "STIG", "priority": 1, "policy": map[string]any{"name": "Default Policy"},
			"actions": map[string]any{"signon": map[string]any{"session": map[string]any{"maxSessionIdleMinutes": 15, "maxSessionLifetimeMinutes": 1080, "usePersistentCookie": false}}}}),
		row("okta:policies/password", "pw1", map[string]any{"status": "ACTIVE", "settings": map[string]any{"password": map[string]any{
			"complexity": map[string]any{"minLength": minLength}}}}),
	}
}

// fullSync records one complete, successful full run of the connector that wrote page and could not read
// unavailable.
func fullSync(t *testing.T, db *postgres.DB, connectorID string, page sspm.Page, unavailable ...string) {
	t.Helper()
	ctx := context.Background()
	_, lease, _, err := db.StartRun(ctx, connectorID, sspm.LaneFull, sspm.TriggerManual, "t", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.WritePage(ctx, connectorID, lease, &page, sspm.RunState{Unavailable: unavailable}); err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, u := range unavailable {
		keep = append(keep, u[len("dataset:"):])
	}
	if _, err := db.FinishRun(ctx, connectorID, sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded,
		Sweep: sspm.Entities, KeepDatasets: keep, NextDueAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func newEvaluator(t *testing.T, db *postgres.DB, now *time.Time) *lane.Evaluator {
	t.Helper()
	cat, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &lane.Evaluator{Store: db, Catalog: cat, Now: func() time.Time { return *now }}
}

func resultOf(t *testing.T, db *postgres.DB, s rules.Scope, ruleKey string) rules.Result {
	t.Helper()
	all, err := db.RuleResults(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.RuleKey == ruleKey {
			return r
		}
	}
	t.Fatalf("no result for %s", ruleKey)
	return rules.Result{}
}

func TestEvaluatorPostureAfterFullSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ev := newEvaluator(t, db, &now)
	scope := rules.ConnectorScope("okta", "okta-1")

	// Before any sync every dataset is sync_failed.
	if _, err := ev.Evaluate(ctx, lane.AfterFullSync("okta-1")); err != nil {
		t.Fatal(err)
	}
	if r := resultOf(t, db, scope, "OKTA-APP-000650"); r.Status != rules.StatusUnknown || r.ErrorKind != rules.ErrSyncFailed {
		t.Fatalf("before a sync: %s/%s/%s", r.Status, r.Reason, r.ErrorKind)
	}

	fullSync(t, db, "okta-1", sspm.Page{Datasets: oktaDatasets(8)}, "dataset:okta:log-streams")
	rep, err := ev.Evaluate(ctx, lane.AfterFullSync("okta-1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rule       string
		want       rules.Status
		wantReason rules.Reason
		wantKind   rules.ErrorKind
	}{
		{"OKTA-APP-000650", rules.StatusFail, rules.ReasonAssertFailed, ""},
		{"OKTA-APP-000020", rules.StatusPass, rules.ReasonAssertPassed, ""},
		{"OKTA-APP-000670", rules.StatusFail, rules.ReasonMissingField, ""},
		{"OKTA-APP-001430", rules.StatusUnknown, rules.DatasetReason(rules.ErrPermissionDenied), rules.ErrPermissionDenied},
		{"OKTA-APP-000200", rules.StatusUnknown, rules.ReasonManualRule, ""},
		{"OKTA-APP-000025", rules.StatusUnknown, rules.ReasonEmptySelection, ""},
	}
	for _, tt := range tests {
		r := resultOf(t, db, scope, tt.rule)
		if r.Status != tt.want || r.Reason != tt.wantReason || r.ErrorKind != tt.wantKind {
			t.Errorf("%s = %s/%s/%s, want %s/%s/%s", tt.rule, r.Status, r.Reason, r.ErrorKind, tt.want, tt.wantReason, tt.wantKind)
		}
	}
	if rep.Statuses[rules.StatusFail] == 0 || rep.PostureFindings.Observed == 0 {
		t.Fatalf("report = %+v", rep)
	}
	key := sspm.PostureDedupeKey(scope, cisKey, "OKTA-APP-000650")
	if f, err := db.FindingByKey(ctx, key); err != nil || f.Status != sspm.FindingOpen || f.Severity != "medium" {
		t.Fatalf("finding = %+v, %v", f, err)
	}

	// The org is fixed: the finding resolves.
	now = now.Add(time.Hour)
	fullSync(t, db, "okta-1", sspm.Page{Datasets: oktaDatasets(16)})
	if _, err := ev.Evaluate(ctx, lane.AfterFullSync("okta-1")); err != nil {
		t.Fatal(err)
	}
	if f, _ := db.FindingByKey(ctx, key); f.Status != sspm.FindingResolved {
		t.Fatalf("finding after the fix = %s, want resolved", f.Status)
	}
	if r := resultOf(t, db, scope, "OKTA-APP-001430"); r.Status != rules.StatusFail {
		t.Fatalf("log streams readable but empty = %s, want fail", r.Status)
	}
}

func TestEvaluatorOverridesAndAttestations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ev := newEvaluator(t, db, &now)
	scope := rules.ConnectorScope("okta", "okta-1")
	fullSync(t, db, "okta-1", sspm.Page{Datasets: oktaDatasets(8)})

	bad := []rules.Override{
		{RulesetKey: cisKey, RuleKey: "OKTA-APP-000020", Enabled: true, Params: map[string]any{"idle_timeout_minutes": 0}},
		{RulesetKey: cisKey, RuleKey: "OKTA-APP-000020", Enabled: true, Params: map[string]any{"idle_timeout_minutes": "15"}},
		{RulesetKey: cisKey, RuleKey: "OKTA-APP-000020", Enabled: true, Params: map[string]any{"unknown": 1}},
		{RulesetKey: cisKey, Enabled: false, Params: map[string]any{"x": 1}},
	}
	for _, o := range bad {
		if _, err := ev.SetOverride(ctx, scope, o); sspm.ErrorCode(err) != sspm.CodeInvalid {
			t.Errorf("override %+v: %v, want invalid", o.Params, err)
		}
	}
	if _, err := ev.SetOverride(ctx, rules.GlobalScope(), rules.Override{RulesetKey: cisKey}); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Errorf("a connector ruleset overridden globally: %v", err)
	}
	if _, err := ev.SetOverride(ctx, scope, rules.Override{RulesetKey: cisKey, RuleKey: "OKTA-APP-000650", UpdatedBy: "ann"}); err != nil {
		t.Fatal(err)
	}
	if r := resultOf(t, db, scope, "OKTA-APP-000650"); r.Status != rules.StatusNotApplicable || r.Reason != rules.ReasonDisabledByOverride {
		t.Fatalf("disabled rule = %s/%s", r.Status, r.Reason)
	}
	if f, _ := db.FindingByKey(ctx, sspm.PostureDedupeKey(scope, cisKey, "OKTA-APP-000650")); f.ID != 0 && f.Status != sspm.FindingResolved {
		t.Fatalf("finding of a disabled rule = %s", f.Status)
	}

	att := rules.Attestation{RulesetKey: cisKey, RuleKey: "OKTA-APP-000200", Status: rules.StatusPass, Note: "banner configured", By: "ann", ExpiresAt: now.Add(24 * time.Hour)}
	if _, err := ev.Attest(ctx, scope, rules.Attestation{RulesetKey: cisKey, RuleKey: "OKTA-APP-000200", Status: rules.StatusPass, By: "ann"}); sspm.ErrorCode(err) != sspm.CodeInvalid {
		t.Fatalf("attestation without a note: %v", err)
	}
	if _, err := ev.Attest(ctx, scope, att); err != nil {
		t.Fatal(err)
	}
	if r := resultOf(t, db, scope, "OKTA-APP-000200"); r.Status != rules.StatusPass || r.Reason != rules.ReasonAttested {
		t.Fatalf("attested = %s/%s", r.Status, r.Reason)
	}
	now = now.Add(48 * time.Hour)
	if _, err := ev.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if r := resultOf(t, db, scope, "OKTA-APP-000200"); r.Status != rules.StatusUnknown || r.Reason != rules.ReasonManualRule || r.Evidence.Attestation == nil || !r.Evidence.Attestation.Expired {
		t.Fatalf("after expiry = %s/%s %+v", r.Status, r.Reason, r.Evidence.Attestation)
	}
}

func TestEvaluatorEventPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ev := newEvaluator(t, db, &now)
	grant := sspm.Event{ProviderEventID: "uuid-1", Type: "user.account.privilege.grant", Outcome: "SUCCESS", OccurredAt: now.Add(-time.Minute),
		ActorExternalID: "00uadmin", Targets: []sspm.EventTarget{{Type: "User", ExternalID: "00ubob", DisplayName: "Bob"}},
		Raw: json.RawMessage(`{"debugContext":{"debugData":{"privilegeGranted":"Super administrator"}}}`)}
	signin := sspm.Event{ProviderEventID: "uuid-2", Type: "user.session.start", Outcome: "SUCCESS", OccurredAt: now.Add(-time.Minute)}
	policy := sspm.Event{ProviderEventID: "uuid-3", Type: "policy.rule.update", Outcome: "SUCCESS", OccurredAt: now.Add(-time.Minute)}
	if _, err := db.StoreEvents(ctx, "okta-1", []sspm.Event{grant, signin, policy}); err != nil {
		t.Fatal(err)
	}
	rep, err := ev.Evaluate(ctx, lane.AfterEvents("okta-1"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 3 || rep.EventFindings != 2 || len(rep.Resync) != 3 {
		t.Fatalf("report = %+v, want 3 events, 2 findings, the policy datasets to resync", rep)
	}
	f, err := db.FindingByKey(ctx, rules.EventDedupeKey("EV-001", "okta-1", "uuid-1"))
	if err != nil || f.Severity != "critical" || f.Subject != "Bob" || f.Kind != sspm.FindingEvent {
		t.Fatalf("finding = %+v, %v", f, err)
	}
	// A redelivered event is stored once, and the watermark keeps it from being evaluated again.
	if _, err := db.StoreEvents(ctx, "okta-1", []sspm.Event{grant}); err != nil {
		t.Fatal(err)
	}
	if rep, err = ev.Evaluate(ctx, lane.AfterEvents("okta-1")); err != nil || rep.Events != 0 {
		t.Fatalf("second pass = %+v, %v; want nothing new", rep, err)
	}
	all, err := db.FindingsBy(ctx, postgres.FindingQuery{Kind: sspm.FindingEvent})
	if err != nil || len(all) != 2 {
		t.Fatalf("event findings = %d, %v; want 2", len(all), err)
	}
	// A policy disabled for the connector is skipped.
	if _, err := ev.SetOverride(ctx, rules.ConnectorScope("okta", "okta-1"), rules.Override{RulesetKey: "opensspm.events.catalogue.v1", RuleKey: "EV-003"}); err != nil {
		t.Fatal(err)
	}
	token := sspm.Event{ProviderEventID: "uuid-4", Type: "system.api_token.create", Outcome: "SUCCESS", OccurredAt: now}
	if _, err := db.StoreEvents(ctx, "okta-1", []sspm.Event{token}); err != nil {
		t.Fatal(err)
	}
	if rep, err = ev.Evaluate(ctx, lane.AfterEvents("okta-1")); err != nil || rep.Events != 1 || rep.EventFindings != 0 {
		t.Fatalf("with EV-003 disabled = %+v, %v; want the event read and no finding", rep, err)
	}
}

func TestEvaluatorIdentityFindings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	for _, c := range []sspm.Connector{{ID: "okta-1", Kind: sspm.KindOkta, Authoritative: true}, {ID: "gh", Kind: sspm.KindGitHub}} {
		c.Name, c.Enabled = c.ID, true
		if _, err := db.CreateConnector(ctx, c, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	ev := newEvaluator(t, db, &now)
	syncAndLink := func(ghActive bool) {
		fullSync(t, db, "okta-1", sspm.Page{Accounts: []sspm.Account{{ExternalID: "00ubob", Kind: sspm.AccountUser, Email: "bob@example.com", Status: "DEPROVISIONED", Active: false}}})
		fullSync(t, db, "gh", sspm.Page{Accounts: []sspm.Account{{ExternalID: "bob", Kind: sspm.AccountUser, Email: "bob@example.com", Active: ghActive, IsAdmin: true, LastLoginAt: now}}})
		for _, c := range []struct {
			id   string
			auth bool
		}{{"okta-1", true}, {"gh", false}} {
			if _, err := db.LinkAccounts(ctx, c.id, c.auth, now.Add(-90*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	syncAndLink(true)
	if _, err := ev.Evaluate(ctx, lane.EvalScope{Global: true}); err != nil {
		t.Fatal(err)
	}
	leavers, err := db.FindingsBy(ctx, postgres.FindingQuery{Kind: sspm.FindingIdentity, Status: sspm.FindingOpen})
	if err != nil || len(leavers) != 1 || leavers[0].RuleKey != "IDENT-LEAVER-001" {
		t.Fatalf("identity findings = %+v, %v; want the leaver", leavers, err)
	}
	if r := resultOf(t, db, rules.GlobalScope(), "NORM-LIFE-002"); r.Status != rules.StatusFail || len(r.Affected) != 1 {
		t.Fatalf("NORM-LIFE-002 = %s (%d affected), want fail naming bob", r.Status, len(r.Affected))
	}
	syncAndLink(false)
	if _, err := ev.Evaluate(ctx, lane.EvalScope{Global: true}); err != nil {
		t.Fatal(err)
	}
	if f, _ := db.FindingByKey(ctx, leavers[0].DedupeKey); f.Status != sspm.FindingResolved {
		t.Fatalf("leaver finding after the GitHub account went = %s, want resolved", f.Status)
	}
}

// BenchmarkEvaluatorGlobal evaluates the global rules and identity findings over a 100,000-identity org stored
// in PostgreSQL (normalized datasets read and decoded, rules run, results and findings written).
func BenchmarkEvaluatorGlobal(b *testing.B) {
	ctx := context.Background()
	db := postgrestest.New(b)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		b.Fatal(err)
	}
	_, lease, _, err := db.StartRun(ctx, "okta-1", sspm.LaneFull, sspm.TriggerManual, "b", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	yes, no := true, false
	for page := range 20 {
		accts := make([]sspm.Account, 5000)
		for i := range accts {
			n := page*5000 + i
			mfa := &yes
			if n%50 == 0 {
				mfa = &no
			}
			accts[i] = sspm.Account{ExternalID: fmt.Sprint("00u", n), Kind: sspm.AccountUser, Email: fmt.Sprint("user", n, "@example.com"),
				DisplayName: fmt.Sprint("User ", n), Status: "ACTIVE", Active: n%40 != 0, IsAdmin: n%100 == 0, MFAEnrolled: mfa,
				LastLoginAt: now.Add(-time.Duration(n%200) * 24 * time.Hour)}
		}
		if _, err := db.WritePage(ctx, "okta-1", lease, &sspm.Page{Accounts: accts}, sspm.RunState{}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.FinishRun(ctx, "okta-1", sspm.LaneFull, lease, sspm.RunOutcome{Status: sspm.RunSucceeded, NextDueAt: now}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.LinkAccounts(ctx, "okta-1", true, now.Add(-90*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	cat, err := rules.Load()
	if err != nil {
		b.Fatal(err)
	}
	ev := &lane.Evaluator{Store: db, Catalog: cat}
	for _, ds := range []string{rules.DatasetAccounts, rules.DatasetIdentities, rules.DatasetEntitlements, rules.DatasetCredentials} {
		t0 := time.Now()
		data, err := db.NormalizedData(ctx, ds, now)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d rows read and built in %s", ds, len(data.Rows), time.Since(t0))
	}
	t0 := time.Now()
	if _, err := db.SyncIdentityFindings(ctx, identity.Checks(), now); err != nil {
		b.Fatal(err)
	}
	b.Logf("identity findings: %s", time.Since(t0))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ev.Evaluate(ctx, lane.EvalScope{Global: true}); err != nil {
			b.Fatal(err)
		}
	}
}

type alertRecorder struct{ got []sspm.FindingTransition }

func (r *alertRecorder) NotifyTransitions(ts []sspm.FindingTransition) { r.got = append(r.got, ts...) }

// TestEvaluatorNotifiesFindingChanges checks that the evaluator hands each finding state change to its alert
// sink once: failing rules open findings on the first evaluation, the same evaluation again changes nothing.
func TestEvaluatorNotifiesFindingChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ev := newEvaluator(t, db, &now)
	rec := &alertRecorder{}
	ev.Alerts = rec
	fullSync(t, db, "okta-1", sspm.Page{Datasets: oktaDatasets(8)})
	if _, err := ev.Evaluate(ctx, lane.EvalScope{ConnectorID: "okta-1", Posture: true}); err != nil {
		t.Fatal(err)
	}
	opened := map[string]bool{}
	for _, tr := range rec.got {
		if tr.Change != sspm.ChangeOpened || tr.ID == 0 || tr.Finding.DedupeKey == "" {
			t.Fatalf("transition %+v, want opened", tr)
		}
		opened[tr.Finding.RuleKey] = true
	}
	if !opened["OKTA-APP-000650"] || opened["OKTA-APP-000020"] {
		t.Fatalf("opened %v, want the failing OKTA-APP-000650 and not the passing OKTA-APP-000020", opened)
	}
	n := len(rec.got)
	if _, err := ev.Evaluate(ctx, lane.EvalScope{ConnectorID: "okta-1", Posture: true}); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != n {
		t.Fatalf("a repeated evaluation notified %d more changes", len(rec.got)-n)
	}
}

// An evaluation logs one line at INFO, of counts: no Go value dumped (a map, a struct) and no second line.
func TestEvaluationLogsOneFlatLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	if _, err := db.CreateConnector(ctx, sspm.Connector{ID: "okta-1", Kind: sspm.KindOkta, Name: "Okta", Enabled: true, Authoritative: true}, nil, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ev := newEvaluator(t, db, &now)
	var logs bytes.Buffer
	ev.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	fullSync(t, db, "okta-1", sspm.Page{Datasets: oktaDatasets(8)})
	if _, err := ev.Evaluate(ctx, lane.AfterFullSync("okta-1")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "msg=evaluated") {
		t.Fatalf("log lines of one evaluation:\n%s", logs.String())
	}
	if strings.ContainsAny(lines[0], "{}[]&") || !strings.Contains(lines[0], `results="`) {
		t.Fatalf("the evaluation's line dumps a Go value: %s", lines[0])
	}
	// The connector's health shows the evaluation as the evaluator lane's activity.
	states, err := db.LaneStates(ctx, "okta-1")
	if err != nil {
		t.Fatal(err)
	}
	var active bool
	for _, s := range states {
		active = active || (s.Lane == sspm.LaneEvaluator && s.LastActivityAt.Equal(now))
	}
	if !active {
		t.Errorf("lane states %+v: no evaluator activity at %s", states, now)
	}
}
