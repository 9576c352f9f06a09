package kmsfake

import (
	"crypto/rand"
	"strings"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

// keyMetadata is the KeyMetadata structure of DescribeKey and CreateKey.
func keyMetadata(k *key) map[string]any {
	state := "Enabled"
	if !k.enabled {
		state = "Disabled"
	}
	_, m := k.current()
	return map[string]any{
		"AWSAccountId":          awsfake.Account,
		"KeyId":                 k.id,
		"Arn":                   k.arn(),
		"Description":           k.description,
		"Enabled":               k.enabled,
		"KeyState":              state,
		"KeyUsage":              "ENCRYPT_DECRYPT",
		"KeySpec":               symmetricDefault,
		"CustomerMasterKeySpec": symmetricDefault,
		"EncryptionAlgorithms":  []string{symmetricDefault},
		"KeyManager":            "CUSTOMER",
		"Origin":                "AWS_KMS",
		"MultiRegion":           false,
		"CurrentKeyMaterialId":  m.id,
	}
}

type createKeyInput struct {
	Description string
	KeySpec     string
	KeyUsage    string
}

func (s *Server) createKey(in createKeyInput) (any, *awsfake.Error) {
	if (in.KeySpec != "" && in.KeySpec != symmetricDefault) || (in.KeyUsage != "" && in.KeyUsage != "ENCRYPT_DECRYPT") {
		return nil, awsfake.Errorf("UnsupportedOperationException", "kmsfake creates only %s ENCRYPT_DECRYPT keys.", symmetricDefault)
	}
	return map[string]any{"KeyMetadata": keyMetadata(s.newKey(in.Description))}, nil
}

type keyIDInput struct {
	KeyId string
}

func (s *Server) describeKey(in keyIDInput) (any, *awsfake.Error) {
	k, aerr := s.resolve(in.KeyId)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"KeyMetadata": keyMetadata(k)}, nil
}

func (s *Server) enableKey(in keyIDInput) (any, *awsfake.Error) {
	return s.setEnabled(in.KeyId, true)
}

func (s *Server) disableKey(in keyIDInput) (any, *awsfake.Error) {
	return s.setEnabled(in.KeyId, false)
}

func (s *Server) setEnabled(keyID string, enabled bool) (any, *awsfake.Error) {
	k, aerr := s.resolve(keyID)
	if aerr != nil {
		return nil, aerr
	}
	k.enabled = enabled
	return struct{}{}, nil
}

// rotateKeyOnDemand adds a generation of key material; the key id stays the same.
func (s *Server) rotateKeyOnDemand(in keyIDInput) (any, *awsfake.Error) {
	k, aerr := s.usable(in.KeyId)
	if aerr != nil {
		return nil, aerr
	}
	k.materials = append(k.materials, newMaterial())
	return map[string]any{"KeyId": k.arn()}, nil
}

type aliasInput struct {
	AliasName   string
	TargetKeyId string
}

func (s *Server) createAlias(in aliasInput) (any, *awsfake.Error) {
	if _, ok := s.aliases[in.AliasName]; ok {
		return nil, awsfake.Errorf("AlreadyExistsException", "An alias with the name %s already exists", arnPrefix+in.AliasName)
	}
	return s.pointAlias(in)
}

func (s *Server) updateAlias(in aliasInput) (any, *awsfake.Error) {
	if _, ok := s.aliases[in.AliasName]; !ok {
		return nil, awsfake.Errorf("NotFoundException", "Alias %s is not found.", arnPrefix+in.AliasName)
	}
	return s.pointAlias(in)
}

func (s *Server) pointAlias(in aliasInput) (any, *awsfake.Error) {
	if !strings.HasPrefix(in.AliasName, "alias/") || strings.HasPrefix(in.AliasName, "alias/aws/") || len(in.AliasName) <= len("alias/") {
		return nil, awsfake.Errorf("ValidationException", "Alias must start with the prefix \"alias/\" and must not begin with \"alias/aws/\".")
	}
	if strings.Contains(in.TargetKeyId, "alias/") {
		return nil, awsfake.Errorf("ValidationException", "TargetKeyId must be a key id or key ARN, not an alias.")
	}
	k, aerr := s.resolve(in.TargetKeyId)
	if aerr != nil {
		return nil, aerr
	}
	s.aliases[in.AliasName] = k.id
	return struct{}{}, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}
