// Package sqsfake is an in-process fake of the Amazon SQS JSON API (AWS JSON 1.0, "X-Amz-Target:
// AmazonSQS.<Operation>", the protocol the current aws-sdk-go-v2 SQS client speaks) for tests that drive the real
// client.
//
// It models standard queues: at-least-once delivery, visibility timeouts, receive counts, a fresh receipt handle
// per receive, and a redrive policy that moves a message to its dead-letter queue when a receive would exceed
// maxReceiveCount. Message bodies are checked for the characters SQS allows and answered with their MD5 digest,
// which the SDK verifies. Errors come in the AWS JSON shape {"__type": "com.amazonaws.sqs#QueueDoesNotExist",
// "message": "..."}.
//
// Operations: CreateQueue, GetQueueUrl, GetQueueAttributes, SendMessage, SendMessageBatch, ReceiveMessage,
// DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility and PurgeQueue. Requests must carry a SigV4
// Authorization header; the signature is not checked. FIFO queues, message attributes, delays and long polling
// (WaitTimeSeconds is accepted and answered at once) are not modelled.
package sqsfake

import (
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

// Server is a fake SQS served over HTTP on a loopback address, like httptest.Server. It is safe for concurrent
// use; all its state lives in the Server. FailNext("ReceiveMessage", ...) queues faults per operation.
type Server struct {
	*awsfake.JSON

	mu          sync.Mutex
	queues      map[string]*queue // by name
	receipts    map[string]receipt
	entryFaults map[string][]EntryFault
	now         func() time.Time
}

// NewServer starts a fake SQS with no queues. Close it when done.
func NewServer() *Server {
	s := &Server{
		queues:      map[string]*queue{},
		receipts:    map[string]receipt{},
		entryFaults: map[string][]EntryFault{},
		now:         time.Now,
	}
	s.JSON = awsfake.NewJSON(awsfake.JSONConfig{Name: "sqsfake", Version: "1.0", TargetPrefix: "AmazonSQS.", MaxBody: 4 << 20,
		ErrorPrefix: "com.amazonaws.sqs#", Lock: &s.mu})
	awsfake.Handle(s.JSON, "CreateQueue", s.createQueue)
	awsfake.Handle(s.JSON, "GetQueueUrl", s.getQueueURL)
	awsfake.Handle(s.JSON, "GetQueueAttributes", s.getQueueAttributes)
	awsfake.Handle(s.JSON, "PurgeQueue", s.purgeQueue)
	awsfake.Handle(s.JSON, "SendMessage", s.sendMessage)
	awsfake.Handle(s.JSON, "SendMessageBatch", s.sendMessageBatch)
	awsfake.Handle(s.JSON, "ReceiveMessage", s.receiveMessage)
	awsfake.Handle(s.JSON, "DeleteMessage", s.deleteMessage)
	awsfake.Handle(s.JSON, "DeleteMessageBatch", s.deleteMessageBatch)
	awsfake.Handle(s.JSON, "ChangeMessageVisibility", s.changeMessageVisibility)
	s.Start(s)
	return s
}

// SetClock replaces the clock that visibility timeouts are measured with (time.Now by default).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Client returns a real SQS client pointed at the server, with static credentials, region us-east-1 and retries
// off so that a test sees each answer as the server gave it. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.NewFromConfig(s.Config(), optFns...)
}

// EntryFault is the failure of one entry of a batch call, as SQS reports it in the answer's Failed list.
type EntryFault struct {
	Code        string // e.g. "InternalError"
	SenderFault bool
}

// FailNextEntries makes the next entries of the batch operation ("SendMessageBatch", "DeleteMessageBatch")
// fail with the given faults, one entry each, in the order entries arrive; the call itself succeeds.
func (s *Server) FailNextEntries(operation string, faults ...EntryFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entryFaults[operation] = append(s.entryFaults[operation], faults...)
}

// nextEntryFault takes the next queued fault of a batch operation. The caller holds s.mu.
func (s *Server) nextEntryFault(op string) (EntryFault, bool) {
	q := s.entryFaults[op]
	if len(q) == 0 {
		return EntryFault{}, false
	}
	s.entryFaults[op] = q[1:]
	return q[0], true
}
