package oktasim

import (
	"context"
	"testing"

	"github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// pageAll executes a list request and follows resp.Next until the last
// page, returning every item and the number of pages.
func pageAll[T any](t *testing.T, execute func() ([]T, *okta.APIResponse, error)) ([]T, int) {
	t.Helper()
	first, resp, err := execute()
	if err != nil {
		t.Fatal(err)
	}
	all, pages := first, 1
	for resp.HasNextPage() {
		var page []T
		if resp, err = resp.Next(&page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		pages++
	}
	return all, pages
}

// TestSDKListsGroupsAndMembers reads every group and every group's members
// from the group side, as the full lane does, and compares with the company.
func TestSDKListsGroupsAndMembers(t *testing.T) {
	c := company(t, providersim.Medium())
	s := New(c, Options{PageCaps: map[string]int{"/api/v1/groups": 40, "/api/v1/groups/{groupId}/users": 25}})
	defer s.Close()
	client := sdkClient(t, s)
	ctx := context.Background()
	groups, pages := pageAll(t, client.GroupAPI.ListGroups(ctx).Limit(200).Execute)
	if len(groups) != len(c.Groups)+1 || pages != (len(groups)+39)/40 {
		t.Fatalf("got %d groups in %d pages, want %d (company groups + Everyone) in pages of 40", len(groups), pages, len(c.Groups)+1)
	}
	if groups[0].GetType() != "BUILT_IN" || groups[0].Profile.GetName() != "Everyone" {
		t.Errorf("first group is %s %q, want the BUILT_IN Everyone group", groups[0].GetType(), groups[0].Profile.GetName())
	}
	want := 0
	for i := range c.Groups {
		want += len(c.Groups[i].Members)
	}
	got := 0
	for i, g := range groups {
		members, _ := pageAll(t, client.GroupAPI.ListGroupUsers(ctx, g.GetId()).Limit(1000).Execute)
		for _, m := range members {
			if m.GetId() == "" || m.GetStatus() == "" {
				t.Fatalf("group %s: member without id or status", g.GetId())
			}
		}
		if i > 0 { // Everyone is not a company group
			got += len(members)
		}
	}
	if got != want {
		t.Errorf("got %d memberships, want %d", got, want)
	}
	// Reading the group side costs exactly the minimum the server computes.
	route := "GET /api/v1/groups/{groupId}/users"
	if made, min := s.Stats().ByRoute[route], s.MinListingRequests()[route]; made != min {
		t.Errorf("%d member requests, minimum %d", made, min)
	}
}

// TestSDKListsAppsAndAssignments checks that apps decode into their typed
// sign-on-mode models and that user and group assignments page.
func TestSDKListsAppsAndAssignments(t *testing.T) {
	c := company(t, providersim.Medium())
	s := New(c, Options{})
	defer s.Close()
	client := sdkClient(t, s)
	ctx := context.Background()
	apps, pages := pageAll(t, client.ApplicationAPI.ListApplications(ctx).Limit(7).Execute)
	if len(apps) != len(c.Apps)+3 || pages != (len(apps)+6)/7 {
		t.Fatalf("got %d apps in %d pages, want %d", len(apps), pages, len(c.Apps)+3)
	}
	modes := map[string]int{}
	for _, a := range apps {
		switch {
		case a.SamlApplication != nil:
			modes["SAML_2_0"]++
			if a.SamlApplication.Links.AccessPolicy == nil {
				t.Errorf("app %s has no access policy link", a.SamlApplication.GetId())
			}
		case a.OpenIdConnectApplication != nil:
			modes["OPENID_CONNECT"]++
		case a.AutoLoginApplication != nil:
			modes["AUTO_LOGIN"]++
		case a.BookmarkApplication != nil:
			modes["BOOKMARK"]++
			if a.BookmarkApplication.Settings.App.GetUrl() == "" {
				t.Error("bookmark app without url")
			}
		default:
			t.Errorf("app decoded into no typed model: %+v", a)
		}
	}
	if len(modes) != 4 {
		t.Errorf("sign-on modes seen: %v, want all four", modes)
	}
	wantUsers, gotUsers, gotGroups := 0, 0, 0
	for i := range c.Apps {
		wantUsers += len(c.Apps[i].Users)
	}
	for _, ca := range c.Apps {
		id, _ := s.AppID(ca.Key)
		users, _ := pageAll(t, client.ApplicationUsersAPI.ListApplicationUsers(ctx, id).Limit(500).Execute)
		for _, u := range users {
			if scope := u.GetScope(); scope != "USER" && scope != "GROUP" {
				t.Fatalf("app user scope %q", scope)
			}
		}
		gotUsers += len(users)
		groups, _ := pageAll(t, client.ApplicationGroupsAPI.ListApplicationGroupAssignments(ctx, id).Expand("group").Execute)
		for _, g := range groups {
			if _, ok := g.Embedded["group"]; !ok {
				t.Fatalf("app %s group %s: expand=group did not embed the group", id, g.GetId())
			}
		}
		gotGroups += len(groups)
	}
	if gotUsers != wantUsers || gotGroups != c.Stats().GroupAssignments {
		t.Errorf("got %d app users and %d app groups, want %d and %d", gotUsers, gotGroups, wantUsers, c.Stats().GroupAssignments)
	}
}

// TestSDKReadsFactorsAndRoles covers the per-user reads behind the MFA and
// admin signals, and the admin role holder listing.
func TestSDKReadsFactorsAndRoles(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	client := sdkClient(t, s)
	ctx := context.Background()
	wantAdmins := 0
	for i := range c.People {
		p := &c.People[i]
		id, ok := s.UserID(p.ID)
		if !ok {
			continue
		}
		factors, _, err := client.UserFactorAPI.ListFactors(ctx, id).Execute()
		if err != nil {
			t.Fatal(err)
		}
		if len(factors) != len(p.Factors) {
			t.Errorf("%s: got %d factors, want %d", p.ID, len(factors), len(p.Factors))
		}
		roles, _, err := client.RoleAssignmentAPI.ListAssignedRolesForUser(ctx, id).Execute()
		if err != nil {
			t.Fatal(err)
		}
		direct := 0
		for _, r := range roles {
			if r.GetAssignmentType() == "USER" {
				direct++
			}
		}
		if direct != len(p.AdminRoles) {
			t.Errorf("%s: got %d direct roles, want %d", p.ID, direct, len(p.AdminRoles))
		}
		if len(roles) > 0 {
			wantAdmins++
		}
	}
	assignees, _, err := client.RoleAssignmentAPI.ListUsersWithRoleAssignments(ctx).Limit(2).Execute()
	if err != nil {
		t.Fatal(err)
	}
	got := len(assignees.Value)
	for next := assignees.GetLinks().Next; next != nil; {
		after := afterParam(t, next.Href)
		page, _, err := client.RoleAssignmentAPI.ListUsersWithRoleAssignments(ctx).Limit(2).After(after).Execute()
		if err != nil {
			t.Fatal(err)
		}
		got += len(page.Value)
		next = page.GetLinks().Next
	}
	if got != wantAdmins {
		t.Errorf("role assignees: got %d, want %d", got, wantAdmins)
	}
}

// TestSDKReadsPostureDatasets reads what the CIS Okta ruleset needs.
func TestSDKReadsPostureDatasets(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	client := sdkClient(t, s)
	ctx := context.Background()
	for _, typ := range []string{"PASSWORD", "OKTA_SIGN_ON", "ACCESS_POLICY"} {
		policies, _, err := client.PolicyAPI.ListPolicies(ctx).Type_(typ).Status("ACTIVE").Execute()
		if err != nil {
			t.Fatal(err)
		}
		if len(policies) == 0 {
			t.Fatalf("no %s policies", typ)
		}
		for _, p := range policies {
			inst := p.GetActualInstance()
			if inst == nil {
				t.Fatalf("%s policy decoded into no model", typ)
			}
			if typ == "PASSWORD" {
				min := p.PasswordPolicy.Settings.Password.Complexity.GetMinLength()
				if int(min) != c.Security.PasswordMinLength {
					t.Errorf("password minLength %d, want %d", min, c.Security.PasswordMinLength)
				}
				continue
			}
			id := policyID(inst)
			rules, _, err := client.PolicyAPI.ListPolicyRules(ctx, id).Execute()
			if err != nil || len(rules) == 0 {
				t.Fatalf("%s policy %s: %d rules, err %v", typ, id, len(rules), err)
			}
			for _, r := range rules {
				if r.GetActualInstance() == nil {
					t.Errorf("%s rule decoded into no model", typ)
				}
			}
		}
	}
	auths, _, err := client.AuthenticatorAPI.ListAuthenticators(ctx).Execute()
	if err != nil || len(auths) == 0 {
		t.Fatalf("authenticators: %d, %v", len(auths), err)
	}
	streams, _, err := client.LogStreamAPI.ListLogStreams(ctx).Execute()
	if err != nil || (len(streams) == 1) != c.Security.AuditLogStreaming {
		t.Fatalf("log streams: %d (streaming %v), %v", len(streams), c.Security.AuditLogStreaming, err)
	}
	settings, _, err := client.OktaApplicationSettingsAPI.GetFirstPartyAppSettings(ctx, "admin-console").Execute()
	if err != nil || int(settings.GetSessionIdleTimeoutMinutes()) != c.Security.AdminConsoleIdleMinutes {
		t.Fatalf("admin console settings: %+v, %v", settings, err)
	}
	brands, _, err := client.BrandsAPI.ListBrands(ctx).Execute()
	if err != nil || len(brands) != 1 {
		t.Fatalf("brands: %d, %v", len(brands), err)
	}
	_, resp, err := client.CustomPagesAPI.GetCustomizedSignInPage(ctx, brands[0].GetId()).Execute()
	if customized := err == nil; customized != c.Security.CustomSignInPage || (!customized && resp.StatusCode != 404) {
		t.Errorf("customized sign-in page: err %v, want customized=%v", err, c.Security.CustomSignInPage)
	}
}

// policyID returns the id of a typed policy model.
func policyID(p any) string {
	switch v := p.(type) {
	case *okta.OktaSignOnPolicy:
		return v.GetId()
	case *okta.AccessPolicy:
		return v.GetId()
	case *okta.PasswordPolicy:
		return v.GetId()
	}
	return ""
}
