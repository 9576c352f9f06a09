// Package smfake is an in-process fake of the AWS Secrets Manager GetSecretValue API (AWS JSON 1.1,
// "X-Amz-Target: secretsmanager.GetSecretValue") for tests that drive the real aws-sdk-go-v2 client: it serves
// the secret string of secrets the test puts, by name or ARN (AWSCURRENT only). Unknown secrets answer
// ResourceNotFoundException. Requests must carry a SigV4 Authorization header; the signature is not checked.
package smfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The account and region of every secret the fake holds.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

const contentType = "application/x-amz-json-1.1"

type secret struct {
	arn, name, value string
	created          time.Time
}

// Server is a fake Secrets Manager served over HTTP on a loopback address. It is safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, for secretsmanager.Options.BaseEndpoint.
	URL string

	http *httptest.Server

	mu      sync.Mutex
	secrets map[string]*secret // by name and by ARN
	reads   int
}

// NewServer starts a fake with no secrets. Close it when done.
func NewServer() *Server {
	s := &Server{secrets: map[string]*secret{}}
	s.http = httptest.NewServer(s)
	s.URL = s.http.URL
	return s
}

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() { s.http.Close() }

// Client returns a real Secrets Manager client pointed at the server, with static credentials, region us-east-1
// and retries off.
func (s *Server) Client(optFns ...func(*secretsmanager.Options)) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		BaseEndpoint:     aws.String(s.URL),
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDSMFAKE", "smfake-secret", ""),
		RetryMaxAttempts: 1,
	}, optFns...)
}

// Put stores a secret string under name and returns the secret's ARN.
func (s *Server) Put(name, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := "arn:aws:secretsmanager:" + Region + ":" + Account + ":secret:" + name + "-AbCdEf"
	sec := &secret{arn: arn, name: name, value: value, created: time.Now()}
	s.secrets[name], s.secrets[arn] = sec, sec
	return arn
}

// Reads counts the GetSecretValue calls answered so far.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// ServeHTTP answers one GetSecretValue request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", contentType)
	fail := func(status int, typ, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": msg})
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		fail(http.StatusBadRequest, "UnknownOperationException", "smfake serves only secretsmanager.GetSecretValue")
		return
	}
	var in struct {
		SecretId     string
		VersionStage string
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err := json.Unmarshal(body, &in); err != nil {
		fail(http.StatusBadRequest, "SerializationException", "malformed request body")
		return
	}
	s.mu.Lock()
	sec, ok := s.secrets[in.SecretId]
	s.reads++
	s.mu.Unlock()
	if !ok || (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") {
		fail(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN": sec.arn, "Name": sec.name, "SecretString": sec.value, "VersionId": "v1",
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": sec.created.Unix(),
	})
}
