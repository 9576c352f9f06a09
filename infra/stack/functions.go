package stack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Function names: each is a folder under functions/ and bin/lambda/.
const (
	fnDispatch  = "dispatch"
	fnFull      = "full"
	fnDiscovery = "discovery"
	fnWebhook   = "webhook"
	fnInbox     = "inbox"
	fnTail      = "tail"
	fnEvaluator = "evaluator"
	fnAPI       = "api"
	fnMigrate   = "migrate"
)

// functionSpec is what differs between the functions.
type functionSpec struct {
	name    string
	id      string // construct id prefix
	doc     string
	timeout time.Duration
	memory  float64
}

// functionSpecs lists every function in a fixed order (construct order is template order).
var functionSpecs = []functionSpec{
	{fnDispatch, "Dispatch", "Lists due connectors per lane and starts their runs", 2 * time.Minute, 256},
	{fnFull, "Full", "Full sync of one connector, resumable across invocations", 15 * time.Minute, 1024},
	{fnDiscovery, "Discovery", "SaaS discovery of one connector, resumable across invocations", 15 * time.Minute, 1024},
	{fnWebhook, "Webhook", "Verifies provider push deliveries and queues them", 10 * time.Second, 256},
	{fnInbox, "Inbox", "Turns queued push deliveries into events", 2 * time.Minute, 512},
	{fnTail, "Tail", "TailStep: reads one connector stream from its cursor", 5 * time.Minute, 512},
	{fnEvaluator, "Evaluator", "Evaluates posture rules and event policies into findings", 15 * time.Minute, 1024},
	{fnAPI, "Api", "Admin REST API behind the Cognito JWT authorizer", 29 * time.Second, 512},
	{fnMigrate, "Migrate", "Applies database migrations on deploy", 10 * time.Minute, 256},
}

// function is one Lambda function with its role and log group.
type function struct {
	spec functionSpec
	fn   awslambda.Function
	role awsiam.Role
	logs awslogs.LogGroup
}

// newRole returns a function's execution role: it may write to its own log group and manage the network
// interfaces of a VPC function, nothing more. Callers add what the function uses.
func newRole(scope constructs.Construct, spec functionSpec, logs awslogs.LogGroup) awsiam.Role {
	role := awsiam.NewRole(scope, jsii.String(spec.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Open-SSPM " + spec.name + " function"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	}))
	// The same actions as the AWS managed policy AWSLambdaVPCAccessExecutionRole; Lambda needs them on "*".
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ManageVpcNetworkInterfaces"),
		Actions: jsii.Strings("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
			"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
		Resources: jsii.Strings("*"),
	}))
	return role
}

// code returns the function's code: bin/lambda/<name>/ when its bootstrap exists (the Makefile builds it),
// otherwise the placeholder, so that the stack synthesizes on a fresh checkout and in tests.
func (b *builder) code(name string) awslambda.Code {
	dir := filepath.Join(b.props.LambdaDir, name)
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err == nil {
		return awslambda.Code_FromAsset(jsii.String(dir), nil)
	}
	b.missing = append(b.missing, name)
	return awslambda.Code_FromAsset(jsii.String(b.placeholderDir()), nil)
}

// reportPlaceholders adds one annotation naming the functions that got the placeholder: a warning, or an
// error (which fails `cdk synth`) when context openSspm:requireLambdaBinaries is true.
func (b *builder) reportPlaceholders() {
	if len(b.missing) == 0 {
		return
	}
	msg := fmt.Sprintf("no %s under %s for %s: these functions get a placeholder that fails every invocation; "+
		"run `make build-lambdas` before deploying", filepath.Join("<name>", "bootstrap"), b.props.LambdaDir,
		strings.Join(b.missing, ", "))
	if b.cfg.requireBinaries {
		awscdk.Annotations_Of(b.stack).AddError(jsii.String(msg))
		return
	}
	awscdk.Annotations_Of(b.stack).AddWarningV2(jsii.String("open-sspm:lambda-placeholder"), jsii.String(msg), nil)
}

// placeholderBootstrap is the stand-in for a missing function binary. It fails loudly: a deploy with
// placeholders fails at the migrate trigger instead of running a stack that does nothing.
const placeholderBootstrap = `#!/bin/sh
echo "open-sspm: this function was deployed without its binary; run make build-lambdas and deploy again" >&2
exit 1
`

// placeholderDir writes the placeholder asset once per synthesis, under the app's output directory
// (cdk.out, or the temporary directory of a test), and returns its folder.
func (b *builder) placeholderDir() string {
	if b.placeholder != "" {
		return b.placeholder
	}
	dir := filepath.Join(*awscdk.Stage_Of(b.stack).Outdir(), ".placeholder-lambda")
	if err := writePlaceholder(dir); err != nil {
		panic(fmt.Sprintf("write lambda placeholder: %v", err))
	}
	b.placeholder = dir
	return dir
}

func writePlaceholder(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(path, []byte(placeholderBootstrap), 0o755); err != nil {
		return err
	}
	return os.Chmod(path, 0o755) // WriteFile keeps the mode of an existing file
}

// newFunction builds one function: arm64, provided.al2023, handler bootstrap, in the Lambda subnets with the
// function security group, its own log group (one month) and role.
func (b *builder) newFunction(spec functionSpec, env map[string]string) *function {
	logs := awslogs.NewLogGroup(b.stack, jsii.String(spec.id+"Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := newRole(b.stack, spec, logs)
	b.connectDatabase(spec.name, env, role)
	environment := map[string]*string{}
	for k, v := range env {
		environment[k] = jsii.String(v)
	}
	fn := awslambda.NewFunction(b.stack, jsii.String(spec.id+"Function"), &awslambda.FunctionProps{
		Description:    jsii.String(spec.doc),
		Runtime:        awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:   awslambda.Architecture_ARM_64(),
		Handler:        jsii.String("bootstrap"),
		Code:           b.code(spec.name),
		Role:           role,
		LogGroup:       logs,
		Timeout:        awscdk.Duration_Seconds(jsii.Number(spec.timeout.Seconds())),
		MemorySize:     jsii.Number(spec.memory),
		Vpc:            b.net.vpc,
		VpcSubnets:     lambdaSubnets(),
		SecurityGroups: &[]awsec2.ISecurityGroup{b.net.functionSG},
		Environment:    &environment,
		RecursiveLoop:  awslambda.RecursiveLoop_TERMINATE,
	})
	return &function{spec: spec, fn: fn, role: role, logs: logs}
}

// allowInvoke lets role invoke the unqualified functions (lambda:InvokeFunction on their ARNs only).
func allowInvoke(role awsiam.IRole, sid string, fns ...awslambda.IFunction) {
	arns := make([]*string, len(fns))
	for i, f := range fns {
		arns[i] = f.FunctionArn()
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &arns,
	}))
}

// errNotDir reports a frontend path that exists but is not a folder.
var errNotDir = errors.New("not a directory")

// dirExists reports whether dir is an existing folder.
func dirExists(dir string) (bool, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !info.IsDir() {
		return false, fmt.Errorf("%s: %w", dir, errNotDir)
	}
	return true, nil
}
