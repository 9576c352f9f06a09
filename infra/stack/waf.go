package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	cf "github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// WafStackID is the id of the stack that holds the web ACL (context openSspm:waf=true adds it to the app).
const WafStackID = "OpenSspmWaf"

// wafRateLimit is how many requests one client address may make in five minutes before the web ACL blocks it
// (about 6.7 a second: a provider's burst of deliveries fits, a flood does not).
const wafRateLimit = 2000

// NewWafStack builds the web ACL that the WAF option puts in front of the HTTP API: a CloudFront web ACL, which
// AWS requires to live in us-east-1 whatever the region of the main stack (HTTP APIs cannot take a web ACL of
// their own, so the WAF option serves the API through CloudFront). Rules: a rate limit per client address,
// Amazon's IP reputation list, the common rule set (its 8 KB body size rule only counts: provider deliveries
// are larger) and known bad inputs. Output WebAclArn is what context openSspm:wafWebAclArn takes.
func NewWafStack(scope constructs.Construct, id string, props *awscdk.StackProps) awscdk.Stack {
	p := awscdk.StackProps{}
	if props != nil {
		p = *props
	}
	if p.Env == nil {
		p.Env = &awscdk.Environment{}
	}
	p.Env.Region = jsii.String("us-east-1")
	if p.Description == nil {
		p.Description = jsii.String("Open-SSPM: web ACL in front of the HTTP API (CloudFront scope, us-east-1)")
	}
	stack := awscdk.NewStack(scope, &id, &p)
	visibility := func(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			MetricName:               jsii.String(name),
			SampledRequestsEnabled:   jsii.Bool(true),
		}
	}
	managed := func(priority float64, name string, overrides ...string) *awswafv2.CfnWebACL_RuleProperty {
		var ruleOverrides []any
		for _, o := range overrides {
			ruleOverrides = append(ruleOverrides, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name:        jsii.String(o),
				ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: map[string]any{}},
			})
		}
		group := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{VendorName: jsii.String("AWS"), Name: jsii.String(name)}
		if len(ruleOverrides) > 0 {
			group.RuleActionOverrides = &ruleOverrides
		}
		return &awswafv2.CfnWebACL_RuleProperty{
			Name:             jsii.String(name),
			Priority:         jsii.Number(priority),
			Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: group},
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			VisibilityConfig: visibility(name),
		}
	}
	acl := awswafv2.NewCfnWebACL(stack, jsii.String("WebAcl"), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("CLOUDFRONT"),
		Description:      jsii.String("Open-SSPM HTTP API: rate limit per client address and AWS managed rules"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		VisibilityConfig: visibility("OpenSspmWebAcl"),
		Rules: &[]any{
			&awswafv2.CfnWebACL_RuleProperty{
				Name:     jsii.String("RateLimitPerAddress"),
				Priority: jsii.Number(0),
				Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
					Limit: jsii.Number(wafRateLimit), AggregateKeyType: jsii.String("IP"), EvaluationWindowSec: jsii.Number(300),
				}},
				Action:           &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}},
				VisibilityConfig: visibility("RateLimitPerAddress"),
			},
			managed(1, "AWSManagedRulesAmazonIpReputationList"),
			managed(2, "AWSManagedRulesCommonRuleSet", "SizeRestrictions_BODY"),
			managed(3, "AWSManagedRulesKnownBadInputsRuleSet"),
		},
	})
	awscdk.NewCfnOutput(stack, jsii.String("WebAclArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("Pass to the OpenSspm stack: -c openSspm:wafWebAclArn=<this>"),
		Value:       acl.AttrArn(),
	})
	return stack
}

// addEdge serves the HTTP API through the UI's CloudFront distribution (paths /api/*, /hooks/*, /healthz),
// behind the web ACL of context openSspm:wafWebAclArn. Nothing is cached; every viewer header but Host goes to
// the API, and Authorization is in the cache key (which only lets CloudFront forward it: TTLs are 0).
func (b *builder) addEdge() {
	origin := awscloudfrontorigins.NewHttpOrigin(
		awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), b.api.ApiEndpoint(), nil)),
		&awscloudfrontorigins.HttpOriginProps{ProtocolPolicy: cf.OriginProtocolPolicy_HTTPS_ONLY})
	cache := cf.NewCachePolicy(b.stack, jsii.String("ApiEdgeCachePolicy"), &cf.CachePolicyProps{
		Comment:             jsii.String("Open-SSPM API through CloudFront: nothing cached, Authorization forwarded"),
		DefaultTtl:          awscdk.Duration_Seconds(jsii.Number(0)),
		MinTtl:              awscdk.Duration_Seconds(jsii.Number(0)),
		MaxTtl:              awscdk.Duration_Seconds(jsii.Number(1)),
		HeaderBehavior:      cf.CacheHeaderBehavior_AllowList(jsii.String("Authorization")),
		QueryStringBehavior: cf.CacheQueryStringBehavior_All(),
	})
	options := &cf.AddBehaviorOptions{
		AllowedMethods:       cf.AllowedMethods_ALLOW_ALL(),
		ViewerProtocolPolicy: cf.ViewerProtocolPolicy_HTTPS_ONLY,
		CachePolicy:          cache,
		OriginRequestPolicy:  cf.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
	}
	for _, path := range []string{"/api/*", "/hooks/*", routeHealth} {
		b.site.distribution.AddBehavior(jsii.String(path), origin, options)
	}
	dist := b.site.distribution.Node().DefaultChild().(cf.CfnDistribution)
	dist.AddPropertyOverride(jsii.String("DistributionConfig.WebACLId"), jsii.String(b.cfg.wafWebACLARN))
}

// WafEnabled reports whether context openSspm:waf asks for the OpenSspmWaf stack.
func WafEnabled(scope constructs.Construct) (bool, error) {
	v, err := boolValue(scope.Node().TryGetContext(jsii.String(CtxWAF)), false)
	if err != nil {
		return false, fmt.Errorf("%s: %w", CtxWAF, err)
	}
	return v, nil
}
