package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// newFunctions builds every function but dispatch, with its environment and permissions.
//
// The environment is internal/awsrun's contract (see its package documentation): every function gets its
// database connection (connectDatabase: its own role with IAM authentication, or for migrate the master
// secret), LOG_FORMAT=json and SYNC_DISCOVERY_ENABLED=1.
// Besides:
// CONNECTOR_KMS_KEY_ARN (functions that open or seal connector secrets), FULL_FUNCTION_NAME and
// DISCOVERY_FUNCTION_NAME (dispatch, api), INBOX_QUEUE_URL (webhook), TAIL_STATE_MACHINE_ARN and
// TAIL_EXECUTION_WINDOW (dispatch), EVALUATOR_FUNCTION_NAME (the lanes that start the evaluator, DESIGN §2),
// COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID (api). full and discovery continue a run by invoking themselves
// (AWS_LAMBDA_FUNCTION_NAME, set by Lambda).
func (b *builder) newFunctions(key awskms.Key, q *queues, auth *auth) map[string]*function {
	env := b.commonEnv
	keyEnv := *key.KeyArn()
	fns := map[string]*function{}

	fns[fnEvaluator] = b.newFunction(spec(fnEvaluator), env(nil))
	evaluatorName := *fns[fnEvaluator].fn.FunctionName()
	lane := func(name string) *function {
		return b.newFunction(spec(name), env(map[string]string{
			"CONNECTOR_KMS_KEY_ARN":   keyEnv,
			"EVALUATOR_FUNCTION_NAME": evaluatorName,
		}))
	}
	fns[fnFull] = lane(fnFull)
	fns[fnDiscovery] = lane(fnDiscovery)
	fns[fnTail] = lane(fnTail)
	fns[fnInbox] = lane(fnInbox)
	fns[fnWebhook] = b.newFunction(spec(fnWebhook), env(map[string]string{
		"CONNECTOR_KMS_KEY_ARN": keyEnv,
		"INBOX_QUEUE_URL":       *q.inbox.QueueUrl(),
	}))
	fns[fnAPI] = b.newFunction(spec(fnAPI), env(map[string]string{
		"CONNECTOR_KMS_KEY_ARN":   keyEnv,
		"EVALUATOR_FUNCTION_NAME": evaluatorName,
		"FULL_FUNCTION_NAME":      *fns[fnFull].fn.FunctionName(),
		"DISCOVERY_FUNCTION_NAME": *fns[fnDiscovery].fn.FunctionName(),
		"COGNITO_USER_POOL_ID":    *auth.pool.UserPoolId(),
		"COGNITO_CLIENT_ID":       *auth.client.UserPoolClientId(),
	}))
	migrateEnv := env(map[string]string{
		// A replaced cluster changes the function's configuration, so the trigger runs the migrations again.
		"DATABASE_CLUSTER_RESOURCE_ID": *b.db.cluster.ClusterResourceIdentifier(),
	})
	if b.cfg.deployNonce != "" {
		migrateEnv["DEPLOY_NONCE"] = b.cfg.deployNonce
	}
	fns[fnMigrate] = b.newFunction(spec(fnMigrate), migrateEnv)

	// Connector secrets: the lanes that call provider APIs open provider credentials (dispatch too:
	// newDispatch); the internet-facing webhook opens webhook secrets and nothing else; the API also seals new
	// secrets and rewraps them.
	allowConnectorKeyUse(key, "LanesOpenProviderCredentials", []string{"kms:Decrypt"}, providerPurposes,
		fns[fnFull].role, fns[fnDiscovery].role, fns[fnTail].role, fns[fnInbox].role)
	allowConnectorKeyUse(key, "WebhookOpensWebhookSecrets", []string{"kms:Decrypt"}, []string{purposeWebhookVerification},
		fns[fnWebhook].role)
	// The full lane (Entra's subscriptions stage) and the tail (Google's channels stream) re-create expiring push
	// subscriptions, whose clientState or channel token is the webhook secret. They already hold the provider's
	// credential and write the inventory, so the secret that authenticates pushes to us gives them nothing more.
	allowConnectorKeyUse(key, "RenewersOpenWebhookSecrets", []string{"kms:Decrypt"}, []string{purposeWebhookVerification},
		fns[fnFull].role, fns[fnTail].role)
	allowConnectorKeyUse(key, "ApiSealsConnectorSecrets", []string{"kms:GenerateDataKey", "kms:ReEncryptTo"},
		[]string{purposeProviderCredential, purposeWebhookVerification}, fns[fnAPI].role)
	allowConnectorKeyUse(key, "ApiOpensConnectorSecrets", []string{"kms:Decrypt", "kms:ReEncryptFrom"},
		[]string{purposeProviderCredential, purposeWebhookVerification, purposeLegacy}, fns[fnAPI].role)

	// Queue: only the webhook sends; only the inbox function consumes (through its event source mapping).
	q.inbox.GrantSendMessages(fns[fnWebhook].role)
	fns[fnInbox].fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q.inbox, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(10),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(5), // keeps Aurora's connection count small
	}))

	// Invocations: after a run or new events the lanes start the evaluator; the API starts manual syncs.
	for _, name := range []string{fnFull, fnDiscovery, fnTail, fnInbox, fnAPI} {
		allowInvoke(fns[name].role, "InvokeEvaluator", fns[fnEvaluator].fn)
	}
	allowInvoke(fns[fnAPI].role, "InvokeManualSync", fns[fnFull].fn, fns[fnDiscovery].fn)
	// full and discovery continue a run in a fresh invocation of themselves. A separate policy: the
	// function's own default policy cannot name the function (the function depends on it).
	for _, name := range []string{fnFull, fnDiscovery} {
		f := fns[name]
		awsiam.NewPolicy(b.stack, jsii.String(f.spec.id+"InvokeSelf"), &awsiam.PolicyProps{
			Roles: &[]awsiam.IRole{f.role},
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ContinueRun"),
				Actions:   jsii.Strings("lambda:InvokeFunction"),
				Resources: &[]*string{f.fn.FunctionArn()},
			})},
		})
	}
	return fns
}

// newDispatch builds the dispatch function: it may invoke full and discovery and start tail executions,
// nothing else. Execution names are bucketed by TAIL_EXECUTION_WINDOW, one execution per stream and window;
// the state machine's iteration bound keeps an idle execution within one window.
func (b *builder) newDispatch(fns map[string]*function, tail awsstepfunctions.StateMachine, key awskms.Key) *function {
	f := b.newFunction(spec(fnDispatch), b.commonEnv(map[string]string{
		"CONNECTOR_KMS_KEY_ARN":   *key.KeyArn(),
		"FULL_FUNCTION_NAME":      *fns[fnFull].fn.FunctionName(),
		"DISCOVERY_FUNCTION_NAME": *fns[fnDiscovery].fn.FunctionName(),
		"TAIL_STATE_MACHINE_ARN":  *tail.StateMachineArn(),
		"TAIL_EXECUTION_WINDOW":   tailExecutionWindow.String(),
	}))
	// The composition root opens the connectors it dispatches (awsrun's table of actions).
	allowConnectorKeyUse(key, "DispatchOpensProviderCredentials", []string{"kms:Decrypt"}, providerPurposes, f.role)
	allowInvoke(f.role, "InvokeSyncLanes", fns[fnFull].fn, fns[fnDiscovery].fn)
	tail.GrantStartExecution(f.role) // on this state machine only
	return f
}

// providerPurposes are the purposes of the secrets the sync lanes open: provider credentials, and those sealed
// before purposes were told apart.
var providerPurposes = []string{purposeProviderCredential, purposeLegacy}

// commonEnv returns the environment every function gets (the database connection is added by newFunction),
// plus extra.
func (b *builder) commonEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"LOG_FORMAT": "json",
		// The global discovery switch; each connector's discovery toggle still decides.
		"SYNC_DISCOVERY_ENABLED": "1",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// connectDatabase gives a function its database connection. The migrate function signs in as the master user
// with the RDS-managed secret (DATABASE_SECRET_ARN, DATABASE_HOST) and may read that secret only; it creates
// the other functions' roles (internal/postgres FunctionRoles). Every other function signs in as its own role
// open_sspm_<function> with IAM database authentication (DATABASE_URL naming the role, DATABASE_IAM_AUTH=1) and
// may rds-db:connect as that role only.
func (b *builder) connectDatabase(name string, env map[string]string, role awsiam.IRole) {
	endpoint := b.db.cluster.ClusterEndpoint()
	if name == fnMigrate {
		env["DATABASE_SECRET_ARN"] = *b.db.cluster.Secret().SecretArn()
		env["DATABASE_HOST"] = *endpoint.Hostname()
		env["DATABASE_SSLMODE"] = "require"
		b.db.cluster.Secret().GrantRead(role, nil)
		return
	}
	user := dbRole(name)
	env["DATABASE_URL"] = "postgres://" + user + "@" + *endpoint.Hostname() + ":" + *awscdk.Token_AsString(endpoint.Port(), nil) +
		"/postgres?sslmode=require"
	env["DATABASE_IAM_AUTH"] = "1"
	b.db.cluster.GrantConnect(role, jsii.String(user))
}

// dbRole is the database role of a function (internal/postgres FunctionRoles).
func dbRole(name string) string { return "open_sspm_" + name }

// spec returns the spec of the named function.
func spec(name string) functionSpec {
	for _, s := range functionSpecs {
		if s.name == name {
			return s
		}
	}
	panic("no function spec " + name)
}
