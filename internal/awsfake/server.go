// Package awsfake is what the in-process fakes of AWS APIs (kmsfake, sqsfake, sfnfake, smfake, lambdafake,
// snsfake) share: a loopback HTTP server with a client configuration pointed at it, a queue of injected faults,
// a request counter, the AWS error answer, and a front for APIs in the AWS JSON protocol (JSON 1.0 and 1.1,
// "X-Amz-Target: <Service>.<Operation>") that dispatches operations to typed handlers.
package awsfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The account and region of everything the fakes hold.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

// Error is an AWS error answer: the HTTP status, the error type (or, in the query protocol, code) and message.
type Error struct {
	Status  int
	Type    string
	Message string
}

// Errorf returns an error of type typ answered with HTTP status 400.
func Errorf(typ, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Signed reports whether r carries a SigV4 Authorization header. The fakes do not check the signature.
func Signed(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
}

// Server is the base of a fake: an HTTP server on a loopback address, like httptest.Server, with the faults
// queued for it and a count of the requests it answered. It is safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, for the client's Options.BaseEndpoint.
	URL string

	http *httptest.Server

	mu       sync.Mutex
	faults   map[string][]Error
	requests int
}

// Start serves h, the fake, on a loopback address and sets URL.
func (s *Server) Start(h http.Handler) {
	s.http = httptest.NewServer(h)
	s.URL = s.http.URL
}

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() { s.http.Close() }

// Config returns the configuration of a real client pointed at the server: static credentials, region us-east-1
// and retries off, so that a test sees each answer as the server gave it.
func (s *Server) Config() aws.Config {
	return aws.Config{
		BaseEndpoint:     aws.String(s.URL),
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDAWSFAKE", "awsfake-secret", ""),
		RetryMaxAttempts: 1,
	}
}

// FailNext makes the next call of key — an operation, such as "Decrypt", or for Lambda a function name —
// answer with HTTP status and the error errorType ("ThrottlingException") and message, instead of running.
// Calls queue up per key.
func (s *Server) FailNext(key string, status int, errorType, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = map[string][]Error{}
	}
	s.faults[key] = append(s.faults[key], Error{Status: status, Type: errorType, Message: message})
}

// TakeFault takes the next fault queued for key, or returns nil when none is.
func (s *Server) TakeFault(key string) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[key]
	if len(q) == 0 {
		return nil
	}
	s.faults[key] = q[1:]
	return &q[0]
}

// CountRequest counts one more request and returns its number, from 1.
func (s *Server) CountRequest() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	return s.requests
}
