// Package awssns sends finding alerts to an Amazon SNS topic: an alert.Notifier over the SNS Publish API.
//
// Each alert is one message: its body the alert's JSON (the same document a webhook receives), its subject a
// one-line summary, and message attributes that subscribers filter on (a subscription filter policy such as
// {"severity_rank": [{"numeric": [">=", 4]}]} takes high and critical only):
//
//	severity       String  info, low, medium, high, critical
//	severity_rank  Number  1 (info) to 5 (critical)
//	change         String  opened, reopened, escalated
//	kind           String  posture, identity, event
//	ruleset, rule, connector  String (when the finding has them)
//
// On a FIFO topic (an ARN ending in ".fifo") messages share one message group and are de-duplicated by alert id.
package awssns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/open-sspm/open-sspm/internal/alert"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// Publisher is the part of the SNS client the notifier uses (*sns.Client).
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Notifier publishes alerts to one topic. It needs sns:Publish on the topic (and kms:GenerateDataKey and
// kms:Decrypt on the topic's key when it is encrypted with a customer managed key).
type Notifier struct {
	client   Publisher
	topicARN string
}

// New returns a notifier publishing to topicARN.
func New(client Publisher, topicARN string) *Notifier {
	return &Notifier{client: client, topicARN: topicARN}
}

// Name is "sns" and the topic's name.
func (n *Notifier) Name() string { return "sns " + n.topicARN[strings.LastIndex(n.topicARN, ":")+1:] }

// Notify publishes a. Rejected requests (an invalid parameter, a topic that does not exist) are permanent
// failures; throttling, server and permission errors are worth retrying (a permission may be granted later).
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return alert.Permanent(fmt.Errorf("encode alert: %w", err))
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(n.topicARN),
		Message:           aws.String(string(body)),
		Subject:           aws.String(Subject(a)),
		MessageAttributes: Attributes(a),
	}
	if strings.HasSuffix(n.topicARN, ".fifo") {
		sum := sha256.Sum256([]byte(a.ID))
		in.MessageGroupId = aws.String("open-sspm-findings")
		in.MessageDeduplicationId = aws.String(hex.EncodeToString(sum[:]))
	}
	if _, err := n.client.Publish(ctx, in); err != nil {
		err = fmt.Errorf("%s: publish: %w", n.Name(), err)
		var notFound *types.NotFoundException
		var invalid *types.InvalidParameterException
		var invalidValue *types.InvalidParameterValueException
		if errors.As(err, &notFound) || errors.As(err, &invalid) || errors.As(err, &invalidValue) {
			return alert.Permanent(err)
		}
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorFault() == smithy.FaultClient && strings.HasPrefix(api.ErrorCode(), "InvalidParameter") {
			return alert.Permanent(err)
		}
		return err
	}
	return nil
}

// Subject is a message's subject: "Open-SSPM HIGH finding opened: <title>", printable ASCII (other characters
// become "?"), at most 100 characters, as SNS requires.
func Subject(a alert.Alert) string {
	s := fmt.Sprintf("Open-SSPM %s finding %s: %s", strings.ToUpper(a.Severity), a.Change, a.Title)
	b := make([]byte, 0, 100)
	for _, r := range s {
		if len(b) == 100 {
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b = append(b, ' ')
		case r >= 0x20 && r <= 0x7e:
			b = append(b, byte(r))
		default:
			b = append(b, '?')
		}
	}
	return strings.TrimSpace(string(b))
}

// Attributes are a message's attributes (see the package documentation).
func Attributes(a alert.Alert) map[string]types.MessageAttributeValue {
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	out := map[string]types.MessageAttributeValue{}
	for name, v := range map[string]string{
		"severity": a.Severity, "change": a.Change, "kind": a.Kind,
		"ruleset": a.RulesetKey, "rule": a.RuleKey, "connector": a.ConnectorID,
	} {
		if v != "" {
			out[name] = str(v)
		}
	}
	if rank := sspm.SeverityRank(a.Severity); rank > 0 {
		out["severity_rank"] = types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(rank))}
	}
	return out
}
