package stack

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const (
	// tailExecutionWindow is dispatch's TAIL_EXECUTION_WINDOW: execution names are bucketed by it, so a
	// stream gets at most one execution per window, and a tail dispatch in the next window starts the next.
	tailExecutionWindow = time.Hour
	// tailIdleWaitSeconds is how long the loop waits when TailStep says nothing more is waiting.
	tailIdleWaitSeconds = 60
	// tailMaxIterations bounds one execution so that an idle one (a step and a wait a minute) ends within
	// its window; a busy one (more=true, no waits) ends sooner and the stream waits for the next window.
	tailMaxIterations = 55
)

// newTailLoop builds the tail state machine. Dispatch starts one execution per connector stream and window
// with input {"connector_id": "...", "stream": "...", "iteration": 0}; the loop is
//
//	Start (iteration 0) → TailStep → Count → Next? ─ $.done = true or iteration ≥ max → Done
//	                         ▲                     ├ $.more = true                      → TailStep
//	                         └──── Idle (wait) ◄───┴ otherwise
//
// TailStep invokes the tail function with {"connector_id", "stream", "iteration"} and reads "more" and
// "done" from its answer (awsrun.TailStepOutput). The state machine counts the iterations itself, so a
// faulty step cannot loop forever. A Standard workflow costs $0.025 per 1,000 transitions: an idle stream loops four
// transitions a minute, about $4.30 a month per stream; no configured stream, no cost.
func newTailLoop(scope constructs.Construct, tailFn awslambda.IFunction) sfn.StateMachine {
	start := sfn.NewPass(scope, jsii.String("Start"), &sfn.PassProps{
		Comment: jsii.String("Start the iteration counter"),
		Parameters: &map[string]any{
			"connector_id": sfn.JsonPath_StringAt(jsii.String("$.connector_id")),
			"stream":       sfn.JsonPath_StringAt(jsii.String("$.stream")),
			"iteration":    0,
		},
	})
	step := awsstepfunctionstasks.NewLambdaInvoke(scope, jsii.String("TailStep"), &awsstepfunctionstasks.LambdaInvokeProps{
		LambdaFunction: tailFn,
		Comment:        jsii.String("Read the stream from its cursor, store events, advance the cursor"),
		Payload: sfn.TaskInput_FromObject(&map[string]any{
			"connector_id": sfn.JsonPath_StringAt(jsii.String("$.connector_id")),
			"stream":       sfn.JsonPath_StringAt(jsii.String("$.stream")),
			"iteration":    sfn.JsonPath_NumberAt(jsii.String("$.iteration")),
		}),
		ResultSelector: &map[string]any{
			"more": sfn.JsonPath_StringAt(jsii.String("$.Payload.more")),
			"done": sfn.JsonPath_StringAt(jsii.String("$.Payload.done")),
		},
		ResultPath:  jsii.String("$.step"),
		TaskTimeout: sfn.Timeout_Duration(awscdk.Duration_Minutes(jsii.Number(6))),
	})
	step.AddRetry(&sfn.RetryProps{
		Errors:      jsii.Strings("States.TaskFailed"),
		MaxAttempts: jsii.Number(2),
		Interval:    awscdk.Duration_Seconds(jsii.Number(30)),
		BackoffRate: jsii.Number(2),
	})
	count := sfn.NewPass(scope, jsii.String("Count"), &sfn.PassProps{
		Comment: jsii.String("Count the step and lift its answer"),
		Parameters: &map[string]any{
			"connector_id": sfn.JsonPath_StringAt(jsii.String("$.connector_id")),
			"stream":       sfn.JsonPath_StringAt(jsii.String("$.stream")),
			"iteration":    sfn.JsonPath_MathAdd(sfn.JsonPath_NumberAt(jsii.String("$.iteration")), jsii.Number(1)),
			"more":         sfn.JsonPath_StringAt(jsii.String("$.step.more")),
			"done":         sfn.JsonPath_StringAt(jsii.String("$.step.done")),
		},
	})
	idle := sfn.NewWait(scope, jsii.String("Idle"), &sfn.WaitProps{
		Comment: jsii.String("Nothing waiting: poll again later"),
		Time:    sfn.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(tailIdleWaitSeconds))),
	})
	done := sfn.NewSucceed(scope, jsii.String("Done"), &sfn.SucceedProps{
		Comment: jsii.String("Stream ended, or iteration budget spent (the next window's dispatch starts a fresh execution)"),
	})
	next := sfn.NewChoice(scope, jsii.String("Next"), &sfn.ChoiceProps{Comment: jsii.String("Stop, continue at once, or wait")}).
		When(sfn.Condition_BooleanEquals(jsii.String("$.done"), jsii.Bool(true)), done, nil).
		When(sfn.Condition_NumberGreaterThanEquals(jsii.String("$.iteration"), jsii.Number(tailMaxIterations)), done, nil).
		When(sfn.Condition_BooleanEquals(jsii.String("$.more"), jsii.Bool(true)), step, nil).
		Otherwise(idle)
	idle.Next(step)
	definition := start.Next(step).Next(count).Next(next)

	logs := awslogs.NewLogGroup(scope, jsii.String("TailLoopLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	return sfn.NewStateMachine(scope, jsii.String("TailLoop"), &sfn.StateMachineProps{
		Comment:          jsii.String("Open-SSPM tail loop: one execution per connector stream"),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(definition),
		StateMachineType: sfn.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Hours(jsii.Number(6)), // 55 steps of up to 6 minutes each fit
		TracingEnabled:   jsii.Bool(true),
		Logs: &sfn.LogOptions{
			Destination:          logs,
			Level:                sfn.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(false),
		},
	})
}
