package rules

import (
	"testing"
	"time"
)

const cis = "cis.okta.idaas_stig.v2"

func TestCISRules(t *testing.T) {
	cat := loadCatalog(t)
	type edit = func(ds map[string][]map[string]any)
	pw := func(path string, v any) edit {
		return func(ds map[string][]map[string]any) {
			setPath(ds["okta:policies/password"][0], "settings.password."+path, v)
		}
	}
	top := func(path string, v any) edit {
		return func(ds map[string][]map[string]any) { setPath(ds["okta:policies/sign-on"][0], path, v) }
	}
	app := func(i int, path string, v any) edit {
		return func(ds map[string][]map[string]any) { setPath(ds["okta:policies/app-signin"][i], path, v) }
	}
	auth := func(i int, path string, v any) edit {
		return func(ds map[string][]map[string]any) { setPath(ds["okta:authenticators"][i], path, v) }
	}
	drop := func(name string) edit {
		return func(ds map[string][]map[string]any) { ds[name] = []map[string]any{} }
	}
	unlimited := func(path string) edit {
		return func(ds map[string][]map[string]any) {
			row := ds["okta:policies/password"][0]
			setPath(row, "settings.password."+path, 2147483647.0)
			row["unlimited_fields"] = []any{"settings.password." + path}
		}
	}
	tests := []struct {
		rule       string
		name       string
		give       edit
		want       Status
		wantReason Reason
	}{
		{"OKTA-APP-000020", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000020", "idle 30", top("actions.signon.session.maxSessionIdleMinutes", 30.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000020", "no custom top rule", top("priority", 3.0), StatusFail, ReasonEmptySelection},
		{"OKTA-APP-000020", "idle missing", top("actions.signon.session.maxSessionIdleMinutes", nil), StatusFail, ReasonMissingField},
		{"OKTA-APP-000020", "idle as text", top("actions.signon.session.maxSessionIdleMinutes", "15"), StatusFail, ReasonTypeMismatch},
		{"OKTA-APP-000025", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000025", "idle 60", func(ds map[string][]map[string]any) {
			ds["okta:apps/admin-console-settings"][0]["session_idle_timeout_minutes"] = 60.0
		}, StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000025", "no settings row", drop("okta:apps/admin-console-settings"), StatusUnknown, ReasonEmptySelection},
		{"OKTA-APP-000090", "manual", nil, StatusUnknown, ReasonManualRule},
		{"OKTA-APP-000170", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000170", "five attempts", pw("lockout.maxAttempts", 5.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000170", "no lockout (unlimited)", unlimited("lockout.maxAttempts"), StatusFail, ReasonUnlimitedValue},
		{"OKTA-APP-000170", "attempts as text", pw("lockout.maxAttempts", "3"), StatusFail, ReasonTypeMismatch},
		{"OKTA-APP-000170", "inactive policy only", func(ds map[string][]map[string]any) {
			ds["okta:policies/password"][0]["status"] = "INACTIVE"
		}, StatusUnknown, ReasonEmptySelection},
		{"OKTA-APP-000180", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000180", "push allowed", app(0, "requires_phishing_resistant", false), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000180", "no dashboard rule", app(0, "app_label", "Other"), StatusFail, ReasonEmptySelection},
		{"OKTA-APP-000190", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000190", "push allowed", app(1, "requires_phishing_resistant", false), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000200", "manual", nil, StatusUnknown, ReasonManualRule},
		{"OKTA-APP-000560", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000560", "password only", app(1, "requires_mfa", false), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000560", "field missing", app(1, "requires_mfa", nil), StatusFail, ReasonMissingField},
		{"OKTA-APP-000570", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000570", "password only", app(0, "requires_mfa", false), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000650", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000650", "length 8", pw("complexity.minLength", 8.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000650", "length 20", pw("complexity.minLength", 20.0), StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000670", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000670", "no upper", pw("complexity.minUpperCase", 0.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000680", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000680", "no lower", pw("complexity.minLowerCase", 0.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000690", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000690", "no digit", pw("complexity.minNumber", 0.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000700", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000700", "no symbol", pw("complexity.minSymbol", nil), StatusFail, ReasonMissingField},
		{"OKTA-APP-000740", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000740", "min age 0", pw("age.minAgeMinutes", 0.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000745", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-000745", "30 days is not 60", pw("age.maxAgeDays", 30.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-000745", "never expires", unlimited("age.maxAgeDays"), StatusFail, ReasonUnlimitedValue},
		{"OKTA-APP-001430", "compliant", nil, StatusPass, ReasonCountCompare},
		{"OKTA-APP-001430", "stream inactive", func(ds map[string][]map[string]any) {
			ds["okta:log-streams"][0]["status"] = "INACTIVE"
		}, StatusFail, ReasonCountCompare},
		{"OKTA-APP-001430", "no streams", drop("okta:log-streams"), StatusFail, ReasonCountCompare},
		{"OKTA-APP-001665", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-001665", "24 hours", top("actions.signon.session.maxSessionLifetimeMinutes", 1440.0), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-001665", "unlimited", func(ds map[string][]map[string]any) {
			row := ds["okta:policies/sign-on"][0]
			setPath(row, "actions.signon.session.maxSessionLifetimeMinutes", 2147483647.0)
			row["unlimited_fields"] = []any{"actions.signon.session.maxSessionLifetimeMinutes"}
		}, StatusFail, ReasonUnlimitedValue},
		{"OKTA-APP-001670", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-001670", "inactive", auth(0, "status", "INACTIVE"), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-001670", "not added", auth(0, "name", "Password"), StatusFail, ReasonEmptySelection},
		{"OKTA-APP-001700", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-001700", "optional", auth(1, "okta_verify_compliance_fips", "OPTIONAL"), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-001710", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-001710", "persistent", top("actions.signon.session.usePersistentCookie", true), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-001710", "as text", top("actions.signon.session.usePersistentCookie", "false"), StatusFail, ReasonTypeMismatch},
		{"OKTA-APP-001920", "manual", nil, StatusUnknown, ReasonManualRule},
		{"OKTA-APP-002980", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-002980", "dictionary off", pw("complexity.dictionary.common.exclude", false), StatusFail, ReasonAssertFailed},
		{"OKTA-APP-003010", "compliant", nil, StatusPass, ReasonAssertPassed},
		{"OKTA-APP-003010", "history 4", pw("age.historyCount", 4.0), StatusFail, ReasonAssertFailed},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.rule] = true
		t.Run(tt.rule+"/"+tt.name, func(t *testing.T) {
			got := evaluateRule(t, cat, cis, tt.rule, oktaData(t, tt.give), Controls{}, time.Now())
			if got.Status != tt.want || got.Reason != tt.wantReason {
				t.Fatalf("%s = %s/%s (%s), want %s/%s", tt.rule, got.Status, got.Reason, got.Summary, tt.want, tt.wantReason)
			}
			if got.Status == StatusFail && got.Reason != ReasonEmptySelection && got.Selected > 0 && len(got.Affected) == 0 {
				t.Errorf("a failing rule lists no affected resource")
			}
		})
	}
	for _, r := range cat.Ruleset(cis).Rules {
		if !covered[r.Key] {
			t.Errorf("rule %s has no test case", r.Key)
		}
	}
}

func TestEveryPasswordPolicyMustComply(t *testing.T) { // D5
	cat := loadCatalog(t)
	data := oktaData(t, func(ds map[string][]map[string]any) {
		weak := map[string]any{"resource_id": "okta_password_policy:pw2", "display": "Contractors", "status": "ACTIVE",
			"settings": map[string]any{"password": map[string]any{"complexity": map[string]any{"minLength": 8.0}}}}
		ds["okta:policies/password"] = append(ds["okta:policies/password"], weak)
	})
	got := evaluateRule(t, cat, cis, "OKTA-APP-000650", data, Controls{}, time.Now())
	if got.Status != StatusFail || len(got.Affected) != 1 || got.Affected[0].ID != "okta_password_policy:pw2" || got.Affected[0].Display != "Contractors" {
		t.Fatalf("result = %s, affected %+v; want fail naming the contractors policy", got.Status, got.Affected)
	}
	if got.Selected != 2 || got.Passed != 1 {
		t.Errorf("selection = %d/%d, want 2 selected, 1 passed", got.Selected, got.Passed)
	}
}
