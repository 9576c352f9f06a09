package oktasim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// TestFaultOnPageN fails page 2 of the user listing once: page 1 works, the
// second page answers 500 E0000009, and repeating it succeeds.
func TestFaultOnPageN(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{Faults: []Fault{{Path: "/api/v1/users", Page: 2, Status: 500, Times: 1}}})
	defer s.Close()
	resp, _ := get(t, s, "/api/v1/users?limit=10")
	next := nextLink(t, s, resp)
	tests := []struct {
		give       string
		wantStatus int
	}{
		{give: next, wantStatus: 500},
		{give: next, wantStatus: 200},
	}
	for _, tt := range tests {
		resp, body := get(t, s, tt.give)
		if resp.StatusCode != tt.wantStatus {
			t.Fatalf("GET %s: %d %s", tt.give, resp.StatusCode, body)
		}
		if tt.wantStatus == 500 {
			var e struct{ ErrorCode string }
			if json.Unmarshal(body, &e); e.ErrorCode != "E0000009" {
				t.Errorf("500 body %s", body)
			}
		}
	}
	if st := s.Stats(); st.Faulted != 1 {
		t.Errorf("faulted %d requests, want 1", st.Faulted)
	}
}

// TestFaultKinds covers the other fault kinds against a route pattern.
func TestFaultKinds(t *testing.T) {
	c := company(t, providersim.Small())
	group := func(s *Server) string { id, _ := s.GroupID("Engineering"); return "/api/v1/groups/" + id + "/users" }
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, s *Server, path string)
	}{
		{"status on a pattern", Fault{Path: "/api/v1/groups/{groupId}/users", Status: 503}, func(t *testing.T, s *Server, path string) {
			if resp, _ := get(t, s, path); resp.StatusCode != 503 {
				t.Errorf("got %d, want 503", resp.StatusCode)
			}
		}},
		{"method filter", Fault{Method: http.MethodPost, Status: 500}, func(t *testing.T, s *Server, path string) {
			if resp, _ := get(t, s, path); resp.StatusCode != 200 {
				t.Errorf("GET got %d, want 200", resp.StatusCode)
			}
		}},
		{"delay", Fault{Path: "/api/v1/groups/{groupId}/users", Delay: 50 * time.Millisecond}, func(t *testing.T, s *Server, path string) {
			start := time.Now()
			if resp, _ := get(t, s, path); resp.StatusCode != 200 || time.Since(start) < 50*time.Millisecond {
				t.Errorf("got %d after %v", resp.StatusCode, time.Since(start))
			}
		}},
		{"truncated body", Fault{Truncate: true}, func(t *testing.T, s *Server, path string) {
			resp, err := authed(s, path)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Error("reading a truncated body succeeded")
			}
		}},
		{"endless cursor", Fault{EndlessCursor: true}, func(t *testing.T, s *Server, path string) {
			next := path + "?limit=1000"
			for i := 0; i < 5; i++ {
				resp, body := get(t, s, next)
				if next = nextLink(t, s, resp); next == "" {
					t.Fatalf("page %d has no next link", i+1)
				}
				if i > 0 && string(body) != "[]" {
					t.Fatalf("page %d past the end is %.80s, want []", i+1, body)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(c, Options{})
			defer s.Close()
			s.AddFault(tt.fault)
			tt.check(t, s, group(s))
			s.ClearFaults()
			if resp, _ := get(t, s, group(s)); resp.StatusCode != 200 {
				t.Errorf("after ClearFaults: %d", resp.StatusCode)
			}
		})
	}
}

func authed(s *Server, path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "SSWS "+DefaultToken)
	return s.Client().Do(req)
}

// TestConcurrencyLimit answers 429 with zero headers beyond MaxConcurrent. The first request is held in flight by
// its fault until the test cancels it; the second is sent once the server counts the first (no real-time wait).
func TestConcurrencyLimit(t *testing.T) {
	c := company(t, providersim.Small())
	s := New(c, Options{MaxConcurrent: 1, Faults: []Fault{{Path: "/api/v1/apps", Delay: time.Hour}}})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan struct{})
	go func() {
		defer close(held)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/api/v1/apps", nil)
		req.Header.Set("Authorization", "SSWS "+DefaultToken)
		if resp, err := s.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for s.flight.Load() == 0 {
		runtime.Gosched()
	}
	resp, _ := get(t, s, "/api/v1/groups")
	cancel()
	<-held
	if resp.StatusCode != 429 || resp.Header.Get("X-Rate-Limit-Limit") != "0" || resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Errorf("got %d with limit %s", resp.StatusCode, resp.Header.Get("X-Rate-Limit-Limit"))
	}
}
