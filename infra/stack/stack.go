// Package stack defines the Open-SSPM AWS stack: the VPC, Aurora PostgreSQL Serverless v2, the connector
// secrets key, the push inbox queue, the HTTP API with Cognito, the Lambda functions of every lane, their
// schedules and the tail state machine, the SPA on S3 and CloudFront, the finding alerts topic, and the alarms
// and dashboard.
package stack

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	apigw "github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/triggers"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props configures the stack. Paths are resolved against the current directory.
type Props struct {
	awscdk.StackProps
	// LambdaDir holds one folder per function with its bootstrap binary (the Makefile builds
	// bin/lambda/<name>/bootstrap). A missing binary gets a placeholder (see CtxRequireLambdaBinaries).
	LambdaDir string
	// FrontendDir is the built SPA (frontend/dist). When it does not exist the stack deploys no files to
	// the UI bucket (the bucket and the distribution are still created).
	FrontendDir string
}

// builder carries what the parts of the stack share while it is built.
type builder struct {
	stack       awscdk.Stack
	props       Props
	cfg         config
	net         *network
	db          *database
	fns         map[string]*function
	tail        awsstepfunctions.StateMachine
	site        *site
	api         apigw.HttpApi
	placeholder string   // the placeholder asset folder, once written
	missing     []string // functions whose binary is missing
}

// NewStack builds the Open-SSPM stack. An invalid context setting is reported as an error annotation (which
// fails `cdk synth`) on an otherwise empty stack.
func NewStack(scope constructs.Construct, id string, props *Props) awscdk.Stack {
	var p Props
	if props != nil {
		p = *props
	}
	if p.LambdaDir == "" {
		p.LambdaDir = filepath.Join("bin", "lambda")
	}
	if p.FrontendDir == "" {
		p.FrontendDir = filepath.Join("frontend", "dist")
	}
	stack := awscdk.NewStack(scope, &id, &p.StackProps)
	cfg, err := readConfig(stack)
	if err != nil {
		awscdk.Annotations_Of(stack).AddError(jsii.String(err.Error()))
		return stack
	}
	b := &builder{stack: stack, props: p, cfg: cfg}
	b.build()
	return stack
}

func (b *builder) build() {
	alarmEmail := awscdk.NewCfnParameter(b.stack, jsii.String("AlarmEmail"), &awscdk.CfnParameterProps{
		Type:                  jsii.String("String"),
		Description:           jsii.String("Email address that receives Open-SSPM alarms (confirm the subscription mail)"),
		AllowedPattern:        jsii.String(`^[^@\s]+@[^@\s]+\.[^@\s]+$`),
		ConstraintDescription: jsii.String("an email address"),
	})

	b.net = newNetwork(b.stack, b.cfg)
	b.db = newDatabase(b.stack, b.cfg, b.net)
	connectorKey := newConnectorKey(b.stack)
	queues := newInbox(b.stack)
	site := newSite(b.stack)
	auth := newAuth(b.stack)

	fns := b.newFunctions(connectorKey, queues, auth)
	allowAssumeIdentityCenterRoles(b.cfg.identityCenterRoles, fns[fnFull], fns[fnTail])
	tail := newTailLoop(b.stack, fns[fnTail].fn)
	fns[fnDispatch] = b.newDispatch(fns, tail, connectorKey)
	allowPrivateNetworks(b.stack, fns)

	api := newHTTPAPI(b.stack, site, auth, fns[fnWebhook].fn, fns[fnAPI].fn, b.cfg.wafWebACLARN != "")
	b.fns, b.tail, b.site, b.api = fns, tail, site, api
	apiBase := *api.ApiEndpoint()
	if b.cfg.wafWebACLARN != "" {
		b.addEdge()
		apiBase = "https://" + *site.distribution.DistributionDomainName()
	}
	site.deployFiles(b, api, auth)
	alertTopic := b.newFindingAlerts(fns, site)
	newSchedules(b.stack, b.cfg, fns[fnDispatch].fn, fns[fnEvaluator].fn)

	// Run the migrations whenever the migrate function changes (a new binary embeds new migrations; a new
	// cluster changes its environment), after the database and the NAT route exist. Set context
	// openSspm:deployNonce to run them on every deploy.
	triggers.NewTrigger(b.stack, jsii.String("MigrateOnDeploy"), &triggers.TriggerProps{
		Handler:                fns[fnMigrate].fn,
		ExecuteAfter:           &[]constructs.Construct{b.db.cluster, b.net.vpc},
		ExecuteOnHandlerChange: jsii.Bool(true),
		InvocationType:         triggers.InvocationType_REQUEST_RESPONSE,
		Timeout:                awscdk.Duration_Minutes(jsii.Number(10)),
	})

	newMonitoring(b.stack, alarmEmail, fns, queues, tail, b.db, api)

	awscdk.NewCfnOutput(b.stack, jsii.String("UiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The admin UI (CloudFront)"),
		Value:       jsii.String("https://" + *site.distribution.DistributionDomainName()),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The admin API base URL (Cognito JWT required)"),
		Value:       jsii.String(apiBase + "/api"),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("WebhookBaseUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Provider push endpoints: <WebhookBaseUrl>/hooks/<kind>/<connector-id>"),
		Value:       jsii.String(apiBase),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{
		Description: jsii.String("Cognito user pool of the admin UI"),
		Value:       auth.pool.UserPoolId(),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("UserPoolClientId"), &awscdk.CfnOutputProps{
		Description: jsii.String("Cognito app client of the SPA"),
		Value:       auth.client.UserPoolClientId(),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("FindingAlertsTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic of finding alerts: subscribe to it (see infra/README.md)"),
		Value:       alertTopic.TopicArn(),
	})

	b.reportPlaceholders()
	suppress(b)
	pruneDependsOn(b.stack)
}
