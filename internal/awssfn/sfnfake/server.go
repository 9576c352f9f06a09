// Package sfnfake is an in-process fake of the AWS Step Functions StartExecution API (AWS JSON 1.0,
// "X-Amz-Target: AWSStepFunctions.StartExecution") for tests that drive the real aws-sdk-go-v2 SFN client.
//
// It holds standard state machines and records their executions; nothing runs them. It models execution names
// as Step Functions does: a name is unique per state machine; starting a running execution again with the same
// name and input returns it (idempotent); any other reuse is refused with ExecutionAlreadyExists. Names must be
// 1-80 characters of letters, digits, dashes and underscores (InvalidName); input must be JSON
// (InvalidExecutionInput); unknown state machines answer StateMachineDoesNotExist. Requests must carry a SigV4
// Authorization header; the signature is not checked.
package sfnfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// The account and region of every state machine the fake holds.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

const (
	contentType  = "application/x-amz-json-1.0"
	targetPrefix = "AWSStepFunctions."
	arnPrefix    = "arn:aws:states:" + Region + ":" + Account + ":"
	maxBody      = 1 << 20
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// Execution is one started execution.
type Execution struct {
	ARN       string
	Name      string
	Input     string
	Status    string // RUNNING or SUCCEEDED
	StartDate time.Time
}

// Server is a fake Step Functions served over HTTP on a loopback address. It is safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, for sfn.Options.BaseEndpoint.
	URL string

	http *httptest.Server

	mu       sync.Mutex
	machines map[string][]*Execution // by state machine ARN
	faults   []apiError
	now      func() time.Time
}

// NewServer starts a fake with no state machines. Close it when done.
func NewServer() *Server {
	s := &Server{machines: map[string][]*Execution{}, now: time.Now}
	s.http = httptest.NewServer(s)
	s.URL = s.http.URL
	return s
}

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() { s.http.Close() }

// Client returns a real SFN client pointed at the server, with static credentials, region us-east-1 and retries
// off. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*sfn.Options)) *sfn.Client {
	return sfn.New(sfn.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSFNFAKE", "sfnfake-secret", ""),
		RetryMaxAttempts: 1,
	}, optFns...)
}

// CreateStateMachine adds a standard state machine named name and returns its ARN.
func (s *Server) CreateStateMachine(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := arnPrefix + "stateMachine:" + name
	if _, ok := s.machines[arn]; !ok {
		s.machines[arn] = nil
	}
	return arn
}

// Executions returns the executions of a state machine, oldest first.
func (s *Server) Executions(stateMachineARN string) []Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Execution, 0, len(s.machines[stateMachineARN]))
	for _, e := range s.machines[stateMachineARN] {
		out = append(out, *e)
	}
	return out
}

// Finish marks every running execution of a state machine SUCCEEDED.
func (s *Server) Finish(stateMachineARN string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.machines[stateMachineARN] {
		e.Status = "SUCCEEDED"
	}
}

// FailNext makes the next StartExecution answer with HTTP status and the error errorType.
func (s *Server) FailNext(status int, errorType, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, apiError{status: status, typ: errorType, msg: message})
}

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
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out any
	var aerr *apiError
	switch op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix); {
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		aerr = &apiError{status: http.StatusBadRequest, typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"}
	case err != nil || len(body) > maxBody:
		aerr = errorf("SerializationException", "cannot read the request body")
	case r.Method != http.MethodPost || !ok || op != "StartExecution" || !strings.HasPrefix(r.Header.Get("Content-Type"), contentType):
		aerr = errorf("UnknownOperationException", "sfnfake serves only POST / with X-Amz-Target %sStartExecution", targetPrefix)
	case len(s.faults) > 0:
		aerr, s.faults = &s.faults[0], s.faults[1:]
	default:
		out, aerr = s.startExecution(body)
	}
	w.Header().Set("Content-Type", contentType)
	if aerr != nil {
		w.WriteHeader(aerr.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": aerr.typ, "message": aerr.msg})
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

type startIn struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Input           string `json:"input"`
}

func (s *Server) startExecution(body []byte) (any, *apiError) {
	var in startIn
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, errorf("SerializationException", "malformed request body: %v", err)
	}
	execs, ok := s.machines[in.StateMachineArn]
	if !ok {
		return nil, errorf("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", in.StateMachineArn)
	}
	if in.Name == "" {
		in.Name = fmt.Sprintf("auto-%d", len(execs)+1)
	}
	if !namePattern.MatchString(in.Name) {
		return nil, errorf("InvalidName", "Invalid Name: '%s'", in.Name)
	}
	if in.Input == "" {
		in.Input = "{}"
	}
	if !json.Valid([]byte(in.Input)) {
		return nil, errorf("InvalidExecutionInput", "Invalid State Machine Execution Input: not JSON")
	}
	for _, e := range execs {
		if e.Name != in.Name {
			continue
		}
		if e.Status == "RUNNING" && e.Input == in.Input {
			return startOut(e), nil
		}
		return nil, errorf("ExecutionAlreadyExists", "Execution Already Exists: '%s'", e.ARN)
	}
	machine := strings.TrimPrefix(in.StateMachineArn, arnPrefix+"stateMachine:")
	e := &Execution{ARN: arnPrefix + "execution:" + machine + ":" + in.Name, Name: in.Name, Input: in.Input, Status: "RUNNING", StartDate: s.now()}
	s.machines[in.StateMachineArn] = append(execs, e)
	return startOut(e), nil
}

func startOut(e *Execution) map[string]any {
	return map[string]any{"executionArn": e.ARN, "startDate": float64(e.StartDate.UnixMilli()) / 1000}
}
