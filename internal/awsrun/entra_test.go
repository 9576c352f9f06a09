package awsrun_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/entra"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/entrasim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// entraToken returns the simulator's static token: the handlers run on the test's fixed clock, which
// azidentity's token cache does not follow (the entra package's auth tests sign in for real).
type entraToken struct{}

func (entraToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: entrasim.DefaultToken, ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

// TestEntraLanesUnderTheLambdaHandlers: the Entra ID connector's full lane runs through the full-sync function's
// handler, its discovery lane through the discovery function's (the same handler, with discovery on) and its
// directory audit stream through the tail state machine's step.
func TestEntraLanesUnderTheLambdaHandlers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := providersim.Small()
	cfg.Now = e.now.Add(-time.Hour) // the tenant's history is recent
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return e.now }
	sim := entrasim.New(company, entrasim.Options{Clock: now})
	t.Cleanup(sim.Close)
	kind := entra.NewKind(entra.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: now, Credential: entraToken{}})
	kind.Bind = nil
	rcfg := e.cfg
	rcfg.Discovery = true // SYNC_DISCOVERY_ENABLED=1
	rt, err := awsrun.New(t.Context(), rcfg, awsrun.Deps{Clients: e.clients, Registry: connector.NewRegistry(kind), Metrics: e.metrics, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	conf, _ := json.Marshal(map[string]any{"tenant_id": sim.TenantID(), "client_id": entrasim.DefaultClientID,
		"auth": "client_secret", "graph_url": sim.URL() + "/v1.0", "authority_host": sim.URL()})
	if _, err := rt.App.CreateConnector(t.Context(), sspm.Connector{ID: "entra1", Kind: sspm.KindEntra, Name: "Entra", Enabled: true,
		DiscoveryEnabled: true, Config: conf}, []byte(entrasim.DefaultSecret)); err != nil {
		t.Fatal(err)
	}

	out, err := rt.Sync(lambdaContext(t, "req-entra", 5*time.Minute), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "entra1", Trigger: sspm.TriggerSchedule})
	if err != nil || out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("full sync: %+v %v", out, err)
	}
	run, err := rt.DB.Run(t.Context(), out.RunID)
	if err != nil || run.Counts["accounts"] == 0 || run.Counts["group_members"] == 0 || run.Counts["grants"] == 0 {
		t.Fatalf("run = %+v (%v); want accounts, members and grants", run.Counts, err)
	}

	out, err = rt.Sync(lambdaContext(t, "req-entra-discovery", 5*time.Minute), sspm.Invocation{Lane: sspm.LaneDiscovery, ConnectorID: "entra1", Trigger: sspm.TriggerSchedule})
	if err != nil || out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("discovery: %+v %v", out, err)
	}
	if run, err := rt.DB.Run(t.Context(), out.RunID); err != nil || run.Counts["evidence"] == 0 {
		t.Fatalf("discovery run = %+v (%v); want evidence", run.Counts, err)
	}

	tailStoresEvents(t, rt, "entra1", entra.StreamDirectoryAudits)
}
