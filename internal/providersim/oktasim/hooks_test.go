package oktasim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// registerHook creates and verifies a hook for group membership additions
// through the raw API and returns its verify status code.
func registerHook(t *testing.T, s *Server, uri, secret string) int {
	t.Helper()
	body := `{"name":"h","events":{"type":"EVENT_TYPE","items":["group.user_membership.add"]},
		"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"` + uri + `","headers":[{"key":"X-Extra","value":"1"}],
		"authScheme":{"type":"HEADER","key":"Authorization","value":"` + secret + `"}}}}`
	resp, b := do(t, s, http.MethodPost, "/api/v1/eventHooks", DefaultToken, []byte(body))
	if resp.StatusCode != 200 {
		t.Fatalf("create hook: %d %s", resp.StatusCode, b)
	}
	var h struct{ ID string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	resp, _ = do(t, s, http.MethodPost, "/api/v1/eventHooks/"+h.ID+"/lifecycle/verify", DefaultToken, nil)
	return resp.StatusCode
}

// addMembers emits n group.user_membership.add events.
func addMembers(t *testing.T, s *Server, c *providersim.Company, n int) {
	t.Helper()
	g, _ := s.AddGroup("Hooked", "")
	added := 0
	for i := range c.People {
		if id, ok := s.UserID(c.People[i].ID); ok && added < n {
			if err := s.AddGroupMember(g, id); err != nil {
				t.Fatal(err)
			}
			added++
		}
	}
}

func TestHookDeliveryOptions(t *testing.T) {
	c := company(t, providersim.Small())
	tests := []struct {
		name         string
		opts         HookOptions
		status       int
		want         DeliveryReport
		wantReceived int
		reversed     bool
	}{
		{name: "batches of 2", opts: HookOptions{BatchSize: 2}, want: DeliveryReport{Batches: 3, Events: 5, Attempts: 3}, wantReceived: 3},
		{name: "duplicates", opts: HookOptions{BatchSize: 10, Duplicate: true}, want: DeliveryReport{Batches: 2, Events: 10, Attempts: 2}, wantReceived: 2},
		{name: "out of order", opts: HookOptions{BatchSize: 2, Reverse: true}, want: DeliveryReport{Batches: 3, Events: 5, Attempts: 3}, wantReceived: 3, reversed: true},
		{name: "4xx is not retried", opts: HookOptions{}, status: 400, want: DeliveryReport{Batches: 1, Attempts: 1, Failed: 1}, wantReceived: 1},
		{name: "5xx is retried once", opts: HookOptions{}, status: 503, want: DeliveryReport{Batches: 1, Attempts: 2, Failed: 1}, wantReceived: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(c, Options{Hooks: tt.opts})
			defer s.Close()
			recv := &hookReceiver{secret: "s3cret", status: tt.status}
			endpoint := httptest.NewServer(recv)
			defer endpoint.Close()
			if code := registerHook(t, s, endpoint.URL, "s3cret"); code != 200 {
				t.Fatalf("verify: %d", code)
			}
			addMembers(t, s, c, 5)
			rep, err := s.DeliverHooks(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Errors) != rep.Failed {
				t.Errorf("%d errors for %d failures", len(rep.Errors), rep.Failed)
			}
			rep.Errors = nil
			if !reflect.DeepEqual(rep, tt.want) || len(recv.deliveries) != tt.wantReceived {
				t.Errorf("report %+v with %d received; want %+v with %d", rep, len(recv.deliveries), tt.want, tt.wantReceived)
			}
			if tt.reversed {
				// Batches [1 2] [3 4] [5] arrive as [5] [3 4] [1 2].
				if n := len(recv.deliveries[0].Body.Data.Events); n != 1 {
					t.Errorf("first delivery has %d events, want the newest batch of 1", n)
				}
			}
		})
	}
}

func TestHookVerificationFailures(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{})
	defer s.Close()
	wrongEcho := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"verification":"something else"}`))
	}))
	defer wrongEcho.Close()
	recv := httptest.NewServer(&hookReceiver{secret: "right"})
	defer recv.Close()
	tests := []struct {
		name, uri, secret string
		want              int
	}{
		{"wrong echo", wrongEcho.URL, "x", 400},
		{"wrong secret", recv.URL, "wrong", 400},
	}
	for _, tt := range tests {
		if got := registerHook(t, s, tt.uri, tt.secret); got != tt.want {
			t.Errorf("%s: verify answered %d, want %d", tt.name, got, tt.want)
		}
	}
	body := `{"name":"h","events":{"type":"EVENT_TYPE","items":["x"]},"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"http://hooks.example.com/x"}}}`
	resp, b := do(t, s, http.MethodPost, "/api/v1/eventHooks", DefaultToken, []byte(body))
	if resp.StatusCode != 400 || !strings.Contains(string(b), "https") {
		t.Errorf("plain http to a public host: %d %s", resp.StatusCode, b)
	}
}
