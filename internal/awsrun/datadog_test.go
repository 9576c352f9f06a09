package awsrun_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/connector/datadog"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/ddsim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestDatadogLanesUnderTheLambdaHandlers runs the Datadog connector's full lane through the full-sync function's
// handler and its tail through the tail state machine's step handler, against the simulated organization.
func TestDatadogLanesUnderTheLambdaHandlers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	company, err := providersim.NewCompany(providersim.Small())
	if err != nil {
		t.Fatal(err)
	}
	sim := ddsim.New(company, ddsim.Options{})
	t.Cleanup(sim.Close)
	kind := datadog.NewKind(datadog.Options{AllowLoopback: true, Outbound: sourcetest.Loopback})
	kind.Bind = nil
	rt, err := awsrun.New(t.Context(), e.cfg, awsrun.Deps{Clients: e.clients, Registry: connector.NewRegistry(kind), Metrics: e.metrics,
		Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	cfg, _ := json.Marshal(map[string]string{"site": sim.URL()})
	secret, _ := json.Marshal(datadog.Secret{APIKey: ddsim.DefaultAPIKey, AppKey: ddsim.DefaultAppKey})
	if _, err := rt.App.CreateConnector(t.Context(), sspm.Connector{ID: "dd1", Kind: sspm.KindDatadog, Name: "Datadog", Enabled: true, Config: cfg}, secret); err != nil {
		t.Fatal(err)
	}

	out, err := rt.Sync(lambdaContext(t, "req-dd", 5*time.Minute), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "dd1", Trigger: sspm.TriggerSchedule})
	if err != nil || out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("full sync: %+v %v", out, err)
	}
	run, err := rt.DB.Run(t.Context(), out.RunID)
	if err != nil || run.Counts["accounts"] != int64(len(sim.Users())) || run.Counts["credentials"] != int64(len(sim.Keys())) {
		t.Fatalf("run = %+v (%v); want %d accounts and %d credentials", run.Counts, err, len(sim.Users()), len(sim.Keys()))
	}

	tailStoresEvents(t, rt, "dd1", datadog.StreamAudit)
}
