package entra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestConformance runs the connector conformance suite against simulated Entra ID tenants. Every run enumerates
// (full_resync_hours 0): the suite checks what a full run stores and expires; delta runs are tested in
// delta_test.go.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, entraHarness)
}

// staticToken is a token credential that always returns the simulator's static token: the suite runs on a fake
// clock, which azidentity's token cache does not follow (auth_test.go signs in for real).
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: entrasim.DefaultToken, ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

func testOptions(clk *clocktest.Clock) entra.Options {
	return entra.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep, Credential: staticToken{}}
}

var entraHarness = sourcetest.Harness{
	Kind: func(clk *clocktest.Clock) connector.Kind {
		opts := testOptions(clk)
		k := entra.NewKind(opts)
		k.Bind = nil // bound already: its outbound policy is set
		k.NewSource = func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			src, err := opts.NewSource(ctx, c, secret)
			if err != nil {
				return nil, err
			}
			entra.SetStepLimits(src, 40, 3) // many checkpoints from a small tenant
			return src, nil
		}
		return k
	},
	NewTenant: func(t testing.TB, clk *clocktest.Clock, n int) sourcetest.Tenant {
		return newEntraTenant(t, clk, n, entrasim.Options{PageCap: 7})
	},
	Endpoints: []sourcetest.Endpoint{
		{Name: "/v1.0/users", Stage: entra.StageUsers, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityAccounts}},
		// The admins come first: without them the accounts' admin flags are unknown and accounts are kept.
		{Name: "/v1.0/directoryRoles", Stage: entra.StageRoles, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityResources, sspm.EntityGrants}},
		// The roles stage reads the roles and their holders together: any of its listings refused keeps the roles,
		// their grants and (admin flags unknown) the accounts.
		{Name: "/v1.0/directoryRoles/{id}/members", Stage: entra.StageRoles, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityResources, sspm.EntityGrants}},
		// Role-assignable groups' members are admins too; the same listing gives every group its members.
		{Name: "/v1.0/groups/{id}/members", Stage: entra.StageRoles, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityResources, sspm.EntityGrants, sspm.EntityGroupMembers}},
		{Name: "/v1.0/groups", Stage: entra.StageGroups, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers}},
		// Service principals are accounts, resources and credential holders; the OAuth grants name their apps by them.
		{Name: "/v1.0/servicePrincipals", Stage: entra.StageApps, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityResources, sspm.EntityCredentials, sspm.EntityGrants}},
		{Name: "/v1.0/servicePrincipals/{id}/owners", Stage: entra.StageApps, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", Stage: entra.StageApps, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "/v1.0/applications", Stage: entra.StageApps, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityCredentials, sspm.EntityGrants}},
		{Name: "/v1.0/applications/{id}/owners", Stage: entra.StageApps, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: "/v1.0/oauth2PermissionGrants", Stage: entra.StageGrants, Paging: []sourcetest.Paging{sourcetest.BodyLink},
			Unavailable: []sspm.Entity{sspm.EntityCredentials}},
		{Name: "/v1.0/reports/authenticationMethods/userRegistrationDetails", Stage: entra.StageMFA,
			Paging: []sourcetest.Paging{sourcetest.BodyLink}, Tolerant: true},
		{Name: "/v1.0/subscriptions", Stage: entra.StageSubscriptions},
	},
	RateLimits: []string{"429 with Retry-After"},
	Discovery: &sourcetest.Discovery{
		Endpoints: []sourcetest.Endpoint{
			// The app registration's AuditLog.Read.All reads both logs: without it discovery fails (a tenant
			// without P1 marks sign-in evidence unavailable instead: TestDiscoveryWithoutP1).
			{Name: "/v1.0/auditLogs/signIns", Stage: entra.StageEvidence, Paging: []sourcetest.Paging{sourcetest.BodyLink}},
			{Name: "/v1.0/auditLogs/directoryAudits", Stage: entra.StageEvidence, Paging: []sourcetest.Paging{sourcetest.BodyLink}},
			// The service principals give evidence its app names and domains; the delegated grants a consent's scopes.
			{Name: "/v1.0/servicePrincipals", Stage: entra.StageEvidence, Unavailable: []sspm.Entity{sspm.EntityResources}},
			{Name: "/v1.0/oauth2PermissionGrants", Stage: entra.StageEvidence, Unavailable: []sspm.Entity{sspm.EntityCredentials}},
		},
		Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
			sim := tn.(*entraTenant).sim
			users, sps := sim.UserIDs(), sim.ServicePrincipalIDs()
			for i := range n {
				if err := sim.RecordSignIn(users[(i+7)%len(users)], sps[(i+3)%len(sps)]); err != nil {
					t.Fatal(err)
				}
			}
		},
	},
	Push: &sourcetest.Push{Delivery: entraDelivery, Stale: http.StatusOK},
	Tail: &sourcetest.Tail{Stream: entra.StreamDirectoryAudits, Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
		sim := tn.(*entraTenant).sim
		users := sim.UserIDs()
		for i := range n { // each change is a directory audit ("Disable account")
			if err := sim.SetAccountEnabled(users[(i+5)%len(users)], false); err != nil {
				t.Fatal(err)
			}
		}
	}},
}

// entraTenant is a simulated Entra ID tenant of a small company.
type entraTenant struct {
	sim    *entrasim.Server
	resync int
}

func newEntraTenant(t testing.TB, clk *clocktest.Clock, n int, opts entrasim.Options) *entraTenant {
	t.Helper()
	cfg := providersim.Small()
	cfg.Seed = int64(n + 1)
	cfg.SignIns = 15000 // a week of sign-ins fills several pages (discovery)
	if n > 0 {
		cfg.Name, cfg.Domain = fmt.Sprintf("Tenant%d", n), fmt.Sprintf("tenant%d.example", n)
	}
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts.Clock = clk.Now
	sim := entrasim.New(company, opts)
	t.Cleanup(sim.Close)
	return &entraTenant{sim: sim}
}

func (e *entraTenant) config(resync int) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{"tenant_id": e.sim.TenantID(), "client_id": entrasim.DefaultClientID,
		"auth": "client_secret", "graph_url": e.sim.URL() + "/v1.0", "authority_host": e.sim.URL(), "full_resync_hours": resync})
	return raw
}

func (e *entraTenant) Connector(id string) sspm.Connector {
	return sspm.Connector{ID: id, Kind: sspm.KindEntra, Name: "Entra " + id, Enabled: true, DiscoveryEnabled: true, Config: e.config(e.resync)}
}

func (e *entraTenant) Secret() []byte { return []byte(entrasim.DefaultSecret) }

func (e *entraTenant) Inject(f sourcetest.Fault) {
	sf := entrasim.Fault{Path: f.Endpoint, Page: f.Page, Times: f.Times}
	switch f.Kind {
	case sourcetest.ServerError:
		sf.Status = http.StatusServiceUnavailable
	case sourcetest.Forbidden:
		sf.Status = http.StatusForbidden
	case sourcetest.RateLimited:
		sf.Status, sf.RetryAfter = http.StatusTooManyRequests, int(f.Wait/time.Second)
	case sourcetest.EmptyLastPage:
		sf.EmptyLastPage = true
	}
	e.sim.AddFault(sf)
}

func (e *entraTenant) ClearFaults() { e.sim.ClearFaults() }

func (e *entraTenant) Requests(endpoint string) int { return e.sim.Stats().ByRoute[endpoint] }

// Delete deletes a user and removes a membership.
func (e *entraTenant) Delete(t testing.TB) []sspm.Entity {
	t.Helper()
	users, groups := e.sim.UserIDs(), e.sim.GroupIDs()
	if err := e.sim.DeleteUser(users[3], false); err != nil {
		t.Fatal(err)
	}
	members := groupMembers(t, e.sim, groups[2])
	if err := e.sim.RemoveMember(groups[2], members[0]); err != nil {
		t.Fatal(err)
	}
	return []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroupMembers}
}

// groupMembers lists a group's direct members' ids from the simulator.
func groupMembers(t testing.TB, sim *entrasim.Server, group string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, sim.URL()+"/v1.0/groups/"+group+"/members?$select=id&$top=999", nil)
	req.Header.Set("Authorization", "Bearer "+entrasim.DefaultToken)
	resp, err := sim.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(page.Value))
	for i, v := range page.Value {
		out[i] = v.ID
	}
	if len(out) == 0 {
		t.Fatalf("group %s has no members", group)
	}
	return out
}

// entraDelivery builds change notifications as Graph sends them: items with the subscription's clientState.
func entraDelivery(t testing.TB, tn sourcetest.Tenant, c sourcetest.DeliveryCase, secret []byte, maxBody int64) sourcetest.Delivery {
	sim := tn.(*entraTenant).sim
	users, groups := sim.UserIDs(), sim.GroupIDs()
	item := func(state, resource, typ, id string) map[string]any {
		return map[string]any{"subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07", "clientState": state,
			"changeType": "updated", "resource": resource + "/" + id, "tenantId": sim.TenantID(),
			"subscriptionExpirationDateTime": "2026-12-01T11:00:00.0000000Z",
			"resourceData":                   map[string]any{"@odata.type": typ, "@odata.id": resource + "/" + id, "id": id}}
	}
	body := func(items ...map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"value": items})
		return b
	}
	h := http.Header{"Content-Type": {"application/json"}}
	switch c {
	case sourcetest.Valid:
		return sourcetest.Delivery{Header: h, Events: 2, Body: body(item(string(secret), "Users", "#Microsoft.Graph.User", users[1]),
			item(string(secret), "Groups", "#Microsoft.Graph.Group", groups[1]))}
	case sourcetest.BadSignature:
		return sourcetest.Delivery{Header: h, Body: body(item(string(secret)+"x", "Users", "#Microsoft.Graph.User", users[2]))}
	case sourcetest.Stale: // Graph signs no timestamp: an old notification is accepted
		return sourcetest.Delivery{Header: h, Events: 1, Body: body(item(string(secret), "Users", "#Microsoft.Graph.User", users[3]))}
	case sourcetest.Oversize:
		var items []map[string]any
		for i := 0; int64(len(body(items...))) <= maxBody; i++ {
			items = append(items, item(string(secret), "Users", "#Microsoft.Graph.User", users[i%len(users)]))
		}
		return sourcetest.Delivery{Header: h, Body: body(items...)}
	case sourcetest.Malformed:
		return sourcetest.Delivery{Header: h, Body: []byte(`{"value":[{"changeType":"updated","clientState":"` + string(secret) + `"}]}`)}
	}
	t.Fatalf("no delivery for %s", c)
	return sourcetest.Delivery{}
}
