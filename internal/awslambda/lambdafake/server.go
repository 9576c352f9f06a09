// Package lambdafake is an in-process fake of the AWS Lambda Invoke API (REST-JSON: POST
// /2015-03-31/functions/{FunctionName}/invocations) for tests that drive the real aws-sdk-go-v2 Lambda client.
//
// It holds named functions and records every accepted invocation. An Event (asynchronous) invoke is recorded and
// answered 202 at once; nothing runs it. A RequestResponse invoke runs the function's handler, when the test set
// one, and answers its payload (a handler error comes back as a function error, X-Amz-Function-Error:
// Unhandled). A DryRun is answered 204. Function names may be given as a name, a partial ARN or a full ARN,
// with or without a qualifier. Payloads over Lambda's limits (1 MiB for Event, 6 MiB otherwise) are refused with
// RequestTooLargeException; unknown functions with ResourceNotFoundException. Requests must carry a SigV4
// Authorization header; the signature is not checked.
package lambdafake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

const (
	pathPrefix      = "/2015-03-31/functions/"
	pathSuffix      = "/invocations"
	maxEventPayload = 1 << 20
	maxSyncPayload  = 6 << 20
)

// Handler runs a RequestResponse invocation: payload in, payload out.
type Handler func(ctx context.Context, payload []byte) ([]byte, error)

// Invocation is one accepted invoke.
type Invocation struct {
	Function string // the function's name
	Type     string // Event, RequestResponse or DryRun
	Payload  []byte
}

// Server is a fake Lambda served over HTTP on a loopback address, like httptest.Server. It is safe for
// concurrent use. FailNext(name, ...) makes the next invoke of the function named name fail instead of running.
type Server struct {
	awsfake.Server

	mu          sync.Mutex
	functions   map[string]Handler // by name; a nil handler answers "null"
	invocations []Invocation
}

// NewServer starts a fake Lambda with no functions. Close it when done.
func NewServer() *Server {
	s := &Server{functions: map[string]Handler{}}
	s.Start(s)
	return s
}

// Client returns a real Lambda client pointed at the server, with static credentials, region us-east-1 and
// retries off. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*lambda.Options)) *lambda.Client {
	return lambda.NewFromConfig(s.Config(), optFns...)
}

// CreateFunction adds a function named name whose RequestResponse invocations run h (nil answers "null"), and
// returns its ARN.
func (s *Server) CreateFunction(name string, h Handler) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.functions[name] = h
	return ARN(name)
}

// ARN returns the ARN the fake gives a function named name.
func ARN(name string) string {
	return "arn:aws:lambda:" + awsfake.Region + ":" + awsfake.Account + ":function:" + name
}

// Invocations returns the invocations accepted so far, oldest first; with names, only those of these functions.
func (s *Server) Invocations(names ...string) []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Invocation
	for _, inv := range s.invocations {
		if len(names) == 0 || slices.Contains(names, inv.Function) {
			out = append(out, inv)
		}
	}
	return out
}

// ServeHTTP answers one Invoke request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", "lambdafake")
	if !awsfake.Signed(r) {
		writeError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	escaped, ok := strings.CutPrefix(r.URL.EscapedPath(), pathPrefix)
	escaped, ok2 := strings.CutSuffix(escaped, pathSuffix)
	if r.Method != http.MethodPost || !ok || !ok2 || strings.Contains(escaped, "/") {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "lambdafake serves only POST "+pathPrefix+"{FunctionName}"+pathSuffix)
		return
	}
	ref, err := url.PathUnescape(escaped)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "malformed function name")
		return
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	limit := maxSyncPayload
	if typ == "Event" {
		limit = maxEventPayload
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "cannot read the payload")
		return
	}
	if len(payload) > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", fmt.Sprintf("Request must be smaller than %d bytes for the %s invocation type", limit, typ))
		return
	}
	if len(payload) > 0 && !json.Valid(payload) {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	name := functionName(ref)
	s.mu.Lock()
	h, known := s.functions[name]
	fault := s.TakeFault(name)
	if known && fault == nil && typ != "DryRun" {
		s.invocations = append(s.invocations, Invocation{Function: name, Type: typ, Payload: payload})
	}
	s.mu.Unlock()
	switch {
	case fault != nil:
		writeError(w, fault.Status, fault.Type, fault.Message)
	case !known:
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+ARN(name))
	case typ == "Event":
		w.WriteHeader(http.StatusAccepted)
	case typ == "DryRun":
		w.WriteHeader(http.StatusNoContent)
	case typ == "RequestResponse":
		s.run(w, r.Context(), h, payload)
	default:
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type "+typ)
	}
}

func (s *Server) run(w http.ResponseWriter, ctx context.Context, h Handler, payload []byte) {
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if h == nil {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("null"))
		return
	}
	out, err := h(ctx, payload)
	if err != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		out, _ = json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": "errorString"})
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// functionName reduces "name", "name:qualifier", "123:function:name[:q]" and full ARNs to the name.
func functionName(ref string) string {
	if _, after, ok := strings.Cut(ref, "function:"); ok {
		ref = after
	}
	name, _, _ := strings.Cut(ref, ":")
	return name
}

// writeError answers an error in Lambda's REST-JSON shape: the type in a header, the message in the body.
func writeError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": message})
}
