package github_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestFullSyncMatchesTheOrganization: every member, outside collaborator, team, repository and collaborator
// of the simulated organization arrives once, over pages of 10.
func TestFullSyncMatchesTheOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{TokensListPATs: true})
	d, err := drain(t, e.source(t))
	if err != nil {
		t.Fatal(err)
	}
	members, outside := e.sim.Members(), e.sim.OutsideCollaborators()
	if got, want := len(d.page.Accounts), len(members)+len(outside); got != want {
		t.Errorf("accounts = %d, want %d members + outside collaborators", got, want)
	}
	if len(outside) == 0 || len(members) <= 10 {
		t.Fatalf("the small company should page: %d members, %d outside", len(members), len(outside))
	}
	seen, sources := map[string]bool{}, map[string]int{}
	for _, a := range d.page.Accounts {
		if seen[a.ExternalID] {
			t.Errorf("account %s emitted twice", a.Username)
		}
		seen[a.ExternalID] = true
		if want := e.sim.ResolvedEmail(a.Username); a.Email != want {
			t.Errorf("%s: email %q, want %q (from %s)", a.Username, a.Email, want, e.sim.EmailSource(a.Username))
		}
		sources[e.sim.EmailSource(a.Username)]++
		if a.Email != "" && (!strings.Contains(a.Email, "@") || a.Email != strings.ToLower(a.Email)) {
			t.Errorf("%s: email %q is not a lower-case address (SCIM fallback broken?)", a.Username, a.Email)
		}
	}
	if !slices.ContainsFunc(d.page.Accounts, func(a sspm.Account) bool { return a.IsAdmin }) {
		t.Error("no owner among the accounts")
	}
	if !slices.ContainsFunc(d.page.Accounts, func(a sspm.Account) bool { return a.Email == "" }) {
		t.Error("want some accounts without email (needs anchor)")
	}
	for _, src := range []string{"saml", "scim", "verified_domain", "public"} {
		if sources[src] == 0 {
			t.Errorf("no account got its email from %s: %v", src, sources)
		}
	}
	if got, want := len(d.page.Groups), len(e.sim.Teams())+1; got != want {
		t.Errorf("groups = %d, want %d teams + the org members group", got, want)
	}
	if got, want := len(d.page.Resources), len(e.sim.Repos())+1; got != want {
		t.Errorf("resources = %d, want %d repos + the org", got, want)
	}
	direct, team, child, base, orgMembers := 0, 0, 0, 0, 0
	for _, g := range d.page.Grants {
		switch g.Via {
		case "org_base":
			base++
			if g.PrincipalKind != sspm.MemberGroup || !strings.HasPrefix(g.PrincipalExternalID, "org_members:") || g.Permission != "read" {
				t.Errorf("base grant %+v", g)
			}
		case "direct", "effective": // outside collaborators' direct grants, members' effective roles
			if !strings.HasPrefix(g.ResourceExternalID, "org:") {
				direct++
			}
		case "team":
			team++
		}
	}
	for _, m := range d.page.GroupMembers {
		if m.MemberKind == sspm.MemberGroup {
			child++
		}
		if strings.HasPrefix(m.GroupExternalID, "org_members:") {
			orgMembers++
		}
	}
	if base != len(e.sim.Repos()) || orgMembers != len(members) {
		t.Errorf("org base grants %d (want one per repo, %d), org members group has %d members (want %d)", base, len(e.sim.Repos()), orgMembers, len(members))
	}
	wantDirect := 0
	for _, r := range e.sim.Repos() {
		wantDirect += len(e.sim.Collaborators(r))
	}
	if direct != wantDirect || team != 2*len(e.sim.Teams()) || child == 0 {
		t.Errorf("direct grants %d (want %d), team grants %d (want %d), nested teams %d", direct, wantDirect, team, 2*len(e.sim.Teams()), child)
	}
	kinds := map[string]int{}
	for _, c := range d.page.Credentials {
		kinds[c.Kind]++
		if c.Kind == "github_pat" && (c.OwnerExternalID == "" || c.ExpiresAt.IsZero() || len(c.Scopes) == 0) {
			t.Errorf("PAT without owner, expiry or scopes: %+v", c)
		}
	}
	if kinds["github_app_installation"] != 3 || kinds["github_pat"] != len(e.sim.PATs()) || kinds["github_pat_request"] != len(e.sim.PATRequests()) ||
		kinds["github_deploy_key"] != e.sim.DeployKeys() || len(e.sim.PATs()) == 0 || len(e.sim.PATRequests()) == 0 || e.sim.DeployKeys() == 0 {
		t.Errorf("credentials %v; sim has %d PATs, %d requests, %d deploy keys", kinds, len(e.sim.PATs()), len(e.sim.PATRequests()), e.sim.DeployKeys())
	}
	if len(d.unavailable) != 0 {
		t.Errorf("unavailable %v", d.unavailable)
	}
}

// TestRateLimitsAreWaitedOut: a 429, a secondary 403 and a primary 403 mid-listing are waited out and the sync
// completes with the same rows.
func TestRateLimitsAreWaitedOut(t *testing.T) {
	t.Parallel()
	want, err := drain(t, newEnv(t, githubsim.Options{}).source(t))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, githubsim.Options{Faults: []githubsim.Fault{
		{Path: "GET /orgs/{org}/members", Page: 2, Times: 1, Status: http.StatusTooManyRequests},
		{Path: "GET /orgs/{org}/teams/{team_slug}/repos", Times: 2, Status: http.StatusForbidden, Secondary: true},
		{Path: "GET /orgs/{org}/repos", Page: 2, Times: 1, Status: http.StatusForbidden, Primary: true},
	}})
	got, err := drain(t, e.source(t))
	if err != nil {
		t.Fatalf("sync with rate limits: %v", err)
	}
	if len(got.page.Accounts) != len(want.page.Accounts) || len(got.page.Grants) != len(want.page.Grants) ||
		len(got.page.GroupMembers) != len(want.page.GroupMembers) || len(got.page.Resources) != len(want.page.Resources) {
		t.Errorf("rows differ after waiting out limits")
	}
	if st := e.sim.Stats(); st.Faulted != 4 {
		t.Errorf("faults fired %d, want 4", st.Faulted)
	}
	if !slices.ContainsFunc(got.messages, func(m string) bool { return strings.Contains(m, "waited") }) {
		t.Errorf("no wait reported in %v", got.messages)
	}
}

// TestServerErrorFailsTheStep: a 502 mid-sync is a CodeUnavailable step error, not an empty page.
func TestServerErrorFailsTheStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{Faults: []githubsim.Fault{{Path: "GET /repos/{owner}/{repo}/collaborators", Status: http.StatusBadGateway, Times: 1}}})
	_, err := drain(t, e.source(t))
	if sspm.ErrorCode(err) != sspm.CodeUnavailable {
		t.Fatalf("err = %v (code %s), want CodeUnavailable", err, sspm.ErrorCode(err))
	}
	if strings.Contains(err.Error(), githubsim.DefaultToken) {
		t.Error("the error quotes the token")
	}
}

// TestUnreadableEndpointsAreUnavailable: endpoints the token may not read mark their entities Unavailable and
// the run goes on; without SAML only the verified-domain and public emails are found.
func TestUnreadableEndpointsAreUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{NoSAML: true, Forbidden: []string{"GET /orgs/{org}/installations", "GET /orgs/{org}/outside_collaborators",
		"GET /orgs/{org}/personal-access-tokens", "GET /orgs/{org}/personal-access-token-requests", "GET /repos/{owner}/{repo}/keys"}})
	d, err := drain(t, e.source(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []sspm.Entity{"accounts[status=outside]", "credentials[kind=github_app_installation]", "credentials[kind=github_pat]",
		"credentials[kind=github_pat_request]", "credentials[kind=github_deploy_key]"} {
		if !slices.Contains(d.unavailable, want) {
			t.Errorf("unavailable = %v, want %s among them", d.unavailable, want)
		}
	}
	// Without SAML the identities give nothing; verified-domain and public emails still do.
	if !slices.ContainsFunc(d.messages, func(m string) bool { return strings.Contains(m, "no SAML identity provider") }) {
		t.Errorf("no note about the missing identity provider in %v", d.messages)
	}
	for _, a := range d.page.Accounts {
		if src := e.sim.EmailSource(a.Username); (src == "verified_domain" || src == "public") && a.Email != e.sim.ResolvedEmail(a.Username) {
			t.Errorf("%s: email %q, want %q from %s", a.Username, a.Email, e.sim.ResolvedEmail(a.Username), src)
		}
	}
	if len(d.page.Groups) == 0 || len(d.page.Credentials) != 0 {
		t.Errorf("groups %d, credentials %d", len(d.page.Groups), len(d.page.Credentials))
	}
}

// TestBadTokenFails: 401 is a step error.
func TestBadTokenFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, githubsim.Options{Tokens: []string{"other"}})
	_, err := drain(t, e.source(t))
	if err == nil || errors.Is(err, nil) {
		t.Fatal("a bad token synced")
	}
}
