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
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

// Server is a fake KMS served over HTTP on a loopback address, like httptest.Server. It is safe for
// concurrent use; all its state lives in the Server. FailNext("Decrypt", ...) queues faults per operation.
type Server struct {
	*awsfake.JSON

	mu      sync.Mutex
	keys    map[string]*key   // by bare key id
	aliases map[string]string // alias name ("alias/x") to bare key id
}

// NewServer starts a fake KMS with no keys. Close it when done.
func NewServer() *Server {
	s := &Server{keys: map[string]*key{}, aliases: map[string]string{}}
	s.JSON = awsfake.NewJSON(awsfake.JSONConfig{Name: "kmsfake", Version: "1.1", TargetPrefix: "TrentService.", MaxBody: 1 << 20, Lock: &s.mu})
	awsfake.Handle(s.JSON, "CreateKey", s.createKey)
	awsfake.Handle(s.JSON, "DescribeKey", s.describeKey)
	awsfake.Handle(s.JSON, "CreateAlias", s.createAlias)
	awsfake.Handle(s.JSON, "UpdateAlias", s.updateAlias)
	awsfake.Handle(s.JSON, "EnableKey", s.enableKey)
	awsfake.Handle(s.JSON, "DisableKey", s.disableKey)
	awsfake.Handle(s.JSON, "RotateKeyOnDemand", s.rotateKeyOnDemand)
	awsfake.Handle(s.JSON, "GenerateDataKey", s.generateDataKey)
	awsfake.Handle(s.JSON, "Encrypt", s.encrypt)
	awsfake.Handle(s.JSON, "Decrypt", s.decrypt)
	awsfake.Handle(s.JSON, "ReEncrypt", s.reEncrypt)
	s.Start(s)
	return s
}

// Client returns a real KMS client pointed at the server, with static credentials, region us-east-1 and
// retries off so that a test sees each answer as the server gave it. optFns adjust the options further.
func (s *Server) Client(optFns ...func(*kms.Options)) *kms.Client {
	return kms.NewFromConfig(s.Config(), optFns...)
}
