package secrets

import (
	"encoding/binary"
	"fmt"
)

// Envelope is the stored form of one sealed connector secret.
//
// Its binary encoding, version 1, is (integers big-endian):
//
//	offset  size  field
//	0       4     magic "OSSE" (open-sspm secret envelope)
//	4       1     format version, 1
//	5       2     n: length of the key id, 1..1024
//	7       n     key id (UTF-8): the wrapper key that wrapped the data key
//	7+n     2     m: length of the wrapped data key, 1..65535
//	9+n     m     wrapped data key, as the KeyWrapper returned it
//	9+n+m   4     s: length of the sealed secret, at least 28
//	13+n+m  s     sealed secret: 12-byte random nonce || AES-256-GCM ciphertext || 16-byte tag
//
// Nothing may follow the sealed secret. The GCM additional data is "OSSE", the version byte, a 4-byte length
// of the connector id and the connector id; it leaves out the key id and the wrapped key, so re-wrapping the
// data key leaves the sealed secret valid and byte for byte the same.
type Envelope struct {
	KeyID      string
	WrappedKey []byte
	Sealed     []byte
}

const (
	envelopeMagic   = "OSSE"
	envelopeVersion = 1

	maxKeyIDLen    = 1024
	minSealedLen   = 12 + 16 // nonce and tag
	dataKeyLen     = 32
	envelopeHeader = len(envelopeMagic) + 1
)

// MarshalBinary encodes e in format version 1. It fails when a field is empty or too long to encode.
func (e Envelope) MarshalBinary() ([]byte, error) {
	switch {
	case e.KeyID == "" || len(e.KeyID) > maxKeyIDLen:
		return nil, fmt.Errorf("marshal envelope: key id length %d, want 1..%d", len(e.KeyID), maxKeyIDLen)
	case len(e.WrappedKey) == 0 || len(e.WrappedKey) > 0xFFFF:
		return nil, fmt.Errorf("marshal envelope: wrapped key length %d, want 1..65535", len(e.WrappedKey))
	case len(e.Sealed) < minSealedLen || uint64(len(e.Sealed)) > 0xFFFFFFFF:
		return nil, fmt.Errorf("marshal envelope: sealed secret length %d, want at least %d", len(e.Sealed), minSealedLen)
	}
	b := make([]byte, 0, envelopeHeader+2+len(e.KeyID)+2+len(e.WrappedKey)+4+len(e.Sealed))
	b = append(b, envelopeMagic...)
	b = append(b, envelopeVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.KeyID)))
	b = append(b, e.KeyID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.WrappedKey)))
	b = append(b, e.WrappedKey...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Sealed)))
	b = append(b, e.Sealed...)
	return b, nil
}

// ParseEnvelope decodes an envelope without opening it, for example to see which key wrapped its data key.
// The returned slices alias b. A malformed envelope yields an error wrapping ErrCannotOpen.
func ParseEnvelope(b []byte) (Envelope, error) {
	if len(b) < envelopeHeader || string(b[:len(envelopeMagic)]) != envelopeMagic {
		return Envelope{}, fmt.Errorf("%w: malformed envelope: no envelope header", ErrCannotOpen)
	}
	if v := b[len(envelopeMagic)]; v != envelopeVersion {
		return Envelope{}, fmt.Errorf("%w: malformed envelope: unknown version %d", ErrCannotOpen, v)
	}
	r := reader{b: b[envelopeHeader:]}
	keyID := r.field(2)
	wrapped := r.field(2)
	sealed := r.field(4)
	switch {
	case r.short:
		return Envelope{}, fmt.Errorf("%w: malformed envelope: truncated", ErrCannotOpen)
	case len(r.b) != 0:
		return Envelope{}, fmt.Errorf("%w: malformed envelope: %d trailing bytes", ErrCannotOpen, len(r.b))
	case len(keyID) == 0 || len(keyID) > maxKeyIDLen:
		return Envelope{}, fmt.Errorf("%w: malformed envelope: key id length %d", ErrCannotOpen, len(keyID))
	case len(wrapped) == 0:
		return Envelope{}, fmt.Errorf("%w: malformed envelope: empty wrapped key", ErrCannotOpen)
	case len(sealed) < minSealedLen:
		return Envelope{}, fmt.Errorf("%w: malformed envelope: sealed secret of %d bytes", ErrCannotOpen, len(sealed))
	}
	return Envelope{KeyID: string(keyID), WrappedKey: wrapped, Sealed: sealed}, nil
}

// sealAAD is the GCM additional data that binds a sealed secret to the format version and its connector.
func sealAAD(connectorID string) []byte {
	aad := make([]byte, 0, envelopeHeader+4+len(connectorID))
	aad = append(aad, envelopeMagic...)
	aad = append(aad, envelopeVersion)
	aad = binary.BigEndian.AppendUint32(aad, uint32(len(connectorID)))
	return append(aad, connectorID...)
}

// reader reads length-prefixed fields; short records that a field ran past the end.
type reader struct {
	b     []byte
	short bool
}

// field reads a big-endian length of size 2 or 4 bytes and that many bytes.
func (r *reader) field(size int) []byte {
	if r.short || len(r.b) < size {
		r.short = true
		return nil
	}
	var n uint64
	if size == 2 {
		n = uint64(binary.BigEndian.Uint16(r.b))
	} else {
		n = uint64(binary.BigEndian.Uint32(r.b))
	}
	r.b = r.b[size:]
	if uint64(len(r.b)) < n {
		r.short = true
		return nil
	}
	f := r.b[:n:n]
	r.b = r.b[n:]
	return f
}
