package okta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestFactorBudgetSpreadsAcrossRuns: each run reads at most factor_budget users' factors, continuing where the
// previous run stopped and wrapping around, so that a few runs read every active user once.
func TestFactorBudgetSpreadsAcrossRuns(t *testing.T) {
	const budget = 7
	e := newEnv(t, providersim.Small(), oktasim.Options{PageCaps: map[string]int{"/api/v1/users": 6}}, map[string]any{"factor_budget": budget})
	active := 0
	for _, u := range truth(t, e, "/api/v1/users") {
		switch u["status"] {
		case "ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY":
			active++
		}
	}
	seen := map[string]int{}
	watermarks := map[string]string{}
	runs := (active + budget - 1) / budget
	for run := 0; run < runs+1; run++ {
		e.sim.ResetStats()
		got := drain(t, e.source(t), sspm.LaneFull, watermarks, okta.StageFactors) // a new Source each run
		if n := e.sim.Stats().ByRoute["GET /api/v1/users/{userId}/factors"]; n != budget {
			t.Fatalf("run %d read %d users' factors, want the budget %d", run, n, budget)
		}
		for _, m := range got.page.MFA {
			seen[m.AccountExternalID]++
			if m.Enrolled != (len(m.Factors) > 0) {
				t.Fatalf("mfa %+v", m)
			}
		}
		watermarks = got.watermarks
	}
	if len(seen) != active {
		t.Fatalf("%d runs read %d distinct users; want all %d active users", runs+1, len(seen), active)
	}
	for id, n := range seen {
		if n > 2 {
			t.Fatalf("user %s read %d times in %d runs: the budget was not spread", id, n, runs+1)
		}
	}
	if e.opts.Validate(json.RawMessage(`{"org_url":"http://127.0.0.1:1","auth":"api_token","factor_budget":0}`), nil) != nil {
		t.Fatal("factor_budget 0 is valid")
	}
}

// TestFactorsNeverFailTheRun: a failing factor read ends the stage early with a message; the watermark keeps
// the position.
func TestFactorsNeverFailTheRun(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, map[string]any{"factor_budget": 20})
	e.sim.AddFault(oktasim.Fault{Path: "/api/v1/users/{userId}/factors", Status: 500})
	got := drain(t, e.source(t), sspm.LaneFull, nil, okta.StageFactors)
	if len(got.page.MFA) != 0 || !strings.Contains(strings.Join(got.messages, ";"), "factor reads stopped") || got.watermarks[okta.StageFactors] == "" {
		t.Fatalf("mfa %d, messages %q, watermarks %v", len(got.page.MFA), got.messages, got.watermarks)
	}
}

// TestDatasets checks the rows the CIS Okta ruleset reads: names, resource ids, the derived fields, and 0 for
// "unlimited" rewritten to the sentinel with its path listed.
func TestDatasets(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, nil)
	got := drain(t, e.source(t), sspm.LaneFull, nil, okta.StageApps, okta.StageDatasets)
	rows := map[string][]map[string]any{}
	for _, d := range got.page.Datasets {
		var m map[string]any
		if err := json.Unmarshal(d.Raw, &m); err != nil {
			t.Fatal(err)
		}
		if m["resource_id"] != d.ExternalID {
			t.Fatalf("%s row %s has resource_id %v", d.Dataset, d.ExternalID, m["resource_id"])
		}
		rows[d.Dataset] = append(rows[d.Dataset], m)
	}
	for _, name := range []string{okta.DatasetPasswordPolicies, okta.DatasetSignOnPolicies, okta.DatasetAppSignIn, okta.DatasetApps,
		okta.DatasetAuthenticators, okta.DatasetAdminConsole, okta.DatasetSignInPage} {
		if len(rows[name]) == 0 {
			t.Errorf("no rows of %s", name)
		}
	}
	sec := e.sim.Company().Security
	pw := rows[okta.DatasetPasswordPolicies][0]
	age := pw["settings"].(map[string]any)["password"].(map[string]any)["age"].(map[string]any)
	unlimited := fmt.Sprint(pw["unlimited_fields"])
	if sec.PasswordMaxAgeDays == 0 && (age["maxAgeDays"] != float64(2147483647) || !strings.Contains(unlimited, "settings.password.age.maxAgeDays")) {
		t.Errorf("never-expiring passwords: maxAgeDays %v, unlimited_fields %v", age["maxAgeDays"], unlimited)
	}
	if sec.PasswordMaxAgeDays != 0 && age["maxAgeDays"] != float64(sec.PasswordMaxAgeDays) {
		t.Errorf("maxAgeDays %v, want %d", age["maxAgeDays"], sec.PasswordMaxAgeDays)
	}
	byApp := map[string]map[string]any{}
	for _, r := range rows[okta.DatasetAppSignIn] {
		if r["is_top_rule"] == true {
			byApp[fmt.Sprint(r["app_label"])] = r
		}
	}
	console, dashboard := byApp["Okta Admin Console"], byApp["Okta Dashboard"]
	if console == nil || dashboard == nil {
		t.Fatalf("no top rule for the Admin Console or the Dashboard: %v", keysOf(byApp))
	}
	if console["requires_mfa"] != true || console["requires_phishing_resistant"] != sec.AdminsRequirePhishingResistant {
		t.Errorf("admin console: mfa %v, phishing resistant %v (company: %v)", console["requires_mfa"], console["requires_phishing_resistant"], sec.AdminsRequirePhishingResistant)
	}
	if dashboard["requires_mfa"] != sec.RequireMFA {
		t.Errorf("dashboard requires_mfa %v, company requires MFA %v", dashboard["requires_mfa"], sec.RequireMFA)
	}
	for _, r := range rows[okta.DatasetSignOnPolicies] {
		if r["policy"].(map[string]any)["type"] != "OKTA_SIGN_ON" {
			t.Errorf("sign-on row without its policy: %v", r["policy"])
		}
	}
	for _, a := range rows[okta.DatasetAuthenticators] {
		if a["key"] == "okta_verify" && a["okta_verify_compliance_fips"] == nil {
			t.Errorf("okta verify row without okta_verify_compliance_fips")
		}
	}
	ac := rows[okta.DatasetAdminConsole][0]
	if ac["session_idle_timeout_minutes"] != float64(sec.AdminConsoleIdleMinutes) {
		t.Errorf("admin console idle %v, want %d", ac["session_idle_timeout_minutes"], sec.AdminConsoleIdleMinutes)
	}
	if page := rows[okta.DatasetSignInPage][0]; page["customized"] != sec.CustomSignInPage || (page["sign_in_page"] != nil) != sec.CustomSignInPage {
		t.Errorf("sign-in page row %v, company customized %v", page, sec.CustomSignInPage)
	}
	if (len(rows[okta.DatasetLogStreams]) > 0) != sec.AuditLogStreaming {
		t.Errorf("%d log streams, company streams %v", len(rows[okta.DatasetLogStreams]), sec.AuditLogStreaming)
	}
}

// TestDatasetUnavailableOn403 marks only the forbidden dataset unavailable.
func TestDatasetUnavailableOn403(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{Faults: []oktasim.Fault{{Path: "/api/v1/authenticators", Status: 403}}}, nil)
	got := drain(t, e.source(t), sspm.LaneFull, nil, okta.StageDatasets)
	if !reflect.DeepEqual(got.unavail, []sspm.Entity{sspm.DatasetEntity(okta.DatasetAuthenticators)}) {
		t.Fatalf("unavailable %v", got.unavail)
	}
	for _, d := range got.page.Datasets {
		if d.Dataset == okta.DatasetAuthenticators {
			t.Fatal("rows of a forbidden dataset")
		}
	}
}

// TestRefresh re-reads what event targets name: users (account, admin flag, factors), groups (with members)
// and apps (with grants); other target types are ignored.
func TestRefresh(t *testing.T) {
	e := newEnv(t, providersim.Small(), oktasim.Options{}, nil)
	users := ids(truth(t, e, "/api/v1/users"))
	groups := ids(truth(t, e, "/api/v1/groups"))
	apps := ids(truth(t, e, "/api/v1/apps"))
	e.sim.ResetStats()
	page, err := e.source(t).Refresh(context.Background(), []sspm.EventTarget{
		{Type: "User", ExternalID: users[0]}, {Type: "User", ExternalID: users[0]}, {Type: "UserGroup", ExternalID: groups[2]},
		{Type: "AppInstance", ExternalID: apps[5]}, {Type: "AppUser", ExternalID: users[1]}, {Type: "PublicClientApp", ExternalID: "x"},
		{Type: "User", ExternalID: "00udeletedxxxxxxxxxx"},
	})
	if err != nil {
		t.Fatal(err)
	}
	members := len(truth(t, e, "/api/v1/groups/"+groups[2]+"/users"))
	appUsers := len(truth(t, e, "/api/v1/apps/"+apps[5]+"/users"))
	if len(page.Accounts) != 1 || page.Accounts[0].ExternalID != users[0] || len(page.Groups) != 1 || len(page.GroupMembers) != members ||
		len(page.Resources) != 1 || len(page.MFA) != 1 {
		t.Fatalf("refresh: %d accounts, %d groups, %d members (want %d), %d resources, %d mfa",
			len(page.Accounts), len(page.Groups), len(page.GroupMembers), members, len(page.Resources), len(page.MFA))
	}
	granted := map[string]bool{}
	for _, g := range page.Grants {
		if g.ResourceExternalID == apps[5] && g.PrincipalKind == sspm.MemberAccount {
			granted[g.PrincipalExternalID] = true
		}
	}
	if len(granted) != appUsers {
		t.Fatalf("app grants for %d users, the app has %d", len(granted), appUsers)
	}
	events, _ := okta.ParseHook([]byte(envelope(event("e1", 1))))
	events[0].Type = "user.session.start"
	if p, err := e.source(t).RefreshEvents(context.Background(), events); err != nil || p.Len() != 0 {
		t.Fatalf("a sign-in refreshed %d rows (%v)", p.Len(), err)
	}
}

func keysOf(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The org resource is named as people know the org: its company name, else (a token without okta.orgs.read) the
// subdomain of its Okta URL; never the host of a loopback address when the org says its name.
func TestOrgResourceIsNamedByTheOrg(t *testing.T) {
	cfg := providersim.Small()
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	orgOf := func(p sspm.Page) sspm.Resource {
		for _, r := range p.Resources {
			if r.ExternalID == okta.OrgResourceID {
				return r
			}
		}
		t.Fatalf("no org resource among %d resources", len(p.Resources))
		return sspm.Resource{}
	}
	e := newEnv(t, cfg, oktasim.Options{}, nil)
	if got := orgOf(drain(t, e.source(t), sspm.LaneFull, nil, okta.StageRoles).page); got.Name != company.Name {
		t.Errorf("org resource named %q, want the company name %q", got.Name, company.Name)
	}
	e = newEnv(t, cfg, oktasim.Options{Faults: []oktasim.Fault{{Path: "/api/v1/org", Status: 403}}}, nil)
	if got := orgOf(drain(t, e.source(t), sspm.LaneFull, nil, okta.StageRoles).page); got.Name == "" {
		t.Error("org resource unnamed when the org settings are forbidden")
	}
	for host, want := range map[string]string{
		"acme.okta.com": "acme", "Acme-Dev.oktapreview.com": "acme-dev", "globex.okta-emea.com": "globex",
		"login.acme.com": "login.acme.com", "127.0.0.1": "127.0.0.1", "a.b.okta.com": "a.b.okta.com",
	} {
		if got := okta.OrgSubdomain(host); got != want {
			t.Errorf("OrgSubdomain(%q) = %q, want %q", host, got, want)
		}
	}
}
