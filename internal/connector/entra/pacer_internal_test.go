package entra

import "testing"

// TestLimitUsed: x-ms-throttle-limit-percentage is a fraction of the limit, 0.8 to 1.8 (over the limit);
// a percentage is accepted too.
func TestLimitUsed(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0.8", 0.8, true}, {"0.95", 0.95, true}, {"1.6", 1.6, true}, {"1.8", 1.8, true}, {" 0.9 ", 0.9, true},
		{"85", 0.85, true}, {"", 0, false}, {"x", 0, false}, {"0", 0, false}, {"-1", 0, false},
	}
	for _, tt := range tests {
		got, ok := limitUsed(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("limitUsed(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
