package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// allowAssumeIdentityCenterRoles lets the functions that run AWS IAM Identity Center connectors (full sync and
// tail) assume exactly the roles the operator listed (CtxAWSIdentityCenterRoleARNs): sts:AssumeRole on those
// ARNs, nothing else. The roles' own policies (docs/connectors/aws_identity_center.md) grant the read-only
// Identity Center and CloudTrail actions in the management account.
func allowAssumeIdentityCenterRoles(list string, fns ...*function) {
	if list == "" {
		return
	}
	roles := strings.Split(list, ",")
	for _, f := range fns {
		f.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeIdentityCenterRoles"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(roles...),
		}))
	}
}
