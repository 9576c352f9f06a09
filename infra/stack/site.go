package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	apigw "github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	cf "github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// site is the SPA's bucket and distribution.
type site struct {
	bucket       awss3.Bucket
	distribution cf.Distribution
	headers      cf.ResponseHeadersPolicy
}

// newSite builds the private UI bucket (S3-managed encryption, TLS only, versioned, no public access) and
// the CloudFront distribution that reads it through origin access control, with security headers, index.html
// as the root object and SPA routing (403/404 from S3 answer index.html with 200).
func newSite(scope constructs.Construct) *site {
	bucket := awss3.NewBucket(scope, jsii.String("UiBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
		}},
	})

	// The SPA calls the HTTP API (execute-api in this region) and Cognito's user pool API. The API's own
	// hostname cannot be named here: the API's CORS origin names this distribution, which uses this policy.
	csp := strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src 'self' https://*.execute-api." + *awscdk.Aws_REGION() + ".amazonaws.com https://cognito-idp." +
			*awscdk.Aws_REGION() + ".amazonaws.com",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
	headers := cf.NewResponseHeadersPolicy(scope, jsii.String("UiSecurityHeaders"), &cf.ResponseHeadersPolicyProps{
		Comment: jsii.String("Open-SSPM UI security headers"),
		SecurityHeadersBehavior: &cf.ResponseSecurityHeadersBehavior{
			StrictTransportSecurity: &cf.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)),
				IncludeSubdomains:   jsii.Bool(true),
				Override:            jsii.Bool(true),
			},
			ContentSecurityPolicy: &cf.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(csp),
				Override:              jsii.Bool(true),
			},
			FrameOptions: &cf.ResponseHeadersFrameOptions{
				FrameOption: cf.HeadersFrameOption_DENY,
				Override:    jsii.Bool(true),
			},
			ContentTypeOptions: &cf.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			ReferrerPolicy: &cf.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: cf.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
				Override:       jsii.Bool(true),
			},
		},
		CustomHeadersBehavior: &cf.ResponseCustomHeadersBehavior{
			CustomHeaders: &[]*cf.ResponseCustomHeader{{
				Header:   jsii.String("Permissions-Policy"),
				Value:    jsii.String("camera=(), microphone=(), geolocation=(), payment=()"),
				Override: jsii.Bool(true),
			}},
		},
	})
	spaFallback := func(status float64) *cf.ErrorResponse {
		return &cf.ErrorResponse{
			HttpStatus:         jsii.Number(status),
			ResponseHttpStatus: jsii.Number(200),
			ResponsePagePath:   jsii.String("/index.html"),
			Ttl:                awscdk.Duration_Seconds(jsii.Number(0)),
		}
	}
	distribution := cf.NewDistribution(scope, jsii.String("Ui"), &cf.DistributionProps{
		Comment: jsii.String("Open-SSPM UI"),
		DefaultBehavior: &cf.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy:  cf.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           cf.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
		},
		DefaultRootObject: jsii.String("index.html"),
		ErrorResponses:    &[]*cf.ErrorResponse{spaFallback(403), spaFallback(404)},
		HttpVersion:       cf.HttpVersion_HTTP2_AND_3,
		PriceClass:        cf.PriceClass_PRICE_CLASS_100,
	})
	return &site{bucket: bucket, distribution: distribution, headers: headers}
}

// deployFiles uploads the built SPA and a config.json to the bucket and invalidates the distribution.
// config.json is the SPA's runtime configuration on AWS: apiBaseUrl (the HTTP API's origin, to put before
// the same /api/... paths the SPA uses locally, where the base is empty), region, userPoolId and
// userPoolClientId (Cognito SRP sign-in; send the access token as "Authorization: Bearer").
//
// When the SPA is not built (no frontend/dist) it deploys nothing: the BucketDeployment construct would fail
// to synthesize without its source folder, and an infra-only synth (tests, CI) should not need a frontend
// build.
func (s *site) deployFiles(b *builder, api apigw.HttpApi, a *auth) {
	ok, err := dirExists(b.props.FrontendDir)
	if err != nil {
		awscdk.Annotations_Of(b.stack).AddError(jsii.String("frontend: " + err.Error()))
		return
	}
	if !ok {
		awscdk.Annotations_Of(b.stack).AddWarningV2(jsii.String("open-sspm:no-frontend"),
			jsii.String(b.props.FrontendDir+" is missing: the UI bucket gets no files; run `make frontend` before deploying"), nil)
		return
	}
	awss3deployment.NewBucketDeployment(b.stack, jsii.String("UiFiles"), &awss3deployment.BucketDeploymentProps{
		DestinationBucket: s.bucket,
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(b.props.FrontendDir), nil),
			awss3deployment.Source_JsonData(jsii.String("config.json"), map[string]any{
				"apiBaseUrl":       b.apiBaseURL(api),
				"region":           *awscdk.Aws_REGION(),
				"userPoolId":       *a.pool.UserPoolId(),
				"userPoolClientId": *a.client.UserPoolClientId(),
			}, nil),
		},
		Distribution:      s.distribution,
		DistributionPaths: jsii.Strings("/*"),
		Prune:             jsii.Bool(true),
		MemoryLimit:       jsii.Number(512),
	})
}

// apiBaseURL is where the SPA calls the API: the HTTP API, or with the WAF option the UI's own distribution.
func (b *builder) apiBaseURL(api apigw.HttpApi) string {
	if b.cfg.wafWebACLARN != "" {
		return "https://" + *b.site.distribution.DistributionDomainName()
	}
	return *api.ApiEndpoint()
}
