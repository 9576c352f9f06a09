package secretstest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

func testSealer(t *testing.T, newWrapper func(t *testing.T) sspm.KeyWrapper) {
	t.Run("RoundTrip", func(t *testing.T) { testSealRoundTrip(t, secrets.NewSealer(newWrapper(t))) })
	t.Run("Randomized", func(t *testing.T) { testSealRandomized(t, secrets.NewSealer(newWrapper(t))) })
	t.Run("OtherConnectorFails", func(t *testing.T) { testOpenOtherConnector(t, secrets.NewSealer(newWrapper(t))) })
	t.Run("SplicedEnvelopeFails", func(t *testing.T) { testOpenSpliced(t, secrets.NewSealer(newWrapper(t))) })
	t.Run("TamperedFails", func(t *testing.T) { testOpenTampered(t, secrets.NewSealer(newWrapper(t))) })
	t.Run("RewrapKeepsSealedSecret", func(t *testing.T) { testSealerRewrap(t, newWrapper(t)) })
	t.Run("PurposesAreApart", func(t *testing.T) { testPurposesApart(t, secrets.NewSealer(newWrapper(t))) })
	t.Run("LegacyOpensAndRewrapReseals", func(t *testing.T) { testLegacy(t, newWrapper(t)) })
}

// testPurposesApart: a provider credential does not open as a webhook secret, nor the other way round, and
// neither can be rewrapped under the other purpose.
func testPurposesApart(t *testing.T, s *secrets.Sealer) {
	if s.Purpose() != secrets.PurposeProviderCredential {
		t.Fatalf("NewSealer purpose = %q, want %q", s.Purpose(), secrets.PurposeProviderCredential)
	}
	provider, webhook := s, s.For(secrets.PurposeWebhookVerification)
	tests := []struct {
		name       string
		seal, open *secrets.Sealer
	}{
		{name: "provider credential as webhook secret", seal: provider, open: webhook},
		{name: "webhook secret as provider credential", seal: webhook, open: provider},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := []byte("secret-of-" + string(tt.seal.Purpose()))
			ct := mustSeal(t, tt.seal, "conn-1", secret)
			mustOpen(t, tt.seal, "conn-1", ct, secret)
			_, err := tt.open.Open(t.Context(), "conn-1", ct)
			if !errors.Is(err, secrets.ErrCannotOpen) {
				t.Fatalf("Open as %s: err = %v, want ErrCannotOpen", tt.open.Purpose(), err)
			}
			assertNoLeak(t, err, secret)
			if _, err := tt.open.Rewrap(t.Context(), "conn-1", ct); !errors.Is(err, secrets.ErrCannotOpen) {
				t.Fatalf("Rewrap as %s: err = %v, want ErrCannotOpen", tt.open.Purpose(), err)
			}
		})
	}
}

// testLegacy: a secret sealed before purposes were told apart (PurposeLegacy) still opens for either purpose;
// Rewrap re-seals it under the Sealer's purpose, after which it no longer opens under the legacy context or
// the other purpose.
func testLegacy(t *testing.T, w sspm.KeyWrapper) {
	legacy := secrets.NewSealer(w).For(secrets.PurposeLegacy)
	webhook := secrets.NewSealer(w).For(secrets.PurposeWebhookVerification)
	provider := secrets.NewSealer(w)
	secret := []byte("hook-secret")
	old := mustSeal(t, legacy, "conn-1", secret)
	mustOpen(t, webhook, "conn-1", old, secret)
	mustOpen(t, provider, "conn-1", old, secret)

	resealed, err := webhook.Rewrap(t.Context(), "conn-1", old)
	if err != nil {
		t.Fatalf("Rewrap of a legacy secret: %v", err)
	}
	mustOpen(t, webhook, "conn-1", resealed, secret)
	if _, err := provider.Open(t.Context(), "conn-1", resealed); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("re-sealed webhook secret opened as a provider credential: %v", err)
	}
	env := mustParse(t, resealed)
	if _, err := w.Unwrap(t.Context(), env.KeyID, env.WrappedKey, secrets.EncryptionContext("conn-1", secrets.PurposeLegacy)); err == nil {
		t.Fatal("re-sealed secret still unwraps under the legacy context")
	}
	// Rewrapping again is a plain rewrap: the sealed secret stays byte for byte.
	again, err := webhook.Rewrap(t.Context(), "conn-1", resealed)
	if err != nil {
		t.Fatalf("second Rewrap: %v", err)
	}
	if !bytes.Equal(mustParse(t, again).Sealed, env.Sealed) {
		t.Fatal("second Rewrap changed the sealed secret")
	}
}

func testSealRoundTrip(t *testing.T, s *secrets.Sealer) {
	tests := []struct {
		name string
		give []byte
	}{
		{name: "empty", give: []byte{}},
		{name: "api token", give: []byte("00aBcDeFgHiJkLmNoPqRsTuVwXyZ-okta-token")},
		{name: "binary with zeros", give: []byte{0, 1, 0, 2, 0xff, 0, 0, 0x80}},
		{name: "json", give: []byte(`{"client_id":"app","client_secret":"s3cr3t","private_key":"-----BEGIN KEY-----\nü\n"}`)},
		{name: "64 KiB", give: bytes.Repeat([]byte("0123456789abcdef"), 4096)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := mustSeal(t, s, "conn-1", tt.give)
			if len(tt.give) >= 8 && bytes.Contains(ct, tt.give) {
				t.Fatal("ciphertext holds the plaintext in the clear")
			}
			got, err := s.Open(t.Context(), "conn-1", ct)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.give) {
				t.Fatalf("Open = %q, want %q", got, tt.give)
			}
		})
	}
}

func testSealRandomized(t *testing.T, s *secrets.Sealer) {
	a := mustSeal(t, s, "conn-1", []byte("same secret"))
	b := mustSeal(t, s, "conn-1", []byte("same secret"))
	if bytes.Equal(a, b) {
		t.Fatal("sealing one plaintext twice gave the same ciphertext")
	}
	ea, eb := mustParse(t, a), mustParse(t, b)
	if bytes.Equal(ea.WrappedKey, eb.WrappedKey) {
		t.Fatal("two secrets share a wrapped data key")
	}
}

func testOpenOtherConnector(t *testing.T, s *secrets.Sealer) {
	secret := []byte("okta-api-token-of-conn-1")
	ct := mustSeal(t, s, "conn-1", secret)
	for _, other := range []string{"conn-2", "conn-10", "conn-", "Conn-1", "conn-1 "} {
		t.Run(other, func(t *testing.T) {
			_, err := s.Open(t.Context(), other, ct)
			if !errors.Is(err, secrets.ErrCannotOpen) {
				t.Fatalf("Open for %q: err = %v, want ErrCannotOpen", other, err)
			}
			assertNoLeak(t, err, secret)
			if _, err := s.Rewrap(t.Context(), other, ct); !errors.Is(err, secrets.ErrCannotOpen) {
				t.Fatalf("Rewrap for %q: err = %v, want ErrCannotOpen", other, err)
			}
		})
	}
}

// testOpenSpliced moves the sealed secret of one connector into the envelope of another: the wrapper opens
// the data key, and the GCM check has to refuse the secret.
func testOpenSpliced(t *testing.T, s *secrets.Sealer) {
	secret := []byte("secret-of-conn-1")
	one := mustParse(t, mustSeal(t, s, "conn-1", secret))
	two := mustParse(t, mustSeal(t, s, "conn-2", []byte("secret-of-conn-2")))
	spliced, err := secrets.Envelope{KeyID: two.KeyID, WrappedKey: two.WrappedKey, Sealed: one.Sealed}.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	_, err = s.Open(t.Context(), "conn-2", spliced)
	if !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("Open of a spliced envelope: err = %v, want ErrCannotOpen", err)
	}
	assertNoLeak(t, err, secret)
}

func testOpenTampered(t *testing.T, s *secrets.Sealer) {
	secret := []byte("github-app-private-key")
	ct := mustSeal(t, s, "conn-1", secret)
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 1
		if _, err := s.Open(t.Context(), "conn-1", bad); !errors.Is(err, secrets.ErrCannotOpen) {
			t.Fatalf("Open with byte %d flipped: err = %v, want ErrCannotOpen", i, err)
		}
	}
	tests := []struct {
		name string
		give []byte
	}{
		{name: "nil", give: nil},
		{name: "header only", give: ct[:5]},
		{name: "truncated", give: ct[:len(ct)-1]},
		{name: "trailing byte", give: append(bytes.Clone(ct), 0)},
		{name: "plaintext", give: secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Open(t.Context(), "conn-1", tt.give)
			if !errors.Is(err, secrets.ErrCannotOpen) {
				t.Fatalf("Open: err = %v, want ErrCannotOpen", err)
			}
			assertNoLeak(t, err, secret)
		})
	}
}

func testSealerRewrap(t *testing.T, w sspm.KeyWrapper) {
	s := secrets.NewSealer(w)
	secret := []byte("datadog-api-key")
	ct := mustSeal(t, s, "conn-1", secret)
	before := mustParse(t, ct)
	for round := range 2 {
		var err error
		ct, err = s.Rewrap(t.Context(), "conn-1", ct)
		if err != nil {
			t.Fatalf("Rewrap round %d: %v", round, err)
		}
		after := mustParse(t, ct)
		if !bytes.Equal(after.Sealed, before.Sealed) {
			t.Fatalf("Rewrap round %d changed the sealed secret", round)
		}
		if after.KeyID != w.KeyID() {
			t.Errorf("Rewrap round %d: key id = %q, want %q", round, after.KeyID, w.KeyID())
		}
		mustOpen(t, s, "conn-1", ct, secret)
	}
}

func mustSeal(t *testing.T, s *secrets.Sealer, connectorID string, plaintext []byte) []byte {
	t.Helper()
	ct, err := s.Seal(t.Context(), connectorID, plaintext)
	if err != nil {
		t.Fatalf("Seal for %s: %v", connectorID, err)
	}
	return ct
}

func mustOpen(t *testing.T, s *secrets.Sealer, connectorID string, ct, want []byte) {
	t.Helper()
	got, err := s.Open(t.Context(), connectorID, ct)
	if err != nil {
		t.Fatalf("Open for %s: %v", connectorID, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Open for %s = %q, want %q", connectorID, got, want)
	}
}

func mustParse(t *testing.T, ct []byte) secrets.Envelope {
	t.Helper()
	env, err := secrets.ParseEnvelope(ct)
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	return env
}

// assertNoLeak fails when err's text shows secret in the clear, in base64 or in hex.
func assertNoLeak(t *testing.T, err error, secret []byte) {
	t.Helper()
	msg := err.Error()
	for _, form := range []string{string(secret), base64.StdEncoding.EncodeToString(secret), hex.EncodeToString(secret)} {
		if strings.Contains(msg, form) {
			t.Fatalf("error %q shows the secret", msg)
		}
	}
}
