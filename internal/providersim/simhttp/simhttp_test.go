package simhttp

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
)

type fault struct {
	Path  string
	Times int
	N     int
}

func times(f fault) int { return f.Times }

func TestFaultsFirstRetiresAfterTimes(t *testing.T) {
	var fs Faults[fault]
	fs.Add(fault{Path: "/a", Times: 2, N: 1})
	fs.Add(fault{N: 2})
	match := func(path string) func(fault) bool {
		return func(f fault) bool { return RouteMatches(f.Path, "GET /x", path) }
	}
	var got []int
	for range 3 {
		f, ok := fs.First(times, match("/a"))
		if !ok {
			t.Fatal("no fault matched")
		}
		got = append(got, f.N)
	}
	if want := []int{1, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	fs.Clear()
	if _, ok := fs.First(times, match("/a")); ok {
		t.Fatal("a fault matched after Clear")
	}
}

func TestFaultsAllCountsEveryMatch(t *testing.T) {
	var fs Faults[fault]
	fs.Add(fault{Times: 1, N: 1})
	fs.Add(fault{Path: "/b", N: 2})
	fs.Add(fault{N: 3})
	all := func(f fault) bool { return RouteMatches(f.Path, "/a", "/a") }
	var got []int
	for _, f := range fs.All(times, all) {
		got = append(got, f.N)
	}
	if want := []int{1, 3}; !slices.Equal(got, want) {
		t.Fatalf("first round %v, want %v", got, want)
	}
	got = got[:0]
	for _, f := range fs.All(times, all) {
		got = append(got, f.N)
	}
	if want := []int{3}; !slices.Equal(got, want) {
		t.Fatalf("second round %v, want %v (the Times: 1 fault retired)", got, want)
	}
}

func TestRouteMatches(t *testing.T) {
	for _, tc := range []struct {
		want, pattern, path string
		ok                  bool
	}{
		{"", "GET /x/{id}", "/x/1", true},
		{"GET /x/{id}", "GET /x/{id}", "/x/1", true},
		{"/x/{id}", "GET /x/{id}", "/x/1", true},
		{"/x/1", "GET /x/{id}", "/x/1", true},
		{"/x/2", "GET /x/{id}", "/x/1", false},
		{"/x/{id}", "/x/{id}/y", "/x/1/y", false},
		{"{id}", "/x/{id}", "/x/1", false},
	} {
		if got := RouteMatches(tc.want, tc.pattern, tc.path); got != tc.ok {
			t.Errorf("RouteMatches(%q, %q, %q) = %v, want %v", tc.want, tc.pattern, tc.path, got, tc.ok)
		}
	}
}

func TestRecorderSnapshotIsACopy(t *testing.T) {
	type stats struct {
		Total   int
		ByRoute map[string]int
	}
	var r Recorder[stats]
	snap := func() stats {
		return r.Snapshot(func(s stats) stats { s.ByRoute = CloneCounts(s.ByRoute); return s })
	}
	if s := snap(); s.ByRoute == nil || len(s.ByRoute) != 0 {
		t.Fatalf("empty snapshot ByRoute = %#v, want an empty map", s.ByRoute)
	}
	r.Update(func(s *stats) { s.Total++; Count(&s.ByRoute, "GET /a") })
	s := snap()
	s.ByRoute["GET /a"] = 99
	if again := snap(); again.Total != 1 || again.ByRoute["GET /a"] != 1 {
		t.Fatalf("snapshot %+v after changing a copy, want Total 1 and GET /a 1", again)
	}
	r.Reset(stats{})
	if again := snap(); again.Total != 0 || len(again.ByRoute) != 0 {
		t.Fatalf("after Reset %+v", again)
	}
}

func TestListener(t *testing.T) {
	var none Listener
	if none.URL() != "" || none.Client(http.DefaultClient) != http.DefaultClient {
		t.Fatal("a Listener not started has a URL or its own client")
	}
	none.Close()
	for _, tls := range []bool{false, true} {
		var l Listener
		l.Start(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }), tls)
		resp, err := l.Client(nil).Get(l.URL() + "/")
		if err != nil {
			t.Fatalf("tls=%v: %v", tls, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		l.Close()
		if string(body) != "ok" || (resp.TLS != nil) != tls {
			t.Fatalf("tls=%v: body %q, TLS %v", tls, body, resp.TLS != nil)
		}
	}
}

func TestAudienceIsAndDecodeSegment(t *testing.T) {
	for _, tc := range []struct {
		aud  string
		want bool
	}{
		{`"https://t/token"`, true},
		{`"https://other"`, false},
		{`["x","https://t/token"]`, true},
		{`["x"]`, false},
		{`42`, false},
	} {
		if got := AudienceIs(json.RawMessage(tc.aud), "https://t/token"); got != tc.want {
			t.Errorf("AudienceIs(%s) = %v, want %v", tc.aud, got, tc.want)
		}
	}
	var v struct{ Alg string }
	if err := DecodeSegment("eyJhbGciOiJSUzI1NiJ9", &v); err != nil || v.Alg != "RS256" {
		t.Fatalf("DecodeSegment: %+v, %v", v, err)
	}
	if err := DecodeSegment("eyJhbGciOiJSUzI1NiJ9=", &v); err == nil {
		t.Fatal("DecodeSegment accepted padding")
	}
}
