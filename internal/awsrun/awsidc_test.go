package awsrun_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/awsrun"
	"github.com/open-sspm/open-sspm/internal/connector"
	awsidc "github.com/open-sspm/open-sspm/internal/connector/aws"
	"github.com/open-sspm/open-sspm/internal/connector/sourcetest"
	"github.com/open-sspm/open-sspm/internal/lane"
	"github.com/open-sspm/open-sspm/internal/providersim"
	"github.com/open-sspm/open-sspm/internal/providersim/awssim"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestIdentityCenterLanesUnderTheLambdaHandlers runs the AWS IAM Identity Center connector's full lane through the
// full-sync function's handler and its CloudTrail tail (the sso stream) through the tail state machine's step
// handler, against the simulated instance.
func TestIdentityCenterLanesUnderTheLambdaHandlers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cfg := providersim.Small()
	cfg.Now = time.Now().UTC().Truncate(time.Second) // CloudTrail's history lies in the tail's first window
	company, err := providersim.NewCompany(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sim := awssim.New(company, awssim.Options{})
	t.Cleanup(sim.Close)
	kind := awsidc.NewKind(awsidc.Options{AllowLoopback: true, Outbound: sourcetest.Loopback})
	kind.Bind = nil
	rt, err := awsrun.New(t.Context(), e.cfg, awsrun.Deps{Clients: e.clients, Registry: connector.NewRegistry(kind), Metrics: e.metrics,
		Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	conf, _ := json.Marshal(map[string]any{"region": sim.Region(), "instance_arn": sim.InstanceARN(), "identity_store_id": sim.IdentityStoreID(),
		"endpoint": sim.URL(), "requests_per_second": 20})
	keys, _ := json.Marshal(map[string]string{"access_key_id": awssim.DefaultAccessKeyID, "secret_access_key": awssim.DefaultSecretAccessKey})
	if _, err := rt.App.CreateConnector(t.Context(), sspm.Connector{ID: "idc1", Kind: sspm.KindAWSIDC, Name: "AWS", Enabled: true, Config: conf}, keys); err != nil {
		t.Fatal(err)
	}

	out, err := rt.Sync(lambdaContext(t, "req-idc", 5*time.Minute), sspm.Invocation{Lane: sspm.LaneFull, ConnectorID: "idc1", Trigger: sspm.TriggerSchedule})
	if err != nil || out.Outcome != lane.OutcomeSucceeded {
		t.Fatalf("full sync: %+v %v", out, err)
	}
	run, err := rt.DB.Run(t.Context(), out.RunID)
	if err != nil || run.Counts["accounts"] != int64(len(sim.Users())) || run.Counts["groups"] != int64(len(sim.Groups())) || run.Counts["grants"] == 0 {
		t.Fatalf("run = %+v (%v); want %d accounts, %d groups and grants", run.Counts, err, len(sim.Users()), len(sim.Groups()))
	}

	tailStoresEvents(t, rt, "idc1", awsidc.StreamSSO)
}
