package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Lanes (sspm.Lane); a schedule sends dispatch {"lanes": ["<lane>"]} (awsrun.DispatchInput).
const (
	laneFull       = "full"
	laneDiscovery  = "discovery"
	laneEventInbox = "event-inbox"
	laneTail       = "tail"
	laneEvaluator  = "evaluator"
)

// lanes are the lanes that report SyncFailures (the seed's lane names).
var lanes = []string{laneFull, laneDiscovery, laneEventInbox, laneTail, laneEvaluator}

// newSchedules adds the EventBridge rules that start dispatch: full and tail every syncInterval minutes,
// discovery hourly. The crons are aligned to the hour so that the lanes wake Aurora together (each wake
// keeps a paused database running for at least its auto-pause delay). Dispatch decides which connectors are
// due, so the rule rate is the finest schedule a connector can have. Context openSspm:schedulesEnabled=false
// creates the rules disabled.
//
// The evaluator's sweep runs on the same beat ({"sweep": true}): it reopens findings whose suppression expired,
// re-evaluates rules whose attestation expired, and retries finding alert deliveries that failed.
func newSchedules(scope constructs.Construct, cfg config, dispatch, evaluator awslambda.IFunction) {
	every := fmt.Sprintf("0/%d", cfg.syncInterval)
	if cfg.syncInterval == 60 {
		every = "0"
	}
	for _, r := range []struct{ id, lane, minutes, doc string }{
		{"FullSchedule", laneFull, every, "Open-SSPM: dispatch due full syncs"},
		{"DiscoverySchedule", laneDiscovery, "0", "Open-SSPM: dispatch due discovery runs"},
		{"TailSchedule", laneTail, every, "Open-SSPM: start tail loops that are not running"},
	} {
		awsevents.NewRule(scope, jsii.String(r.id), &awsevents.RuleProps{
			Description: jsii.String(r.doc),
			Enabled:     jsii.Bool(cfg.schedulesEnabled),
			Schedule:    awsevents.Schedule_Expression(jsii.String("cron(" + r.minutes + " * * * ? *)")),
			Targets: &[]awsevents.IRuleTarget{
				awseventstargets.NewLambdaFunction(dispatch, &awseventstargets.LambdaFunctionProps{
					Event:         awsevents.RuleTargetInput_FromObject(map[string][]string{"lanes": {r.lane}}),
					RetryAttempts: jsii.Number(2),
					MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(10)),
				}),
			},
		})
	}
	awsevents.NewRule(scope, jsii.String("EvaluatorSweepSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Open-SSPM: reopen expired suppressions, re-evaluate expired attestations, retry alert deliveries"),
		Enabled:     jsii.Bool(cfg.schedulesEnabled),
		Schedule:    awsevents.Schedule_Expression(jsii.String("cron(" + every + " * * * ? *)")),
		Targets: &[]awsevents.IRuleTarget{
			awseventstargets.NewLambdaFunction(evaluator, &awseventstargets.LambdaFunctionProps{
				Event:         awsevents.RuleTargetInput_FromObject(map[string]bool{"sweep": true}),
				RetryAttempts: jsii.Number(2),
				MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(10)),
			}),
		},
	})
}
