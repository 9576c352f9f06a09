package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The encryption context connector secrets are sealed under (internal/secrets): the connector id and the
// secret's purpose. The key policy lets each function use the key only for the purposes it needs.
const (
	contextConnectorID = "connector_id"
	contextPurpose     = "purpose"

	purposeProviderCredential  = "provider-credential"  // the provider API credentials the lanes use
	purposeWebhookVerification = "webhook-verification" // the webhook secrets that check push deliveries
	// purposeLegacy is what every secret was sealed under before purposes were told apart; the functions
	// that open provider credentials may still open it, the webhook function may not (open-sspm secrets
	// rotate re-seals such secrets under their purpose).
	purposeLegacy = "connector-secret"
)

// keyAdminActions are what the account may do with a key: manage it, never use it to encrypt or decrypt.
// Listing them (instead of the usual "kms:*" for the account) is what scopes the key: no IAM policy in the
// account can grant use of the key; only the key policy's own statements can. kms:CreateGrant is left out
// for the same reason (a grant would hand out use of the key); nothing here uses grants. Whoever may
// change the key policy (kms:PutKeyPolicy) can still widen it: that is administration, and audited.
var keyAdminActions = []string{
	"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
	"kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
	"kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
	"kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RetireGrant", "kms:RevokeGrant",
	"kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
	"kms:UpdateAlias", "kms:UpdateKeyDescription",
}

// newKey returns a symmetric key with yearly rotation whose policy lets the account administer it only.
func newKey(scope constructs.Construct, id, description string) awskms.Key {
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AccountAdministersKey"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
				Actions:    jsii.Strings(keyAdminActions...),
				Resources:  jsii.Strings("*"),
			}),
		},
	})
	return awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String(description),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		Policy:            policy,
	})
}

// newConnectorKey returns the key that wraps the data keys of connector secrets.
func newConnectorKey(scope constructs.Construct) awskms.Key {
	return newKey(scope, "ConnectorSecretsKey", "Open-SSPM connector secrets (envelope encryption, context connector_id and purpose)")
}

// allowConnectorKeyUse lets roles use the connector key for actions, only under an encryption context of
// exactly the connector_id and purpose keys, and only for the given purposes (kms:EncryptionContext:purpose),
// so that a role allowed one purpose cannot open secrets of another.
func allowConnectorKeyUse(key awskms.Key, sid string, actions, purposes []string, roles ...awsiam.IRole) {
	principals := make([]awsiam.IPrincipal, len(roles))
	for i, r := range roles {
		principals[i] = awsiam.NewArnPrincipal(r.RoleArn())
	}
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &principals,
		Actions:    jsii.Strings(actions...),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"ForAllValues:StringEquals": map[string]any{"kms:EncryptionContextKeys": []string{contextConnectorID, contextPurpose}},
			"Null":                      map[string]any{"kms:EncryptionContext:" + contextConnectorID: "false"},
			"StringEquals":              map[string]any{"kms:EncryptionContext:" + contextPurpose: purposes},
		},
	}), jsii.Bool(false))
}

// newAlarmKey returns the key of the alarm topic; CloudWatch may use it to publish alarms from this account.
func newAlarmKey(scope constructs.Construct) awskms.Key {
	key := newKey(scope, "AlarmTopicKey", "Open-SSPM alarm topic")
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchPublishesAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": *awscdk.Aws_ACCOUNT_ID()},
		},
	}), jsii.Bool(false))
	return key
}
