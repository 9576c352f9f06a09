package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The stack is synthesized once (about 6 s) and every test reads the same template.
var (
	template    assertions.Template
	annotations assertions.Annotations
	tmpl        map[string]any // template.ToJSON()
	outdir      string         // the app's output directory
)

func TestMain(m *testing.M) {
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	}
	code, err := synthOnce(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "synthesize:", err)
		code = 1
	}
	os.Exit(code)
}

// synthOnce builds the app as cdk.json configures it, with no Lambda binaries (so every function gets the
// placeholder) and a one-file frontend (so the BucketDeployment and its nag suppressions are covered).
func synthOnce(m *testing.M) (int, error) {
	defer jsii.Close()
	tmp, err := os.MkdirTemp("", "open-sspm-infra-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)
	frontend := filepath.Join(tmp, "dist")
	if err := os.MkdirAll(frontend, 0o755); err != nil {
		return 1, err
	}
	if err := os.WriteFile(filepath.Join(frontend, "index.html"), []byte("<!doctype html><title>t</title>"), 0o644); err != nil {
		return 1, err
	}
	ctx, err := ReadContext(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		return 1, err
	}
	outdir = filepath.Join(tmp, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	stack := NewStack(app, "Test", &Props{
		LambdaDir:   filepath.Join(tmp, "no-binaries"),
		FrontendDir: frontend,
	})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Reports: jsii.Bool(false)}), nil)
	template = assertions.Template_FromStack(stack, nil)
	annotations = assertions.Annotations_FromStack(stack)
	tmpl = *template.ToJSON()
	return m.Run(), nil
}

// must turns an assertions panic into a test failure.
func must(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			if len(msg) > 2000 { // assertions print every candidate resource
				msg = msg[:2000] + "…"
			}
			t.Errorf("%s: %s", what, msg)
		}
	}()
	f()
}

// resources returns the template's resources of a type, by logical id.
func resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// props returns a resource's Properties.
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// logicalID returns the logical id of the one resource of typ whose id starts with prefix.
func logicalIDOf(t *testing.T, typ, prefix string) string {
	t.Helper()
	var ids []string
	for id := range resources(typ) {
		if strings.HasPrefix(id, prefix) && !strings.Contains(strings.TrimPrefix(id, prefix), "Default") {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%s with logical id prefix %s: found %v, want one", typ, prefix, ids)
	}
	return ids[0]
}

// asJSON renders a template value, for substring checks on references.
func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestResourceCounts(t *testing.T) {
	tests := []struct {
		give string
		want float64
	}{
		{"AWS::EC2::VPC", 1},
		{"AWS::EC2::Instance", 1}, // the NAT instance (context openSspm:natGateway=false)
		{"AWS::EC2::NatGateway", 0},
		{"AWS::EC2::VPCEndpoint", 0}, // egress goes through NAT; see network.go for the trade-off
		{"AWS::EC2::FlowLog", 1},
		{"AWS::RDS::DBCluster", 1},
		{"AWS::RDS::DBInstance", 1},
		{"AWS::RDS::DBProxy", 0}, // IAM authentication instead
		{"AWS::KMS::Key", 3},     // connector secrets, alarm topic, finding alerts topic
		{"AWS::SQS::Queue", 2},
		{"AWS::ApiGatewayV2::Api", 1},
		{"AWS::ApiGatewayV2::Route", 4},
		{"AWS::ApiGatewayV2::Authorizer", 1},
		{"AWS::Cognito::UserPool", 1},
		{"AWS::Cognito::UserPoolClient", 1},
		{"AWS::Cognito::UserPoolGroup", 2},
		{"AWS::Lambda::EventSourceMapping", 1},
		{"AWS::Events::Rule", 4}, // dispatch full, discovery, tail; evaluator sweep
		{"AWS::StepFunctions::StateMachine", 1},
		{"Custom::Trigger", 1},
		{"AWS::S3::Bucket", 1},
		{"AWS::CloudFront::Distribution", 1},
		{"AWS::CloudFront::OriginAccessControl", 1},
		{"AWS::CloudFront::ResponseHeadersPolicy", 1},
		{"Custom::CDKBucketDeployment", 1},
		{"AWS::SNS::Topic", 2},        // alarms, finding alerts
		{"AWS::SNS::Subscription", 1}, // the alarm email; the finding alerts topic's are the user's
		{"AWS::CloudWatch::Dashboard", 1},
		// 5 lanes + dead letters + tail loop + dead alert deliveries + 9 functions × (errors, throttles)
		{"AWS::CloudWatch::Alarm", 5 + 1 + 1 + 1 + 9*2},
		{"AWS::CDK::Metadata", 0},
	}
	for _, tt := range tests {
		must(t, tt.give, func() { template.ResourceCountIs(jsii.String(tt.give), jsii.Number(tt.want)) })
	}
	// The nine functions of the lanes (CDK's own custom resource handlers are the rest).
	must(t, "functions", func() {
		template.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Runtime": "provided.al2023", "Architectures": []string{"arm64"}, "Handler": "bootstrap",
		}, jsii.Number(float64(len(functionSpecs))))
	})
}

func TestFunctions(t *testing.T) {
	lambdaSG := logicalIDOf(t, "AWS::EC2::SecurityGroup", "FunctionSecurityGroup")
	codes := map[string]bool{}
	for _, spec := range functionSpecs {
		t.Run(spec.name, func(t *testing.T) {
			id := logicalIDOf(t, "AWS::Lambda::Function", spec.id+"Function")
			p := props(resources("AWS::Lambda::Function")[id])
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" || asJSON(p["Architectures"]) != `["arm64"]` {
				t.Errorf("runtime %v handler %v architectures %v, want provided.al2023, bootstrap, arm64",
					p["Runtime"], p["Handler"], p["Architectures"])
			}
			if got, want := p["Timeout"], spec.timeout.Seconds(); got != want {
				t.Errorf("timeout %v, want %v", got, want)
			}
			vpc := asJSON(p["VpcConfig"])
			if !strings.Contains(vpc, lambdaSG) || !strings.Contains(vpc, "VpcLambdaSubnet") {
				t.Errorf("VpcConfig %s, want the Lambda subnets and %s", vpc, lambdaSG)
			}
			env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			want := []string{"DATABASE_URL", "DATABASE_IAM_AUTH", "LOG_FORMAT"}
			if spec.name == fnMigrate {
				want = []string{"DATABASE_SECRET_ARN", "DATABASE_HOST", "LOG_FORMAT"}
			}
			for _, k := range want {
				if env[k] == nil {
					t.Errorf("environment has no %s", k)
				}
			}
			if !strings.Contains(asJSON(p["Role"]), spec.id+"Role") {
				t.Errorf("role %s, want its own %sRole", asJSON(p["Role"]), spec.id)
			}
			if !strings.Contains(asJSON(p["LoggingConfig"]), spec.id+"Logs") {
				t.Errorf("logging config %s, want its own log group", asJSON(p["LoggingConfig"]))
			}
			codes[asJSON(p["Code"])] = true
		})
	}
	// No binaries were built, so every function has the one placeholder asset.
	if len(codes) != 1 {
		t.Errorf("functions use %d code assets, want the one placeholder", len(codes))
	}
}

func TestFunctionEnvironment(t *testing.T) {
	tests := []struct {
		give string
		want []string
		none []string
	}{
		{fnDispatch, []string{"CONNECTOR_KMS_KEY_ARN", "FULL_FUNCTION_NAME", "DISCOVERY_FUNCTION_NAME", "TAIL_STATE_MACHINE_ARN", "TAIL_EXECUTION_WINDOW"}, []string{"INBOX_QUEUE_URL"}},
		{fnFull, []string{"CONNECTOR_KMS_KEY_ARN", "EVALUATOR_FUNCTION_NAME"}, []string{"INBOX_QUEUE_URL", "FULL_FUNCTION_NAME"}},
		{fnDiscovery, []string{"CONNECTOR_KMS_KEY_ARN", "EVALUATOR_FUNCTION_NAME"}, []string{"DISCOVERY_FUNCTION_NAME"}},
		{fnWebhook, []string{"INBOX_QUEUE_URL", "CONNECTOR_KMS_KEY_ARN"}, []string{"EVALUATOR_FUNCTION_NAME"}},
		{fnInbox, []string{"CONNECTOR_KMS_KEY_ARN", "EVALUATOR_FUNCTION_NAME"}, []string{"INBOX_QUEUE_URL"}},
		{fnTail, []string{"CONNECTOR_KMS_KEY_ARN", "EVALUATOR_FUNCTION_NAME"}, []string{"ALERT_SNS_TOPIC_ARN"}},
		{fnEvaluator, []string{"ALERT_SNS_TOPIC_ARN", "ALERT_BASE_URL"}, []string{"CONNECTOR_KMS_KEY_ARN", "ALERT_SLACK_WEBHOOK_SECRET_ARN", "ALERT_WEBHOOK_URL"}},
		// The api enqueues the alerts of the evaluations it runs; the evaluator delivers them.
		{fnAPI, []string{"CONNECTOR_KMS_KEY_ARN", "FULL_FUNCTION_NAME", "DISCOVERY_FUNCTION_NAME", "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "ALERT_SNS_TOPIC_ARN"}, []string{"INBOX_QUEUE_URL"}},
		{fnMigrate, []string{"DATABASE_CLUSTER_RESOURCE_ID"}, []string{"CONNECTOR_KMS_KEY_ARN"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			id := logicalIDOf(t, "AWS::Lambda::Function", spec(tt.give).id+"Function")
			env := props(resources("AWS::Lambda::Function")[id])["Environment"].(map[string]any)["Variables"].(map[string]any)
			for _, k := range tt.want {
				if env[k] == nil {
					t.Errorf("no %s in %v", k, sortedKeys(env))
				}
			}
			for _, k := range tt.none {
				if env[k] != nil {
					t.Errorf("has %s, which it must not", k)
				}
			}
		})
	}
}

func TestDatabase(t *testing.T) {
	must(t, "cluster", func() {
		template.HasResourceProperties(jsii.String("AWS::RDS::DBCluster"), map[string]any{
			"Engine":                          "aurora-postgresql",
			"EngineVersion":                   assertions.Match_StringLikeRegexp(jsii.String(`^1[67]\.`)),
			"StorageEncrypted":                true,
			"EnableIAMDatabaseAuthentication": true,
			"ManageMasterUserPassword":        true,
			"DeletionProtection":              true,
			"ServerlessV2ScalingConfiguration": map[string]any{
				"MinCapacity":           map[string]any{"Ref": "AuroraMinCapacity"},
				"SecondsUntilAutoPause": 300,
			},
		})
	})
	must(t, "min capacity parameter", func() {
		template.HasParameter(jsii.String("AuroraMinCapacity"), map[string]any{
			"Type": "Number", "Default": "0", "AllowedValues": assertions.Match_ArrayWith(&[]any{"0", "0.5"}),
		})
	})
	must(t, "writer is serverless v2", func() {
		template.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]any{
			"DBInstanceClass": "db.serverless", "PubliclyAccessible": false,
		})
	})
	lambdaSG := logicalIDOf(t, "AWS::EC2::SecurityGroup", "FunctionSecurityGroup")
	must(t, "functions reach Aurora on 5432", func() {
		template.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
			"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
			"SourceSecurityGroupId": map[string]any{"Fn::GetAtt": []any{lambdaSG, "GroupId"}},
		})
	})
	must(t, "Aurora in the isolated subnets", func() {
		template.HasResourceProperties(jsii.String("AWS::RDS::DBSubnetGroup"), map[string]any{
			"SubnetIds": assertions.Match_ArrayWith(&[]any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^VpcDatabaseSubnet"))}}),
		})
	})
}

func TestQueues(t *testing.T) {
	dlq := logicalIDOf(t, "AWS::SQS::Queue", "InboxDeadLetters")
	must(t, "inbox redrives to the DLQ after 5 receives", func() {
		template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"SqsManagedSseEnabled": true,
			"MaximumMessageSize":   1048576,
			"RedrivePolicy": map[string]any{
				"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}},
				"maxReceiveCount":     5,
			},
		})
	})
	must(t, "DLQ encrypted", func() {
		template.ResourcePropertiesCountIs(jsii.String("AWS::SQS::Queue"), map[string]any{"SqsManagedSseEnabled": true}, jsii.Number(2))
	})
	must(t, "inbox event source reports batch item failures", func() {
		template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"FunctionName":          map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^InboxFunction"))},
			"FunctionResponseTypes": []string{"ReportBatchItemFailures"},
		})
	})
}
