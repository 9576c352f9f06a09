package stack

//lint:file-ignore SA1019 cxapi's synthesis messages moved to @aws-cdk/cloud-assembly-api, which has no Go binding yet.

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func TestFindingAlertsTopic(t *testing.T) {
	topic := logicalIDOf(t, "AWS::SNS::Topic", "FindingAlerts")
	alarms := logicalIDOf(t, "AWS::SNS::Topic", "Alarms")
	key := logicalIDOf(t, "AWS::KMS::Key", "FindingAlertsKey")
	must(t, "encrypted with its own key", func() {
		template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
			"DisplayName":    "Open-SSPM finding alerts",
			"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
		})
	})
	if topic == alarms {
		t.Fatal("finding alerts go to the alarm topic")
	}
	// TLS only: the topic policy denies requests without aws:SecureTransport.
	tls := false
	for _, s := range statements() {
		if s.effect == "Deny" && strings.Contains(s.resources, topic) && strings.Contains(s.condition, `"aws:SecureTransport":"false"`) {
			tls = true
		}
	}
	if !tls {
		t.Error("the finding alerts topic does not enforce TLS")
	}
	for id, sub := range resources("AWS::SNS::Subscription") {
		if strings.Contains(asJSON(props(sub)["TopicArn"]), topic) {
			t.Errorf("subscription %s on the finding alerts topic; subscribers are the user's to add", id)
		}
	}
	// The key: the account administers it; only the evaluator uses it, and only through SNS.
	for _, s := range statements() {
		if s.where != key || s.effect != "Allow" || !slices.Contains(s.actions, "kms:GenerateDataKey") {
			continue
		}
		if !strings.Contains(s.principal, spec(fnEvaluator).id+"Role") || !strings.Contains(s.condition, "kms:ViaService") {
			t.Errorf("key use by %s under %s, want the evaluator through SNS", s.principal, s.condition)
		}
	}
	evaluator := logicalIDOf(t, "AWS::Lambda::Function", spec(fnEvaluator).id+"Function")
	env := props(resources("AWS::Lambda::Function")[evaluator])["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got := asJSON(env["ALERT_SNS_TOPIC_ARN"]); got != `{"Ref":"`+topic+`"}` {
		t.Errorf("ALERT_SNS_TOPIC_ARN = %s, want the finding alerts topic", got)
	}
	if !strings.Contains(asJSON(env["ALERT_BASE_URL"]), "DomainName") {
		t.Errorf("ALERT_BASE_URL = %s, want the distribution's address", asJSON(env["ALERT_BASE_URL"]))
	}
	// Without the alert secrets in context, the evaluator reads only the database secret.
	if got := allowed("secretsmanager:GetSecretValue", "arn:aws:secretsmanager"); len(got) != 0 {
		t.Errorf("%v may read secrets by literal ARN", got)
	}
}

func TestEvaluatorSweepSchedule(t *testing.T) {
	evaluator := logicalIDOf(t, "AWS::Lambda::Function", spec(fnEvaluator).id+"Function")
	must(t, "sweep every 15 minutes", func() {
		template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "cron(0/15 * * * ? *)",
			"State":              "ENABLED",
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn":   map[string]any{"Fn::GetAtt": []any{evaluator, "Arn"}},
				"Input": `{"sweep":true}`,
			})},
		})
	})
}

func TestDeadAlertDeliveriesAlarm(t *testing.T) {
	topic := logicalIDOf(t, "AWS::SNS::Topic", "Alarms")
	must(t, "AlertsDead alarm to the alarm topic", func() {
		template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace":          metricNamespace,
			"MetricName":         metricAlertsDead,
			"Dimensions":         []any{map[string]any{"Name": dimensionLane, "Value": laneEvaluator}},
			"Statistic":          "Sum",
			"Threshold":          1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"TreatMissingData":   "notBreaching",
			"AlarmActions":       []any{map[string]any{"Ref": topic}},
		})
	})
}

// With Slack and a webhook configured in context, the evaluator (and the api, which only enqueues) get their
// variables, and only the evaluator may read exactly those two secrets. cdk-nag stays clean.
func TestAlertDestinationsFromContext(t *testing.T) {
	const slackARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:open-sspm/slack-AbCdEf"
	const hookARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:open-sspm/webhook-GhIjKl"
	ctx := map[string]any{
		CtxAlertSlackSecretARN: slackARN, CtxAlertSlackMinSeverity: "high",
		CtxAlertWebhookURL: "https://soar.example.com/hooks/open-sspm", CtxAlertWebhookSecretARN: hookARN,
		CtxAlertSNSMinSeverity: "medium",
	}
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(dir, "out"))})
	stack := NewStack(app, "Alerts", &Props{LambdaDir: filepath.Join(dir, "none"), FrontendDir: filepath.Join(dir, "none")})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Reports: jsii.Bool(false)}), nil)
	tpl := assertions.Template_FromStack(stack, nil)
	for _, m := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("cdk-nag: %s: %v", *m.Id, m.Entry.Data)
	}
	res := (*tpl.ToJSON())["Resources"].(map[string]any)
	envOf := func(name string) map[string]any {
		for id, r := range res {
			r := r.(map[string]any)
			if r["Type"] == "AWS::Lambda::Function" && strings.HasPrefix(id, spec(name).id+"Function") {
				return r["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
			}
		}
		t.Fatalf("no %s function", name)
		return nil
	}
	for _, name := range []string{fnEvaluator, fnAPI} {
		env := envOf(name)
		for k, want := range map[string]string{
			"ALERT_SLACK_WEBHOOK_SECRET_ARN": slackARN, "ALERT_SLACK_MIN_SEVERITY": "high",
			"ALERT_WEBHOOK_URL": "https://soar.example.com/hooks/open-sspm", "ALERT_WEBHOOK_SECRET_ARN": hookARN,
			"ALERT_SNS_MIN_SEVERITY": "medium",
		} {
			if env[k] != want {
				t.Errorf("%s: %s = %v, want %s", name, k, env[k], want)
			}
		}
	}
	readers := map[string][]string{} // role → literal secret ARNs it may read
	for _, r := range res {
		r := r.(map[string]any)
		if r["Type"] != "AWS::IAM::Policy" {
			continue
		}
		p := r["Properties"].(map[string]any)
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if !slices.Contains(strs(st["Action"]), "secretsmanager:GetSecretValue") {
				continue
			}
			for _, arn := range strs(st["Resource"]) {
				if strings.HasPrefix(arn, "arn:aws:secretsmanager:") {
					readers[asJSON(p["Roles"])] = append(readers[asJSON(p["Roles"])], arn)
				}
			}
		}
	}
	if len(readers) != 1 {
		t.Fatalf("roles reading the alert secrets: %v, want the evaluator's only", readers)
	}
	for roles, arns := range readers {
		slices.Sort(arns)
		if !strings.Contains(roles, spec(fnEvaluator).id+"Role") || !slices.Equal(arns, []string{slackARN, hookARN}) {
			t.Errorf("%s may read %v, want the evaluator reading exactly the two alert secrets", roles, arns)
		}
	}
}

func TestAlertContextValidation(t *testing.T) {
	for _, tt := range []struct {
		give map[string]any
		want string
	}{
		{map[string]any{CtxAlertSlackSecretARN: "open-sspm/slack"}, CtxAlertSlackSecretARN},
		{map[string]any{CtxAlertWebhookURL: "http://soar.example.com"}, CtxAlertWebhookURL},
		{map[string]any{CtxAlertWebhookSecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf"}, "without " + CtxAlertWebhookURL},
		{map[string]any{CtxAlertSNSMinSeverity: "urgent"}, CtxAlertSNSMinSeverity},
		{map[string]any{CtxAlertSlackMinSeverity: "high"}, "without " + CtxAlertSlackSecretARN},
	} {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &tt.give})
		if _, err := readConfig(app); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want one about %s", tt.give, err, tt.want)
		}
	}
	ok := map[string]any{CtxAlertSlackSecretARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf", CtxAlertSlackMinSeverity: "HIGH"}
	cfg, err := readConfig(awscdk.NewApp(&awscdk.AppProps{Context: &ok}))
	if err != nil || cfg.alerts.slackMinSeverity != "high" {
		t.Fatalf("config %+v, %v", cfg.alerts, err)
	}
}
