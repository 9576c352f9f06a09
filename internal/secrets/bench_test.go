package secrets_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/open-sspm/open-sspm/internal/secrets"
)

func BenchmarkSealOpen(b *testing.B) {
	s := secrets.NewSealer(mustLocalKey(b, newKey(b)))
	for _, size := range []int{64, 4 << 10} {
		plaintext := bytes.Repeat([]byte("s"), size)
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				ct, err := s.Seal(b.Context(), "conn-1", plaintext)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Open(b.Context(), "conn-1", ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
