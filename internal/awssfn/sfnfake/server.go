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
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

const arnPrefix = "arn:aws:states:" + awsfake.Region + ":" + awsfake.Account + ":"

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
	*awsfake.JSON

	mu       sync.Mutex
	machines map[string][]*Execution // by state machine ARN
	now      func() time.Time
}

// NewServer starts a fake with no state machines. Close it when done.
func NewServer() *Server {
	s := &Server{machines: map[string][]*Execution{}, now: time.Now}
	s.JSON = awsfake.NewJSON(awsfake.JSONConfig{Name: "sfnfake", Version: "1.0", TargetPrefix: "AWSStepFunctions.", MaxBody: 1 << 20, Lock: &s.mu})
	awsfake.Handle(s.JSON, "StartExecution", s.startExecution)
	s.Start(s)
	return s
}

// Client returns a real SFN client pointed at the server, with static credentials, region us-east-1 and retries
// off. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*sfn.Options)) *sfn.Client {
	return sfn.NewFromConfig(s.Config(), optFns...)
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
	s.JSON.FailNext("StartExecution", status, errorType, message)
}

type startIn struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Input           string `json:"input"`
}

func (s *Server) startExecution(in startIn) (any, *awsfake.Error) {
	execs, ok := s.machines[in.StateMachineArn]
	if !ok {
		return nil, awsfake.Errorf("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", in.StateMachineArn)
	}
	if in.Name == "" {
		in.Name = fmt.Sprintf("auto-%d", len(execs)+1)
	}
	if !namePattern.MatchString(in.Name) {
		return nil, awsfake.Errorf("InvalidName", "Invalid Name: '%s'", in.Name)
	}
	if in.Input == "" {
		in.Input = "{}"
	}
	if !json.Valid([]byte(in.Input)) {
		return nil, awsfake.Errorf("InvalidExecutionInput", "Invalid State Machine Execution Input: not JSON")
	}
	for _, e := range execs {
		if e.Name != in.Name {
			continue
		}
		if e.Status == "RUNNING" && e.Input == in.Input {
			return startOut(e), nil
		}
		return nil, awsfake.Errorf("ExecutionAlreadyExists", "Execution Already Exists: '%s'", e.ARN)
	}
	machine := strings.TrimPrefix(in.StateMachineArn, arnPrefix+"stateMachine:")
	e := &Execution{ARN: arnPrefix + "execution:" + machine + ":" + in.Name, Name: in.Name, Input: in.Input, Status: "RUNNING", StartDate: s.now()}
	s.machines[in.StateMachineArn] = append(execs, e)
	return startOut(e), nil
}

func startOut(e *Execution) map[string]any {
	return map[string]any{"executionArn": e.ARN, "startDate": float64(e.StartDate.UnixMilli()) / 1000}
}
