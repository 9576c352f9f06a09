package secretstest

import (
	"bytes"
	"maps"
	"testing"

	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestKeyWrapper runs the KeyWrapper contract, and the Sealer on top of it, against wrappers from newWrapper.
// newWrapper is called once per subtest and should return a wrapper with its own key; the suite expects
// KeyID to name that key the way Rewrap reports it (for KMS, a key ARN rather than an alias).
func TestKeyWrapper(t *testing.T, newWrapper func(t *testing.T) sspm.KeyWrapper) {
	t.Run("DataKeyRoundTrip", func(t *testing.T) { testDataKeyRoundTrip(t, newWrapper(t)) })
	t.Run("FreshDataKeys", func(t *testing.T) { testFreshDataKeys(t, newWrapper(t)) })
	t.Run("UnwrapOtherContextFails", func(t *testing.T) { testUnwrapOtherContext(t, newWrapper(t)) })
	t.Run("UnwrapTamperedFails", func(t *testing.T) { testUnwrapTampered(t, newWrapper(t)) })
	t.Run("UnwrapUnknownKeyFails", func(t *testing.T) { testUnwrapUnknownKey(t, newWrapper(t)) })
	t.Run("Rewrap", func(t *testing.T) { testRewrap(t, newWrapper(t)) })
	t.Run("Sealer", func(t *testing.T) { testSealer(t, newWrapper) })
}

func testDataKeyRoundTrip(t *testing.T, w sspm.KeyWrapper) {
	if w.KeyID() == "" {
		t.Fatal("KeyID() is empty")
	}
	tests := []struct {
		name   string
		encCtx map[string]string
	}{
		{name: "connector", encCtx: secrets.EncryptionContext("conn-1", secrets.PurposeProviderCredential)},
		{name: "several entries", encCtx: map[string]string{"a": "1", "b": "2", "c": "3"}},
		{name: "unicode", encCtx: map[string]string{"connector_id": "ünïcødé/コネクタ"}},
		{name: "empty", encCtx: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plaintext, wrapped, err := w.GenerateDataKey(t.Context(), tt.encCtx)
			if err != nil {
				t.Fatalf("GenerateDataKey: %v", err)
			}
			if len(plaintext) != 32 {
				t.Fatalf("data key is %d bytes, want 32", len(plaintext))
			}
			if len(wrapped) == 0 || bytes.Contains(wrapped, plaintext) {
				t.Fatalf("wrapped key is empty or holds the data key in the clear")
			}
			got, err := w.Unwrap(t.Context(), w.KeyID(), wrapped, maps.Clone(tt.encCtx))
			if err != nil {
				t.Fatalf("Unwrap: %v", err)
			}
			if !bytes.Equal(got, plaintext) {
				t.Fatal("Unwrap returned another key than GenerateDataKey")
			}
		})
	}
}

func testFreshDataKeys(t *testing.T, w sspm.KeyWrapper) {
	encCtx := secrets.EncryptionContext("conn-1", secrets.PurposeProviderCredential)
	seenKeys := map[string]bool{}
	seenWrapped := map[string]bool{}
	for range 8 {
		plaintext, wrapped, err := w.GenerateDataKey(t.Context(), encCtx)
		if err != nil {
			t.Fatalf("GenerateDataKey: %v", err)
		}
		if seenKeys[string(plaintext)] || seenWrapped[string(wrapped)] {
			t.Fatal("GenerateDataKey returned a data key or wrapped key twice")
		}
		seenKeys[string(plaintext)] = true
		seenWrapped[string(wrapped)] = true
	}
}

func testUnwrapOtherContext(t *testing.T, w sspm.KeyWrapper) {
	base := secrets.EncryptionContext("conn-1", secrets.PurposeProviderCredential)
	tests := []struct {
		name   string
		wrap   map[string]string
		unwrap map[string]string
	}{
		{name: "other connector", wrap: base, unwrap: secrets.EncryptionContext("conn-2", secrets.PurposeProviderCredential)},
		{name: "connector id prefix", wrap: base, unwrap: secrets.EncryptionContext("conn-", secrets.PurposeProviderCredential)},
		{name: "other purpose", wrap: base, unwrap: secrets.EncryptionContext("conn-1", secrets.PurposeWebhookVerification)},
		{name: "legacy purpose", wrap: base, unwrap: secrets.EncryptionContext("conn-1", secrets.PurposeLegacy)},
		{name: "missing entry", wrap: base, unwrap: map[string]string{"connector_id": "conn-1"}},
		{name: "extra entry", wrap: base, unwrap: with(base, "tenant", "x")},
		{name: "key case", wrap: base, unwrap: map[string]string{"Connector_id": "conn-1", "purpose": "connector-secret"}},
		{name: "empty", wrap: base, unwrap: map[string]string{}},
		{name: "nil", wrap: base, unwrap: nil},
		{name: "entry boundary", wrap: map[string]string{"ab": "c"}, unwrap: map[string]string{"a": "bc"}},
		{name: "empty wrapped, entry added", wrap: nil, unwrap: map[string]string{"connector_id": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, wrapped, err := w.GenerateDataKey(t.Context(), tt.wrap)
			if err != nil {
				t.Fatalf("GenerateDataKey: %v", err)
			}
			if _, err := w.Unwrap(t.Context(), w.KeyID(), wrapped, tt.unwrap); err == nil {
				t.Fatal("Unwrap under another encryption context succeeded")
			}
			if _, _, err := w.Rewrap(t.Context(), w.KeyID(), wrapped, tt.unwrap); err == nil {
				t.Fatal("Rewrap under another encryption context succeeded")
			}
		})
	}
}

func testUnwrapTampered(t *testing.T, w sspm.KeyWrapper) {
	encCtx := secrets.EncryptionContext("conn-1", secrets.PurposeProviderCredential)
	_, wrapped, err := w.GenerateDataKey(t.Context(), encCtx)
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	tests := []struct {
		name   string
		tamper func([]byte) []byte
	}{
		{name: "first byte flipped", tamper: func(b []byte) []byte { b[0] ^= 1; return b }},
		{name: "middle byte flipped", tamper: func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{name: "last byte flipped", tamper: func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{name: "truncated", tamper: func(b []byte) []byte { return b[:len(b)-1] }},
		{name: "extended", tamper: func(b []byte) []byte { return append(b, 0) }},
		{name: "empty", tamper: func([]byte) []byte { return []byte{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.tamper(bytes.Clone(wrapped))
			if _, err := w.Unwrap(t.Context(), w.KeyID(), bad, encCtx); err == nil {
				t.Fatal("Unwrap of a tampered wrapped key succeeded")
			}
		})
	}
}

func testUnwrapUnknownKey(t *testing.T, w sspm.KeyWrapper) {
	encCtx := secrets.EncryptionContext("conn-1", secrets.PurposeProviderCredential)
	_, wrapped, err := w.GenerateDataKey(t.Context(), encCtx)
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	if _, err := w.Unwrap(t.Context(), w.KeyID()+"0", wrapped, encCtx); err == nil {
		t.Fatal("Unwrap under an unknown key id succeeded")
	}
}

func testRewrap(t *testing.T, w sspm.KeyWrapper) {
	encCtx := secrets.EncryptionContext("conn-1", secrets.PurposeProviderCredential)
	plaintext, wrapped, err := w.GenerateDataKey(t.Context(), encCtx)
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	newWrapped, newKeyID, err := w.Rewrap(t.Context(), w.KeyID(), wrapped, encCtx)
	if err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	if newKeyID != w.KeyID() {
		t.Errorf("Rewrap key id = %q, want the current key %q", newKeyID, w.KeyID())
	}
	if bytes.Contains(newWrapped, plaintext) {
		t.Fatal("rewrapped key holds the data key in the clear")
	}
	got, err := w.Unwrap(t.Context(), newKeyID, newWrapped, encCtx)
	if err != nil {
		t.Fatalf("Unwrap after Rewrap: %v", err)
	}
	if !bytes.Equal(got, plaintext) {
		t.Fatal("Rewrap changed the data key")
	}
}

// with returns a copy of m with k set to v.
func with(m map[string]string, k, v string) map[string]string {
	c := maps.Clone(m)
	c[k] = v
	return c
}
