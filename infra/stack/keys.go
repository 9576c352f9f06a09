package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// encryptionContextKey is the only encryption context key connector secrets are sealed under
// (internal/secrets: encryption context = connector id).
const encryptionContextKey = "connector_id"

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
	return newKey(scope, "ConnectorSecretsKey", "Open-SSPM connector secrets (envelope encryption, context connector_id)")
}

// allowConnectorKeyUse lets roles use the connector key for actions, and only under an encryption context
// made of exactly the connector_id key (so the key cannot be used for anything but connector secrets).
func allowConnectorKeyUse(key awskms.Key, sid string, actions []string, roles ...awsiam.IRole) {
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
			"ForAllValues:StringEquals": map[string]any{"kms:EncryptionContextKeys": []string{encryptionContextKey}},
			"Null":                      map[string]any{"kms:EncryptionContextKeys": "false"},
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
