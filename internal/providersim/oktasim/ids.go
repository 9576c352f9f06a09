package oktasim

import "github.com/open-sspm/open-sspm/internal/providersim"

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
	x := providersim.SplitMix64(uint64(seed) ^ 0x6f6b7461)
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

// uuid returns a deterministic version-4-shaped UUID for (seed, n).
func uuid(seed int64, n uint64) string {
	return providersim.UUIDv4(providersim.SplitMix64(uint64(seed)^n*0x9E37), providersim.SplitMix64(n^uint64(seed)<<1^0xABCDEF))
}
