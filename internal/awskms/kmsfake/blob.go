package kmsfake

import (
	"encoding/binary"
	"maps"
	"slices"
)

// A ciphertext blob of the fake is (integers big-endian):
//
//	0      1  version, 1
//	1      1  n: length of the key id
//	2      n  bare key id
//	2+n    2  material generation
//	4+n    .. 12-byte nonce || AES-256-GCM ciphertext || 16-byte tag
//
// The GCM additional data is the blob's first 4+n bytes followed by the canonical encryption context, so the
// key, the material and the context are all authenticated.
const blobVersion = 1

// seal encrypts plaintext under k's current material and encCtx.
func seal(k *key, plaintext []byte, encCtx map[string]string) []byte {
	gen, m := k.current()
	header := make([]byte, 0, 4+len(k.id))
	header = append(header, blobVersion, byte(len(k.id)))
	header = append(header, k.id...)
	header = binary.BigEndian.AppendUint16(header, gen)
	return m.aead.Seal(header, nil, plaintext, aad(header, encCtx))
}

// blob is a parsed ciphertext blob.
type blob struct {
	header []byte
	keyID  string
	gen    uint16
	sealed []byte
}

func parseBlob(b []byte) (blob, bool) {
	if len(b) < 2 || b[0] != blobVersion {
		return blob{}, false
	}
	n := int(b[1])
	if len(b) < 4+n {
		return blob{}, false
	}
	return blob{
		header: b[: 4+n : 4+n],
		keyID:  string(b[2 : 2+n]),
		gen:    binary.BigEndian.Uint16(b[2+n:]),
		sealed: b[4+n:],
	}, true
}

// open decrypts b with k's material of b's generation.
func open(k *key, b blob, encCtx map[string]string) ([]byte, bool) {
	if int(b.gen) >= len(k.materials) || k.materials[b.gen].aead == nil {
		return nil, false
	}
	pt, err := k.materials[b.gen].aead.Open(nil, nil, b.sealed, aad(b.header, encCtx))
	return pt, err == nil
}

// aad is header followed by encCtx sorted by key, each entry as uvarint-length-prefixed key and value.
func aad(header []byte, encCtx map[string]string) []byte {
	out := slices.Clone(header)
	for _, k := range slices.Sorted(maps.Keys(encCtx)) {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
		out = binary.AppendUvarint(out, uint64(len(encCtx[k])))
		out = append(out, encCtx[k]...)
	}
	return out
}
