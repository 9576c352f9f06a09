package stack

import (
	"encoding/json"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
)

// pruneDependsOn drops every DependsOn entry that a resource's properties already imply through Ref, Fn::GetAtt
// or Fn::Sub (cfn-lint W3005): CDK adds construct-level dependencies, such as a function's on its role, that
// the template then states twice. It runs as a validation of the stack, because CDK turns construct
// dependencies into DependsOn only after the aspects ran and before validations; the dependencies that nothing
// else states (a function's on its role's default policy, the migrate trigger's on the cluster) stay.
func pruneDependsOn(stack awscdk.Stack) {
	stack.Node().AddValidation(&dependsOnPruner{stack: stack})
}

type dependsOnPruner struct{ stack awscdk.Stack }

func (p *dependsOnPruner) Validate() *[]*string {
	for _, c := range *p.stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		res, ok := c.(awscdk.CfnResource)
		if !ok || !*awscdk.CfnResource_IsCfnResource(c) {
			continue
		}
		deps := res.ObtainDependencies()
		if deps == nil || len(*deps) == 0 {
			continue
		}
		props := p.stack.Resolve(res.UpdatedProperties())
		refs := referencedIDs(props)
		for _, d := range *deps {
			dep, ok := d.(awscdk.CfnResource)
			if !ok {
				continue
			}
			id, _ := p.stack.Resolve(dep.LogicalId()).(string)
			if refs[id] {
				res.RemoveResourceDependency(dep)
			}
		}
	}
	return &[]*string{}
}

// subRef matches the ${LogicalId} and ${LogicalId.Attribute} references of an Fn::Sub string (not ${!Literal}).
var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}`)

// referencedIDs returns the logical ids that a resolved template value references with Ref, Fn::GetAtt or
// Fn::Sub (pseudo parameters and parameters included; callers look up resources only).
func referencedIDs(v any) map[string]bool {
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch k {
				case "Ref":
					if s, ok := x.(string); ok {
						out[s] = true
					}
				case "Fn::GetAtt":
					if l, ok := x.([]any); ok && len(l) > 0 {
						if s, ok := l[0].(string); ok {
							out[s] = true
						}
					}
				case "Fn::Sub":
					var s string
					switch x := x.(type) {
					case string:
						s = x
					case []any:
						if len(x) > 0 {
							s, _ = x[0].(string)
						}
					}
					for _, m := range subRef.FindAllStringSubmatch(s, -1) {
						out[m[1]] = true
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	// Normalize through JSON: resolved values may come back as typed maps and slices.
	b, err := json.Marshal(v)
	if err != nil {
		return out
	}
	var plain any
	if json.Unmarshal(b, &plain) != nil {
		return out
	}
	walk(plain)
	return out
}
