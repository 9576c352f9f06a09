package outbound_test

import (
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/open-sspm/open-sspm/internal/outbound"
)

func TestRedactURL(t *testing.T) {
	cause := errors.New("connection reset by peer")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"query dropped", &url.Error{Op: "Get", URL: "https://graph.example/v1.0/users/delta?$deltatoken=secret", Err: cause},
			"Get https://graph.example/v1.0/users/delta: connection reset by peer"},
		{"wrapped", fmt.Errorf("list users: %w", &url.Error{Op: "Get", URL: "https://x.example/a?after=tok", Err: cause}),
			"Get https://x.example/a: connection reset by peer"},
		{"no query", &url.Error{Op: "Post", URL: "https://x.example/a", Err: cause}, "Post https://x.example/a: connection reset by peer"},
		{"not a url error", cause, "connection reset by peer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outbound.RedactURL(tt.err); got != tt.want {
				t.Fatalf("RedactURL = %q, want %q", got, tt.want)
			}
		})
	}
}
