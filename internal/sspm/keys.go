package sspm

import "context"

// KeyWrapper wraps and unwraps the data keys of envelope-encrypted secrets. AWS KMS and the local key
// (CONNECTOR_SECRET_KEY) implement it; both pass the conformance suite in internal/secrets/secretstest.
//
// The encryption context is authenticated: a data key wrapped under one context must fail to unwrap under
// any other. Implementations never log key material.
type KeyWrapper interface {
	// KeyID names the key new data keys are wrapped with (a KMS key ARN, or "local:<fingerprint>").
	KeyID() string
	// GenerateDataKey returns a fresh 32-byte data key and the same key wrapped under encCtx.
	GenerateDataKey(ctx context.Context, encCtx map[string]string) (plaintext, wrapped []byte, err error)
	// Unwrap returns the data key inside wrapped, which keyID wrapped under encCtx.
	Unwrap(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error)
	// Rewrap re-wraps a wrapped data key under the wrapper's current key without exposing it to the caller
	// where the backend allows (KMS ReEncrypt). It returns the new wrapped key and the new key id.
	Rewrap(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (newWrapped []byte, newKeyID string, err error)
}
