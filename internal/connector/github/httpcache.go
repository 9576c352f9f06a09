package github

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
)

// Conditional requests (docs/connectors/github.md#what-it-reads). GitHub answers a GET whose If-None-Match holds the ETag of the
// current answer with 304 Not Modified, which does not count against the rate limit. A run must still emit
// every row (the sweep at the end of a run expires what it did not see), so a 304 is replayed as the stored 200:
// go-github decodes the same page and the stage emits the same rows, for free.
//
// The cache sits between go-github and the rate-limit layer: it sees the final answer after the retries below
// it, stores only 200 answers that carry an ETag, and its store calls hold no concurrency slot.

// cacheEvictAfter: when a full run ends, answers no request used in this long are evicted. Every request of the
// run that just ended touched its entry, so this drops the URLs that run did not request (a deleted team's
// listings, pages past a shrunken listing's end), as long as a run takes less than a day.
const cacheEvictAfter = 24 * time.Hour

// maxCachedBody: larger answers pass through without being stored.
const maxCachedBody = 8 << 20

type cacheTransport struct {
	base      http.RoundTripper
	cache     connector.HTTPCache
	connector string
	// identity names the credential without revealing it ("token", "app:{app id}:{installation id}"). GitHub's
	// ETags vary with the credential, so an answer cached under another token gets a 200, never a wrong 304.
	identity string

	mu                                   sync.Mutex
	hits, misses, stores, errs, reported int
}

// cacheable: list GETs (every listing the connector reads sends per_page), except the audit log, which a tail
// reads once per cursor.
func cacheable(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Has("per_page") && !strings.HasSuffix(r.URL.Path, "/audit-log")
}

func (t *cacheTransport) key(r *http.Request) string {
	return t.identity + " " + r.Method + " " + r.URL.String()
}

func (t *cacheTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !cacheable(r) {
		return t.base.RoundTrip(r)
	}
	ctx := r.Context()
	key := t.key(r)
	etag, header, body, err := t.cache.GetHTTPCache(ctx, t.connector, key)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		t.count(&t.errs)
		etag = "" // a cache that fails is no cache: the request goes out unconditionally
	}
	req := r
	if etag != "" {
		req = r.Clone(ctx)
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		t.count(&t.hits)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return replay(r, resp, etag, header, body), nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		t.count(&t.misses)
		return t.store(r, resp, key)
	}
	return resp, nil
}

// replay turns a 304 into the stored 200: the 304's headers (fresh rate-limit figures) with the stored Link and
// Content-Type.
func replay(r *http.Request, notModified *http.Response, etag string, stored http.Header, body []byte) *http.Response {
	h := notModified.Header.Clone()
	h.Del("Link")
	h.Del("Content-Length")
	for k, v := range stored {
		h[k] = v
	}
	h.Set("ETag", etag)
	return &http.Response{Status: "200 OK", StatusCode: http.StatusOK, Proto: notModified.Proto, ProtoMajor: notModified.ProtoMajor,
		ProtoMinor: notModified.ProtoMinor, Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}
}

// store reads the body of a 200, stores it, and hands go-github a response that reads the same bytes.
func (t *cacheTransport) store(r *http.Request, resp *http.Response, key string) (*http.Response, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
	if err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	if len(body) > maxCachedBody { // too large to keep: hand it on whole
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := t.cache.PutHTTPCache(r.Context(), t.connector, key, resp.Header.Get("ETag"), resp.Header, body); err != nil {
		if r.Context().Err() != nil {
			return nil, r.Context().Err()
		}
		t.count(&t.errs)
	} else {
		t.count(&t.stores)
	}
	return resp, nil
}

func (t *cacheTransport) count(n *int) {
	t.mu.Lock()
	*n++
	t.mu.Unlock()
}

// CacheStats counts what the cache did for a source: answers replayed from a 304 (hits), answers fetched (misses),
// answers stored, and store errors (which only cost the saving).
type CacheStats struct {
	Hits, Misses, Stores, Errors int
}

func (t *cacheTransport) stats() CacheStats {
	if t == nil {
		return CacheStats{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return CacheStats{Hits: t.hits, Misses: t.misses, Stores: t.stores, Errors: t.errs}
}

// takeErrors returns the store errors since the last call, for the run's progress.
func (t *cacheTransport) takeErrors() int {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.errs - t.reported
	t.reported = t.errs
	return n
}

// evict drops the answers the run that just ended did not use; a failure is only reported.
func (t *cacheTransport) evict(ctx context.Context) (int64, error) {
	if t == nil {
		return 0, nil
	}
	return t.cache.EvictHTTPCache(ctx, t.connector, cacheEvictAfter)
}
