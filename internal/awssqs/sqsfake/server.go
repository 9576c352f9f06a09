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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// The account and region of every queue the fake holds.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

const (
	contentType  = "application/x-amz-json-1.0"
	targetPrefix = "AmazonSQS."
	errorPrefix  = "com.amazonaws.sqs#"
	maxBody      = 4 << 20
)

// Server is a fake SQS served over HTTP on a loopback address, like httptest.Server. It is safe for concurrent
// use; all its state lives in the Server.
type Server struct {
	// URL is the base URL of the server, for sqs.Options.BaseEndpoint.
	URL string

	http *httptest.Server

	mu          sync.Mutex
	queues      map[string]*queue // by name
	receipts    map[string]receipt
	faults      map[string][]apiError
	entryFaults map[string][]EntryFault
	now         func() time.Time
	seq         int
}

// NewServer starts a fake SQS with no queues. Close it when done.
func NewServer() *Server {
	s := &Server{
		queues:      map[string]*queue{},
		receipts:    map[string]receipt{},
		faults:      map[string][]apiError{},
		entryFaults: map[string][]EntryFault{},
		now:         time.Now,
	}
	s.http = httptest.NewServer(s)
	s.URL = s.http.URL
	return s
}

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() { s.http.Close() }

// SetClock replaces the clock that visibility timeouts are measured with (time.Now by default).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Client returns a real SQS client pointed at the server, with static credentials, region us-east-1 and retries
// off so that a test sees each answer as the server gave it. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.New(sqs.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSQSFAKE", "sqsfake-secret", ""),
		RetryMaxAttempts: 1,
	}, optFns...)
}

// FailNext makes the next call of operation (for example "ReceiveMessage") answer with HTTP status and the
// error errorType ("OverLimit") and message, instead of running. Calls queue up per operation.
func (s *Server) FailNext(operation string, status int, errorType, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[operation] = append(s.faults[operation], apiError{status: status, typ: errorType, msg: message})
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

// apiError is an error answer in the AWS JSON shape.
type apiError struct {
	status int
	typ    string
	msg    string
}

func errorf(typ, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: typ, msg: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one AWS JSON 1.0 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("sqsfake-%08d", s.seq))
	if readErr != nil || len(body) > maxBody {
		writeError(w, errorf("SerializationException", "cannot read the request body"))
		return
	}
	out, aerr := s.serve(r, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serve(r *http.Request, body []byte) (any, *apiError) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return nil, &apiError{status: http.StatusBadRequest, typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"}
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), contentType) {
		return nil, errorf("UnknownOperationException", "want POST / with X-Amz-Target %s<Operation> and Content-Type %s", targetPrefix, contentType)
	}
	if queued := s.faults[op]; len(queued) > 0 {
		s.faults[op] = queued[1:]
		return nil, &queued[0]
	}
	return s.dispatch(op, body)
}

func (s *Server) dispatch(op string, body []byte) (any, *apiError) {
	switch op {
	case "CreateQueue":
		return call(body, s.createQueue)
	case "GetQueueUrl":
		return call(body, s.getQueueURL)
	case "GetQueueAttributes":
		return call(body, s.getQueueAttributes)
	case "PurgeQueue":
		return call(body, s.purgeQueue)
	case "SendMessage":
		return call(body, s.sendMessage)
	case "SendMessageBatch":
		return call(body, s.sendMessageBatch)
	case "ReceiveMessage":
		return call(body, s.receiveMessage)
	case "DeleteMessage":
		return call(body, s.deleteMessage)
	case "DeleteMessageBatch":
		return call(body, s.deleteMessageBatch)
	case "ChangeMessageVisibility":
		return call(body, s.changeMessageVisibility)
	default:
		return nil, errorf("UnknownOperationException", "operation %q is not supported by sqsfake", op)
	}
}

// call decodes the JSON request body into In and runs op.
func call[In any](body []byte, op func(In) (any, *apiError)) (any, *apiError) {
	var in In
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, errorf("SerializationException", "malformed request body: %v", err)
		}
	}
	return op(in)
}

func writeError(w http.ResponseWriter, e *apiError) {
	typ := e.typ
	if !strings.Contains(typ, "#") && typ != "MissingAuthenticationTokenException" {
		typ = errorPrefix + typ
	}
	writeJSON(w, e.status, map[string]string{"__type": typ, "message": e.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"com.amazonaws.sqs#InternalError","message":"sqsfake cannot encode its answer"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
