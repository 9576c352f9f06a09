package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	apigw "github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	cw "github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Custom metrics the lanes publish in the embedded metric format (no CloudWatch API call needed).
const (
	metricNamespace    = "OpenSSPM"
	metricSyncFailures = "SyncFailures"
	metricAlertsDead   = "AlertsDead"
	dimensionLane      = "Lane"
)

// newMonitoring adds the alarm topic (KMS-encrypted, TLS only, email subscription from the AlarmEmail
// parameter), the alarms and the dashboard. Every alarm treats missing data as not breaching, so an idle
// deployment stays quiet.
//
// Alarms: SyncFailures ≥ 1 in 15 minutes per lane; messages in the inbox dead-letter queue; failed,
// timed-out or aborted tail executions; finding alert deliveries that failed for good (AlertsDead ≥ 1 in 15
// minutes); Errors ≥ 1 and Throttles ≥ 1 in 5 minutes per function.
func newMonitoring(scope constructs.Construct, email awscdk.CfnParameter, fns map[string]*function, q *queues,
	tail sfn.StateMachine, db *database, api apigw.HttpApi) {
	topic := awssns.NewTopic(scope, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Open-SSPM alarms"),
		MasterKey:   newAlarmKey(scope),
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(email.ValueAsString(), nil))
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm := func(id, doc string, metric cw.IMetric, threshold float64, op cw.ComparisonOperator) cw.Alarm {
		a := cw.NewAlarm(scope, jsii.String(id+"Alarm"), &cw.AlarmProps{
			AlarmDescription:   jsii.String(doc),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: op,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   cw.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		return a
	}
	atLeastOne := cw.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))

	failures := make([]cw.IMetric, 0, len(lanes))
	for _, lane := range lanes {
		m := cw.NewMetric(&cw.MetricProps{
			Namespace:     jsii.String(metricNamespace),
			MetricName:    jsii.String(metricSyncFailures),
			DimensionsMap: &map[string]*string{dimensionLane: jsii.String(lane)},
			Statistic:     jsii.String("Sum"),
			Period:        awscdk.Duration_Minutes(jsii.Number(15)),
		})
		// A label would make the alarm a metric-math alarm; only the dashboard's copy has one.
		failures = append(failures, m.With(&cw.MetricOptions{Label: jsii.String(lane)}))
		alarm("SyncFailures"+laneID(lane), "Open-SSPM "+lane+" lane: a run failed", m, 1, atLeastOne)
	}

	dlqDepth := q.dlq.MetricApproximateNumberOfMessagesVisible(&cw.MetricOptions{
		Statistic: jsii.String("Maximum"), Period: fiveMinutes,
	})
	alarm("InboxDeadLetters", "Open-SSPM push deliveries failed five times and wait in the dead-letter queue",
		dlqDepth, 0, cw.ComparisonOperator_GREATER_THAN_THRESHOLD)

	tailFailed := cw.NewMathExpression(&cw.MathExpressionProps{
		Expression: jsii.String("failed + timedOut + aborted"),
		UsingMetrics: &map[string]cw.IMetric{
			"failed":   tail.MetricFailed(&cw.MetricOptions{Period: fiveMinutes}),
			"timedOut": tail.MetricTimedOut(&cw.MetricOptions{Period: fiveMinutes}),
			"aborted":  tail.MetricAborted(&cw.MetricOptions{Period: fiveMinutes}),
		},
		Label:  jsii.String("tail executions failed"),
		Period: fiveMinutes,
	})
	alarm("TailLoopFailures", "Open-SSPM tail loop: an execution failed, timed out or was aborted",
		tailFailed, 1, atLeastOne)

	alertMetric := func(name string) cw.Metric {
		return cw.NewMetric(&cw.MetricProps{
			Namespace:     jsii.String(metricNamespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &map[string]*string{dimensionLane: jsii.String(laneEvaluator)},
			Statistic:     jsii.String("Sum"),
			Period:        awscdk.Duration_Minutes(jsii.Number(15)),
		})
	}
	alertsDead := alertMetric(metricAlertsDead)
	alarm("AlertDeliveriesDead", "Open-SSPM finding alerts: a delivery to Slack, the webhook or the alert topic "+
		"failed for good (see the evaluator's log)", alertsDead, 1, atLeastOne)

	var errs, throttles, invocations, durations []cw.IMetric
	for _, spec := range functionSpecs {
		f := fns[spec.name]
		e := f.fn.MetricErrors(&cw.MetricOptions{Period: fiveMinutes})
		t := f.fn.MetricThrottles(&cw.MetricOptions{Period: fiveMinutes})
		alarm(spec.id+"Errors", "Open-SSPM "+spec.name+" function: invocations failed", e, 1, atLeastOne)
		alarm(spec.id+"Throttles", "Open-SSPM "+spec.name+" function: invocations were throttled", t, 1, atLeastOne)
		label := &cw.MetricOptions{Label: jsii.String(spec.name)}
		errs, throttles = append(errs, e.With(label)), append(throttles, t.With(label))
		invocations = append(invocations, f.fn.MetricInvocations(&cw.MetricOptions{Period: fiveMinutes, Label: jsii.String(spec.name)}))
		durations = append(durations, f.fn.MetricDuration(&cw.MetricOptions{
			Period: fiveMinutes, Statistic: jsii.String("p95"), Label: jsii.String(spec.name),
		}))
	}

	graph := func(title string, left []cw.IMetric) cw.IWidget {
		return cw.NewGraphWidget(&cw.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(12), Height: jsii.Number(6),
		})
	}
	dashboard := cw.NewDashboard(scope, jsii.String("Dashboard"), &cw.DashboardProps{
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
	})
	dashboard.AddWidgets(graph("Sync failures by lane", failures), graph("Function errors", errs))
	dashboard.AddWidgets(graph("Function invocations", invocations), graph("Function duration p95", durations))
	dashboard.AddWidgets(graph("Function throttles", throttles), graph("Push inbox", []cw.IMetric{
		q.inbox.MetricApproximateNumberOfMessagesVisible(&cw.MetricOptions{Period: fiveMinutes, Label: jsii.String("inbox visible")}),
		q.inbox.MetricApproximateAgeOfOldestMessage(&cw.MetricOptions{Period: fiveMinutes, Label: jsii.String("inbox oldest (s)")}),
		dlqDepth,
	}))
	dashboard.AddWidgets(graph("Tail loop", []cw.IMetric{
		tail.MetricStarted(&cw.MetricOptions{Period: fiveMinutes}),
		tail.MetricSucceeded(&cw.MetricOptions{Period: fiveMinutes}),
		tailFailed,
	}), graph("Aurora capacity (ACU) and HTTP API errors", []cw.IMetric{
		db.cluster.Metric(jsii.String("ServerlessDatabaseCapacity"), &cw.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}),
		api.MetricClientError(&cw.MetricOptions{Period: fiveMinutes}),
		api.MetricServerError(&cw.MetricOptions{Period: fiveMinutes}),
	}))
	dashboard.AddWidgets(graph("Finding alert deliveries", []cw.IMetric{
		alertMetric("AlertsDelivered").With(&cw.MetricOptions{Label: jsii.String("delivered")}),
		alertMetric("AlertsRetried").With(&cw.MetricOptions{Label: jsii.String("failed, retried")}),
		alertsDead.With(&cw.MetricOptions{Label: jsii.String("dead")}),
	}))
}

// laneID turns a lane name into a construct id part ("event-inbox" → "EventInbox").
func laneID(lane string) string {
	out := make([]byte, 0, len(lane))
	upper := true
	for i := 0; i < len(lane); i++ {
		c := lane[i]
		if c == '-' {
			upper = true
			continue
		}
		if upper && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = false
		out = append(out, c)
	}
	return string(out)
}
