package stack

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/open-sspm/open-sspm/internal/outbound"
)

// The AllowedPrivateNetworks parameter (default none) reaches every function that calls providers or alert
// destinations as the setting internal/outbound reads; migrate calls neither.
func TestAllowedPrivateNetworksParameter(t *testing.T) {
	if envAllowedNetworks != outbound.EnvAllowedNetworks {
		t.Fatalf("the stack sets %s, the functions read %s", envAllowedNetworks, outbound.EnvAllowedNetworks)
	}
	must(t, "parameter", func() {
		template.HasParameter(jsii.String("AllowedPrivateNetworks"), map[string]any{"Type": "String", "Default": ""})
	})
	for _, s := range functionSpecs {
		t.Run(s.name, func(t *testing.T) {
			id := logicalIDOf(t, "AWS::Lambda::Function", s.id+"Function")
			env := props(resources("AWS::Lambda::Function")[id])["Environment"].(map[string]any)["Variables"].(map[string]any)
			got, want := asJSON(env[envAllowedNetworks]), `{"Ref":"AllowedPrivateNetworks"}`
			if s.name == fnMigrate {
				want = "null"
			}
			if got != want {
				t.Errorf("%s = %s, want %s", envAllowedNetworks, got, want)
			}
		})
	}
}
