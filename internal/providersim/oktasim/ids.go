package oktasim

import "encoding/hex"

// base62 digits in ASCII order, so fixed-width encodings sort numerically.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Okta id prefixes by object type.
const (
	prefixUser          = "00u"
	prefixGroup         = "00g"
	prefixApp           = "0oa"
	prefixPolicy        = "00p"
	prefixRule          = "0pr"
	prefixAuthenticator = "aut"
	prefixHook          = "who"
	prefixLogStream     = "0oa"
	prefixBrand         = "bnd"
	prefixToken         = "00T"
	prefixUserType      = "oty"
	prefixRole          = "irb"
	prefixGrant         = "oag"
	prefixOrg           = "00o"
	prefixError         = "oae"
	prefixRequest       = "req"
)

// idMaker makes Okta-shaped 20-character ids: a 3-character type prefix, a
// 10-character base62 sequence (ids of one type sort in creation order) and a
// 7-character salt derived from the company seed.
type idMaker struct{ salt string }

func newIDMaker(seed int64) idMaker {
	x := splitmix(uint64(seed) ^ 0x6f6b7461)
	var b [7]byte
	for i := range b {
		b[i] = base62[x%62]
		x /= 62
	}
	return idMaker{salt: string(b[:])}
}

// id returns the id of object number seq of the type prefix.
func (m idMaker) id(prefix string, seq int64) string {
	var b [20]byte
	copy(b[:], prefix)
	for i, v := 12, uint64(seq); i >= 3; i-- {
		b[i] = base62[v%62]
		v /= 62
	}
	copy(b[13:], m.salt)
	return string(b[:])
}

// splitmix is the SplitMix64 mixer: a cheap deterministic hash.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// uuid returns a deterministic version-4-shaped UUID for (seed, n).
func uuid(seed int64, n uint64) string {
	a, b := splitmix(uint64(seed)^n*0x9E37), splitmix(n^uint64(seed)<<1^0xABCDEF)
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(a >> (8 * i))
		raw[8+i] = byte(b >> (8 * i))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], raw[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], raw[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], raw[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], raw[8:10])
	out[23] = '-'
	hex.Encode(out[24:], raw[10:])
	return string(out[:])
}
