package stack

//lint:file-ignore SA1019 cxapi's synthesis messages moved to @aws-cdk/cloud-assembly-api, which has no Go binding yet.

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

const testWebACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/open-sspm/a1b2c3d4"

// TestWafOffByDefault: cdk.json's settings deploy no web ACL and serve the API from API Gateway alone.
func TestWafOffByDefault(t *testing.T) {
	must(t, "no web ACL", func() { template.ResourceCountIs(jsii.String("AWS::WAFv2::WebACL"), jsii.Number(0)) })
	for _, d := range resources("AWS::CloudFront::Distribution") {
		cfg := props(d)["DistributionConfig"].(map[string]any)
		if cfg["WebACLId"] != nil || cfg["CacheBehaviors"] != nil {
			t.Errorf("distribution %s: a web ACL or API behaviors without the WAF option", asJSON(cfg))
		}
	}
}

// TestWafOption synthesizes the app with the WAF option: the OpenSspmWaf stack's CloudFront web ACL (us-east-1)
// with a rate limit per address and AWS managed rules, and the main stack serving the HTTP API through the UI's
// distribution behind the given web ACL, with the outputs and the SPA on that address; cdk-nag stays clean.
func TestWafOption(t *testing.T) {
	ctx, err := ReadContext(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx[CtxWAF] = true
	ctx[CtxWAFWebACLARN] = testWebACL
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(t.TempDir(), "cdk.out"))})
	on, err := WafEnabled(app)
	if err != nil || !on {
		t.Fatalf("WafEnabled = %v, %v", on, err)
	}
	main := NewStack(app, "Test", &Props{LambdaDir: filepath.Join(t.TempDir(), "none"), FrontendDir: filepath.Join(t.TempDir(), "none")})
	waf := NewWafStack(app, WafStackID, nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Reports: jsii.Bool(false)}), nil)
	mainTmpl := assertions.Template_FromStack(main, nil)
	wafTmpl := assertions.Template_FromStack(waf, nil)

	if got := *waf.Region(); got != "us-east-1" {
		t.Errorf("web ACL stack in %s, want us-east-1 (CloudFront web ACLs live there)", got)
	}
	must(t, "web ACL", func() {
		wafTmpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), map[string]any{
			"Scope":         "CLOUDFRONT",
			"DefaultAction": map[string]any{"Allow": map[string]any{}},
			"Rules": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{
					"Name":      "RateLimitPerAddress",
					"Action":    map[string]any{"Block": map[string]any{}},
					"Statement": map[string]any{"RateBasedStatement": map[string]any{"Limit": wafRateLimit, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}},
				}),
				assertions.Match_ObjectLike(&map[string]any{"Name": "AWSManagedRulesAmazonIpReputationList"}),
				assertions.Match_ObjectLike(&map[string]any{"Name": "AWSManagedRulesCommonRuleSet"}),
				assertions.Match_ObjectLike(&map[string]any{"Name": "AWSManagedRulesKnownBadInputsRuleSet"}),
			}),
		})
	})
	must(t, "web ACL ARN output", func() { wafTmpl.HasOutput(jsii.String("WebAclArn"), map[string]any{}) })

	mt := *mainTmpl.ToJSON()
	var dist map[string]any
	for _, r := range mt["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == "AWS::CloudFront::Distribution" {
			dist = props(r)["DistributionConfig"].(map[string]any)
		}
	}
	if dist["WebACLId"] != testWebACL {
		t.Errorf("distribution WebACLId = %v, want %s", dist["WebACLId"], testWebACL)
	}
	behaviors := asJSON(dist["CacheBehaviors"])
	for _, path := range []string{`"/api/*"`, `"/hooks/*"`, `"/healthz"`} {
		if !strings.Contains(behaviors, path) {
			t.Errorf("no behavior for %s: %s", path, behaviors)
		}
	}
	if !strings.Contains(asJSON(dist["Origins"]), "HttpApi") {
		t.Errorf("no HTTP API origin: %s", asJSON(dist["Origins"]))
	}
	for _, out := range []string{"ApiUrl", "WebhookBaseUrl"} {
		v := asJSON(mt["Outputs"].(map[string]any)[out])
		if !strings.Contains(v, "DomainName") || strings.Contains(v, "execute-api") {
			t.Errorf("output %s = %s, want the distribution's address", out, v)
		}
	}
	if strings.Contains(asJSON(mt), `"CorsConfiguration"`) {
		t.Error("the API still configures CORS; the SPA calls it on its own origin")
	}
	for _, m := range *assertions.Annotations_FromStack(main).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("main stack: %s: %v", *m.Id, m.Entry.Data)
	}
	for _, m := range *assertions.Annotations_FromStack(waf).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("waf stack: %s: %v", *m.Id, m.Entry.Data)
	}
}
