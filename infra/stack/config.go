package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/aws/constructs-go/constructs/v10"
)

// Context keys read by the stack. Each may be set in cdk.json ("context") or on the command line
// (cdk synth -c key=value); values given on the command line arrive as strings.
const (
	// CtxNatGateway selects a managed NAT gateway (about $36.50/month idle with its public IPv4 address)
	// instead of the default NAT instance (t4g.nano, about $7.35/month idle with its disk and public IPv4
	// address). Default false.
	CtxNatGateway = "openSspm:natGateway"
	// CtxAuroraMinCapacity is the default of the AuroraMinCapacity deploy parameter, in ACU. Default 0
	// (auto-pause).
	CtxAuroraMinCapacity = "openSspm:auroraMinCapacity"
	// CtxAuroraMaxCapacity is the Aurora Serverless v2 maximum capacity in ACU. Default 4.
	CtxAuroraMaxCapacity = "openSspm:auroraMaxCapacity"
	// CtxAutoPauseSeconds is how long Aurora stays idle before it pauses (300 to 86400). Default 300.
	CtxAutoPauseSeconds = "openSspm:auroraAutoPauseSeconds"
	// CtxSyncIntervalMinutes is how often the full and tail dispatch schedules fire (5, 10, 15, 20, 30 or
	// 60). Every tick wakes Aurora, so a longer interval keeps an idle database paused for longer. Default 15.
	CtxSyncIntervalMinutes = "openSspm:syncIntervalMinutes"
	// CtxSchedulesEnabled turns the EventBridge schedules of dispatch on or off. Off, nothing wakes an idle
	// Aurora (storage cost only) but no sync, discovery or tail starts on its own. Default true.
	CtxSchedulesEnabled = "openSspm:schedulesEnabled"
	// CtxRequireLambdaBinaries makes synthesis fail when a bin/lambda/<name>/bootstrap is missing, instead
	// of using the placeholder. Set it when deploying. Default false.
	CtxRequireLambdaBinaries = "openSspm:requireLambdaBinaries"
	// CtxDeployNonce, when set (for example to the time of the deploy), is passed to the migrate function's
	// environment so that its version, and so the migrate trigger, changes on every deploy.
	CtxDeployNonce = "openSspm:deployNonce"
)

// config is the stack's context settings after defaults and validation.
type config struct {
	natGateway        bool
	auroraMinCapacity float64
	auroraMaxCapacity float64
	autoPauseSeconds  float64
	syncInterval      int
	schedulesEnabled  bool
	requireBinaries   bool
	deployNonce       string
}

var (
	minCapacities = []float64{0, 0.5, 1, 2}
	syncIntervals = []int{5, 10, 15, 20, 30, 60}
)

// readConfig reads the stack's context settings from scope.
func readConfig(scope constructs.Construct) (config, error) {
	c := config{auroraMaxCapacity: 4, autoPauseSeconds: 300, syncInterval: 15, schedulesEnabled: true}
	var err error
	get := func(key string) any { return scope.Node().TryGetContext(&key) }
	if c.natGateway, err = boolValue(get(CtxNatGateway), false); err != nil {
		return c, fmt.Errorf("%s: %w", CtxNatGateway, err)
	}
	if c.schedulesEnabled, err = boolValue(get(CtxSchedulesEnabled), true); err != nil {
		return c, fmt.Errorf("%s: %w", CtxSchedulesEnabled, err)
	}
	if c.requireBinaries, err = boolValue(get(CtxRequireLambdaBinaries), false); err != nil {
		return c, fmt.Errorf("%s: %w", CtxRequireLambdaBinaries, err)
	}
	if c.auroraMinCapacity, err = numberValue(get(CtxAuroraMinCapacity), 0); err != nil {
		return c, fmt.Errorf("%s: %w", CtxAuroraMinCapacity, err)
	}
	if !slices.Contains(minCapacities, c.auroraMinCapacity) {
		return c, fmt.Errorf("%s: %v is not one of %v", CtxAuroraMinCapacity, c.auroraMinCapacity, minCapacities)
	}
	if c.auroraMaxCapacity, err = numberValue(get(CtxAuroraMaxCapacity), 4); err != nil {
		return c, fmt.Errorf("%s: %w", CtxAuroraMaxCapacity, err)
	}
	if c.auroraMaxCapacity < 1 || c.auroraMaxCapacity > 256 || c.auroraMaxCapacity <= minCapacities[len(minCapacities)-1] {
		return c, fmt.Errorf("%s: %v must be above %v and at most 256", CtxAuroraMaxCapacity, c.auroraMaxCapacity,
			minCapacities[len(minCapacities)-1])
	}
	if c.autoPauseSeconds, err = numberValue(get(CtxAutoPauseSeconds), 300); err != nil {
		return c, fmt.Errorf("%s: %w", CtxAutoPauseSeconds, err)
	}
	if c.autoPauseSeconds < 300 || c.autoPauseSeconds > 86400 {
		return c, fmt.Errorf("%s: %v is outside 300..86400", CtxAutoPauseSeconds, c.autoPauseSeconds)
	}
	interval, err := numberValue(get(CtxSyncIntervalMinutes), 15)
	if err != nil {
		return c, fmt.Errorf("%s: %w", CtxSyncIntervalMinutes, err)
	}
	c.syncInterval = int(interval)
	if float64(c.syncInterval) != interval || !slices.Contains(syncIntervals, c.syncInterval) {
		return c, fmt.Errorf("%s: %v is not one of %v", CtxSyncIntervalMinutes, interval, syncIntervals)
	}
	if v := get(CtxDeployNonce); v != nil {
		c.deployNonce = fmt.Sprint(v)
	}
	return c, nil
}

func boolValue(v any, def bool) (bool, error) {
	switch v := v.(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case string:
		return strconv.ParseBool(v)
	}
	return false, fmt.Errorf("want a boolean, got %T", v)
}

func numberValue(v any, def float64) (float64, error) {
	switch v := v.(type) {
	case nil:
		return def, nil
	case float64:
		return v, nil
	case string:
		return strconv.ParseFloat(v, 64)
	}
	return 0, fmt.Errorf("want a number, got %T", v)
}

// ReadContext returns the context the CDK CLI would pass from a cdk.json file (in CDK_CONTEXT_JSON), for
// apps and tests that run without the CLI: its "context" object, and "versionReporting": false as the
// aws:cdk:version-reporting context key.
func ReadContext(cdkJSON string) (map[string]any, error) {
	data, err := os.ReadFile(cdkJSON)
	if err != nil {
		return nil, fmt.Errorf("read cdk context: %w", err)
	}
	var file struct {
		Context          map[string]any `json:"context"`
		VersionReporting *bool          `json:"versionReporting"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("read cdk context %s: %w", cdkJSON, err)
	}
	if file.Context == nil {
		file.Context = map[string]any{}
	}
	if file.VersionReporting != nil {
		file.Context["aws:cdk:version-reporting"] = *file.VersionReporting
	}
	return file.Context, nil
}
