package secrets

import (
	"encoding/binary"
	"maps"
	"slices"
)

// canonicalContext encodes an encryption context so that two contexts encode alike exactly when they are
// equal: the entries sorted by key, each as uvarint(len(key)) key uvarint(len(value)) value. A nil and an
// empty context encode alike (as no bytes).
func canonicalContext(encCtx map[string]string) []byte {
	var b []byte
	for _, k := range slices.Sorted(maps.Keys(encCtx)) {
		v := encCtx[k]
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}
