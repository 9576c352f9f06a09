package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

// The encryption context every data key is wrapped under: the connector and the purpose of the secret. KMS key
// policies match on these entries (kms:EncryptionContext:purpose), so a function may be allowed to open one
// purpose and not the other.
const (
	ContextConnectorID = "connector_id"
	ContextPurpose     = "purpose"
)

// Purpose tells apart what a sealed secret is for.
type Purpose string

const (
	// PurposeProviderCredential: a connector's credential for its provider's API (the sync lanes open it).
	PurposeProviderCredential Purpose = "provider-credential"
	// PurposeWebhookVerification: a connector's webhook secret, which checks push deliveries (the webhook
	// function opens it, and only it).
	PurposeWebhookVerification Purpose = "webhook-verification"
	// PurposeLegacy is the one purpose every secret was sealed under before purposes were told apart. Open
	// still accepts it for any purpose (where the key allows: the webhook function's key policy does not);
	// Rewrap re-seals such a secret under the Sealer's purpose (open-sspm secrets rotate).
	PurposeLegacy Purpose = "connector-secret"
)

// EncryptionContext returns the encryption context the data key of connectorID's secret of purpose p is wrapped
// under: {"connector_id": connectorID, "purpose": p}.
func EncryptionContext(connectorID string, p Purpose) map[string]string {
	return map[string]string{ContextConnectorID: connectorID, ContextPurpose: string(p)}
}

// Sealer seals, opens and rewraps connector secrets of one purpose in the envelope format of Envelope. It is
// safe for concurrent use when its KeyWrapper is.
type Sealer struct {
	w       sspm.KeyWrapper
	purpose Purpose
}

// NewSealer returns a Sealer of provider credentials that wraps data keys with w; For gives one of another
// purpose.
func NewSealer(w sspm.KeyWrapper) *Sealer {
	return &Sealer{w: w, purpose: PurposeProviderCredential}
}

// For returns a Sealer of purpose p with the same key wrapper.
func (s *Sealer) For(p Purpose) *Sealer {
	return &Sealer{w: s.w, purpose: p}
}

// Purpose returns the purpose the Sealer seals under.
func (s *Sealer) Purpose() Purpose { return s.purpose }

// Seal encrypts plaintext for connectorID under a fresh data key, wrapped under the Sealer's purpose, and
// returns the envelope. Sealing the same
// plaintext twice gives different ciphertexts.
func (s *Sealer) Seal(ctx context.Context, connectorID string, plaintext []byte) ([]byte, error) {
	if connectorID == "" {
		return nil, errors.New("seal secret: empty connector id")
	}
	keyID := s.w.KeyID()
	dataKey, wrapped, err := s.w.GenerateDataKey(ctx, EncryptionContext(connectorID, s.purpose))
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

// Open decrypts a ciphertext that Seal or Rewrap returned for connectorID and the Sealer's purpose, or that was
// sealed under PurposeLegacy. A ciphertext that is malformed, tampered with, sealed for another connector or
// another purpose, or whose key refuses it yields an error wrapping ErrCannotOpen; other wrapper failures
// (network, throttling, permissions) are returned wrapped as they are.
func (s *Sealer) Open(ctx context.Context, connectorID string, ciphertext []byte) ([]byte, error) {
	if connectorID == "" {
		return nil, errors.New("open secret: empty connector id")
	}
	env, err := ParseEnvelope(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open secret: %w", err)
	}
	plaintext, err := s.open(ctx, connectorID, s.purpose, env)
	if err == nil || !errors.Is(err, ErrCannotOpen) || s.purpose == PurposeLegacy {
		return plaintext, err
	}
	if legacy, lerr := s.open(ctx, connectorID, PurposeLegacy, env); lerr == nil {
		return legacy, nil
	}
	return nil, err
}

// open opens env under connectorID and purpose p.
func (s *Sealer) open(ctx context.Context, connectorID string, p Purpose, env Envelope) ([]byte, error) {
	dataKey, err := s.w.Unwrap(ctx, env.KeyID, env.WrappedKey, EncryptionContext(connectorID, p))
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
// A secret sealed under PurposeLegacy is instead opened and sealed again under the Sealer's purpose (a fresh
// data key), so that it no longer needs the legacy context. Errors follow Open's rules.
func (s *Sealer) Rewrap(ctx context.Context, connectorID string, ciphertext []byte) ([]byte, error) {
	if connectorID == "" {
		return nil, errors.New("rewrap secret: empty connector id")
	}
	env, err := ParseEnvelope(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("rewrap secret: %w", err)
	}
	wrapped, keyID, err := s.w.Rewrap(ctx, env.KeyID, env.WrappedKey, EncryptionContext(connectorID, s.purpose))
	if err != nil {
		err = fmt.Errorf("rewrap secret: %w", asCannotOpen(err))
		if !errors.Is(err, ErrCannotOpen) || s.purpose == PurposeLegacy {
			return nil, err
		}
		plaintext, lerr := s.open(ctx, connectorID, PurposeLegacy, env)
		defer clear(plaintext)
		if lerr != nil {
			return nil, err
		}
		return s.Seal(ctx, connectorID, plaintext)
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
