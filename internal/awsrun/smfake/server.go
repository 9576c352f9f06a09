// Package smfake is an in-process fake of the AWS Secrets Manager GetSecretValue API (AWS JSON 1.1,
// "X-Amz-Target: secretsmanager.GetSecretValue") for tests that drive the real aws-sdk-go-v2 client: it serves
// the secret string of secrets the test puts, by name or ARN (AWSCURRENT only). Unknown secrets answer
// ResourceNotFoundException. Requests must carry a SigV4 Authorization header; the signature is not checked.
package smfake

import (
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

type secret struct {
	arn, name, value string
	created          time.Time
}

// Server is a fake Secrets Manager served over HTTP on a loopback address. It is safe for concurrent use.
type Server struct {
	*awsfake.JSON

	mu      sync.Mutex
	secrets map[string]*secret // by name and by ARN
	reads   int
}

// NewServer starts a fake with no secrets. Close it when done.
func NewServer() *Server {
	s := &Server{secrets: map[string]*secret{}}
	s.JSON = awsfake.NewJSON(awsfake.JSONConfig{Name: "smfake", Version: "1.1", TargetPrefix: "secretsmanager.", MaxBody: 1 << 16, Lock: &s.mu})
	awsfake.Handle(s.JSON, "GetSecretValue", s.getSecretValue)
	s.Start(s)
	return s
}

// Client returns a real Secrets Manager client pointed at the server, with static credentials, region us-east-1
// and retries off.
func (s *Server) Client(optFns ...func(*secretsmanager.Options)) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.Config(), optFns...)
}

// Put stores a secret string under name and returns the secret's ARN.
func (s *Server) Put(name, value string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := "arn:aws:secretsmanager:" + awsfake.Region + ":" + awsfake.Account + ":secret:" + name + "-AbCdEf"
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

type getSecretValueIn struct {
	SecretId     string
	VersionStage string
}

func (s *Server) getSecretValue(in getSecretValueIn) (any, *awsfake.Error) {
	s.reads++
	sec, ok := s.secrets[in.SecretId]
	if !ok || (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") {
		return nil, awsfake.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	return map[string]any{
		"ARN": sec.arn, "Name": sec.name, "SecretString": sec.value, "VersionId": "v1",
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": sec.created.Unix(),
	}, nil
}
