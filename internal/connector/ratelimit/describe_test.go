package ratelimit_test

import (
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector/ratelimit"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name  string
		waits []ratelimit.Wait
		want  string
	}{
		{"no waits", nil, ""},
		{"one wait", []ratelimit.Wait{{Bucket: "/api/v1/users", Duration: 12 * time.Second}}, "waited 12s for the /api/v1/users rate limit"},
		{"summed by bucket in first-wait order", []ratelimit.Wait{
			{Bucket: "GET /api/v2/users", Duration: 2 * time.Second},
			{Bucket: "GET /api/v2/roles", Duration: 1500 * time.Millisecond},
			{Bucket: "GET /api/v2/users", Duration: 3 * time.Second, Throttled: true},
		}, "waited 5s for the GET /api/v2/users rate limit; waited 2s for the GET /api/v2/roles rate limit"},
		{"below a second: milliseconds", []ratelimit.Wait{{Bucket: "core", Duration: 1234567 * time.Nanosecond}}, "waited 1ms for the core rate limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratelimit.Describe(tt.waits); got != tt.want {
				t.Errorf("Describe = %q, want %q", got, tt.want)
			}
		})
	}
}
