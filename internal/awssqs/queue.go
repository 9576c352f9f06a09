// Package awssqs adapts an Amazon SQS standard queue to sspm.Queue: the inbox between the webhook and the inbox
// lane on AWS. The queue's redrive policy (maxReceiveCount, DLQ) is the dead state; it is set where the queue is
// created (the CDK stack), not here. Package sqsfake serves a fake of the SQS API for tests.
package awssqs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

var _ sspm.Queue = (*Queue)(nil)

const (
	// maxBatch is SQS's limit of entries per batch call and of messages per receive.
	maxBatch = 10
	// maxBatchBytes caps the bodies of one SendMessageBatch call. SQS allows 1 MiB per batch on queues with the
	// 1 MiB MaximumMessageSize; 256 KiB keeps batches within the limit of queues created with the older default.
	maxBatchBytes = 256 << 10
	// sendAttempts is how often an entry SQS failed on its side (SenderFault false) is sent.
	sendAttempts  = 3
	maxVisibility = 12 * time.Hour
)

// Queue is one SQS standard queue. It is safe for concurrent use.
type Queue struct {
	client *sqs.Client
	url    string
}

// New returns the queue at queueURL.
func New(client *sqs.Client, queueURL string) *Queue {
	return &Queue{client: client, url: queueURL}
}

// URL returns the queue's URL.
func (q *Queue) URL() string { return q.url }

// Send queues bodies with SendMessageBatch, up to ten messages and 256 KiB a call. Entries SQS failed on its
// side are sent again (three attempts in all); Send returns an error naming every body that was not queued and
// why. Bodies already queued stay queued: a caller that retries after an error may queue some twice, which the
// at-least-once contract allows.
func (q *Queue) Send(ctx context.Context, bodies ...[]byte) error {
	var errs []error
	for _, chunk := range chunks(bodies) {
		if err := q.sendChunk(ctx, chunk); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// entry is a body to send with its index among Send's bodies (the batch entry id).
type entry struct {
	index int
	body  []byte
}

// chunks splits bodies into batches of at most maxBatch entries and maxBatchBytes bytes; a body larger than
// maxBatchBytes gets a batch of its own (SQS refuses it if it exceeds the queue's MaximumMessageSize).
func chunks(bodies [][]byte) [][]entry {
	var out [][]entry
	var cur []entry
	size := 0
	for i, b := range bodies {
		if len(cur) == maxBatch || (len(cur) > 0 && size+len(b) > maxBatchBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, entry{index: i, body: b})
		size += len(b)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (q *Queue) sendChunk(ctx context.Context, pending []entry) error {
	var failed []string
	for attempt := 1; len(pending) > 0; attempt++ {
		byID := make(map[string]entry, len(pending))
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url)}
		for _, e := range pending {
			id := strconv.Itoa(e.index)
			byID[id] = e
			in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(string(e.body))})
		}
		out, err := q.client.SendMessageBatch(ctx, in)
		if err != nil {
			return fmt.Errorf("sqs send %d messages: %w", len(pending), err)
		}
		var retry []entry
		for _, f := range out.Failed {
			e, ok := byID[aws.ToString(f.Id)]
			if !ok {
				continue
			}
			if !f.SenderFault && attempt < sendAttempts {
				retry = append(retry, e)
				continue
			}
			failed = append(failed, fmt.Sprintf("message %d: %s: %s", e.index, aws.ToString(f.Code), aws.ToString(f.Message)))
		}
		pending = retry
	}
	if len(failed) > 0 {
		return fmt.Errorf("sqs send: %d not queued: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// Receive takes up to n (at most ten) visible messages, hiding them for visibility, rounded up to whole
// seconds (at least one). It does not wait for messages to arrive (short polling): an empty answer does not
// prove the queue empty. Message.Attempts is SQS's ApproximateReceiveCount; Message.Receipt is the receipt
// handle of this receive.
func (q *Queue) Receive(ctx context.Context, n int, visibility time.Duration) ([]sspm.Message, error) {
	if n < 1 {
		return nil, nil
	}
	out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(q.url),
		MaxNumberOfMessages:         int32(min(n, maxBatch)),
		VisibilityTimeout:           seconds(visibility, 1),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		return nil, fmt.Errorf("sqs receive: %w", err)
	}
	msgs := make([]sspm.Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		attempts, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		msgs = append(msgs, sspm.Message{
			ID:       aws.ToString(m.MessageId),
			Body:     []byte(aws.ToString(m.Body)),
			Attempts: max(attempts, 1),
			Receipt:  aws.ToString(m.ReceiptHandle),
		})
	}
	return msgs, nil
}

// Ack deletes received messages with DeleteMessageBatch, ten a call. A receipt SQS no longer knows
// (ReceiptHandleIsInvalid: the message is gone) is not an error; any other refused entry is.
func (q *Queue) Ack(ctx context.Context, receipts ...string) error {
	var errs []error
	for start := 0; start < len(receipts); start += maxBatch {
		batch := receipts[start:min(start+maxBatch, len(receipts))]
		in := &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(q.url)}
		for i, r := range batch {
			in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(start + i)), ReceiptHandle: aws.String(r)})
		}
		out, err := q.client.DeleteMessageBatch(ctx, in)
		if err != nil {
			errs = append(errs, fmt.Errorf("sqs delete %d messages: %w", len(batch), err))
			continue
		}
		for _, f := range out.Failed {
			if aws.ToString(f.Code) == "ReceiptHandleIsInvalid" {
				continue
			}
			errs = append(errs, fmt.Errorf("sqs delete message %s: %s: %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}

// Nack makes a received message visible again after retryAfter (ChangeMessageVisibility, whole seconds, up to
// 12 hours). SQS keeps no reason: the inbox table records why a delivery failed. After the queue's
// maxReceiveCount receives, SQS moves the message to the DLQ on its next receive.
func (q *Queue) Nack(ctx context.Context, receipt string, retryAfter time.Duration, reason string) error {
	_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(q.url),
		ReceiptHandle:     aws.String(receipt),
		VisibilityTimeout: seconds(retryAfter, 0),
	})
	if err != nil {
		return fmt.Errorf("sqs change message visibility: %w", err)
	}
	return nil
}

// seconds rounds d up to whole seconds, at least floor and at most 12 hours.
func seconds(d time.Duration, floor int32) int32 {
	d = min(max(d, 0), maxVisibility)
	return max(int32(math.Ceil(d.Seconds())), floor)
}
