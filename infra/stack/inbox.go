package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newInbox returns the push inbox queue and its dead-letter queue (SQS-managed encryption, TLS only).
func newInbox(scope constructs.Construct) *queues {
	dlq := awssqs.NewQueue(scope, jsii.String("InboxDeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	inbox := awssqs.NewQueue(scope, jsii.String("Inbox"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		// Six times the inbox function's timeout, as Lambda recommends for SQS event sources.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * spec(fnInbox).timeout.Seconds())),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		// 1 MiB: the webhook queues bodies up to 700 KiB, base64 in JSON (awsrun.WebhookMaxBody).
		MaxMessageSizeBytes: jsii.Number(1 << 20),
		DeadLetterQueue:     &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(5)},
	})
	return &queues{inbox: inbox, dlq: dlq}
}

// queues is the push inbox and its dead letters.
type queues struct {
	inbox awssqs.Queue
	dlq   awssqs.Queue
}
