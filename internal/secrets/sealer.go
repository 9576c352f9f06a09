package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The encryption context every data key is wrapped under. KMS key policies can match on these entries.
const (
	ContextConnectorID = "connector_id"
	ContextPurpose     = "purpose"
	PurposeConnector   = "connector-secret"
)

// EncryptionContext returns the encryption context the data key of connectorID's secret is wrapped under:
// {"connector_id": connectorID, "purpose": "connector-secret"}.
func EncryptionContext(connectorID string) map[string]string {
	return map[string]string{ContextConnectorID: connectorID, ContextPurpose: PurposeConnector}
}

// Sealer seals, opens and rewraps connector secrets in the envelope format of Envelope. It is safe for
// concurrent use when its KeyWrapper is.
type Sealer struct {
	w sspm.KeyWrapper
}

// NewSealer returns a Sealer that wraps data keys with w.
func NewSealer(w sspm.KeyWrapper) *Sealer {
	return &Sealer{w: w}
}

// Seal encrypts plaintext for connectorID under a fresh data key and returns the envelope. Sealing the same
// plaintext twice gives different ciphertexts.
func (s *Sealer) Seal(ctx context.Context, connectorID string, plaintext []byte) ([]byte, error) {
	if connectorID == "" {
		return nil, errors.New("seal secret: empty connector id")
	}
	keyID := s.w.KeyID()
	dataKey, wrapped, err := s.w.GenerateDataKey(ctx, EncryptionContext(connectorID))
	defer clear(dataKey)
	if err != nil {
		return nil, fmt.Errorf("seal secret: %w", err)
	}
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, fmt.Errorf("seal secret: data key: %w", err)
	}
	sealed := aead.Seal(nil, nil, plaintext, sealAAD(connectorID))
	b, err := Envelope{KeyID: keyID, WrappedKey: wrapped, Sealed: sealed}.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("seal secret: %w", err)
	}
	return b, nil
}

// Open decrypts a ciphertext that Seal or Rewrap returned for connectorID. A ciphertext that is malformed,
// tampered with, sealed for another connector, or whose key refuses it yields an error wrapping ErrCannotOpen;
// other wrapper failures (network, throttling, permissions) are returned wrapped as they are.
func (s *Sealer) Open(ctx context.Context, connectorID string, ciphertext []byte) ([]byte, error) {
	if connectorID == "" {
		return nil, errors.New("open secret: empty connector id")
	}
	env, err := ParseEnvelope(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", err)
	}
	dataKey, err := s.w.Unwrap(ctx, env.KeyID, env.WrappedKey, EncryptionContext(connectorID))
	defer clear(dataKey)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", asCannotOpen(err))
	}
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, fmt.Errorf("open secret: data key: %w", err)
	}
	plaintext, err := aead.Open(nil, nil, env.Sealed, sealAAD(connectorID))
	if err != nil {
		return nil, fmt.Errorf("open secret: %w: sealed secret does not authenticate", ErrCannotOpen)
	}
	return plaintext, nil
}

// Rewrap re-wraps the data key of connectorID's ciphertext under the wrapper's current key and returns the
// new envelope. The sealed secret is copied byte for byte, never decrypted or re-encrypted; Rewrap cannot
// authenticate it, so a tampered sealed secret passes Rewrap and fails at Open. Rewrap always asks the wrapper,
// even when the envelope names the current key id, because a key may rotate its material under the same id.
// Errors follow Open's rules.
func (s *Sealer) Rewrap(ctx context.Context, connectorID string, ciphertext []byte) ([]byte, error) {
	if connectorID == "" {
		return nil, errors.New("rewrap secret: empty connector id")
	}
	env, err := ParseEnvelope(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("rewrap secret: %w", err)
	}
	wrapped, keyID, err := s.w.Rewrap(ctx, env.KeyID, env.WrappedKey, EncryptionContext(connectorID))
	if err != nil {
		return nil, fmt.Errorf("rewrap secret: %w", asCannotOpen(err))
	}
	env.KeyID, env.WrappedKey = keyID, wrapped
	b, err := env.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("rewrap secret: %w", err)
	}
	return b, nil
}

// asCannotOpen marks a wrapper's refusal with ErrCannotOpen and returns other errors unchanged.
func asCannotOpen(err error) error {
	if refused(err) && !errors.Is(err, ErrCannotOpen) {
		return fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	return err
}

// newAEAD returns AES-256-GCM under key with random 96-bit nonces that Seal prepends to its output.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != dataKeyLen {
		return nil, fmt.Errorf("key of %d bytes, want %d", len(key), dataKeyLen)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}
