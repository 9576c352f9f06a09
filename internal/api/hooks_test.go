package api_test

import (
	"context"
	"crypto/subtle"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-sspm/open-sspm/internal/api"
	"github.com/open-sspm/open-sspm/internal/auth"
	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/sspm"
)

// hookStore holds connectors and their webhook secrets (stored in the clear: the test's Open returns them).
type hookStore struct{ conns map[string]sspm.Connector }

func (s hookStore) Connector(_ context.Context, id string) (sspm.Connector, error) {
	c, ok := s.conns[id]
	if !ok {
		return sspm.Connector{}, sspm.Errorf(sspm.CodeNotFound, "no connector %s", id)
	}
	return c, nil
}

func (s hookStore) WebhookSecret(_ context.Context, id string) ([]byte, error) {
	if _, ok := s.conns[id]; !ok {
		return nil, sspm.Errorf(sspm.CodeNotFound, "no connector %s", id)
	}
	return []byte("secret-of-" + id), nil
}

type sentQueue struct {
	mu   sync.Mutex
	sent int
}

func (q *sentQueue) Send(_ context.Context, bodies ...[]byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent += len(bodies)
	return nil
}

func newHooks(t *testing.T, failures *auth.Limiter) (*httptest.Server, *sentQueue) {
	t.Helper()
	kind := connector.Kind{Kind: sspm.KindTestSource, Push: &connector.Push{
		Verify: func(r *http.Request, _, secret []byte) (connector.Verified, error) {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), secret) != 1 {
				return connector.Verified{}, sspm.Errorf(sspm.CodeUnauthorized, "bad authorization")
			}
			return connector.Verified{}, nil
		},
	}}
	q := &sentQueue{}
	h := &api.Hooks{
		Store: hookStore{conns: map[string]sspm.Connector{
			"t1":  {ID: "t1", Kind: sspm.KindTestSource, Enabled: true},
			"off": {ID: "off", Kind: sspm.KindTestSource, Enabled: false},
		}},
		Registry: connector.NewRegistry(kind),
		Open:     func(_ context.Context, _ string, sealed []byte) ([]byte, error) { return sealed, nil },
		Queue:    q,
		Failures: failures,
	}
	srv := httptest.NewServer((&api.Server{Hooks: h}).Handler())
	t.Cleanup(srv.Close)
	return srv, q
}

func postHook(t *testing.T, srv *httptest.Server, path, authz string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(`{"events":[]}`))
	req.Header.Set("Authorization", authz)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, b.String()
}

// TestHooksAnswerUnknownConnectorsLikeBadSecrets: a wrong secret for a known connector, an unknown connector, a
// disabled one and a kind that does not match all get the same answer, so connector ids cannot be enumerated.
func TestHooksAnswerUnknownConnectorsLikeBadSecrets(t *testing.T) {
	srv, q := newHooks(t, nil)
	wantStatus, wantBody := postHook(t, srv, "/hooks/test/t1", "wrong")
	if wantStatus != http.StatusUnauthorized {
		t.Fatalf("a bad secret: %d %s", wantStatus, wantBody)
	}
	for _, path := range []string{"/hooks/test/nope", "/hooks/test/off", "/hooks/okta/t1", "/hooks/nokind/x"} {
		if status, body := postHook(t, srv, path, "wrong"); status != wantStatus || body != wantBody {
			t.Errorf("%s: %d %s, want %d %s (as a bad secret)", path, status, body, wantStatus, wantBody)
		}
	}
	if status, body := postHook(t, srv, "/hooks/test/t1", "secret-of-t1"); status != http.StatusOK || q.sent != 1 {
		t.Fatalf("a good delivery: %d %s (queued %d)", status, body, q.sent)
	}
}

// TestHookAuthenticationFailuresAreLimited: after the limit of failed authentications for one connector from one
// address, that address is refused (429) before anything is checked, even with the right secret; other addresses
// and connectors are not.
func TestHookAuthenticationFailuresAreLimited(t *testing.T) {
	clock := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	lim := auth.NewLimiter(auth.LimiterOptions{Max: 3, Window: time.Minute, Lockout: 5 * time.Minute, Now: func() time.Time { return clock }})
	srv, q := newHooks(t, lim)
	for i := range 3 {
		if status, _ := postHook(t, srv, "/hooks/test/t1", "wrong"); status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, status)
		}
	}
	if status, _ := postHook(t, srv, "/hooks/test/t1", "secret-of-t1"); status != http.StatusTooManyRequests {
		t.Fatalf("after 3 failures: %d, want 429", status)
	}
	// Guessing connector ids counts too.
	for range 3 {
		postHook(t, srv, "/hooks/test/guess", "wrong")
	}
	if status, _ := postHook(t, srv, "/hooks/test/guess", "wrong"); status != http.StatusTooManyRequests {
		t.Fatalf("guessing an id after 3 failures: %d, want 429", status)
	}
	clock = clock.Add(6 * time.Minute)
	if status, _ := postHook(t, srv, "/hooks/test/t1", "secret-of-t1"); status != http.StatusOK || q.sent != 1 {
		t.Fatalf("after the lockout: %d", status)
	}
}

// TestAssetsFolderIsNotListed: a folder of the built app answers the app, never a listing of its files.
func TestAssetsFolderIsNotListed(t *testing.T) {
	spa := fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html><title>Open-SSPM</title>")},
		"assets/index-abc.js":  {Data: []byte("console.log(1)")},
		"assets/index-abc.css": {Data: []byte("body{}")},
	}
	srv := httptest.NewServer((&api.Server{SPA: fs.FS(spa)}).Handler())
	defer srv.Close()
	for _, path := range []string{"/assets/", "/assets", "/assets/?C=M;O=D"} {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		n, _ := res.Body.Read(buf)
		res.Body.Close()
		if body := string(buf[:n]); strings.Contains(body, "index-abc") {
			t.Errorf("GET %s lists the folder: %d %s", path, res.StatusCode, body)
		}
	}
	res, err := srv.Client().Get(srv.URL + "/assets/index-abc.js")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("an asset: %v %v", res, err)
	}
	res.Body.Close()
}
