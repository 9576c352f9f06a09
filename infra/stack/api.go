package stack

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	apigw "github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Routes of the HTTP API.
const (
	routeHooks  = "/hooks/{kind}/{connector}"
	routeAPI    = "/api/{proxy+}"
	routeHealth = "/healthz"
)

// rateLimit is a throttle: steady requests a second and the burst above it.
type rateLimit struct{ rate, burst float64 }

// Throttles. API Gateway counts them per stage and route over all callers, so they bound what the functions
// behind (and Aurora) see, not what one caller may do; the WAF option adds a limit per client address.
var (
	// adminThrottle covers the admin API (and any route without its own): the SPA of a few administrators.
	adminThrottle = rateLimit{rate: 50, burst: 100}
	// hookThrottle covers each push route (POST deliveries, GET verifications): providers deliver one event
	// or a small batch per request, and an unauthenticated caller should not reach the admin API's share.
	hookThrottle = rateLimit{rate: 10, burst: 20}
	// healthThrottle covers GET /healthz (unauthenticated, read before sign-in).
	healthThrottle = rateLimit{rate: 5, burst: 10}
)

// routeThrottles returns the throttle of each route key of the HTTP API.
func routeThrottles() map[string]rateLimit {
	return map[string]rateLimit{
		"ANY " + routeAPI:    adminThrottle,
		"GET " + routeHealth: healthThrottle,
		"POST " + routeHooks: hookThrottle,
		"GET " + routeHooks:  hookThrottle,
	}
}

func throttle(l rateLimit) *apigw.CfnStage_RouteSettingsProperty {
	return &apigw.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit:  jsii.Number(l.rate),
		ThrottlingBurstLimit: jsii.Number(l.burst),
	}
}

// newHTTPAPI builds the HTTP API: the provider push endpoints without an authorizer (the webhook function
// verifies every delivery: Okta authorization secret, GitHub HMAC, Graph clientState; GET answers the Okta
// one-time verification), the admin API behind a Cognito JWT authorizer, and the api function's GET /healthz
// (database and schema status, no data) without one, as the SPA reads it before sign-in. Browsers call it from the UI
// origin only (CORS). The default stage writes JSON access logs and throttles each route on its own
// (routeThrottles): the unauthenticated push endpoints can no longer use up the admin API's share. With edge
// (the WAF option) the SPA calls the API through its own CloudFront distribution, so no CORS is configured.
func newHTTPAPI(scope constructs.Construct, s *site, a *auth, webhook, api awslambda.IFunction, edge bool) apigw.HttpApi {
	var cors *apigw.CorsPreflightOptions
	if !edge {
		cors = &apigw.CorsPreflightOptions{
			AllowOrigins: &[]*string{jsii.String("https://" + *s.distribution.DistributionDomainName())},
			AllowMethods: &[]apigw.CorsHttpMethod{
				apigw.CorsHttpMethod_GET, apigw.CorsHttpMethod_POST, apigw.CorsHttpMethod_PUT,
				apigw.CorsHttpMethod_PATCH, apigw.CorsHttpMethod_DELETE,
			},
			AllowHeaders: jsii.Strings("authorization", "content-type"),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	httpAPI := apigw.NewHttpApi(scope, jsii.String("HttpApi"), &apigw.HttpApiProps{
		ApiName:       awscdk.Aws_STACK_NAME(),
		Description:   jsii.String("Open-SSPM: provider push endpoints and the admin API"),
		CorsPreflight: cors,
	})
	routes := *httpAPI.AddRoutes(&apigw.AddRoutesOptions{
		Path:        jsii.String(routeHooks),
		Methods:     &[]apigw.HttpMethod{apigw.HttpMethod_POST, apigw.HttpMethod_GET},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Webhook"), webhook, nil),
	})
	authorizer := awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("Cognito"), a.pool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			UserPoolClients: &[]awscognito.IUserPoolClient{a.client},
		})
	apiIntegration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Api"), api, nil)
	routes = append(routes, *httpAPI.AddRoutes(&apigw.AddRoutesOptions{
		Path:        jsii.String(routeAPI),
		Methods:     &[]apigw.HttpMethod{apigw.HttpMethod_ANY},
		Integration: apiIntegration,
		Authorizer:  authorizer,
	})...)
	routes = append(routes, *httpAPI.AddRoutes(&apigw.AddRoutesOptions{
		Path:        jsii.String(routeHealth),
		Methods:     &[]apigw.HttpMethod{apigw.HttpMethod_GET},
		Integration: apiIntegration,
	})...)

	logs := awslogs.NewLogGroup(scope, jsii.String("HttpApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	format, err := json.Marshal(map[string]string{
		"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
		"requestTime": "$context.requestTime", "method": "$context.httpMethod",
		"routeKey": "$context.routeKey", "status": "$context.status",
		"responseLength": "$context.responseLength", "latency": "$context.responseLatency",
		"integrationError": "$context.integrationErrorMessage", "authorizerError": "$context.authorizer.error",
	})
	if err != nil {
		panic(err) // a constant map always marshals
	}
	stage := httpAPI.DefaultStage().Node().DefaultChild().(apigw.CfnStage)
	stage.SetAccessLogSettings(&apigw.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(string(format)),
	})
	stage.SetDefaultRouteSettings(throttle(adminThrottle))
	settings := map[string]any{}
	for key, limit := range routeThrottles() {
		// RouteSettings is untyped JSON: CloudFormation's own property names, not the struct's.
		settings[key] = map[string]any{"ThrottlingRateLimit": limit.rate, "ThrottlingBurstLimit": limit.burst}
	}
	stage.SetRouteSettings(settings)
	// Route settings name routes by key: the stage must come after them.
	for _, r := range routes {
		stage.Node().AddDependency(r)
	}
	return httpAPI
}
