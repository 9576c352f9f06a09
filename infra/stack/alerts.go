package stack

import (
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// newFindingAlerts adds the topic that finding alerts (a finding opened, reopened or escalated) are published
// to, and points the functions at the alert destinations (internal/alert's ALERT_* variables).
//
// The topic is the security team's, separate from the alarm topic (the operators'): encrypted with its own KMS
// key, TLS only, no subscription (subscribe email, HTTPS, SQS, Lambda or a chatbot to it after the deploy;
// messages carry a severity attribute to filter on). Optional destinations come from context: a Slack incoming
// webhook whose URL is a Secrets Manager secret (openSspm:alertSlackSecretArn) and a signed webhook
// (openSspm:alertWebhookUrl, its signing key the secret openSspm:alertWebhookSecretArn).
//
// The evaluator delivers: it may publish to this topic only (and use the topic's key only through SNS), and read
// exactly the configured secrets. The api enqueues the alerts of the evaluations it runs (after an attestation or
// an override) and gets the same routing variables, but no permission: the evaluator delivers those on its next
// run or sweep. Both link alerts to the admin UI (ALERT_BASE_URL, the CloudFront address).
func (b *builder) newFindingAlerts(fns map[string]*function, ui *site) awssns.Topic {
	key := newKey(b.stack, "FindingAlertsKey", "Open-SSPM finding alerts topic")
	topic := awssns.NewTopic(b.stack, jsii.String("FindingAlerts"), &awssns.TopicProps{
		DisplayName: jsii.String("Open-SSPM finding alerts"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	ev := fns[fnEvaluator]
	ev.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishFindingAlerts"),
		Actions:   jsii.Strings("sns:Publish"),
		Resources: &[]*string{topic.TopicArn()},
	}))
	// Publishing to a topic encrypted with a customer managed key needs the key; only through SNS.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EvaluatorPublishesFindingAlerts"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(ev.role.RoleArn())},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"kms:ViaService": "sns." + *awscdk.Aws_REGION() + ".amazonaws.com"},
		},
	}), jsii.Bool(false))

	a := b.cfg.alerts
	env := map[string]string{
		"ALERT_SNS_TOPIC_ARN": *topic.TopicArn(),
		"ALERT_BASE_URL":      "https://" + *ui.distribution.DistributionDomainName(),
	}
	set := func(k, v string) {
		if v != "" {
			env[k] = v
		}
	}
	set("ALERT_SNS_MIN_SEVERITY", a.snsMinSeverity)
	set("ALERT_SLACK_WEBHOOK_SECRET_ARN", a.slackSecretARN)
	set("ALERT_SLACK_MIN_SEVERITY", a.slackMinSeverity)
	set("ALERT_WEBHOOK_URL", a.webhookURL)
	set("ALERT_WEBHOOK_SECRET_ARN", a.webhookSecretARN)
	set("ALERT_WEBHOOK_MIN_SEVERITY", a.webhookMinSeverity)
	for _, name := range []string{fnEvaluator, fnAPI} {
		for _, k := range slices.Sorted(maps.Keys(env)) {
			fns[name].fn.AddEnvironment(jsii.String(k), jsii.String(env[k]), nil)
		}
	}
	var secrets []*string
	for _, arn := range []string{a.slackSecretARN, a.webhookSecretARN} {
		if arn != "" {
			secrets = append(secrets, jsii.String(arn))
		}
	}
	if len(secrets) > 0 {
		ev.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadAlertSecrets"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: &secrets,
		}))
	}
	return topic
}
