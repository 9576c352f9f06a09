package secrets_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/secrets/secretstest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func TestLocalKeyConformance(t *testing.T) {
	secretstest.TestKeyWrapper(t, func(t *testing.T) sspm.KeyWrapper {
		return mustLocalKey(t, newKey(t))
	})
}

func TestLocalKeyringConformance(t *testing.T) {
	secretstest.TestKeyWrapper(t, func(t *testing.T) sspm.KeyWrapper {
		k, err := secrets.NewLocalKeyring(newKey(t), newKey(t), newKey(t))
		if err != nil {
			t.Fatalf("NewLocalKeyring: %v", err)
		}
		return k
	})
}

func TestLocalKeyRotation(t *testing.T) {
	secretstest.TestRotation(t, func(t *testing.T) secretstest.Rotation {
		oldKey, newKey := newKey(t), newKey(t)
		return secretstest.Rotation{
			Old: mustLocalKey(t, oldKey),
			Rotate: func(t *testing.T) sspm.KeyWrapper {
				k, err := secrets.NewLocalKeyring(newKey, oldKey)
				if err != nil {
					t.Fatalf("NewLocalKeyring: %v", err)
				}
				return k
			},
			Retire: func(t *testing.T) sspm.KeyWrapper { return mustLocalKey(t, newKey) },
		}
	})
}

func TestNewLocalKey(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(0xf0 + i%16) // gives '+' and '/' in standard base64
	}
	sum := sha256.Sum256(raw)
	wantID := "local:" + hex.EncodeToString(sum[:8])
	std := base64.StdEncoding.EncodeToString(raw)
	if !strings.ContainsAny(std, "+/") {
		t.Fatalf("test key %q does not exercise the alphabets", std)
	}
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "standard", give: std},
		{name: "standard unpadded", give: base64.RawStdEncoding.EncodeToString(raw)},
		{name: "raw url", give: base64.RawURLEncoding.EncodeToString(raw)},
		{name: "url padded", give: base64.URLEncoding.EncodeToString(raw)},
		{name: "trailing newline", give: std + "\n"},
		{name: "empty", give: "", wantErr: "CONNECTOR_SECRET_KEY: want 32 bytes base64-encoded, got 0 bytes"},
		{name: "16 bytes", give: base64.StdEncoding.EncodeToString(raw[:16]), wantErr: "CONNECTOR_SECRET_KEY: want 32 bytes base64-encoded, got 16 bytes"},
		{name: "33 bytes", give: base64.StdEncoding.EncodeToString(append(raw, 1)), wantErr: "CONNECTOR_SECRET_KEY: want 32 bytes base64-encoded, got 33 bytes"},
		{name: "hex", give: hex.EncodeToString(raw), wantErr: "CONNECTOR_SECRET_KEY: want 32 bytes base64-encoded, got 48 bytes"},
		{name: "not base64", give: "not a key!" + std[10:], wantErr: "CONNECTOR_SECRET_KEY: want 32 bytes base64-encoded: illegal base64 data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := secrets.NewLocalKey(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				if tt.give != "" && strings.Contains(err.Error(), tt.give) {
					t.Fatalf("error %q echoes the key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewLocalKey: %v", err)
			}
			if k.KeyID() != wantID {
				t.Fatalf("KeyID = %q, want %q", k.KeyID(), wantID)
			}
		})
	}
}

func TestNewLocalKeyringNamesBadPreviousKey(t *testing.T) {
	_, err := secrets.NewLocalKeyring(newKey(t), newKey(t), "c2hvcnQ=")
	want := "CONNECTOR_SECRET_KEY previous key 2: want 32 bytes base64-encoded, got 5 bytes"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestLocalKeyringUnwrapsWithPreviousKeysOnly(t *testing.T) {
	a, b := newKey(t), newKey(t)
	ring, err := secrets.NewLocalKeyring(b, a, b) // the current key repeated as previous is harmless
	if err != nil {
		t.Fatalf("NewLocalKeyring: %v", err)
	}
	if want := mustLocalKey(t, b).KeyID(); ring.KeyID() != want {
		t.Fatalf("KeyID = %q, want the current key %q", ring.KeyID(), want)
	}
	old := mustLocalKey(t, a)
	encCtx := secrets.EncryptionContext("conn-1", secrets.PurposeProviderCredential)
	plaintext, wrapped, err := old.GenerateDataKey(t.Context(), encCtx)
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	got, err := ring.Unwrap(t.Context(), old.KeyID(), wrapped, encCtx)
	if err != nil || string(got) != string(plaintext) {
		t.Fatalf("Unwrap with the previous key: %v", err)
	}
	// The key id selects the key: the current key must not be tried for data keys of another id.
	if _, err := ring.Unwrap(t.Context(), ring.KeyID(), wrapped, encCtx); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("Unwrap under the wrong key id: err = %v, want ErrCannotOpen", err)
	}
}

func TestGenerateLocalKey(t *testing.T) {
	a, err := secrets.GenerateLocalKey()
	if err != nil {
		t.Fatalf("GenerateLocalKey: %v", err)
	}
	b, err := secrets.GenerateLocalKey()
	if err != nil {
		t.Fatalf("GenerateLocalKey: %v", err)
	}
	if a == b {
		t.Fatal("GenerateLocalKey returned the same key twice")
	}
	if raw, err := base64.StdEncoding.DecodeString(a); err != nil || len(raw) != 32 {
		t.Fatalf("GenerateLocalKey = %q: not 32 bytes of standard base64 (%v)", a, err)
	}
	mustLocalKey(t, a)
}

func newKey(t testing.TB) string {
	t.Helper()
	k, err := secrets.GenerateLocalKey()
	if err != nil {
		t.Fatalf("GenerateLocalKey: %v", err)
	}
	return k
}

func mustLocalKey(t testing.TB, b64 string) *secrets.LocalKey {
	t.Helper()
	k, err := secrets.NewLocalKey(b64)
	if err != nil {
		t.Fatalf("NewLocalKey: %v", err)
	}
	return k
}
