package oktasim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/open-sspm/open-sspm/internal/providersim"
)

// discard is a ResponseWriter that keeps headers and drops the body, so the
// benchmarks measure the server, not a recorder.
type discard struct {
	h http.Header
	n int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func serveOnce(b *testing.B, h http.Handler, path string) (next string, bytes int) {
	req := httptest.NewRequest(http.MethodGet, "http://sim.local"+path, nil)
	req.Header.Set("Authorization", "SSWS "+DefaultToken)
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, req)
	for _, l := range w.h.Values("Link") {
		if strings.HasSuffix(l, `rel="next"`) {
			next = strings.TrimPrefix(strings.Split(l, ">")[0], "<http://sim.local")
		}
	}
	return next, w.n
}

func largeServer(b *testing.B) *Server {
	b.Helper()
	c, err := providersim.NewCompany(providersim.Large())
	if err != nil {
		b.Fatal(err)
	}
	return NewHandler(c, Options{})
}

// BenchmarkServeUsersPage serves one page of 200 users from the middle of a
// 50,000-user org.
func BenchmarkServeUsersPage(b *testing.B) {
	s := largeServer(b)
	h := s.Handler()
	path := "/api/v1/users?limit=200"
	for i := 0; i < 100; i++ {
		path, _ = serveOnce(b, h, path)
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		_, n = serveOnce(b, h, path)
	}
	b.SetBytes(int64(n))
}

// BenchmarkListAllUsers pages through all 50,000 users, 200 at a time.
func BenchmarkListAllUsers(b *testing.B) {
	s := largeServer(b)
	h := s.Handler()
	b.ReportAllocs()
	pages := 0
	for b.Loop() {
		pages = 0
		for path := "/api/v1/users?limit=200"; path != ""; pages++ {
			path, _ = serveOnce(b, h, path)
		}
	}
	b.ReportMetric(float64(pages), "pages/op")
}

// BenchmarkServeGroupMembers serves the members of the largest group in
// pages of 1,000.
func BenchmarkServeGroupMembers(b *testing.B) {
	s := largeServer(b)
	var id string
	most := 0
	for _, g := range s.org.groups[1:] {
		if len(g.members) > most {
			id, most = g.id, len(g.members)
		}
	}
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		for path := "/api/v1/groups/" + id + "/users?limit=1000"; path != ""; {
			path, _ = serveOnce(b, h, path)
		}
	}
	b.ReportMetric(float64(most), "members")
}

// BenchmarkNewHandlerLarge builds the Okta org for the benchmark company.
func BenchmarkNewHandlerLarge(b *testing.B) {
	c, err := providersim.NewCompany(providersim.Large())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewHandler(c, Options{})
	}
}
