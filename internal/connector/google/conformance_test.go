package google_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestConformance runs the connector conformance suite against simulated Workspace domains.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, googleHarness)
}

var (
	tokenScoped = []sspm.Entity{sspm.EntityCredentials, sspm.EntityResources, sspm.EntityGrants}
)

var googleHarness = sourcetest.Harness{
	Kind: func(clk *clocktest.Clock) connector.Kind {
		opts := google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: clk.Now, Sleep: clk.Sleep}
		k := google.NewKind(opts)
		k.Bind = nil
		k.NewSource = func(ctx context.Context, c sspm.Connector, secret []byte) (sspm.Source, error) {
			src, err := opts.NewSource(ctx, c, secret)
			if err != nil {
				return nil, err
			}
			google.SetLimits(src, 4, 0) // many checkpoints from a small domain
			return src, nil
		}
		return k
	},
	NewTenant: newGoogleTenant,
	Endpoints: []sourcetest.Endpoint{
		// The tokens stage walks the users listing too: without it no token is read this run.
		{Name: googlesim.RouteUsers, Stage: google.StageUsers, Paging: []sourcetest.Paging{sourcetest.BodyToken},
			Unavailable: append([]sspm.Entity{sspm.EntityAccounts}, tokenScoped...)},
		{Name: googlesim.RouteGroups, Stage: google.StageGroups, Paging: []sourcetest.Paging{sourcetest.BodyToken},
			Unavailable: []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers}},
		{Name: googlesim.RouteMembers, Stage: google.StageGroups, Paging: []sourcetest.Paging{sourcetest.BodyToken},
			Unavailable: []sspm.Entity{sspm.EntityGroupMembers}},
		{Name: googlesim.RouteRoles, Stage: google.StageRoles, Paging: []sourcetest.Paging{sourcetest.BodyToken},
			Unavailable: []sspm.Entity{sspm.EntityResources, sspm.EntityGrants}},
		{Name: googlesim.RouteAssignments, Stage: google.StageRoles, Paging: []sourcetest.Paging{sourcetest.BodyToken},
			Unavailable: []sspm.Entity{sspm.EntityGrants}},
		{Name: googlesim.RouteTokens, Stage: google.StageTokens, Unavailable: tokenScoped},
	},
	RateLimits: []string{"429 with Retry-After"},
	Push:       &sourcetest.Push{Delivery: googleDelivery, Stale: http.StatusOK},
	Tail: &sourcetest.Tail{Stream: "login", Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
		sim := tn.(*googleTenant).sim
		users := sim.Users()
		for i := range n {
			if err := sim.RecordLogin(users[i%len(users)].ID); err != nil {
				t.Fatal(err)
			}
		}
	}},
	Discovery: &sourcetest.Discovery{
		Endpoints: []sourcetest.Endpoint{
			{Name: googlesim.RouteActivities, Stage: google.StageEvidence, Paging: []sourcetest.Paging{sourcetest.BodyToken}},
		},
		Emit: func(t testing.TB, tn sourcetest.Tenant, n int) {
			sim := tn.(*googleTenant).sim
			users := sim.Users()
			for i := range n {
				if _, err := sim.Authorize(users[(i+7)%len(users)].ID, fmt.Sprintf("Emitted App %d", i%3),
					[]string{"https://www.googleapis.com/auth/drive.readonly"}); err != nil {
					t.Fatal(err)
				}
			}
		},
	},
}

// googleTenant is a simulated Workspace domain of a small company.
type googleTenant struct {
	sim *googlesim.Server
}

func newGoogleTenant(t testing.TB, clk *clocktest.Clock, n int) sourcetest.Tenant {
	t.Helper()
	cfg := providersim.Small()
	cfg.Seed = int64(n + 1)
	cfg.SignIns, cfg.OAuthGrants = 3000, 400 // token activities over several pages (discovery)
	if n > 0 {
		cfg.Name, cfg.Domain = fmt.Sprintf("Tenant%d", n), fmt.Sprintf("tenant%d.example", n)
	}
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sim := googlesim.New(company, googlesim.Options{Clock: clk.Now, PageCap: 6})
	t.Cleanup(sim.Close)
	return &googleTenant{sim: sim}
}

func (g *googleTenant) Connector(id string) sspm.Connector {
	raw, _ := json.Marshal(map[string]any{"admin_email": g.sim.AdminEmail(), "token_url": g.sim.TokenURL(),
		"api_url": g.sim.URL() + "/", "token_budget": 1000})
	return sspm.Connector{ID: id, Kind: sspm.KindGoogle, Name: "Google " + id, Enabled: true, DiscoveryEnabled: true, Config: raw}
}

func (g *googleTenant) Secret() []byte { return g.sim.KeyJSON() }

func (g *googleTenant) Inject(f sourcetest.Fault) {
	sf := googlesim.Fault{Path: f.Endpoint, Page: f.Page, Times: f.Times}
	switch f.Kind {
	case sourcetest.ServerError:
		sf.Status = http.StatusServiceUnavailable
	case sourcetest.Forbidden:
		sf.Status = http.StatusForbidden
	case sourcetest.RateLimited:
		sf.Status, sf.RetryAfter = http.StatusTooManyRequests, f.Wait
	case sourcetest.EmptyLastPage:
		sf.EmptyLastPage = true
	}
	g.sim.AddFault(sf)
}

func (g *googleTenant) ClearFaults() { g.sim.ClearFaults() }

func (g *googleTenant) Requests(endpoint string) int { return g.sim.Stats().ByRoute[endpoint] }

// Delete deletes a user with OAuth tokens (its memberships, grants and tokens go; its account stays, deprovisioned,
// while Google lists it as deleted: TestDeletedUsersAreDeprovisioned), removes a membership and deletes a group.
func (g *googleTenant) Delete(t testing.TB) []sspm.Entity {
	t.Helper()
	var victim googlesim.User
	for _, u := range g.sim.Users() {
		if len(g.sim.TokensOf(u.ID)) > 0 && !u.IsAdmin {
			victim = u
			break
		}
	}
	if victim.ID == "" {
		t.Fatal("no user with tokens")
	}
	if err := g.sim.DeleteUser(victim.ID); err != nil {
		t.Fatal(err)
	}
	groups := g.sim.Groups()
	for _, gr := range groups {
		if ms := gr.Members(); len(ms) > 1 {
			if err := g.sim.RemoveMember(gr.ID, ms[len(ms)-1].ID); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if err := g.sim.DeleteGroup(groups[len(groups)-2].ID); err != nil {
		t.Fatal(err)
	}
	return []sspm.Entity{sspm.EntityGroups, sspm.EntityGroupMembers, sspm.EntityGrants, sspm.EntityCredentials}
}

// activityJSON is a Reports activity as a push notification carries it.
func activityJSON(uq int64, at time.Time, extra string) string {
	return fmt.Sprintf(`{"kind":"admin#reports#activity","id":{"time":%q,"uniqueQualifier":"%d","applicationName":"login",`+
		`"customerId":"C0sim"},"actor":{"email":"ann@acme.example","profileId":"1001"},"events":[{"type":"login",`+
		`"name":"login_success","parameters":[{"name":"login_type","value":"google_password%s"}]}]}`, at.UTC().Format(time.RFC3339), uq, extra)
}

// googleDelivery builds Reports channel notifications as Google sends them: the channel id and token in headers,
// one activity in the body.
func googleDelivery(t testing.TB, _ sourcetest.Tenant, c sourcetest.DeliveryCase, secret []byte, maxBody int64) sourcetest.Delivery {
	now := sourcetest.Start
	h := func(token string, since time.Time) http.Header {
		return http.Header{"Content-Type": {"application/json; charset=UTF-8"}, "X-Goog-Channel-Id": {google.ChannelID("https://sspm.example/hooks/google_workspace/g", string(secret), "login", since)},
			"X-Goog-Channel-Token": {token}, "X-Goog-Resource-State": {"login_success"}, "X-Goog-Message-Number": {"2"},
			"X-Goog-Resource-Id": {"res-1"}}
	}
	switch c {
	case sourcetest.Valid:
		return sourcetest.Delivery{Header: h(string(secret), now), Body: []byte(activityJSON(11, now.Add(-time.Minute), "")), Events: 1}
	case sourcetest.BadSignature:
		return sourcetest.Delivery{Header: h(string(secret)+"x", now), Body: []byte(activityJSON(12, now, ""))}
	case sourcetest.Stale: // Google signs no timestamp: a notification of an old channel is accepted, its activity keeps its time
		old := now.Add(-400 * 24 * time.Hour)
		return sourcetest.Delivery{Header: h(string(secret), old), Body: []byte(activityJSON(13, old, "")), Events: 1}
	case sourcetest.Oversize:
		return sourcetest.Delivery{Header: h(string(secret), now), Body: []byte(activityJSON(14, now, strings.Repeat("x", int(maxBody))))}
	case sourcetest.Malformed:
		return sourcetest.Delivery{Header: h(string(secret), now), Body: []byte(`{"kind":"admin#reports#activity","events":[{"name":"login_success"}]}`)}
	}
	t.Fatalf("no delivery for %s", c)
	return sourcetest.Delivery{}
}
