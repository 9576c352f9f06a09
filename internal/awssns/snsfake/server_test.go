package snsfake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/open-sspm/open-sspm/internal/awssns/snsfake"
)

// Answers parse in the real SDK client: results, and errors as the SDK's typed errors.
func TestAnswersParseInTheSDK(t *testing.T) {
	srv := snsfake.NewServer()
	t.Cleanup(srv.Close)
	client := srv.Client()
	ctx := t.Context()
	created, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil || aws.ToString(created.TopicArn) != "arn:aws:sns:us-east-1:111122223333:alerts" {
		t.Fatalf("create topic: %+v %v", created, err)
	}
	out, err := client.Publish(ctx, &sns.PublishInput{TopicArn: created.TopicArn, Message: aws.String("hello"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("4")},
			"b": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2}},
		}})
	if err != nil || aws.ToString(out.MessageId) == "" {
		t.Fatalf("publish: %+v %v", out, err)
	}
	if m := srv.Messages(*created.TopicArn); len(m) != 1 || m[0].Message != "hello" || m[0].Attributes["n"].StringValue != "4" ||
		string(m[0].Attributes["b"].BinaryValue) != "\x01\x02" {
		t.Fatalf("messages %+v", m)
	}
	tests := []struct {
		name string
		in   *sns.PublishInput
		want any
		msg  string
	}{
		{"unknown topic", &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111122223333:nope"), Message: aws.String("x")},
			new(*types.NotFoundException), "Topic does not exist"},
		{"empty message", &sns.PublishInput{TopicArn: created.TopicArn, Message: aws.String("")},
			new(*types.InvalidParameterException), "Empty message"},
		{"subject with a line break", &sns.PublishInput{TopicArn: created.TopicArn, Message: aws.String("x"), Subject: aws.String("a\nb")},
			new(*types.InvalidParameterException), "Subject"},
		{"number attribute", &sns.PublishInput{TopicArn: created.TopicArn, Message: aws.String("x"),
			MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("four")}}},
			new(*types.InvalidParameterValueException), "number"},
		{"dedup id on a standard topic", &sns.PublishInput{TopicArn: created.TopicArn, Message: aws.String("x"), MessageDeduplicationId: aws.String("d")},
			new(*types.InvalidParameterException), "MessageDeduplicationId"},
	}
	for _, tt := range tests {
		_, err := client.Publish(ctx, tt.in)
		if err == nil || !errors.As(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want %T with %q", tt.name, err, tt.want, tt.msg)
		}
	}
	fifo := srv.CreateTopic("alerts.fifo")
	if _, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(fifo), Message: aws.String("x")}); !errors.As(err, new(*types.InvalidParameterException)) {
		t.Errorf("FIFO without a group: %v", err)
	}
}
