package providersim

import (
	"math/rand/v2"
	"time"
)

// rng wraps a seeded PCG source with the few draws the generators need. Every
// generator takes its own rng derived from the seed and a stream number, so
// adding draws to one generator does not shift the output of the others.
type rng struct {
	r *rand.Rand
}

// newRNG returns the random stream number stream for seed.
func newRNG(seed int64, stream uint64) *rng {
	return &rng{r: rand.New(rand.NewPCG(uint64(seed), stream*0x9E3779B97F4A7C15+1))}
}

// intn returns a number in [0, n); n <= 0 returns 0.
func (g *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return g.r.IntN(n)
}

// chance reports true with probability p.
func (g *rng) chance(p float64) bool { return g.r.Float64() < p }

// float returns a number in [0, 1).
func (g *rng) float() float64 { return g.r.Float64() }

// exp returns an exponentially distributed number with mean 1.
func (g *rng) exp() float64 { return g.r.ExpFloat64() }

// pick returns a random element of s.
func pick[T any](g *rng, s []T) T { return s[g.intn(len(s))] }

// between returns a duration in [lo, hi).
func (g *rng) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)))
}

// perm returns a random permutation of [0, n).
func (g *rng) perm(n int) []int { return g.r.Perm(n) }
