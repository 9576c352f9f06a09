package kmsfake

import "github.com/open-sspm/open-sspm/internal/awsfake"

const symmetricDefault = "SYMMETRIC_DEFAULT"

type generateDataKeyInput struct {
	KeyId             string
	KeySpec           string
	NumberOfBytes     *int
	EncryptionContext map[string]string
}

func (s *Server) generateDataKey(in generateDataKeyInput) (any, *awsfake.Error) {
	k, aerr := s.usable(in.KeyId)
	if aerr != nil {
		return nil, aerr
	}
	var n int
	switch {
	case in.KeySpec != "" && in.NumberOfBytes != nil:
		return nil, awsfake.Errorf("ValidationException", "Please specify either number of bytes or key spec.")
	case in.KeySpec == "AES_256":
		n = 32
	case in.KeySpec == "AES_128":
		n = 16
	case in.KeySpec != "":
		return nil, awsfake.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", in.KeySpec)
	case in.NumberOfBytes != nil && *in.NumberOfBytes >= 1 && *in.NumberOfBytes <= 1024:
		n = *in.NumberOfBytes
	default:
		return nil, awsfake.Errorf("ValidationException", "Please specify either number of bytes or key spec.")
	}
	plaintext := randomBytes(n)
	_, m := k.current()
	return map[string]any{
		"CiphertextBlob": seal(k, plaintext, in.EncryptionContext),
		"Plaintext":      plaintext,
		"KeyId":          k.arn(),
		"KeyMaterialId":  m.id,
	}, nil
}

type encryptInput struct {
	KeyId               string
	Plaintext           []byte
	EncryptionContext   map[string]string
	EncryptionAlgorithm string
}

func (s *Server) encrypt(in encryptInput) (any, *awsfake.Error) {
	k, aerr := s.usable(in.KeyId)
	if aerr != nil {
		return nil, aerr
	}
	if len(in.Plaintext) < 1 || len(in.Plaintext) > 4096 {
		return nil, awsfake.Errorf("ValidationException", "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096")
	}
	if aerr := checkAlgorithm(in.EncryptionAlgorithm); aerr != nil {
		return nil, aerr
	}
	return map[string]any{
		"CiphertextBlob":      seal(k, in.Plaintext, in.EncryptionContext),
		"KeyId":               k.arn(),
		"EncryptionAlgorithm": symmetricDefault,
	}, nil
}

type decryptInput struct {
	CiphertextBlob      []byte
	KeyId               string
	EncryptionContext   map[string]string
	EncryptionAlgorithm string
}

func (s *Server) decrypt(in decryptInput) (any, *awsfake.Error) {
	if aerr := checkAlgorithm(in.EncryptionAlgorithm); aerr != nil {
		return nil, aerr
	}
	k, plaintext, aerr := s.open(in.CiphertextBlob, in.KeyId, in.EncryptionContext)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{
		"Plaintext":           plaintext,
		"KeyId":               k.arn(),
		"EncryptionAlgorithm": symmetricDefault,
	}, nil
}

type reEncryptInput struct {
	CiphertextBlob                 []byte
	SourceKeyId                    string
	SourceEncryptionContext        map[string]string
	SourceEncryptionAlgorithm      string
	DestinationKeyId               string
	DestinationEncryptionContext   map[string]string
	DestinationEncryptionAlgorithm string
}

func (s *Server) reEncrypt(in reEncryptInput) (any, *awsfake.Error) {
	for _, alg := range []string{in.SourceEncryptionAlgorithm, in.DestinationEncryptionAlgorithm} {
		if aerr := checkAlgorithm(alg); aerr != nil {
			return nil, aerr
		}
	}
	dst, aerr := s.usable(in.DestinationKeyId)
	if aerr != nil {
		return nil, aerr
	}
	src, plaintext, aerr := s.open(in.CiphertextBlob, in.SourceKeyId, in.SourceEncryptionContext)
	if aerr != nil {
		return nil, aerr
	}
	defer clear(plaintext)
	_, m := dst.current()
	return map[string]any{
		"CiphertextBlob":                 seal(dst, plaintext, in.DestinationEncryptionContext),
		"KeyId":                          dst.arn(),
		"SourceKeyId":                    src.arn(),
		"SourceEncryptionAlgorithm":      symmetricDefault,
		"DestinationEncryptionAlgorithm": symmetricDefault,
		"DestinationKeyMaterialId":       m.id,
	}, nil
}

// open decrypts a ciphertext blob. keyID, when set, must name the key of the blob, as in KMS. The caller
// holds s.mu.
func (s *Server) open(ciphertext []byte, keyID string, encCtx map[string]string) (*key, []byte, *awsfake.Error) {
	if len(ciphertext) == 0 {
		return nil, nil, awsfake.Errorf("ValidationException", "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	b, ok := parseBlob(ciphertext)
	if !ok {
		return nil, nil, awsfake.Errorf("InvalidCiphertextException", "The ciphertext is not a kmsfake ciphertext blob.")
	}
	if keyID != "" {
		want, aerr := s.resolve(keyID)
		if aerr != nil {
			return nil, nil, aerr
		}
		if want.id != b.keyID {
			return nil, nil, awsfake.Errorf("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.")
		}
	}
	k, ok := s.keys[b.keyID]
	if !ok {
		return nil, nil, awsfake.Errorf("InvalidCiphertextException", "The ciphertext refers to a KMS key that does not exist.")
	}
	if !k.enabled {
		return nil, nil, awsfake.Errorf("DisabledException", "%s is disabled.", k.arn())
	}
	plaintext, ok := open(k, b, encCtx)
	if !ok {
		return nil, nil, awsfake.Errorf("InvalidCiphertextException", "The ciphertext is invalid, or the encryption context does not match.")
	}
	return k, plaintext, nil
}

func checkAlgorithm(alg string) *awsfake.Error {
	if alg != "" && alg != symmetricDefault {
		return awsfake.Errorf("InvalidKeyUsageException", "kmsfake keys support only %s, not %s.", symmetricDefault, alg)
	}
	return nil
}
