package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// newFunctions builds every function but dispatch, with its environment and permissions.
//
// The environment is internal/awsrun's contract (see its package documentation): every function gets
// DATABASE_SECRET_ARN (the RDS-managed master secret, which holds only username and password) and
// DATABASE_HOST (the cluster endpoint), and may read that secret; LOG_FORMAT=json; SYNC_DISCOVERY_ENABLED=1.
// Besides:
// CONNECTOR_KMS_KEY_ARN (functions that open or seal connector secrets), FULL_FUNCTION_NAME and
// DISCOVERY_FUNCTION_NAME (dispatch, api), INBOX_QUEUE_URL (webhook), TAIL_STATE_MACHINE_ARN and
// TAIL_EXECUTION_WINDOW (dispatch), EVALUATOR_FUNCTION_NAME (the lanes that start the evaluator, DESIGN §2),
// COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID (api). full and discovery continue a run by invoking themselves
// (AWS_LAMBDA_FUNCTION_NAME, set by Lambda).
func (b *builder) newFunctions(key awskms.Key, q *queues, auth *auth) map[string]*function {
	dbEnv := b.dbEnv
	keyEnv := *key.KeyArn()
	fns := map[string]*function{}

	fns[fnEvaluator] = b.newFunction(spec(fnEvaluator), dbEnv(nil))
	evaluatorName := *fns[fnEvaluator].fn.FunctionName()
	lane := func(name string) *function {
		return b.newFunction(spec(name), dbEnv(map[string]string{
			"CONNECTOR_KMS_KEY_ARN":   keyEnv,
			"EVALUATOR_FUNCTION_NAME": evaluatorName,
		}))
	}
	fns[fnFull] = lane(fnFull)
	fns[fnDiscovery] = lane(fnDiscovery)
	fns[fnTail] = lane(fnTail)
	fns[fnInbox] = lane(fnInbox)
	fns[fnWebhook] = b.newFunction(spec(fnWebhook), dbEnv(map[string]string{
		"CONNECTOR_KMS_KEY_ARN": keyEnv,
		"INBOX_QUEUE_URL":       *q.inbox.QueueUrl(),
	}))
	fns[fnAPI] = b.newFunction(spec(fnAPI), dbEnv(map[string]string{
		"CONNECTOR_KMS_KEY_ARN":   keyEnv,
		"EVALUATOR_FUNCTION_NAME": evaluatorName,
		"FULL_FUNCTION_NAME":      *fns[fnFull].fn.FunctionName(),
		"DISCOVERY_FUNCTION_NAME": *fns[fnDiscovery].fn.FunctionName(),
		"COGNITO_USER_POOL_ID":    *auth.pool.UserPoolId(),
		"COGNITO_CLIENT_ID":       *auth.client.UserPoolClientId(),
	}))
	migrateEnv := dbEnv(map[string]string{
		// A replaced cluster changes the function's configuration, so the trigger runs the migrations again.
		"DATABASE_CLUSTER_RESOURCE_ID": *b.db.cluster.ClusterResourceIdentifier(),
	})
	if b.cfg.deployNonce != "" {
		migrateEnv["DEPLOY_NONCE"] = b.cfg.deployNonce
	}
	fns[fnMigrate] = b.newFunction(spec(fnMigrate), migrateEnv)

	// Database: every function reads the database secret (secretsmanager:GetSecretValue, DescribeSecret on
	// that secret only); newDispatch grants dispatch the same.
	for _, f := range fns {
		b.db.cluster.Secret().GrantRead(f.role, nil)
	}

	// Connector secrets: the lanes that call provider APIs and the webhook (which checks shared secrets)
	// only open them (dispatch too: newDispatch); the API also seals new ones and rewraps them.
	allowConnectorKeyUse(key, "LanesOpenConnectorSecrets", []string{"kms:Decrypt"},
		fns[fnFull].role, fns[fnDiscovery].role, fns[fnTail].role, fns[fnInbox].role, fns[fnWebhook].role)
	allowConnectorKeyUse(key, "ApiSealsConnectorSecrets",
		[]string{"kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"}, fns[fnAPI].role)

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
	f := b.newFunction(spec(fnDispatch), b.dbEnv(map[string]string{
		"CONNECTOR_KMS_KEY_ARN":   *key.KeyArn(),
		"FULL_FUNCTION_NAME":      *fns[fnFull].fn.FunctionName(),
		"DISCOVERY_FUNCTION_NAME": *fns[fnDiscovery].fn.FunctionName(),
		"TAIL_STATE_MACHINE_ARN":  *tail.StateMachineArn(),
		"TAIL_EXECUTION_WINDOW":   tailExecutionWindow.String(),
	}))
	b.db.cluster.Secret().GrantRead(f.role, nil)
	// The composition root opens the connectors it dispatches (awsrun's table of actions).
	allowConnectorKeyUse(key, "DispatchOpensConnectorSecrets", []string{"kms:Decrypt"}, f.role)
	allowInvoke(f.role, "InvokeSyncLanes", fns[fnFull].fn, fns[fnDiscovery].fn)
	tail.GrantStartExecution(f.role) // on this state machine only
	return f
}

// dbEnv returns the database environment every function gets, plus extra.
func (b *builder) dbEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"DATABASE_SECRET_ARN": *b.db.cluster.Secret().SecretArn(),
		"DATABASE_HOST":       *b.db.cluster.ClusterEndpoint().Hostname(),
		"DATABASE_SSLMODE":    "require",
		"LOG_FORMAT":          "json",
		// The global discovery switch; each connector's discovery toggle still decides.
		"SYNC_DISCOVERY_ENABLED": "1",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// spec returns the spec of the named function.
func spec(name string) functionSpec {
	for _, s := range functionSpecs {
		if s.name == name {
			return s
		}
	}
	panic("no function spec " + name)
}
