package stack

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The full and tail functions, and no other, may assume exactly the AWS IAM Identity Center connectors' roles
// listed in the context; without the context no function may call sts:AssumeRole (the default stack).
func TestIdentityCenterRolesAssumedByFullAndTailOnly(t *testing.T) {
	const a, b = "arn:aws:iam::111111111111:role/OpenSSPMIdentityCenterReadOnly", "arn:aws:iam::222222222222:role/sso/ReadOnly"
	if got := allowed("sts:AssumeRole", ""); got != nil {
		t.Errorf("the default stack lets %v assume roles", got)
	}
	ctx := map[string]any{CtxAWSIdentityCenterRoleARNs: a + ", " + b}
	dir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(dir, "out"))})
	stack := NewStack(app, "IdentityCenter", &Props{LambdaDir: filepath.Join(dir, "none"), FrontendDir: filepath.Join(dir, "none")})
	res := (*assertions.Template_FromStack(stack, nil).ToJSON())["Resources"].(map[string]any)
	assumers := map[string][]string{} // role → role ARNs it may assume
	for _, r := range res {
		r := r.(map[string]any)
		if r["Type"] != "AWS::IAM::Policy" {
			continue
		}
		p := r["Properties"].(map[string]any)
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if slices.Contains(strs(st["Action"]), "sts:AssumeRole") {
				assumers[asJSON(p["Roles"])] = append(assumers[asJSON(p["Roles"])], strs(st["Resource"])...)
			}
		}
	}
	var names []string
	for roles, arns := range assumers {
		slices.Sort(arns)
		if !slices.Equal(arns, []string{a, b}) {
			t.Errorf("%s may assume %v, want exactly %v", roles, arns, []string{a, b})
		}
		for _, fn := range []string{fnFull, fnTail} {
			if strings.Contains(roles, `"`+spec(fn).id+"Role") {
				names = append(names, fn)
			}
		}
	}
	slices.Sort(names)
	if len(assumers) != 2 || !slices.Equal(names, []string{fnFull, fnTail}) {
		t.Fatalf("roles that may assume the Identity Center roles: %v; want the full and tail functions' only", assumers)
	}
}

func TestIdentityCenterRolesValidation(t *testing.T) {
	for _, bad := range []any{"arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:role/*", "not-an-arn", 42} {
		ctx := map[string]any{CtxAWSIdentityCenterRoleARNs: bad}
		if _, err := readConfig(awscdk.NewApp(&awscdk.AppProps{Context: &ctx})); err == nil || !strings.Contains(err.Error(), CtxAWSIdentityCenterRoleARNs) {
			t.Errorf("%v: err %v", bad, err)
		}
	}
	ctx := map[string]any{CtxAWSIdentityCenterRoleARNs: []any{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"}}
	cfg, err := readConfig(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}))
	if err != nil || cfg.identityCenterRoles != "arn:aws:iam::123456789012:role/a,arn:aws:iam::123456789012:role/b" {
		t.Fatalf("%v %v", cfg.identityCenterRoles, err)
	}
}
