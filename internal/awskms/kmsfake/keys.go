package kmsfake

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/open-sspm/open-sspm/internal/awsfake"
)

const arnPrefix = "arn:aws:kms:" + awsfake.Region + ":" + awsfake.Account + ":"

// key is one symmetric KMS key. materials holds its generations of key material, oldest first; the last one
// encrypts, any one still present decrypts. A retired generation is nil.
type key struct {
	id          string
	description string
	enabled     bool
	materials   []material
}

type material struct {
	id   string // KeyMaterialId, 64 hex digits
	aead cipher.AEAD
}

func (k *key) arn() string { return arnPrefix + "key/" + k.id }

func (k *key) current() (uint16, material) {
	i := len(k.materials) - 1
	return uint16(i), k.materials[i]
}

// CreateKey adds an enabled symmetric key and returns its ARN.
func (s *Server) CreateKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newKey("").arn()
}

// DeleteKey removes a key, as if its deletion window had passed, and any alias pointing at it. keyID is a key
// id, key ARN, alias name or alias ARN. Ciphertexts under the key no longer decrypt.
func (s *Server) DeleteKey(keyID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, aerr := s.resolve(keyID)
	if aerr != nil {
		return fmt.Errorf("kmsfake delete key: %s", aerr.Message)
	}
	delete(s.keys, k.id)
	for alias, id := range s.aliases {
		if id == k.id {
			delete(s.aliases, alias)
		}
	}
	return nil
}

// RetireOldMaterial drops every generation of a key's material but the current one. Real KMS keeps old key
// material for ever; tests use this to prove that nothing still depends on it after a rewrap.
func (s *Server) RetireOldMaterial(keyID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, aerr := s.resolve(keyID)
	if aerr != nil {
		return fmt.Errorf("kmsfake retire old material: %s", aerr.Message)
	}
	for i := range len(k.materials) - 1 {
		k.materials[i] = material{}
	}
	return nil
}

// newKey creates a key with one generation of material. The caller holds s.mu.
func (s *Server) newKey(description string) *key {
	k := &key{id: newUUID(), description: description, enabled: true}
	k.materials = append(k.materials, newMaterial())
	s.keys[k.id] = k
	return k
}

// resolve finds the key that keyID names: a key id, key ARN, alias name or alias ARN of this account and
// region. The caller holds s.mu.
func (s *Server) resolve(keyID string) (*key, *awsfake.Error) {
	id := keyID
	if rest, ok := strings.CutPrefix(keyID, arnPrefix); ok {
		id = rest
		if bare, ok := strings.CutPrefix(rest, "key/"); ok {
			id = bare
		}
	}
	if strings.HasPrefix(id, "alias/") {
		target, ok := s.aliases[id]
		if !ok {
			return nil, awsfake.Errorf("NotFoundException", "Alias %s is not found.", arnPrefix+id)
		}
		id = target
	}
	k, ok := s.keys[id]
	if !ok {
		return nil, awsfake.Errorf("NotFoundException", "Key '%s' does not exist", keyID)
	}
	return k, nil
}

// usable resolves keyID to an enabled key. The caller holds s.mu.
func (s *Server) usable(keyID string) (*key, *awsfake.Error) {
	if keyID == "" {
		return nil, awsfake.Errorf("ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	k, aerr := s.resolve(keyID)
	if aerr != nil {
		return nil, aerr
	}
	if !k.enabled {
		return nil, awsfake.Errorf("DisabledException", "%s is disabled.", k.arn())
	}
	return k, nil
}

func newMaterial() material {
	raw := make([]byte, 32)
	defer clear(raw)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails
	block, err := aes.NewCipher(raw)
	if err != nil {
		panic(fmt.Sprintf("kmsfake: aes: %v", err)) // unreachable: the key is 32 bytes
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic(fmt.Sprintf("kmsfake: gcm: %v", err)) // unreachable: AES is a 128-bit block cipher
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return material{id: hex.EncodeToString(id), aead: aead}
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
