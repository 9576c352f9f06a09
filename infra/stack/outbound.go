package stack

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// envAllowedNetworks is the setting internal/outbound reads: private networks connectors and alert
// destinations may reach.
const envAllowedNetworks = "OPEN_SSPM_ALLOWED_PRIVATE_NETWORKS"

// allowPrivateNetworks adds the AllowedPrivateNetworks deploy parameter (comma-separated CIDRs, default none)
// and passes it to every function that calls a provider or an alert destination (all but migrate). It is the
// only way to let connectors reach a private network, such as a GitHub Enterprise Server inside the VPC; a
// malformed CIDR stops the functions at start-up with an error naming it.
func allowPrivateNetworks(scope awscdk.Stack, fns map[string]*function) {
	param := awscdk.NewCfnParameter(scope, jsii.String("AllowedPrivateNetworks"), &awscdk.CfnParameterProps{
		Type:    jsii.String("String"),
		Default: jsii.String(""),
		Description: jsii.String("Private networks (comma-separated CIDRs) connectors and alert destinations may reach, " +
			"for example a GitHub Enterprise Server inside the VPC. Default none: public addresses only."),
		AllowedPattern:        jsii.String(`^[0-9A-Fa-f:./, ]*$`),
		ConstraintDescription: jsii.String("comma-separated CIDRs such as 10.20.0.0/16"),
	})
	names := make([]string, 0, len(fns))
	for name := range fns {
		if name != fnMigrate {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fns[name].fn.AddEnvironment(jsii.String(envAllowedNetworks), param.ValueAsString(), nil)
	}
}
