package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/open-sspm/open-sspm/internal/app"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// TestRotateSecretsResealsUnderPurposes: a connector whose provider credential and webhook secret were sealed
// before purposes were told apart (secrets.PurposeLegacy) still works, and RotateSecrets seals each again under
// its own purpose, after which neither opens under the legacy context nor as the other purpose.
func TestRotateSecretsResealsUnderPurposes(t *testing.T) {
	ctx := context.Background()
	db := postgrestest.New(t)
	b64, _ := secrets.GenerateLocalKey()
	key, err := secrets.NewLocalKey(b64)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Deps{DB: db, Keys: key, Registry: connector.NewRegistry(testKind), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.CreateConnector(ctx, sspm.Connector{ID: "t1", Kind: sspm.KindTestSource, Name: "T", Enabled: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	legacy := a.Sealer.For(secrets.PurposeLegacy)
	credential, hook := []byte("provider-token"), []byte("hook-secret")
	sealed, err := legacy.Seal(ctx, c.ID, credential)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetConnectorSecret(ctx, c.ID, sealed, key.KeyID()); err != nil {
		t.Fatal(err)
	}
	if sealed, err = legacy.Seal(ctx, c.ID, hook); err != nil {
		t.Fatal(err)
	}
	if err := db.SetWebhookSecret(ctx, c.ID, sealed); err != nil {
		t.Fatal(err)
	}
	// Before the rotation the legacy secrets still open, each for its use.
	if got, err := a.ConnectorSecret(ctx, c); err != nil || !bytes.Equal(got, credential) {
		t.Fatalf("legacy credential: %q %v", got, err)
	}
	if got, err := a.WebhookSecret(ctx, c.ID); err != nil || got != string(hook) {
		t.Fatalf("legacy webhook secret: %q %v", got, err)
	}

	n, err := a.RotateSecrets(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RotateSecrets = %d, %v; want both secrets", n, err)
	}
	if got, err := a.ConnectorSecret(ctx, c); err != nil || !bytes.Equal(got, credential) {
		t.Fatalf("credential after rotation: %q %v", got, err)
	}
	if got, err := a.WebhookSecret(ctx, c.ID); err != nil || got != string(hook) {
		t.Fatalf("webhook secret after rotation: %q %v", got, err)
	}
	storedCred, _ := db.ConnectorSecret(ctx, c.ID)
	storedHook, _ := db.WebhookSecret(ctx, c.ID)
	tests := []struct {
		name    string
		sealed  []byte
		purpose secrets.Purpose
	}{
		{"credential under the legacy context", storedCred, secrets.PurposeLegacy},
		{"credential as a webhook secret", storedCred, secrets.PurposeWebhookVerification},
		{"webhook secret under the legacy context", storedHook, secrets.PurposeLegacy},
		{"webhook secret as a credential", storedHook, secrets.PurposeProviderCredential},
	}
	for _, tt := range tests {
		env, err := secrets.ParseEnvelope(tt.sealed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := key.Unwrap(ctx, env.KeyID, env.WrappedKey, secrets.EncryptionContext(c.ID, tt.purpose)); err == nil {
			t.Errorf("%s: unwraps after the rotation", tt.name)
		}
	}
}
