package okta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/okta"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/oktasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestConformance runs the connector conformance suite against simulated Okta orgs.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, oktaHarness)
}

var oktaHarness = sourcetest.Harness{
	Kind: func(clk *clocktest.Clock) connector.Kind {
		opts := okta.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
		k := okta.NewKind(opts)
		k.Bind = nil // bound already: its outbound policy is set
		k.NewSource = func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			src, err := opts.NewSource(ctx, c, secret)
			if err != nil {
				return nil, err
			}
			okta.SetStepLimits(src, 20, 4) // many checkpoints from a small org
			return src, nil
		}
		return k
	},
	NewTenant: newOktaTenant,
	Endpoints: []sourcetest.Endpoint{
		{Name: "/api/v1/users", Stage: okta.StageUsers, Paging: []sourcetest.Paging{sourcetest.LinkHeader},
			Unavailable: []sspm.Entity{sspm.EntityAccounts}},
		// Without the admin role holders an account's admin flag is unknown: the accounts are not rewritten.
		{Name: "/api/v1/iam/assignees/users", Stage: okta.StageUsers, Paging: []sourcetest.Paging{sourcetest.BodyLink, sourcetest.LinkHeader},
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityGrants}},
		{Name: "/api/v1/groups", Stage: okta.StageGroups, Paging: []sourcetest.Paging{sourcetest.LinkHeader},
			Unavailable: []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers}},
		// Group members also tell which group an app assignment came through: those grants are kept too.
		{Name: "/api/v1/groups/{groupId}/users", Stage: okta.StageGroups, Paging: []sourcetest.Paging{sourcetest.LinkHeader},
			Unavailable: []sspm.Entity{sspm.EntityGroupMembers, sspm.EntityGrants}},
		{Name: "/api/v1/apps", Stage: okta.StageApps, Paging: []sourcetest.Paging{sourcetest.LinkHeader},
			Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityGrants, sspm.DatasetEntity(okta.DatasetApps), sspm.DatasetEntity(okta.DatasetAppSignIn)}},
		{Name: "/api/v1/apps/{appId}/users", Stage: okta.StageApps, Paging: []sourcetest.Paging{sourcetest.LinkHeader},
			Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "/api/v1/apps/{appId}/groups", Stage: okta.StageApps, Paging: []sourcetest.Paging{sourcetest.LinkHeader},
			Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "/api/v1/users/{userId}/roles", Stage: okta.StageRoles, Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "/api/v1/policies", Stage: okta.StageDatasets, Unavailable: []sspm.Entity{sspm.DatasetEntity(okta.DatasetPasswordPolicies),
			sspm.DatasetEntity(okta.DatasetSignOnPolicies), sspm.DatasetEntity(okta.DatasetAppSignIn)}},
		{Name: "/api/v1/policies/{policyId}/rules", Stage: okta.StageDatasets, Unavailable: []sspm.Entity{
			sspm.DatasetEntity(okta.DatasetSignOnPolicies), sspm.DatasetEntity(okta.DatasetAppSignIn)}},
		{Name: "/api/v1/authenticators", Stage: okta.StageDatasets, Unavailable: []sspm.Entity{sspm.DatasetEntity(okta.DatasetAuthenticators)}},
		{Name: "/api/v1/first-party-app-settings/{appName}", Stage: okta.StageDatasets, Unavailable: []sspm.Entity{sspm.DatasetEntity(okta.DatasetAdminConsole)}},
		{Name: "/api/v1/brands", Stage: okta.StageDatasets, Unavailable: []sspm.Entity{sspm.DatasetEntity(okta.DatasetSignInPage)}},
		{Name: "/api/v1/brands/{brandId}/pages/sign-in/customized", Stage: okta.StageDatasets, Unavailable: []sspm.Entity{sspm.DatasetEntity(okta.DatasetSignInPage)}},
		{Name: "/api/v1/logStreams", Stage: okta.StageDatasets, Unavailable: []sspm.Entity{sspm.DatasetEntity(okta.DatasetLogStreams)}},
		{Name: "/api/v1/users/{userId}/factors", Stage: okta.StageFactors, Tolerant: true},
	},
	RateLimits: []string{"429 with X-Rate-Limit-Reset"},
	Discovery: &sourcetest.Discovery{
		Endpoints: []sourcetest.Endpoint{
			{Name: "/api/v1/logs", Stage: okta.StageEvidence, Paging: []sourcetest.Paging{sourcetest.LinkHeader}},
			// The apps give evidence its domains: without them the evidence is recorded without.
			{Name: "/api/v1/apps", Stage: okta.StageEvidence, Unavailable: []sspm.Entity{sspm.EntityResources}},
		},
		Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
			sim := tn.(*oktaTenant).sim
			users, apps := ids(simTruth(t, sim, "/api/v1/users")), ids(simTruth(t, sim, "/api/v1/apps"))
			for i := range n {
				must(t, sim.RecordSSO(users[(i+7)%len(users)], apps[(i+3)%len(apps)]))
			}
		},
	},
	Push: &sourcetest.Push{Delivery: oktaDelivery, Stale: http.StatusOK},
	Tail: &sourcetest.Tail{Stream: okta.StreamSystemLog, Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
		sim := tn.(*oktaTenant).sim
		users := ids(simTruth(t, sim, "/api/v1/users"))
		for i := range n {
			if err := sim.RecordSignIn(users[i%len(users)]); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

// oktaTenant is a simulated Okta org of a small company.
type oktaTenant struct {
	sim *oktasim.Server
}

func newOktaTenant(t testing.TB, clk *clocktest.Clock, n int) sourcetest.Tenant {
	t.Helper()
	isolate(t)
	company := sourcetest.Company(t, n, func(cfg *providersim.CompanyConfig) {
		cfg.SignIns = 15000 // a week of sign-ins fills several System Log pages of 1,000 (discovery)
	})
	sim := oktasim.New(company, oktasim.Options{Clock: clk.Now, PageCaps: smallCaps})
	t.Cleanup(sim.Close)
	return &oktaTenant{sim: sim}
}

func (o *oktaTenant) Connector(id string) sspm.Connector {
	raw, _ := json.Marshal(map[string]any{"org_url": o.sim.URL(), "auth": "api_token", "factor_budget": 5})
	return sspm.Connector{ID: id, Kind: sspm.KindOkta, Name: "Okta " + id, Enabled: true, DiscoveryEnabled: true, Config: raw}
}

func (o *oktaTenant) Secret() []byte { return []byte(oktasim.DefaultToken) }

func (o *oktaTenant) Inject(f sourcetest.Fault) {
	sf := oktasim.Fault{Path: f.Endpoint, Page: f.Page, Times: f.Times}
	switch f.Kind {
	case sourcetest.ServerError:
		sf.Status = http.StatusServiceUnavailable
	case sourcetest.Forbidden:
		sf.Status = http.StatusForbidden
	case sourcetest.RateLimited:
		sf.Status, sf.Reset = http.StatusTooManyRequests, f.Wait
	case sourcetest.EmptyLastPage:
		sf.EmptyLastPage = true
	case sourcetest.Style:
		sf.NextLink = map[sourcetest.Paging]string{sourcetest.LinkHeader: oktasim.NextInHeader, sourcetest.BodyLink: oktasim.NextInBody}[f.Paging]
	}
	o.sim.AddFault(sf)
}

func (o *oktaTenant) ClearFaults() { o.sim.ClearFaults() }

func (o *oktaTenant) Requests(endpoint string) int { return o.sim.Stats().ByRoute["GET "+endpoint] }

// Delete deletes a user, a group and a membership; the user's and the group's app assignments go with them.
func (o *oktaTenant) Delete(t testing.TB) []sspm.Entity {
	t.Helper()
	users := ids(simTruth(t, o.sim, "/api/v1/users"))
	groups := ids(simTruth(t, o.sim, "/api/v1/groups"))
	must(t, o.sim.DeleteUser(users[3]))
	members := ids(simTruth(t, o.sim, "/api/v1/groups/"+groups[2]+"/users"))
	must(t, o.sim.RemoveGroupMember(groups[2], members[0]))
	must(t, o.sim.DeleteGroup(groups[len(groups)-1]))
	return []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants}
}

// oktaDelivery builds event hook deliveries as Okta sends them: the shared secret in the Authorization header
// and a batch of System Log events in the body.
func oktaDelivery(t testing.TB, _ sourcetest.Tenant, c sourcetest.DeliveryCase, secret []byte, maxBody int64) sourcetest.Delivery {
	h := http.Header{"Authorization": {string(secret)}, "Content-Type": {"application/json"}}
	switch c {
	case sourcetest.Valid:
		return sourcetest.Delivery{Header: h, Body: []byte(envelope(event("evt-1", 1), event("evt-2", 2))), Events: 2}
	case sourcetest.BadSignature:
		h.Set("Authorization", string(secret)+"x")
		return sourcetest.Delivery{Header: h, Body: []byte(envelope(event("evt-9", 1)))}
	case sourcetest.Stale: // Okta signs no timestamp: an old delivery is accepted and its events keep their time
		old := strings.Replace(event("evt-old", 3), "2026-11-26", "2025-01-02", 1)
		return sourcetest.Delivery{Header: h, Body: []byte(envelope(old)), Events: 1}
	case sourcetest.Oversize:
		n := int(maxBody)/len(event("evt-big", 1)) + 1
		evs := make([]string, n)
		for i := range evs {
			evs[i] = event(fmt.Sprintf("evt-big-%d", i), 1)
		}
		return sourcetest.Delivery{Header: h, Body: []byte(envelope(evs...))}
	case sourcetest.Malformed:
		return sourcetest.Delivery{Header: h, Body: []byte(`{"eventType":"com.okta.event_hook","eventId":"d","data":{"events":[{"eventType":"x"}]}}`)}
	}
	t.Fatalf("no delivery for %s", c)
	return sourcetest.Delivery{}
}
