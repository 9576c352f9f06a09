package github_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector"
	ghc "github.com/open-sspm/open-sspm/internal/connector/github"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim/githubsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestConformance runs the connector conformance suite against simulated GitHub organizations.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, githubHarness)
}

var (
	rest  = []sourcetest.Paging{sourcetest.LinkHeader}
	creds = []sspm.Entity{sspm.EntityCredentials}
)

var githubHarness = sourcetest.Harness{
	Kind: func(clk *clocktest.Clock) connector.Kind {
		return ghc.NewKind(ghc.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, PerPage: 3, Now: clk.Now, Sleep: clk.Sleep})
	},
	NewTenant: newGitHubTenant,
	// A 403 on any listing marks only the rows it feeds unavailable (by scope: members' accounts and not outside
	// collaborators', one team's members, one repository's collaborators, one kind of credential).
	Endpoints: []sourcetest.Endpoint{
		{Name: "GET /orgs/{org}/members", Stage: ghc.StageMembers, Paging: rest,
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroupMembers, sspm.EntityGrants}},
		// GraphQL: emails (which hide no row) and the teams' immediate members.
		// The organization itself (its id names the org's rows): a credential that may not read it fails the run.
		{Name: "GET /orgs/{org}", Stage: ghc.StageMembers},
		{Name: "POST /graphql", Stage: ghc.StageMembers, Paging: []sourcetest.Paging{sourcetest.BodyToken}, Unavailable: []sspm.Entity{sspm.EntityGroupMembers}},
		{Name: "GET /orgs/{org}/outside_collaborators", Stage: ghc.StageOutside, Paging: rest, Unavailable: []sspm.Entity{sspm.EntityAccounts}},
		{Name: "GET /orgs/{org}/teams", Stage: ghc.StageTeams, Paging: rest,
			Unavailable: []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants}},
		{Name: "GET /orgs/{org}/teams/{team_slug}/repos", Stage: ghc.StageTeams, Paging: rest, Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "GET /orgs/{org}/repos", Stage: ghc.StageRepos, Paging: rest,
			Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityGrants, sspm.EntityCredentials}},
		{Name: "GET /repos/{owner}/{repo}/collaborators", Stage: ghc.StageRepos, Paging: rest, Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "GET /repos/{owner}/{repo}/keys", Stage: ghc.StageRepos, Paging: rest, Unavailable: creds},
		{Name: "GET /orgs/{org}/installations", Stage: ghc.StageInstallations, Unavailable: creds},
		{Name: "GET /orgs/{org}/personal-access-tokens", Stage: ghc.StagePATs, Paging: rest, Unavailable: creds},
		{Name: "GET /orgs/{org}/personal-access-token-requests", Stage: ghc.StagePATRequests, Paging: rest, Unavailable: creds},
	},
	RateLimits: []string{"429 with Retry-After", "403 secondary limit with Retry-After", "403 primary limit with X-RateLimit-Reset"},
	Push:       &sourcetest.Push{Delivery: githubDelivery, Stale: http.StatusOK},
	Tail: &sourcetest.Tail{Stream: ghc.StreamAuditLog, Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
		sim := tn.(*githubTenant).sim
		members := sim.Members()
		for i := range n {
			sim.AuditLog("org.update_member", map[string]any{"user": members[i%len(members)], "permission": "admin", "old_permission": "read"})
		}
	}},
}

// githubTenant is a simulated GitHub organization of a small company.
type githubTenant struct {
	sim *githubsim.Server
}

func newGitHubTenant(t testing.TB, clk *clocktest.Clock, n int) sourcetest.Tenant {
	t.Helper()
	company := sourcetest.Company(t, n, nil)
	org := githubsim.DefaultOrg
	if n > 0 {
		org = fmt.Sprintf("tenant%d-sim", n)
	}
	// Token auth: the rig lets the token list the fine-grained PATs (GitHub answers a token 403 there) so that
	// those listings are exercised.
	sim := githubsim.New(company, githubsim.Options{Org: org, Clock: clk.Now, TokensListPATs: true})
	t.Cleanup(sim.Close)
	return &githubTenant{sim: sim}
}

func (g *githubTenant) Connector(id string) sspm.Connector {
	raw, _ := json.Marshal(map[string]any{"org": g.sim.Org(), "auth": "token", "base_url": g.sim.URL() + "/"})
	return sspm.Connector{ID: id, Kind: sspm.KindGitHub, Name: "GitHub " + id, Enabled: true, Config: raw}
}

func (g *githubTenant) Secret() []byte { return []byte(githubsim.DefaultToken) }

func (g *githubTenant) Inject(f sourcetest.Fault) {
	sf := githubsim.Fault{Path: f.Endpoint, Page: f.Page, Times: f.Times, RetryAfter: f.Wait}
	switch f.Kind {
	case sourcetest.ServerError:
		sf.Status = http.StatusBadGateway
	case sourcetest.Forbidden:
		sf.Status = http.StatusForbidden
	case sourcetest.RateLimited:
		switch {
		case strings.HasPrefix(f.RateLimit, "429"):
			sf.Status = http.StatusTooManyRequests
		case strings.Contains(f.RateLimit, "secondary"):
			sf.Status, sf.Secondary = http.StatusForbidden, true
		default:
			sf.Status, sf.Primary = http.StatusForbidden, true
		}
	case sourcetest.EmptyLastPage:
		sf.EmptyLastPage = true
	case sourcetest.Style: // each endpoint answers in one style only
		return
	}
	g.sim.AddFault(sf)
}

func (g *githubTenant) ClearFaults() { g.sim.ClearFaults() }

func (g *githubTenant) Requests(endpoint string) int { return g.sim.Stats().ByRoute[endpoint] }

// Delete removes a repository collaborator and deletes a team (its memberships and repository grants go with
// it), a deploy key and an App installation.
func (g *githubTenant) Delete(t testing.TB) []sspm.Entity {
	t.Helper()
	if _, err := g.sim.DeleteDeployKey(g.sim.ReposWithDeployKeys()[0]); err != nil {
		t.Fatal(err)
	}
	if err := g.sim.Uninstall(g.sim.Installations()[0]); err != nil {
		t.Fatal(err)
	}
	for _, r := range g.sim.Repos() {
		if cs := g.sim.Collaborators(r); len(cs) > 0 {
			if err := g.sim.RemoveCollaborator(r, cs[0]); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	teams := g.sim.Teams()
	if err := g.sim.DeleteTeam(teams[len(teams)-1]); err != nil {
		t.Fatal(err)
	}
	return []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants, sspm.EntityCredentials}
}

// githubDelivery builds organization webhook deliveries as GitHub sends them: event and delivery id in headers,
// the body signed with HMAC-SHA256 of the webhook secret.
func githubDelivery(t testing.TB, tn sourcetest.Tenant, c sourcetest.DeliveryCase, secret []byte, maxBody int64) sourcetest.Delivery {
	sim := tn.(*githubTenant).sim
	signed := func(event, id string, body []byte, key []byte) sourcetest.Delivery {
		m := hmac.New(sha256.New, key)
		m.Write(body)
		h := http.Header{"Content-Type": {"application/json"}, "X-Github-Event": {event}, "X-Github-Delivery": {id},
			"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(m.Sum(nil))}}
		return sourcetest.Delivery{Header: h, Body: body}
	}
	payload := func(p map[string]any) []byte {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	member := sim.Members()[1]
	switch c {
	case sourcetest.Valid:
		d := signed("organization", "dlv-valid", payload(sim.OrganizationPayload("member_added", member)), secret)
		d.Events = 1
		return d
	case sourcetest.BadSignature:
		return signed("organization", "dlv-bad", payload(sim.OrganizationPayload("member_added", member)), []byte("another secret"))
	case sourcetest.Stale: // GitHub signs no timestamp: a late redelivery is accepted and stored once
		p := sim.TeamPayload("deleted", sim.Teams()[0])
		d := signed("team", "dlv-stale", payload(p), secret)
		d.Events = 1
		return d
	case sourcetest.Oversize:
		p := sim.OrganizationPayload("member_added", member)
		p["padding"] = strings.Repeat("x", int(maxBody))
		return signed("organization", "dlv-big", payload(p), secret)
	case sourcetest.Malformed:
		return signed("organization", "dlv-malformed", []byte(`{"action":`), secret)
	}
	t.Fatalf("no delivery for %s", c)
	return sourcetest.Delivery{}
}
