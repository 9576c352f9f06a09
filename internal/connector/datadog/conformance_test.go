package datadog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestConformance runs the connector conformance suite against simulated Datadog organizations.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, ddHarness)
}

// testPageSize pages every listing in a few items, so that every stage takes several pages.
const testPageSize = 4

var paged = []sourcetest.Paging{sourcetest.PageNumber}

var ddHarness = sourcetest.Harness{
	Kind: func(clk *clocktest.Clock) connector.Kind {
		opts := datadog.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep, PageSize: testPageSize}
		k := datadog.NewKind(opts)
		k.Bind = nil // bound already: its outbound policy is set
		return k
	},
	NewTenant: newDDTenant,
	Endpoints: []sourcetest.Endpoint{
		// user_access_read is the one permission the connector cannot work without: a 403 on the permission
		// catalogue or the roles (the run's first requests) fails the run (nothing is expired) and names it.
		{Name: "/api/v2/permissions", Stage: datadog.StageRoles},
		{Name: "/api/v2/roles", Stage: datadog.StageRoles, Paging: paged},
		// A 403 on the users alone hides what they feed: accounts, role memberships and the users' grants.
		{Name: "/api/v2/users", Stage: datadog.StageUsers, Paging: paged,
			Unavailable: []sspm.Entity{sspm.EntityAccounts, sspm.EntityGroupMembers, sspm.EntityGrants}},
		// A key without api_keys_read or org_app_keys_read hides only those credentials.
		{Name: "/api/v2/api_keys", Stage: datadog.StageAPIKeys, Paging: paged, Unavailable: []sspm.Entity{sspm.EntityCredentials}},
		{Name: "/api/v2/application_keys", Stage: datadog.StageAppKeys, Paging: paged, Unavailable: []sspm.Entity{sspm.EntityCredentials}},
	},
	RateLimits: []string{"429 with X-RateLimit-Reset"},
	Tail: &sourcetest.Tail{Stream: datadog.StreamAudit, Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
		sim := tn.(*ddTenant).sim
		keys := sim.Keys()
		for i := range n {
			k := keys[i%len(keys)]
			sim.AppendEvent(ddsim.Event{Action: "created", AssetType: "api_key", AssetID: fmt.Sprintf("%s-%d", k.ID, i),
				AssetName: k.Name, Message: "API key " + k.Name + " was created."})
		}
	}},
}

// ddTenant is a simulated Datadog organization of a small company.
type ddTenant struct {
	sim *ddsim.Server
}

func newDDTenant(t testing.TB, clk *clocktest.Clock, n int) sourcetest.Tenant {
	t.Helper()
	sim := ddsim.New(sourcetest.Company(t, n, nil), ddsim.Options{Clock: clk.Now})
	t.Cleanup(sim.Close)
	return &ddTenant{sim: sim}
}

func (d *ddTenant) Connector(id string) sspm.Connector {
	raw, _ := json.Marshal(map[string]any{"site": d.sim.URL()})
	return sspm.Connector{ID: id, Kind: sspm.KindDatadog, Name: "Datadog " + id, Enabled: true, Config: raw}
}

func (d *ddTenant) Secret() []byte { return defaultSecret() }

func defaultSecret() []byte {
	b, _ := json.Marshal(map[string]string{"api_key": ddsim.DefaultAPIKey, "application_key": ddsim.DefaultAppKey})
	return b
}

func (d *ddTenant) Inject(f sourcetest.Fault) {
	sf := ddsim.Fault{Path: f.Endpoint, Page: f.Page, Times: f.Times}
	switch f.Kind {
	case sourcetest.ServerError:
		sf.Status = http.StatusServiceUnavailable
	case sourcetest.Forbidden:
		sf.Status = http.StatusForbidden
	case sourcetest.RateLimited:
		sf.Status, sf.Reset = http.StatusTooManyRequests, f.Wait
	case sourcetest.EmptyLastPage:
		sf.EmptyLastPage = true
	case sourcetest.Style: // one paging style: page numbers
	}
	d.sim.AddFault(sf)
}

func (d *ddTenant) ClearFaults() { d.sim.ClearFaults() }

func (d *ddTenant) Requests(endpoint string) int { return d.sim.Stats().ByRoute["GET "+endpoint] }

// Delete deletes a custom role (its memberships and grants go with it), takes a role from a user and revokes an
// API key and an application key. Datadog never deletes users (it disables them): no account expires.
func (d *ddTenant) Delete(t testing.TB) []sspm.Entity {
	t.Helper()
	roles := d.sim.Roles()
	i := slices.IndexFunc(roles, func(r ddsim.Role) bool { return r.Name == "Compliance Auditors" })
	if i < 0 || roles[i].UserCount == 0 {
		t.Fatal("the simulated org has no Compliance Auditors role with members")
	}
	must(t, d.sim.DeleteRole(roles[i].ID))
	var member ddsim.User
	for _, u := range d.sim.Users() {
		if slices.Contains(u.Roles, "User Managers") {
			member = u
			break
		}
	}
	if member.ID == "" {
		t.Fatal("no member of User Managers")
	}
	for _, r := range d.sim.Roles() {
		if r.Name == "User Managers" {
			must(t, d.sim.RemoveRoleMember(r.ID, member.ID))
		}
	}
	keys := d.sim.Keys()
	api := slices.IndexFunc(keys, func(k ddsim.Key) bool { return k.Kind == "api_key" })
	app := slices.IndexFunc(keys, func(k ddsim.Key) bool { return k.Kind == "application_key" })
	must(t, d.sim.DeleteKey(keys[api].ID))
	must(t, d.sim.DeleteKey(keys[app].ID))
	return []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants, sspm.EntityCredentials}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// drainAll reads every stage of the full lane from a new source.
func drainAll(t testing.TB, src sspm.Source) sspm.Page {
	t.Helper()
	var all sspm.Page
	err := sourcetest.StepAll(context.Background(), src, sspm.LaneFull, nil, nil, func(_ string, res sspm.StepResult) {
		sourcetest.AppendPage(&all, &res.Page)
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}
