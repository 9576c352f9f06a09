package awsrun

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
)

// Webhook is the webhook function's handler: API Gateway's POST (and GET, for verification challenges)
// /hooks/{kind}/{connector}, served by the same http.Handler the local server mounts (api.Hooks). It verifies the
// delivery against the connector's webhook secret and queues it on the inbox queue; the only database access is
// reading the connector and its sealed webhook secret. Bodies are capped at WebhookMaxBody.
func (rt *Runtime) Webhook(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if rt.hooks == nil {
		return events.APIGatewayV2HTTPResponse{}, errors.New("webhook: INBOX_QUEUE_URL is not set for this function")
	}
	return serveHTTP(ctx, rt.hooks, req)
}

// API is the api function's handler: API Gateway requests served by internal/api.Server's handler (health
// today; the admin API grows there).
func (rt *Runtime) API(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return serveHTTP(ctx, rt.api, req)
}
