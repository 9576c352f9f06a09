package secrets

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/open-sspm/open-sspm/internal/sspm"
)

var _ sspm.KeyWrapper = (*LocalKey)(nil)

// localKeyVar names the setting local keys come from, in parse errors.
const localKeyVar = "CONNECTOR_SECRET_KEY"

// localWrapVersion is the first byte of a data key the local key wrapped. The rest is the 12-byte nonce, the
// AES-256-GCM ciphertext of the 32-byte data key and the 16-byte tag; the GCM additional data is the version
// byte followed by the canonical encryption context (see canonicalContext).
const (
	localWrapVersion = 1
	localWrappedLen  = 1 + 12 + dataKeyLen + 16
)

// LocalKey is the KeyWrapper of a single machine: it wraps data keys with AES-256-GCM under a 32-byte key
// from CONNECTOR_SECRET_KEY. It holds one current key, which wraps every new data key, and any number of
// previous keys, which only unwrap, so that Sealer.Rewrap can move secrets from an old key to the current one.
// Keys are named "local:" + the first 8 bytes of the SHA-256 of the key, in hex (the first 16 characters of
// `base64 -d <<<"$CONNECTOR_SECRET_KEY" | sha256sum`). A LocalKey is immutable and safe for concurrent use.
type LocalKey struct {
	current string
	keys    map[string]cipher.AEAD
}

// NewLocalKey returns a LocalKey with one key, given in base64 as in CONNECTOR_SECRET_KEY.
func NewLocalKey(b64 string) (*LocalKey, error) {
	return NewLocalKeyring(b64)
}

// NewLocalKeyring returns a LocalKey that wraps with current and can still unwrap data keys that any of the
// previous keys wrapped. Each key is 32 bytes in base64, standard or URL-safe alphabet, padding optional,
// surrounding white space ignored. Errors name the bad key by position and never echo it.
func NewLocalKeyring(current string, previous ...string) (*LocalKey, error) {
	k := &LocalKey{keys: make(map[string]cipher.AEAD, 1+len(previous))}
	id, err := k.add(localKeyVar, current)
	if err != nil {
		return nil, err
	}
	k.current = id
	for i, p := range previous {
		if _, err := k.add(fmt.Sprintf("%s previous key %d", localKeyVar, i+1), p); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// GenerateLocalKey returns a fresh random key for CONNECTOR_SECRET_KEY, in standard padded base64.
func GenerateLocalKey() (string, error) {
	key := make([]byte, dataKeyLen)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate local key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// add parses one base64 key, adds it unless a key with its id is already there, and returns its id.
func (k *LocalKey) add(label, b64 string) (string, error) {
	key, err := decodeLocalKey(label, b64)
	defer clear(key)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(key)
	id := "local:" + hex.EncodeToString(sum[:8])
	if _, ok := k.keys[id]; ok {
		return id, nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	k.keys[id] = aead
	return id, nil
}

// decodeLocalKey decodes a 32-byte key from standard or URL-safe base64 with or without padding.
func decodeLocalKey(label, b64 string) ([]byte, error) {
	s := strings.TrimRight(strings.TrimSpace(b64), "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	key, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: want 32 bytes base64-encoded: %w", label, err)
	}
	if len(key) != dataKeyLen {
		clear(key)
		return nil, fmt.Errorf("%s: want %d bytes base64-encoded, got %d bytes", label, dataKeyLen, len(key))
	}
	return key, nil
}

// KeyID returns the id of the current key, "local:<16 hex digits>".
func (k *LocalKey) KeyID() string {
	return k.current
}

// GenerateDataKey returns a fresh random 32-byte data key and the key wrapped by the current key under encCtx.
// The context is not used.
func (k *LocalKey) GenerateDataKey(_ context.Context, encCtx map[string]string) (plaintext, wrapped []byte, err error) {
	dataKey := make([]byte, dataKeyLen)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, nil, fmt.Errorf("local key generate data key: %w", err)
	}
	return dataKey, k.wrap(dataKey, encCtx), nil
}

// Unwrap returns the data key that the key named keyID wrapped under encCtx. An unknown key id, a different
// context or a tampered wrapped key yield an error wrapping ErrCannotOpen.
func (k *LocalKey) Unwrap(_ context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	aead, ok := k.keys[keyID]
	if !ok {
		return nil, fmt.Errorf("local key unwrap: %w: unknown key id %q", ErrCannotOpen, keyID)
	}
	if len(wrapped) != localWrappedLen || wrapped[0] != localWrapVersion {
		return nil, fmt.Errorf("local key unwrap: %w: malformed wrapped key", ErrCannotOpen)
	}
	dataKey, err := aead.Open(nil, nil, wrapped[1:], localWrapAAD(encCtx))
	if err != nil {
		return nil, fmt.Errorf("local key unwrap: %w: wrapped key does not authenticate", ErrCannotOpen)
	}
	return dataKey, nil
}

// Rewrap unwraps like Unwrap and wraps the data key again under the current key and the same context. The
// data key stays inside LocalKey and is zeroed before Rewrap returns.
func (k *LocalKey) Rewrap(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (newWrapped []byte, newKeyID string, err error) {
	dataKey, err := k.Unwrap(ctx, keyID, wrapped, encCtx)
	defer clear(dataKey)
	if err != nil {
		return nil, "", err
	}
	return k.wrap(dataKey, encCtx), k.current, nil
}

// wrap seals dataKey under the current key.
func (k *LocalKey) wrap(dataKey []byte, encCtx map[string]string) []byte {
	out := make([]byte, 1, localWrappedLen)
	out[0] = localWrapVersion
	return k.keys[k.current].Seal(out, nil, dataKey, localWrapAAD(encCtx))
}

// localWrapAAD is the GCM additional data of a wrapped data key: the version byte and the canonical context.
func localWrapAAD(encCtx map[string]string) []byte {
	return append([]byte{localWrapVersion}, canonicalContext(encCtx)...)
}
