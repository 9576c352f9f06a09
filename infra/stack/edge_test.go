package stack

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestHTTPAPIRoutes(t *testing.T) {
	authorizer := logicalIDOf(t, "AWS::ApiGatewayV2::Authorizer", "HttpApiCognito")
	tests := []struct {
		give     string // route key
		wantAuth string
		wantFn   string
	}{
		{"POST " + routeHooks, "NONE", "WebhookFunction"},
		{"GET " + routeHooks, "NONE", "WebhookFunction"},
		{"ANY " + routeAPI, "JWT", "ApiFunction"},
		{"GET " + routeHealth, "NONE", "ApiFunction"},
	}
	integrations := resources("AWS::ApiGatewayV2::Integration")
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			var route map[string]any
			for _, r := range resources("AWS::ApiGatewayV2::Route") {
				if props(r)["RouteKey"] == tt.give {
					route = props(r)
				}
			}
			if route == nil {
				t.Fatalf("no route %q", tt.give)
			}
			if route["AuthorizationType"] != tt.wantAuth {
				t.Errorf("authorization %v, want %s", route["AuthorizationType"], tt.wantAuth)
			}
			if tt.wantAuth == "JWT" && !strings.Contains(asJSON(route["AuthorizerId"]), authorizer) {
				t.Errorf("authorizer %s, want %s", asJSON(route["AuthorizerId"]), authorizer)
			}
			target := asJSON(route["Target"])
			found := false
			for id, in := range integrations {
				if strings.Contains(target, `"`+id+`"`) {
					found = true
					if uri := asJSON(props(in)["IntegrationUri"]); !strings.Contains(uri, tt.wantFn) {
						t.Errorf("integration %s calls %s, want %s", id, uri, tt.wantFn)
					}
				}
			}
			if !found {
				t.Errorf("route target %s names no integration", target)
			}
		})
	}
	must(t, "JWT authorizer trusts the user pool and the SPA client", func() {
		template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{
			"AuthorizerType": "JWT",
			"JwtConfiguration": map[string]any{
				"Audience": []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^UsersSpa"))}},
				"Issuer":   assertions.Match_ObjectLike(&map[string]any{}),
			},
		})
	})
	must(t, "stage access logs and throttling", func() {
		template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":            "$default",
			"AccessLogSettings":    map[string]any{"DestinationArn": assertions.Match_AnyValue(), "Format": assertions.Match_StringLikeRegexp(jsii.String("requestId"))},
			"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
		})
	})
	must(t, "CORS only for the UI origin", func() {
		template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{
			"CorsConfiguration": map[string]any{
				"AllowOrigins": []any{map[string]any{"Fn::Join": assertions.Match_AnyValue()}},
			},
		})
	})
}

func TestCognito(t *testing.T) {
	must(t, "user pool", func() {
		template.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), map[string]any{
			"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true},
			"MfaConfiguration":      "ON",
			"EnabledMfas":           []string{"SOFTWARE_TOKEN_MFA"},
			"UserPoolTier":          "PLUS",
			"Policies": map[string]any{"PasswordPolicy": map[string]any{
				"MinimumLength": 14, "RequireLowercase": true, "RequireUppercase": true,
				"RequireNumbers": true, "RequireSymbols": true,
			}},
		})
	})
	for _, g := range []string{groupAdmin, groupViewer} {
		must(t, "group "+g, func() {
			template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolGroup"), map[string]any{"GroupName": g})
		})
	}
	must(t, "SPA client: public, SRP", func() {
		template.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
			"GenerateSecret":             false,
			"ExplicitAuthFlows":          assertions.Match_ArrayWith(&[]any{"ALLOW_USER_SRP_AUTH"}),
			"PreventUserExistenceErrors": "ENABLED",
		})
	})
}

func TestSite(t *testing.T) {
	must(t, "bucket", func() {
		template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"BucketEncryption":        assertions.Match_ObjectLike(&map[string]any{}),
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		})
	})
	must(t, "bucket enforces TLS", func() {
		template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				}),
			})},
		})
	})
	must(t, "distribution", func() {
		template.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"DefaultRootObject": "index.html",
				"CustomErrorResponses": []any{
					map[string]any{"ErrorCode": 403, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 0},
					map[string]any{"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html", "ErrorCachingMinTTL": 0},
				},
				"Origins": []any{assertions.Match_ObjectLike(&map[string]any{
					"OriginAccessControlId": map[string]any{"Fn::GetAtt": assertions.Match_AnyValue()},
				})},
				"DefaultCacheBehavior": assertions.Match_ObjectLike(&map[string]any{
					"ViewerProtocolPolicy":    "redirect-to-https",
					"ResponseHeadersPolicyId": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^UiSecurityHeaders"))},
				}),
			}),
		})
	})
	must(t, "security headers", func() {
		template.HasResourceProperties(jsii.String("AWS::CloudFront::ResponseHeadersPolicy"), map[string]any{
			"ResponseHeadersPolicyConfig": assertions.Match_ObjectLike(&map[string]any{
				"SecurityHeadersConfig": map[string]any{
					"StrictTransportSecurity": assertions.Match_ObjectLike(&map[string]any{"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": true}),
					"ContentSecurityPolicy":   assertions.Match_ObjectLike(&map[string]any{"ContentSecurityPolicy": assertions.Match_AnyValue()}),
					"FrameOptions":            map[string]any{"FrameOption": "DENY", "Override": true},
					"ContentTypeOptions":      map[string]any{"Override": true},
					"ReferrerPolicy":          map[string]any{"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": true},
				},
			}),
		})
	})
	must(t, "SPA files and config.json deployed", func() {
		template.HasResourceProperties(jsii.String("Custom::CDKBucketDeployment"), map[string]any{
			"SourceObjectKeys":  assertions.Match_AnyValue(),
			"DistributionPaths": []string{"/*"},
		})
	})
}

func TestOutputs(t *testing.T) {
	for _, name := range []string{"UiUrl", "ApiUrl", "WebhookBaseUrl", "UserPoolId", "UserPoolClientId", "FindingAlertsTopicArn"} {
		must(t, name, func() { template.HasOutput(jsii.String(name), map[string]any{}) })
	}
}
