package providersim

import "testing"

func TestSplitMix64(t *testing.T) {
	// The first outputs of the reference SplitMix64 generator seeded with 0 (state advanced by the golden gamma).
	if got := SplitMix64(0); got != 0xE220A8397B1DCDAF {
		t.Fatalf("SplitMix64(0) = %#x", got)
	}
	if got := SplitMix64(0x9E3779B97F4A7C15); got != 0x6E789E6AA1B965F4 {
		t.Fatalf("SplitMix64(gamma) = %#x", got)
	}
}

func TestUUIDv4(t *testing.T) {
	for _, tc := range []struct {
		a, b uint64
		want string
	}{
		{0, 0, "00000000-0000-4000-8000-000000000000"},
		{^uint64(0), ^uint64(0), "ffffffff-ffff-4fff-bfff-ffffffffffff"},
		{0x0807060504030201, 0x100F0E0D0C0B0A09, "01020304-0506-4708-890a-0b0c0d0e0f10"},
	} {
		if got := UUIDv4(tc.a, tc.b); got != tc.want {
			t.Errorf("UUIDv4(%#x, %#x) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}
