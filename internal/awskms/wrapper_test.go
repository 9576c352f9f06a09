package awskms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/open-sspm/open-sspm/internal/awskms"
	"github.com/open-sspm/open-sspm/internal/awskms/kmsfake"
	"github.com/open-sspm/open-sspm/internal/secrets"
	"github.com/open-sspm/open-sspm/internal/secrets/secretstest"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// setup starts a fake KMS and returns it with a real KMS client pointed at it.
func setup(t *testing.T) (*kmsfake.Server, *kms.Client) {
	t.Helper()
	srv := kmsfake.NewServer()
	t.Cleanup(srv.Close)
	return srv, srv.Client()
}

func TestConformance(t *testing.T) {
	srv, client := setup(t)
	secretstest.TestKeyWrapper(t, func(t *testing.T) sspm.KeyWrapper {
		return awskms.New(client, srv.CreateKey())
	})
}

func TestRotationToAnotherKey(t *testing.T) {
	secretstest.TestRotation(t, func(t *testing.T) secretstest.Rotation {
		srv, client := setup(t)
		oldKey := srv.CreateKey()
		out, err := client.CreateKey(t.Context(), &kms.CreateKeyInput{Description: aws.String("connector secrets, 2026")})
		if err != nil {
			t.Fatalf("CreateKey: %v", err)
		}
		newWrapper := awskms.New(client, aws.ToString(out.KeyMetadata.Arn))
		return secretstest.Rotation{
			Old:    awskms.New(client, oldKey),
			Rotate: func(*testing.T) sspm.KeyWrapper { return newWrapper },
			Retire: func(t *testing.T) sspm.KeyWrapper {
				if err := srv.DeleteKey(oldKey); err != nil {
					t.Fatal(err)
				}
				return newWrapper
			},
		}
	})
}

func TestRotationOfKeyMaterial(t *testing.T) {
	secretstest.TestRotation(t, func(t *testing.T) secretstest.Rotation {
		srv, client := setup(t)
		keyID := srv.CreateKey()
		w := awskms.New(client, keyID)
		return secretstest.Rotation{
			Old: w,
			Rotate: func(t *testing.T) sspm.KeyWrapper {
				if _, err := client.RotateKeyOnDemand(t.Context(), &kms.RotateKeyOnDemandInput{KeyId: aws.String(keyID)}); err != nil {
					t.Fatalf("RotateKeyOnDemand: %v", err)
				}
				return w
			},
			Retire: func(t *testing.T) sspm.KeyWrapper {
				if err := srv.RetireOldMaterial(keyID); err != nil {
					t.Fatal(err)
				}
				return w
			},
		}
	})
}

// TestAliasRotation moves an alias to a new key, the usual way to rotate to a new KMS key: secrets recorded
// under the alias still open, and Rewrap records the new key's ARN.
func TestAliasRotation(t *testing.T) {
	srv, client := setup(t)
	oldKey, newKey := srv.CreateKey(), srv.CreateKey()
	const alias = "alias/open-sspm-connector-secrets"
	if _, err := client.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(oldKey)}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	s := secrets.NewSealer(awskms.New(client, alias))
	ct, err := s.Seal(t.Context(), "conn-1", []byte("secret"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	if _, err := client.UpdateAlias(t.Context(), &kms.UpdateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(newKey)}); err != nil {
		t.Fatalf("UpdateAlias: %v", err)
	}
	if got, err := s.Open(t.Context(), "conn-1", ct); err != nil || string(got) != "secret" {
		t.Fatalf("Open after the alias moved = %q, %v", got, err)
	}
	ct, err = s.Rewrap(t.Context(), "conn-1", ct)
	if err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	env, err := secrets.ParseEnvelope(ct)
	if err != nil {
		t.Fatalf("ParseEnvelope: %v", err)
	}
	if env.KeyID != newKey {
		t.Fatalf("rewrapped key id = %q, want the new key %q", env.KeyID, newKey)
	}
	if err := srv.DeleteKey(oldKey); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Open(t.Context(), "conn-1", ct); err != nil || string(got) != "secret" {
		t.Fatalf("Open after the old key was deleted = %q, %v", got, err)
	}
}
