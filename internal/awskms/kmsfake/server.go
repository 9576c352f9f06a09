// Package kmsfake is an in-process fake of the AWS KMS JSON API (AWS JSON 1.1, "X-Amz-Target:
// TrentService.<Operation>") for tests that drive the real aws-sdk-go-v2 KMS client.
//
// It holds any number of symmetric keys, each with one or more generations of key material, encrypts with
// real AES-256-GCM and binds every ciphertext to its key, key material and encryption context, so wrong keys,
// wrong contexts and tampered ciphertexts fail as they do in KMS. It answers errors in the AWS JSON error shape
// {"__type": "InvalidCiphertextException", "message": "..."}.
//
// Operations: CreateKey, DescribeKey, CreateAlias, UpdateAlias, EnableKey, DisableKey, RotateKeyOnDemand,
// GenerateDataKey, Encrypt, Decrypt and ReEncrypt. Requests must carry a SigV4 Authorization header; the
// signature is not checked. Key policies, grants and key deletion windows are not modelled.
package kmsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// The account and region of every key the fake holds.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

const (
	contentType  = "application/x-amz-json-1.1"
	targetPrefix = "TrentService."
	maxBody      = 1 << 20
)

// Server is a fake KMS served over HTTP on a loopback address, like httptest.Server. It is safe for
// concurrent use; all its state lives in the Server.
type Server struct {
	// URL is the base URL of the server, for kms.Options.BaseEndpoint.
	URL string

	http *httptest.Server

	mu        sync.Mutex
	keys      map[string]*key   // by bare key id
	aliases   map[string]string // alias name ("alias/x") to bare key id
	faults    map[string][]apiError
	requestID int
}

// NewServer starts a fake KMS with no keys. Close it when done.
func NewServer() *Server {
	s := &Server{
		keys:    map[string]*key{},
		aliases: map[string]string{},
		faults:  map[string][]apiError{},
	}
	s.http = httptest.NewServer(s)
	s.URL = s.http.URL
	return s
}

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() {
	s.http.Close()
}

// Client returns a real KMS client pointed at the server, with static credentials, region us-east-1 and
// retries off so that a test sees each answer as the server gave it. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*kms.Options)) *kms.Client {
	return kms.New(kms.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDKMSFAKE", "kmsfake-secret", ""),
		RetryMaxAttempts: 1,
	}, optFns...)
}

// FailNext makes the next call of operation (for example "Decrypt") answer with HTTP status and the error
// errorType ("ThrottlingException") and message, instead of running. Calls queue up per operation.
func (s *Server) FailNext(operation string, status int, errorType, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[operation] = append(s.faults[operation], apiError{status: status, typ: errorType, msg: message})
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

// ServeHTTP answers one AWS JSON 1.1 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requestID++
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("kmsfake-%08d", s.requestID))

	out, aerr := s.serve(r)
	if aerr != nil {
		writeJSON(w, aerr.status, map[string]string{"__type": aerr.typ, "message": aerr.msg})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serve(r *http.Request) (any, *apiError) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		return nil, &apiError{status: http.StatusBadRequest, typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"}
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok || !strings.HasPrefix(r.Header.Get("Content-Type"), contentType) {
		return nil, errorf("UnknownOperationException", "want POST / with X-Amz-Target %s<Operation> and Content-Type %s", targetPrefix, contentType)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return nil, errorf("SerializationException", "cannot read the request body")
	}
	if queued := s.faults[op]; len(queued) > 0 {
		s.faults[op] = queued[1:]
		return nil, &queued[0]
	}
	return s.dispatch(op, body)
}

func (s *Server) dispatch(op string, body []byte) (any, *apiError) {
	switch op {
	case "CreateKey":
		return call(body, s.createKey)
	case "DescribeKey":
		return call(body, s.describeKey)
	case "CreateAlias":
		return call(body, s.createAlias)
	case "UpdateAlias":
		return call(body, s.updateAlias)
	case "EnableKey":
		return call(body, s.enableKey)
	case "DisableKey":
		return call(body, s.disableKey)
	case "RotateKeyOnDemand":
		return call(body, s.rotateKeyOnDemand)
	case "GenerateDataKey":
		return call(body, s.generateDataKey)
	case "Encrypt":
		return call(body, s.encrypt)
	case "Decrypt":
		return call(body, s.decrypt)
	case "ReEncrypt":
		return call(body, s.reEncrypt)
	default:
		return nil, errorf("UnknownOperationException", "operation %q is not supported by kmsfake", op)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"KMSInternalException","message":"kmsfake cannot encode its answer"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
