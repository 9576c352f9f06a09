package sqsfake_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/open-sspm/open-sspm/internal/awssqs/sqsfake"
)

func TestErrorsAreTypedForTheSDK(t *testing.T) {
	srv := sqsfake.NewServer()
	t.Cleanup(srv.Close)
	client := srv.Client()
	url, err := srv.CreateQueue("q", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	entries := func(n int) []types.SendMessageBatchRequestEntry {
		out := make([]types.SendMessageBatchRequestEntry, n)
		for i := range out {
			out[i] = types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String("x")}
		}
		return out
	}
	tests := []struct {
		name string
		call func() error
		want any
	}{
		{"unknown queue", func() error {
			_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(srv.URL + "/111122223333/nope"), MessageBody: aws.String("x")})
			return err
		}, new(*types.QueueDoesNotExist)},
		{"too many entries", func() error {
			_, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries(11)})
			return err
		}, new(*types.TooManyEntriesInBatchRequest)},
		{"duplicate ids", func() error {
			e := entries(2)
			e[1].Id = e[0].Id
			_, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: e})
			return err
		}, new(*types.BatchEntryIdsNotDistinct)},
		{"invalid characters", func() error {
			_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("\x01")})
			return err
		}, new(*types.InvalidMessageContents)},
		{"unknown receipt", func() error {
			_, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("nope")})
			return err
		}, new(*types.ReceiptHandleIsInvalid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !errors.As(err, tt.want) {
				t.Fatalf("err = %v, want %T", err, tt.want)
			}
		})
	}
}

func TestRedriveMovesAfterMaxReceiveCount(t *testing.T) {
	srv := sqsfake.NewServer()
	t.Cleanup(srv.Close)
	client := srv.Client()
	url, dlq, err := srv.CreateQueueWithDLQ("inbox", 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	receive := func() []types.Message {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 0,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		return out.Messages
	}
	for want := 1; want <= 2; want++ {
		msgs := receive()
		if len(msgs) != 1 || msgs[0].Attributes["ApproximateReceiveCount"] != fmt.Sprint(want) {
			t.Fatalf("receive %d: %+v", want, msgs)
		}
	}
	if msgs := receive(); len(msgs) != 0 {
		t.Fatalf("received past maxReceiveCount: %+v", msgs)
	}
	bodies, _ := srv.Bodies(dlq)
	if strings.Join(bodies, ",") != "poison" {
		t.Fatalf("dlq = %v", bodies)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlq), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Fatalf("dlq attributes = %v, %v", attrs, err)
	}
}

func TestUnsignedRequestsAreRefused(t *testing.T) {
	srv := sqsfake.NewServer()
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d", resp.StatusCode)
	}
}
