package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagRule is one accepted cdk-nag AwsSolutions finding and why it is accepted. appliesTo narrows an IAM4 or
// IAM5 suppression to the named policy or wildcard, so that a new wildcard still fails.
type nagRule struct {
	id        string
	reason    string
	appliesTo []string
}

func rule(id, reason string, appliesTo ...string) nagRule {
	return nagRule{id: id, reason: reason, appliesTo: appliesTo}
}

func nagSuppress(c constructs.IConstruct, rules ...nagRule) {
	s := make([]*cdknag.NagPackSuppression, len(rules))
	for i, r := range rules {
		s[i] = &cdknag.NagPackSuppression{Id: jsii.String(r.id), Reason: jsii.String(r.reason)}
		if len(r.appliesTo) > 0 {
			applies := make([]any, len(r.appliesTo))
			for j, a := range r.appliesTo {
				applies[j] = a
			}
			s[i].AppliesTo = &applies
		}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &s, jsii.Bool(true))
}

// Reasons shared by several suppressions.
const (
	reasonVpcENI = "VPC Lambda network interfaces: ec2:CreateNetworkInterface, DescribeNetworkInterfaces, " +
		"DescribeSubnets, DeleteNetworkInterface, AssignPrivateIpAddresses and UnassignPrivateIpAddresses " +
		"need Resource * (the same statement as AWSLambdaVPCAccessExecutionRole). Every other statement of " +
		"the role names its resources."
	reasonCDKSingleton = "A construct of aws-cdk-lib, not our code: its role and runtime are set by the " +
		"library and it runs only during deployments."
)

// suppress records every accepted cdk-nag finding with its reason. Each suppression is scoped to one
// resource (and, for IAM wildcards, to the exact wildcard).
func suppress(b *builder) {
	for _, f := range b.fns {
		nagSuppress(f.role, rule("AwsSolutions-IAM5", reasonVpcENI, "Resource::*"))
	}
	nagSuppress(b.tail.Role(),
		rule("AwsSolutions-IAM5", "Step Functions' LambdaInvoke task grants invoke on the tail function "+
			"and its versions (ARN:*); the state machine calls nothing else.",
			"Resource::<"+logicalID(b, b.fns[fnTail].fn.Node().DefaultChild())+".Arn>:*"),
		rule("AwsSolutions-IAM5", "X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, "+
			"GetSamplingRules, GetSamplingTargets) and CloudWatch Logs delivery (logs:CreateLogDelivery and "+
			"related) do not support resource-level permissions.", "Resource::*"),
	)
	for _, route := range *b.api.Node().Children() {
		if strings.Contains(*route.Node().Id(), "--healthz") {
			nagSuppress(route, rule("AwsSolutions-APIG4", "Health check: answers whether the database is "+
				"reachable and migrated (status and schema version, no data); the SPA reads it before sign-in."))
		}
		if strings.Contains(*route.Node().Id(), "--hooks--") {
			nagSuppress(route, rule("AwsSolutions-APIG4", "Provider push endpoints cannot carry our "+
				"credentials: the webhook function authenticates every delivery with the provider's own "+
				"mechanism (Okta authorization secret, GitHub HMAC signature, Graph clientState) before "+
				"anything is queued, and the stage throttles requests."))
		}
	}
	nagSuppress(b.site.bucket, rule("AwsSolutions-S1", "The UI bucket holds only the public SPA build "+
		"and CloudFront (origin access control) is its only reader; server access logs would need a second "+
		"bucket. Enable them if your policy requires."))
	nagSuppress(b.site.distribution,
		rule("AwsSolutions-CFR1", "The admin UI is reachable worldwide; access is controlled by Cognito "+
			"sign-in with MFA, not by geography."),
		rule("AwsSolutions-CFR2", "A WAF web ACL costs at least $5/month plus $1 per rule even when "+
			"idle; the distribution serves static files and the API uses Cognito JWTs. Attach one if needed."),
		rule("AwsSolutions-CFR3", "Standard access logs need an ACL-enabled log bucket; the "+
			"distribution serves only static SPA files. Enable them if your policy requires."),
		rule("AwsSolutions-CFR4", "The distribution uses the default *.cloudfront.net certificate, for "+
			"which CloudFront does not let you set a minimum TLS version; with a custom domain and an ACM "+
			"certificate the stack's feature flag selects TLSv1.2_2021."),
	)
	for _, instance := range b.net.natInstances {
		nagSuppress(instance,
			rule("AwsSolutions-EC28", "NAT instance: basic five-minute monitoring is enough; detailed "+
				"monitoring would cost about $2/month."),
			rule("AwsSolutions-EC29", "The NAT instance holds no data and CloudFormation replaces it "+
				"(for example when its AMI changes); termination protection would block those updates."),
		)
	}
	for _, child := range *b.stack.Node().Children() {
		id := *child.Node().Id()
		switch {
		case strings.HasPrefix(id, "LogRetention"):
			nagSuppress(child,
				rule("AwsSolutions-IAM4", reasonCDKSingleton+" CDK's log retention function sets the "+
					"retention of Aurora's log group (which RDS creates); AWSLambdaBasicExecutionRole covers "+
					"its own logs.", "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
				rule("AwsSolutions-IAM5", reasonCDKSingleton+" logs:PutRetentionPolicy and "+
					"logs:DeleteRetentionPolicy on log groups whose names RDS chooses.", "Resource::*"),
			)
		case strings.HasPrefix(id, "Custom::CDKBucketDeployment"):
			nagSuppress(child,
				rule("AwsSolutions-IAM4", reasonCDKSingleton+" BucketDeployment copies frontend/dist "+
					"to the UI bucket; AWSLambdaBasicExecutionRole covers its own logs.",
					"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
				rule("AwsSolutions-IAM5", reasonCDKSingleton+" BucketDeployment reads the CDK asset "+
					"bucket, writes and prunes objects of the UI bucket only, and invalidates the distribution "+
					"(CloudFront invalidation actions take no resource).",
					"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*",
					"Action::s3:DeleteObject*", "Resource::<"+logicalID(b, b.site.bucket.Node().DefaultChild())+".Arn>/*",
					"Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
					"Resource::*",
				),
				rule("AwsSolutions-L1", reasonCDKSingleton+" aws-cdk-lib picks the BucketDeployment "+
					"runtime; it moves to the latest with library upgrades."),
			)
		}
	}
}

// logicalID returns the CloudFormation logical id of a resource, as cdk-nag writes it in findings.
func logicalID(b *builder, c constructs.IConstruct) string {
	return b.stack.Resolve(b.stack.GetLogicalId(c.(awscdk.CfnElement))).(string)
}
