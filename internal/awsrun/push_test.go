package awsrun_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// hookRequest is API Gateway's event for a request to the webhook route.
func hookRequest(method, path, auth, body string, base64Body bool) events.APIGatewayV2HTTPRequest {
	req := events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: method + " /hooks/{kind}/{connector}",
		RawPath:  path,
		Headers:  map[string]string{"content-type": "application/json", "host": "abc.execute-api.us-east-1.amazonaws.com"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			Stage: "$default",
			HTTP:  events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "203.0.113.9"},
		},
		Body: body,
	}
	if auth != "" {
		req.Headers["authorization"] = auth
	}
	if base64Body {
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
	}
	return req
}

// receive takes the queued messages from the fake SQS as the inbox function's event source would hand them over.
func (e *env) receive(t *testing.T) events.SQSEvent {
	t.Helper()
	out, err := e.sqs.Client().ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(e.queueURL),
		MaxNumberOfMessages:         10,
		VisibilityTimeout:           60,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes, EventSource: "aws:sqs",
		})
	}
	return ev
}

func (e *env) queued(t *testing.T) int {
	t.Helper()
	visible, inFlight, err := e.sqs.Depth(e.queueURL)
	if err != nil {
		t.Fatal(err)
	}
	return visible + inFlight
}

func TestWebhookVerifiesBeforeQueueing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		name       string
		give       events.APIGatewayV2HTTPRequest
		wantStatus int
		wantQueued int
	}{
		{"bad secret", hookRequest("POST", "/hooks/test/t1", "wrong", delivery("e1"), false), http.StatusUnauthorized, 0},
		{"no secret", hookRequest("POST", "/hooks/test/t1", "", delivery("e1"), false), http.StatusUnauthorized, 0},
		{"malformed", hookRequest("POST", "/hooks/test/t1", e.secret, `{"events":[{"id":`, false), http.StatusBadRequest, 0},
		{"oversized", hookRequest("POST", "/hooks/test/t1", e.secret, `{"pad":"`+strings.Repeat("x", 710<<10)+`"}`, false), http.StatusRequestEntityTooLarge, 0},
		{"unknown connector", hookRequest("POST", "/hooks/test/nope", e.secret, delivery("e1"), false), http.StatusUnauthorized, 0},
		{"wrong kind", hookRequest("POST", "/hooks/okta/t1", e.secret, delivery("e1"), false), http.StatusUnauthorized, 0},
		{"other path", hookRequest("POST", "/api/connectors", e.secret, delivery("e1"), false), http.StatusNotFound, 0},
		{"good", hookRequest("POST", "/hooks/test/t1", e.secret, delivery("e1"), false), http.StatusOK, 1},
		{"good, base64 body", hookRequest("POST", "/hooks/test/t1", e.secret, delivery("e2"), true), http.StatusOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.rt.Webhook(t.Context(), tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, resp.Body, tt.wantStatus)
			}
			if got := e.queued(t); got != tt.wantQueued {
				t.Fatalf("queued = %d, want %d", got, tt.wantQueued)
			}
		})
	}
}

func TestWebhookVerificationChallenge(t *testing.T) {
	t.Parallel()
	e := setup(t)
	req := hookRequest("GET", "/hooks/test/t1", e.secret, "", false)
	req.Headers["x-challenge"] = "abc"
	resp, err := e.rt.Webhook(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	_ = json.Unmarshal([]byte(resp.Body), &got)
	if resp.StatusCode != http.StatusOK || got["verification"] != "abc" || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("challenge answer: %+v", resp)
	}
	if e.queued(t) != 0 {
		t.Fatal("a challenge was queued")
	}
}

// TestPushStoredOnceThroughSQS follows deliveries from API Gateway through the webhook function, the SQS inbox
// and the inbox function into the events table: redelivered and duplicated events are stored once.
func TestPushStoredOnceThroughSQS(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	for i, body := range []string{delivery("e1", "e2"), delivery("e2", "e1"), delivery("e3")} {
		req := hookRequest("POST", "/hooks/test/t1", e.secret, body, false)
		req.Headers["x-delivery"] = fmt.Sprintf("d%d", i)
		resp, err := e.rt.Webhook(ctx, req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %d %v", resp.StatusCode, err)
		}
	}
	ev := e.receive(t)
	if len(ev.Records) != 3 {
		t.Fatalf("received %d records, want 3", len(ev.Records))
	}
	resp, err := e.rt.Inbox(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("inbox: %+v, %v", resp, err)
	}
	// The same batch again (SQS redelivers when a function times out before deleting): nothing new.
	if resp, err := e.rt.Inbox(ctx, ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("inbox redelivery: %+v, %v", resp, err)
	}
	n, err := e.rt.DB.CountEvents(ctx, "t1")
	if err != nil || n != 3 {
		t.Fatalf("events = %d (%v), want 3", n, err)
	}
	processed, failed, _, _ := e.rt.DB.InboxCounts(ctx, "t1")
	if processed != 3 || failed != 0 {
		t.Fatalf("inbox processed %d failed %d, want 3 and 0", processed, failed)
	}
	if total, sets := e.metrics.sum(t, "InboxFailures"); total != 0 || sets != 2 {
		t.Fatalf("InboxFailures = %v over %d sets, want 0 over 2", total, sets)
	}
}

func TestInboxReportsPartialBatchFailures(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	for _, body := range []string{delivery("ok1"), delivery("boom"), delivery("ok2")} {
		if resp, err := e.rt.Webhook(ctx, hookRequest("POST", "/hooks/test/t1", e.secret, body, false)); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %d %v", resp.StatusCode, err)
		}
	}
	ev := e.receive(t)
	// A record that is not a delivery at all is dropped, not retried: retrying cannot help.
	ev.Records = append(ev.Records, events.SQSMessage{MessageId: "junk", Body: "not json", Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	var boomID string
	for _, r := range ev.Records {
		if strings.Contains(r.Body, base64.StdEncoding.EncodeToString([]byte(delivery("boom")))) {
			boomID = r.MessageId
		}
	}
	resp, err := e.rt.Inbox(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != boomID || boomID == "" {
		t.Fatalf("batch item failures = %+v, want only %q", resp.BatchItemFailures, boomID)
	}
	wire, _ := json.Marshal(resp)
	if !strings.Contains(string(wire), `"batchItemFailures":[{"itemIdentifier":"`+boomID+`"}]`) {
		t.Fatalf("response on the wire: %s", wire)
	}
	if total, _ := e.metrics.sum(t, "InboxFailures"); total != 1 {
		t.Fatalf("InboxFailures = %v, want 1", total)
	}
	// The good deliveries' events are stored; the failed one's events are stored too (its refresh failed), and
	// its retry stores nothing twice.
	if n, _ := e.rt.DB.CountEvents(ctx, "t1"); n != 3 {
		t.Fatalf("events = %d, want 3", n)
	}
}

func TestInboxRefusesAnOldSchema(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.rt.DB.Pool().Exec(t.Context(), `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	_, err := e.rt.Inbox(t.Context(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: "{}"}}})
	if err == nil || !strings.Contains(err.Error(), "the migrate function has not run") {
		t.Fatalf("err = %v", err)
	}
}
