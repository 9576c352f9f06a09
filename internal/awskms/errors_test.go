package awskms_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/open-sspm/open-sspm/internal/awskms"
	"github.com/open-sspm/open-sspm/internal/awskms/kmsfake"
	"github.com/open-sspm/open-sspm/internal/secrets"
)

func TestErrors(t *testing.T) {
	secret := []byte("okta-token-0123456789")
	tests := []struct {
		name string
		// arrange breaks the fake after one secret was sealed for conn-1.
		arrange func(t *testing.T, srv *kmsfake.Server, client *kms.Client, keyID string)
		// act runs the sealer operation under test on that secret.
		act            func(ctx context.Context, s *secrets.Sealer, ct []byte) error
		wantCode       string
		wantText       []string
		wantCannotOpen bool
	}{
		{
			name: "throttled seal",
			arrange: func(t *testing.T, srv *kmsfake.Server, _ *kms.Client, _ string) {
				srv.FailNext("GenerateDataKey", http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
			},
			act:      seal,
			wantCode: "ThrottlingException",
			wantText: []string{"seal secret: kms generate data key with arn:aws:kms:", "GenerateDataKey", "Rate exceeded"},
		},
		{
			name: "invalid ciphertext on open",
			arrange: func(t *testing.T, srv *kmsfake.Server, _ *kms.Client, _ string) {
				srv.FailNext("Decrypt", http.StatusBadRequest, "InvalidCiphertextException", "bad blob")
			},
			act:            open,
			wantCode:       "InvalidCiphertextException",
			wantText:       []string{"open secret: secret cannot be opened: kms decrypt with arn:aws:kms:", "bad blob"},
			wantCannotOpen: true,
		},
		{
			name: "internal error on rewrap",
			arrange: func(t *testing.T, srv *kmsfake.Server, _ *kms.Client, _ string) {
				srv.FailNext("ReEncrypt", http.StatusInternalServerError, "KMSInternalException", "try later")
			},
			act:      rewrap,
			wantCode: "KMSInternalException",
			wantText: []string{"rewrap secret: kms re-encrypt from arn:aws:kms:", "try later"},
		},
		{
			name:     "disabled key on open",
			arrange:  disable,
			act:      open,
			wantCode: "DisabledException",
			wantText: []string{"open secret: kms decrypt with arn:aws:kms:", "is disabled"},
		},
		{
			name:     "disabled key on seal",
			arrange:  disable,
			act:      seal,
			wantCode: "DisabledException",
			wantText: []string{"seal secret: kms generate data key with", "is disabled"},
		},
		{
			name: "deleted key on open",
			arrange: func(t *testing.T, srv *kmsfake.Server, _ *kms.Client, keyID string) {
				if err := srv.DeleteKey(keyID); err != nil {
					t.Fatal(err)
				}
			},
			act:            open,
			wantCode:       "NotFoundException",
			wantText:       []string{"does not exist"},
			wantCannotOpen: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := setup(t)
			keyID := srv.CreateKey()
			s := secrets.NewSealer(awskms.New(client, keyID))
			ct, err := s.Seal(t.Context(), "conn-1", secret)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			tt.arrange(t, srv, client, keyID)

			err = tt.act(t.Context(), s, ct)
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
				t.Fatalf("err = %v, want the KMS error %s", err, tt.wantCode)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if got := errors.Is(err, secrets.ErrCannotOpen); got != tt.wantCannotOpen {
				t.Errorf("errors.Is(err, ErrCannotOpen) = %t, want %t", got, tt.wantCannotOpen)
			}
			if strings.Contains(err.Error(), string(secret)) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

func seal(ctx context.Context, s *secrets.Sealer, _ []byte) error {
	_, err := s.Seal(ctx, "conn-1", []byte("another secret"))
	return err
}

func open(ctx context.Context, s *secrets.Sealer, ct []byte) error {
	_, err := s.Open(ctx, "conn-1", ct)
	return err
}

func rewrap(ctx context.Context, s *secrets.Sealer, ct []byte) error {
	_, err := s.Rewrap(ctx, "conn-1", ct)
	return err
}

func disable(t *testing.T, _ *kmsfake.Server, client *kms.Client, keyID string) {
	if _, err := client.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatalf("DisableKey: %v", err)
	}
}
