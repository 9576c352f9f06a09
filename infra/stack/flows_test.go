package stack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestSchedules(t *testing.T) {
	dispatch := logicalIDOf(t, "AWS::Lambda::Function", "DispatchFunction")
	for _, lane := range []string{laneFull, laneDiscovery, laneTail} {
		must(t, "schedule "+lane, func() {
			template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
				"ScheduleExpression": assertions.Match_StringLikeRegexp(jsii.String(`^cron\(`)),
				"State":              "ENABLED",
				"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
					"Arn":   map[string]any{"Fn::GetAtt": []any{dispatch, "Arn"}},
					"Input": `{"lanes":["` + lane + `"]}`,
				})},
			})
		})
	}
	must(t, "full every 15 minutes", func() {
		template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "cron(0/15 * * * ? *)",
			"Targets":            []any{assertions.Match_ObjectLike(&map[string]any{"Input": `{"lanes":["full"]}`})},
		})
	})
}

// stateMachineDefinition returns the tail loop's definition with CloudFormation references replaced by "X".
func stateMachineDefinition(t *testing.T) map[string]any {
	t.Helper()
	var sm map[string]any
	for _, r := range resources("AWS::StepFunctions::StateMachine") {
		sm = props(r)
	}
	var b strings.Builder
	switch d := sm["DefinitionString"].(type) {
	case string:
		b.WriteString(d)
	case map[string]any:
		for _, part := range d["Fn::Join"].([]any)[1].([]any) {
			if s, ok := part.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString("X")
			}
		}
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(b.String()), &def); err != nil {
		t.Fatalf("state machine definition: %v", err)
	}
	return def
}

func TestTailLoop(t *testing.T) {
	def := stateMachineDefinition(t)
	states := def["States"].(map[string]any)
	state := func(name string) map[string]any {
		s, ok := states[name].(map[string]any)
		if !ok {
			t.Fatalf("no state %s in %v", name, sortedKeys(states))
		}
		return s
	}
	if def["StartAt"] != "Start" || state("Start")["Next"] != "TailStep" {
		t.Errorf("starts at %v then %v, want Start then TailStep", def["StartAt"], state("Start")["Next"])
	}
	if p := state("Start")["Parameters"].(map[string]any); p["iteration"] != 0.0 {
		t.Errorf("Start sets iteration %v, want 0", p["iteration"])
	}
	step := state("TailStep")
	if step["Type"] != "Task" || !strings.Contains(asJSON(step["Resource"]), "lambda:invoke") || step["Next"] != "Count" {
		t.Errorf("TailStep %s, want a Lambda task followed by Count", asJSON(step))
	}
	if p := state("Count")["Parameters"].(map[string]any); p["iteration.$"] != "States.MathAdd($.iteration, 1)" || p["more.$"] != "$.step.more" {
		t.Errorf("Count parameters %s, want the iteration incremented and more lifted", asJSON(p))
	}
	choice := state(state("Count")["Next"].(string))
	if choice["Type"] != "Choice" || choice["Default"] != "Idle" {
		t.Fatalf("after Count: %s, want a Choice defaulting to Idle", asJSON(choice))
	}
	var ends, bounded, again bool
	for _, c := range choice["Choices"].([]any) {
		c := c.(map[string]any)
		switch {
		case c["Variable"] == "$.done" && c["BooleanEquals"] == true:
			ends = state(c["Next"].(string))["Type"] == "Succeed"
		case c["Variable"] == "$.iteration" && c["NumericGreaterThanEquals"] == float64(tailMaxIterations):
			bounded = state(c["Next"].(string))["Type"] == "Succeed"
		case c["Variable"] == "$.more" && c["BooleanEquals"] == true:
			again = c["Next"] == "TailStep"
		}
	}
	if !ends || !bounded || !again {
		t.Errorf("choices %s: ends on $.done %v, bounded by iteration %v, loops on $.more %v; want all",
			asJSON(choice["Choices"]), ends, bounded, again)
	}
	if p := state("Count")["Parameters"].(map[string]any); p["done.$"] != "$.step.done" {
		t.Errorf("Count parameters %s, want done lifted", asJSON(p))
	}
	if idle := state("Idle"); idle["Type"] != "Wait" || idle["Next"] != "TailStep" {
		t.Errorf("Idle %s, want a Wait back to TailStep", asJSON(idle))
	}
	must(t, "logging and tracing", func() {
		template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
			"StateMachineType":     "STANDARD",
			"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"Level": "ALL"}),
			"TracingConfiguration": map[string]any{"Enabled": true},
		})
	})
}

func TestMigrateTrigger(t *testing.T) {
	var trigger map[string]any
	for _, r := range resources("Custom::Trigger") {
		trigger = r
	}
	p := props(trigger)
	if !strings.Contains(asJSON(p["HandlerArn"]), "MigrateFunctionCurrentVersion") || p["ExecuteOnHandlerChange"] != true {
		t.Errorf("trigger %s, want the migrate function's current version, run on every change", asJSON(p))
	}
	deps := asJSON(trigger["DependsOn"])
	cluster := logicalIDOf(t, "AWS::RDS::DBCluster", "Database")
	if !strings.Contains(deps, cluster) || !strings.Contains(deps, "VpcLambdaSubnet1DefaultRoute") {
		t.Errorf("trigger depends on %s, want the cluster %s and the NAT routes", deps, cluster)
	}
}

func TestAlarms(t *testing.T) {
	topic := logicalIDOf(t, "AWS::SNS::Topic", "Alarms")
	toTopic := []any{map[string]any{"Ref": topic}}
	for _, lane := range lanes {
		must(t, "sync failures "+lane, func() {
			template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"Namespace":    metricNamespace,
				"MetricName":   metricSyncFailures,
				"Dimensions":   []any{map[string]any{"Name": dimensionLane, "Value": lane}},
				"Threshold":    1,
				"AlarmActions": toTopic,
			})
		})
	}
	must(t, "dead letters", func() {
		template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS",
			"ComparisonOperator": "GreaterThanThreshold", "Threshold": 0, "AlarmActions": toTopic,
		})
	})
	must(t, "tail loop failures", func() {
		template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Metrics":      assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{"Id": "failed"})}),
			"AlarmActions": toTopic,
		})
	})
	for _, spec := range functionSpecs {
		fn := logicalIDOf(t, "AWS::Lambda::Function", spec.id+"Function")
		for _, metric := range []string{"Errors", "Throttles"} {
			must(t, spec.name+" "+metric, func() {
				template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
					"Namespace": "AWS/Lambda", "MetricName": metric,
					"Dimensions":   []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": fn}}},
					"AlarmActions": toTopic,
				})
			})
		}
	}
	must(t, "encrypted topic", func() {
		template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
			"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^AlarmTopicKey")), "Arn"}},
		})
	})
	must(t, "email subscription from AlarmEmail", func() {
		template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Protocol": "email", "Endpoint": map[string]any{"Ref": "AlarmEmail"},
		})
	})
}
