package google_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestBadCredentialsFailWithWhatToFix: a key without domain-wide delegation, a missing scope, an unknown
// subject and a subject who is not an admin each fail the first step with an error naming what to fix, and
// the step returns no rows.
func TestBadCredentialsFailWithWhatToFix(t *testing.T) {
	noDWD, noDWDKey := serviceAccount(t, nil)
	partial, partialKey := serviceAccount(t, google.Scopes[:5]) // Reports not delegated
	var nonAdmin string
	for _, tc := range []struct {
		name    string
		opts    googlesim.Options
		subject string
		secret  []byte
		code    sspm.Code
		want    string
	}{
		{name: "no domain-wide delegation", opts: googlesim.Options{ServiceAccounts: []googlesim.ServiceAccount{noDWD}}, secret: noDWDKey,
			code: sspm.CodeUnauthorized, want: "(client id 109876543210987654321) is not authorised for domain-wide delegation"},
		{name: "a scope not delegated", opts: googlesim.Options{ServiceAccounts: []googlesim.ServiceAccount{partial}}, secret: partialKey,
			code: sspm.CodeUnauthorized, want: "https://www.googleapis.com/auth/admin.reports.audit.readonly"},
		{name: "unknown subject", subject: "ghost@acme.example", code: sspm.CodeUnauthorized, want: "admin_email ghost@acme.example is not an active user"},
		{name: "not an admin", subject: "non-admin", code: sspm.CodeForbidden, want: "is not a Workspace admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			subject := tc.subject
			if subject == "non-admin" {
				if nonAdmin == "" {
					probe := newEnv(t, googlesim.Options{}, "", nil, nil)
					for _, u := range probe.sim.Users() {
						if !u.IsAdmin && !u.IsDelegatedAdmin && !u.Suspended && !u.Archived {
							nonAdmin = u.PrimaryEmail
							break
						}
					}
				}
				subject = nonAdmin
			}
			e := newEnv(t, tc.opts, subject, tc.secret, nil)
			res, err := e.src.Step(context.Background(), sspm.LaneFull, google.StageUsers, "")
			if err == nil || sspm.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v (code %s), want %s containing %q", err, sspm.ErrorCode(err), tc.code, tc.want)
			}
			if res.Page.Len() != 0 {
				t.Fatalf("the failed step returned %d rows", res.Page.Len())
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatal("the error quotes the key")
			}
		})
	}
}

// TestValidateNamesTheField: each bad config or secret is refused with a CodeInvalid error naming the field,
// never quoting the key.
func TestValidateNamesTheField(t *testing.T) {
	_, key := serviceAccount(t, google.Scopes)
	var m map[string]string
	_ = json.Unmarshal(key, &m)
	user := map[string]string{}
	for k, v := range m {
		user[k] = v
	}
	user["type"] = "authorized_user"
	userKey, _ := json.Marshal(user)
	broken := map[string]string{}
	for k, v := range m {
		broken[k] = v
	}
	broken["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	brokenKey, _ := json.Marshal(broken)
	prod, demo := google.Options{}, google.Options{AllowLoopback: true}
	for _, tc := range []struct {
		name   string
		o      google.Options
		config string
		secret []byte
		want   string
	}{
		{"no admin", prod, `{}`, nil, "admin_email"},
		{"admin not an email", prod, `{"admin_email":"root"}`, nil, "admin_email"},
		{"bad customer", prod, `{"admin_email":"a@b.example","customer_id":"acme"}`, nil, "customer_id"},
		{"negative budget", prod, `{"admin_email":"a@b.example","token_budget":-1}`, nil, "token_budget"},
		{"http api", prod, `{"admin_email":"a@b.example","api_url":"http://admin.example.com/"}`, nil, "api_url"},
		{"loopback in production", prod, `{"admin_email":"a@b.example","token_url":"http://127.0.0.1:9/token"}`, nil, "token_url"},
		{"unknown field", prod, `{"admin_email":"a@b.example","subject":"x"}`, nil, "unknown field"},
		{"not JSON", prod, `{"admin_email":"a@b.example"}`, []byte("AIza-not-a-key"), "not a service account key file"},
		{"user credentials", prod, `{"admin_email":"a@b.example"}`, userKey, `"authorized_user"`},
		{"broken key", prod, `{"admin_email":"a@b.example"}`, brokenKey, "private_key cannot be parsed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate(json.RawMessage(tc.config), tc.secret)
			if sspm.ErrorCode(err) != sspm.CodeInvalid || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatalf("err %v, want invalid naming %q", err, tc.want)
			}
		})
	}
	if err := demo.Validate(json.RawMessage(`{"admin_email":"a@b.example","token_url":"http://127.0.0.1:9/token","api_url":"http://127.0.0.1:9/"}`), key); err != nil {
		t.Fatalf("demo mode refuses the simulator's loopback URLs: %v", err)
	}
}

// TestQuotaAnswersAreRetried: 403 userRateLimitExceeded and rateLimitExceeded and 503 backendError are retried
// with backoff on the connector's clock; the step succeeds and says it waited.
func TestQuotaAnswersAreRetried(t *testing.T) {
	e := newEnv(t, googlesim.Options{}, "", nil, nil)
	e.sim.AddFault(googlesim.Fault{Path: googlesim.RouteUsers, Status: 403, Reason: "userRateLimitExceeded", Times: 1})
	e.sim.AddFault(googlesim.Fault{Path: googlesim.RouteUsers, Status: 403, Reason: "rateLimitExceeded", Times: 1})
	e.sim.AddFault(googlesim.Fault{Path: googlesim.RouteUsers, Status: 503, Times: 1})
	slept := e.clk.Slept()
	res, err := e.src.Step(context.Background(), sspm.LaneFull, google.StageUsers, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := e.clk.Slept() - slept; d < 7*time.Second {
		t.Errorf("slept %s; backoff of 1+2+4 s expected", d)
	}
	if len(res.Page.Accounts) == 0 || !strings.Contains(res.Message, "waited") {
		t.Fatalf("%d accounts, message %q", len(res.Page.Accounts), res.Message)
	}
	if got := e.sim.Stats().ByRoute[googlesim.RouteUsers]; got != 4 {
		t.Fatalf("%d users requests, want 4", got)
	}
}

// TestQuotaIsNeverExceeded: against a domain with a per-minute quota, a full sync paces itself and finishes with
// at most a few quota answers, all retried.
func TestQuotaIsNeverExceeded(t *testing.T) {
	e := newEnv(t, googlesim.Options{QueriesPerMinute: 2400, PageCap: 3}, "", nil, nil)
	google.SetLimits(e.src, 1000, 3)
	if _, _, err := e.drain(t); err != nil {
		t.Fatal(err)
	}
	if st := e.sim.Stats(); st.Throttled != 0 {
		t.Fatalf("%d quota answers in %d requests", st.Throttled, st.Total)
	}
}

// TestFullLaneMapsTheDomain: accounts carry status, admin, MFA and last login; nested groups are group members
// with roles; role assignments are grants (super_admin for the seed role); tokens are credentials of their owners.
func TestFullLaneMapsTheDomain(t *testing.T) {
	e := newEnv(t, googlesim.Options{PageCap: 7}, "", nil, nil)
	page, unavailable, err := e.drain(t)
	if err != nil || len(unavailable) != 0 {
		t.Fatalf("err %v, unavailable %v", err, unavailable)
	}
	users := e.sim.Users()
	if len(page.Accounts) != len(users) {
		t.Fatalf("%d accounts, %d users", len(page.Accounts), len(users))
	}
	byID := map[string]sspm.Account{}
	for _, a := range page.Accounts {
		byID[a.ExternalID] = a
	}
	for _, u := range users {
		a := byID[u.ID]
		wantStatus := "active"
		if u.Archived {
			wantStatus = "archived"
		} else if u.Suspended {
			wantStatus = "suspended"
		}
		never := u.LastLoginTime == "1970-01-01T00:00:00.000Z"
		if a.Status != wantStatus || a.Active != (wantStatus == "active") || a.IsAdmin != (u.IsAdmin || u.IsDelegatedAdmin) ||
			a.MFAEnrolled == nil || *a.MFAEnrolled != u.IsEnrolledIn2Sv || a.LastLoginAt.IsZero() != never || a.Email != strings.ToLower(u.PrimaryEmail) {
			t.Fatalf("user %+v → account %+v", u, a)
		}
	}
	var nested, owners int
	for _, m := range page.GroupMembers {
		if m.MemberKind == sspm.MemberGroup {
			nested++
		}
		if m.Role == "owner" {
			owners++
		}
	}
	if nested == 0 || owners == 0 {
		t.Fatalf("%d nested memberships, %d owners", nested, owners)
	}
	var supers, groupGrants, oauth int
	for _, g := range page.Grants {
		switch {
		case g.Permission == google.PermSuperAdmin:
			supers++
		case g.Permission == google.PermOAuthGrant:
			oauth++
		}
		if g.PrincipalKind == sspm.MemberGroup {
			groupGrants++
		}
	}
	admins := 0
	for _, u := range users {
		if u.IsAdmin {
			admins++
		}
	}
	if supers != admins || groupGrants == 0 || oauth == 0 || oauth != len(page.Credentials) {
		t.Fatalf("%d super admin grants for %d super admins; %d group grants; %d oauth grants, %d credentials", supers, admins, groupGrants, oauth, len(page.Credentials))
	}
	for _, c := range page.Credentials {
		if _, ok := byID[c.OwnerExternalID]; !ok || c.Kind != google.CredentialOAuthToken || len(c.Scopes) == 0 {
			t.Fatalf("credential %+v", c)
		}
	}
}

// TestTokenBudgetContinuesAcrossRuns: with a budget below the users, each run reads the next users' tokens, keeps
// the earlier rows (unavailable scopes), and the run that completes a pass from the first user sweeps.
func TestTokenBudgetContinuesAcrossRuns(t *testing.T) {
	e := newEnv(t, googlesim.Options{}, "", nil, map[string]any{"token_budget": 20})
	ctx := context.Background()
	users := len(e.sim.Users())
	runs, read, watermark := 0, 0, ""
	for {
		runs++
		cursor, whole := watermark, true
		for {
			res, err := e.src.Step(ctx, sspm.LaneFull, google.StageTokens, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Unavailable) > 0 {
				whole = false
			}
			if res.Next == "" {
				watermark = res.Watermark
				break
			}
			cursor = res.Next
		}
		read = e.sim.Stats().ByRoute[googlesim.RouteTokens]
		var w struct {
			After string `json:"after"`
		}
		_ = json.Unmarshal([]byte(watermark), &w)
		if w.After == "" { // the pass is through
			if whole != (runs == 1) {
				t.Fatalf("run %d completed the pass; whole %v", runs, whole)
			}
			break
		}
		if whole {
			t.Fatalf("run %d read part of the users and let the sweep expire tokens", runs)
		}
		if runs > 10 {
			t.Fatal("the walk never completes")
		}
	}
	if read != users || runs != (users+19)/20 {
		t.Fatalf("%d token reads over %d runs for %d users", read, runs, users)
	}
	if !slices.Contains(e.src.Stages(sspm.LaneFull), google.StageTokens) {
		t.Fatal("no tokens stage")
	}
}
