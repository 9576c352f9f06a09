package kmsfake_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/open-sspm/open-sspm/internal/awskms/kmsfake"
)

func setup(t *testing.T) (*kmsfake.Server, *kms.Client) {
	t.Helper()
	srv := kmsfake.NewServer()
	t.Cleanup(srv.Close)
	return srv, srv.Client()
}

func TestWireProtocol(t *testing.T) {
	srv, _ := setup(t)
	keyID := srv.CreateKey()
	tests := []struct {
		name       string
		target     string
		auth       bool
		body       string
		wantStatus int
		wantType   string
	}{
		{name: "generate data key", target: "TrentService.GenerateDataKey", auth: true,
			body: `{"KeyId":"` + keyID + `","KeySpec":"AES_256"}`, wantStatus: http.StatusOK},
		{name: "unsigned", target: "TrentService.GenerateDataKey",
			body: `{"KeyId":"` + keyID + `","KeySpec":"AES_256"}`, wantStatus: http.StatusBadRequest, wantType: "MissingAuthenticationTokenException"},
		{name: "unknown operation", target: "TrentService.Sign", auth: true, body: `{}`,
			wantStatus: http.StatusBadRequest, wantType: "UnknownOperationException"},
		{name: "other service", target: "DynamoDB_20120810.GetItem", auth: true, body: `{}`,
			wantStatus: http.StatusBadRequest, wantType: "UnknownOperationException"},
		{name: "malformed body", target: "TrentService.Decrypt", auth: true, body: `{"CiphertextBlob":`,
			wantStatus: http.StatusBadRequest, wantType: "SerializationException"},
		{name: "blob not base64", target: "TrentService.Decrypt", auth: true, body: `{"CiphertextBlob":"!!"}`,
			wantStatus: http.StatusBadRequest, wantType: "SerializationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", tt.target)
			if tt.auth {
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
				t.Fatalf("status %d, content type %q, want %d and application/x-amz-json-1.1 (%s)",
					resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus, body)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("answer is not JSON: %s", body)
			}
			if tt.wantType != "" {
				if got["__type"] != tt.wantType || got["message"] == "" {
					t.Fatalf("answer %s, want __type %s and a message", body, tt.wantType)
				}
				return
			}
			if got["KeyId"] != keyID || got["Plaintext"] == nil || got["CiphertextBlob"] == nil {
				t.Fatalf("answer %s lacks KeyId, Plaintext or CiphertextBlob", body)
			}
		})
	}
}

func TestCryptoOperations(t *testing.T) {
	srv, client := setup(t)
	ctx := t.Context()
	a, b := srv.CreateKey(), srv.CreateKey()
	encCtx := map[string]string{"connector_id": "conn-1"}

	enc, err := client.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(a), Plaintext: []byte("hello"), EncryptionContext: encCtx})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	dec, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx})
	if err != nil || string(dec.Plaintext) != "hello" || aws.ToString(dec.KeyId) != a {
		t.Fatalf("Decrypt without KeyId = %q from %q, %v", dec.Plaintext, aws.ToString(dec.KeyId), err)
	}

	re, err := client.ReEncrypt(ctx, &kms.ReEncryptInput{
		CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: encCtx,
		DestinationKeyId: aws.String(b), DestinationEncryptionContext: map[string]string{"connector_id": "conn-2"},
	})
	if err != nil || aws.ToString(re.SourceKeyId) != a || aws.ToString(re.KeyId) != b {
		t.Fatalf("ReEncrypt: source %q, key %q, %v", aws.ToString(re.SourceKeyId), aws.ToString(re.KeyId), err)
	}
	dec, err = client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob, KeyId: aws.String(b), EncryptionContext: map[string]string{"connector_id": "conn-2"}})
	if err != nil || string(dec.Plaintext) != "hello" {
		t.Fatalf("Decrypt after ReEncrypt = %q, %v", dec.Plaintext, err)
	}

	gen, err := client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(a), KeySpec: types.DataKeySpecAes128})
	if err != nil || len(gen.Plaintext) != 16 {
		t.Fatalf("GenerateDataKey AES_128: %d bytes, %v", len(gen.Plaintext), err)
	}
	gen, err = client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(a), NumberOfBytes: aws.Int32(64)})
	if err != nil || len(gen.Plaintext) != 64 {
		t.Fatalf("GenerateDataKey of 64 bytes: %d bytes, %v", len(gen.Plaintext), err)
	}
	dec, err = client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: gen.CiphertextBlob})
	if err != nil || !bytes.Equal(dec.Plaintext, gen.Plaintext) {
		t.Fatalf("Decrypt of a data key: %v", err)
	}
}

func TestKeyOperations(t *testing.T) {
	srv, client := setup(t)
	ctx := t.Context()
	created, err := client.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("secrets")})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	arn := aws.ToString(created.KeyMetadata.Arn)
	if !strings.HasPrefix(arn, "arn:aws:kms:us-east-1:111122223333:key/") || !created.KeyMetadata.Enabled {
		t.Fatalf("CreateKey = %+v", created.KeyMetadata)
	}
	if _, err := client.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/secrets"), TargetKeyId: created.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	for _, id := range []string{arn, aws.ToString(created.KeyMetadata.KeyId), "alias/secrets", "arn:aws:kms:us-east-1:111122223333:alias/secrets"} {
		got, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil || aws.ToString(got.KeyMetadata.Arn) != arn {
			t.Fatalf("DescribeKey %s = %v, %v", id, got, err)
		}
	}

	before := describe(t, client, arn).CurrentKeyMaterialId
	if _, err := client.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatalf("RotateKeyOnDemand: %v", err)
	}
	if after := describe(t, client, arn).CurrentKeyMaterialId; aws.ToString(after) == aws.ToString(before) {
		t.Fatal("RotateKeyOnDemand kept the key material")
	}

	if _, err := client.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatalf("DisableKey: %v", err)
	}
	if m := describe(t, client, arn); m.Enabled || m.KeyState != types.KeyStateDisabled {
		t.Fatalf("after DisableKey: enabled %t, state %s", m.Enabled, m.KeyState)
	}
	if _, err := client.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatalf("EnableKey: %v", err)
	}
	if err := srv.DeleteKey("alias/secrets"); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if _, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)}); !isCode(err, "NotFoundException") {
		t.Fatalf("DescribeKey of a deleted key: %v", err)
	}
}

func TestErrorAnswers(t *testing.T) {
	srv, client := setup(t)
	a, b := srv.CreateKey(), srv.CreateKey()
	disabled := srv.CreateKey()
	if _, err := client.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(disabled)}); err != nil {
		t.Fatal(err)
	}
	encCtx := map[string]string{"connector_id": "conn-1"}
	enc, err := client.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(a), Plaintext: []byte("x"), EncryptionContext: encCtx})
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(enc.CiphertextBlob)
	tampered[len(tampered)-1] ^= 1
	if _, err := client.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: aws.String("alias/a"), TargetKeyId: aws.String(a)}); err != nil {
		t.Fatal(err)
	}
	decrypt := func(blob []byte, keyID string, encCtx map[string]string) func() error {
		return func() error {
			in := &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: encCtx}
			if keyID != "" {
				in.KeyId = aws.String(keyID)
			}
			_, err := client.Decrypt(t.Context(), in)
			return err
		}
	}
	tests := []struct {
		name     string
		call     func() error
		wantCode string
	}{
		{name: "other context", call: decrypt(enc.CiphertextBlob, a, map[string]string{"connector_id": "conn-2"}), wantCode: "InvalidCiphertextException"},
		{name: "no context", call: decrypt(enc.CiphertextBlob, a, nil), wantCode: "InvalidCiphertextException"},
		{name: "tampered", call: decrypt(tampered, "", encCtx), wantCode: "InvalidCiphertextException"},
		{name: "garbage", call: decrypt([]byte("garbage"), "", encCtx), wantCode: "InvalidCiphertextException"},
		{name: "other key", call: decrypt(enc.CiphertextBlob, b, encCtx), wantCode: "IncorrectKeyException"},
		{name: "unknown key", call: decrypt(enc.CiphertextBlob, a+"0", encCtx), wantCode: "NotFoundException"},
		{name: "key in another region", call: decrypt(enc.CiphertextBlob, strings.Replace(a, "us-east-1", "eu-west-1", 1), encCtx), wantCode: "NotFoundException"},
		{name: "disabled key", call: func() error {
			_, err := client.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(disabled), KeySpec: types.DataKeySpecAes256})
			return err
		}, wantCode: "DisabledException"},
		{name: "key spec and number of bytes", call: func() error {
			_, err := client.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(a), KeySpec: types.DataKeySpecAes256, NumberOfBytes: aws.Int32(32)})
			return err
		}, wantCode: "ValidationException"},
		{name: "alias exists", call: func() error {
			_, err := client.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: aws.String("alias/a"), TargetKeyId: aws.String(b)})
			return err
		}, wantCode: "AlreadyExistsException"},
		{name: "re-encrypt to unknown key", call: func() error {
			_, err := client.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: encCtx, DestinationKeyId: aws.String("alias/none")})
			return err
		}, wantCode: "NotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !isCode(err, tt.wantCode) {
				t.Fatalf("err = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	srv, client := setup(t)
	keyID := srv.CreateKey()
	srv.FailNext("GenerateDataKey", http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	in := &kms.GenerateDataKeyInput{KeyId: aws.String(keyID), KeySpec: types.DataKeySpecAes256}
	_, err := client.GenerateDataKey(t.Context(), in)
	if !isCode(err, "ThrottlingException") || !strings.Contains(err.Error(), "Rate exceeded") {
		t.Fatalf("first call: err = %v, want ThrottlingException: Rate exceeded", err)
	}
	if _, err := client.GenerateDataKey(t.Context(), in); err != nil {
		t.Fatalf("second call: %v", err)
	}
}

func describe(t *testing.T, client *kms.Client, keyID string) *types.KeyMetadata {
	t.Helper()
	out, err := client.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	return out.KeyMetadata
}

func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}
