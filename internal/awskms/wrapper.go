// Package awskms adapts AWS KMS to sspm.KeyWrapper: data keys of connector secrets are generated, unwrapped
// and rewrapped by a KMS key, under the encryption context the caller gives. Package kmsfake serves a fake of
// the KMS API for tests.
package awskms

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

var _ sspm.KeyWrapper = (*Wrapper)(nil)

const dataKeyLen = 32

// Wrapper wraps data keys with one symmetric KMS key. It is safe for concurrent use.
//
// Error answers that mean the ciphertext itself is refused (InvalidCiphertextException, IncorrectKeyException,
// NotFoundException) are marked so that secrets.Sealer reports them as secrets.ErrCannotOpen; every other
// failure (disabled key, throttling, permissions, network) is returned as the SDK gave it, wrapped with the
// operation and key id. The SDK's errors carry no key material.
type Wrapper struct {
	client *kms.Client
	keyID  string
}

// New returns a Wrapper that generates and rewraps data keys with keyID. keyID should be a key ARN: KeyID
// reports it, envelopes record it, and Unwrap passes it back to KMS as Decrypt's KeyId, so a data key only
// ever opens with the key that wrapped it. An alias ("alias/name" or an alias ARN) works too, but names no
// fixed key, so data keys recorded under an alias are unwrapped without pinning KeyId (KMS reads the key from
// the ciphertext); Rewrap records the key ARN that KMS reports.
func New(client *kms.Client, keyID string) *Wrapper {
	return &Wrapper{client: client, keyID: keyID}
}

// KeyID returns the key id New was given.
func (w *Wrapper) KeyID() string {
	return w.keyID
}

// GenerateDataKey asks KMS for an AES-256 data key under encCtx (GenerateDataKey, KeySpec AES_256).
func (w *Wrapper) GenerateDataKey(ctx context.Context, encCtx map[string]string) (plaintext, wrapped []byte, err error) {
	out, err := w.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             aws.String(w.keyID),
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: encCtx,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("kms generate data key with %s: %w", w.keyID, err)
	}
	if len(out.Plaintext) != dataKeyLen || len(out.CiphertextBlob) == 0 {
		clear(out.Plaintext)
		return nil, nil, fmt.Errorf("kms generate data key with %s: got a %d-byte key and a %d-byte blob, want %d and more than 0",
			w.keyID, len(out.Plaintext), len(out.CiphertextBlob), dataKeyLen)
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// Unwrap decrypts a data key with KMS (Decrypt with KeyId and the encryption context).
func (w *Wrapper) Unwrap(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	out, err := w.client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    wrapped,
		KeyId:             pinned(keyID),
		EncryptionContext: encCtx,
	})
	if err != nil {
		return nil, fmt.Errorf("kms decrypt with %s: %w", keyID, markRefusal(err))
	}
	if len(out.Plaintext) != dataKeyLen {
		clear(out.Plaintext)
		return nil, fmt.Errorf("kms decrypt with %s: got a %d-byte data key, want %d", keyID, len(out.Plaintext), dataKeyLen)
	}
	return out.Plaintext, nil
}

// Rewrap re-encrypts a data key under the wrapper's key inside KMS (ReEncrypt with the same source and
// destination encryption context); the data key never leaves KMS. It returns the key ARN KMS reports.
func (w *Wrapper) Rewrap(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (newWrapped []byte, newKeyID string, err error) {
	out, err := w.client.ReEncrypt(ctx, &kms.ReEncryptInput{
		CiphertextBlob:               wrapped,
		SourceKeyId:                  pinned(keyID),
		SourceEncryptionContext:      encCtx,
		DestinationKeyId:             aws.String(w.keyID),
		DestinationEncryptionContext: encCtx,
	})
	if err != nil {
		return nil, "", fmt.Errorf("kms re-encrypt from %s to %s: %w", keyID, w.keyID, markRefusal(err))
	}
	if len(out.CiphertextBlob) == 0 {
		return nil, "", fmt.Errorf("kms re-encrypt from %s to %s: empty ciphertext blob", keyID, w.keyID)
	}
	newKeyID = aws.ToString(out.KeyId)
	if newKeyID == "" {
		newKeyID = w.keyID
	}
	return out.CiphertextBlob, newKeyID, nil
}

// pinned returns keyID for Decrypt's KeyId or ReEncrypt's SourceKeyId, or nil for an alias, which may point
// at another key by now.
func pinned(keyID string) *string {
	if strings.HasPrefix(keyID, "alias/") || strings.Contains(keyID, ":alias/") {
		return nil
	}
	return aws.String(keyID)
}
