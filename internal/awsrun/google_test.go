package awsrun_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/google"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/googlesim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestGoogleLanesUnderTheLambdaHandlers: the Google Workspace connector's full lane runs through the full-sync
// function's handler, its discovery lane through the discovery function's (the same handler, with discovery on)
// and its login stream through the tail state machine's step.
func TestGoogleLanesUnderTheLambdaHandlers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := providersim.Small()
	cfg.Now = e.now.Add(-time.Hour) // the domain's history is recent
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return e.now }
	sim := googlesim.New(company, googlesim.Options{Clock: now})
	t.Cleanup(sim.Close)
	kind := google.NewKind(google.Options{AllowLoopback: true, Outbound: sourcetest.Loopback, Now: now})
	kind.Bind = nil
	rcfg := e.cfg
	rcfg.Discovery = true // SYNC_DISCOVERY_ENABLED=1
	rt, err := awsrun.New(t.Context(), rcfg, awsrun.Deps{Clients: e.clients, Registry: connector.NewRegistry(kind), Metrics: e.metrics, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	conf, _ := json.Marshal(map[string]string{"admin_email": sim.AdminEmail(), "token_url": sim.TokenURL(), "api_url": sim.URL() + "/"})
	if _, err := rt.App.CreateConnector(t.Context(), sspm.Connector{ID: "gws1", Kind: sspm.KindGoogle, Name: "Workspace", Enabled: true,
		DiscoveryEnabled: true, Config: conf}, sim.KeyJSON()); err != nil {
		t.Fatal(err)
	}

	out, err := rt.Sync(lambdaContext(t, "req-gws", 5*time.Minute), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "gws1", Trigger: sspm.TriggerSchedule})
	if err != nil || out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("full sync: %+v %v", out, err)
	}
	run, err := rt.DB.Run(t.Context(), out.RunID)
	if err != nil || run.Counts["accounts"] != int64(len(sim.Users())) || run.Counts["group_members"] == 0 || run.Counts["credentials"] == 0 {
		t.Fatalf("run = %+v (%v); want %d accounts, members and credentials", run.Counts, err, len(sim.Users()))
	}

	out, err = rt.Sync(lambdaContext(t, "req-gws-discovery", 5*time.Minute), sspm.Invocation{Lane: sspm.LaneDiscovery, ConnectorID: "gws1", Trigger: sspm.TriggerSchedule})
	if err != nil || out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("discovery: %+v %v", out, err)
	}
	if run, err := rt.DB.Run(t.Context(), out.RunID); err != nil || run.Counts["evidence"] == 0 {
		t.Fatalf("discovery run = %+v (%v); want evidence", run.Counts, err)
	}

	tailStoresEvents(t, rt, "gws1", "login")
}
