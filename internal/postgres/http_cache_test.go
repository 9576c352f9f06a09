package postgres_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-sspm/open-sspm/internal/connector"
	"github.com/open-sspm/open-sspm/internal/postgres"
	"github.com/open-sspm/open-sspm/internal/postgres/postgrestest"
	"github.com/open-sspm/open-sspm/internal/sspm/clocktest"
)

// TestHTTPCache: an answer is stored compressed with its ETag, Link and Content-Type, read back and replaced;
// eviction drops what was not used lately; deleting the connector drops its cache.
func TestHTTPCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := clocktest.New(time.Now())
	db := postgrestest.New(t, postgres.WithClock(clock.Now))
	var cache connector.HTTPCache = db
	newConnector(t, db, "gh-a")
	newConnector(t, db, "gh-b")
	key := "token GET https://api.github.com/orgs/acme/members?page=2&per_page=100&role=all"
	body := []byte(strings.Repeat(`{"login":"octocat","id":1},`, 400))
	hdr := http.Header{"Link": {`<https://api.github.com/orgs/acme/members?page=3>; rel="next"`}, "Content-Type": {"application/json"},
		"X-Ratelimit-Remaining": {"4999"}}

	if etag, _, _, err := cache.GetHTTPCache(ctx, "gh-a", key); err != nil || etag != "" {
		t.Fatalf("empty cache: etag %q err %v", etag, err)
	}
	if err := cache.PutHTTPCache(ctx, "gh-a", key, `W/"e1"`, hdr, body); err != nil {
		t.Fatal(err)
	}
	etag, h, got, err := cache.GetHTTPCache(ctx, "gh-a", key)
	if err != nil || etag != `W/"e1"` || !bytes.Equal(got, body) || h.Get("Link") != hdr.Get("Link") ||
		h.Get("Content-Type") != "application/json" || h.Get("X-Ratelimit-Remaining") != "" {
		t.Fatalf("read back: etag %q header %v body %d bytes, err %v", etag, h, len(got), err)
	}
	if etag, _, _, _ := cache.GetHTTPCache(ctx, "gh-b", key); etag != "" {
		t.Fatal("another connector sees the entry")
	}
	entries, stored, bodies, err := db.HTTPCacheSize(ctx, "gh-a")
	if err != nil || entries != 1 || bodies != int64(len(body)) || stored >= bodies/4 {
		t.Fatalf("size: %d entries, %d stored bytes for %d body bytes, %v", entries, stored, bodies, err)
	}

	if err := cache.PutHTTPCache(ctx, "gh-a", key, `W/"e2"`, http.Header{}, []byte(`[]`)); err != nil {
		t.Fatal(err)
	}
	if etag, h, got, _ := cache.GetHTTPCache(ctx, "gh-a", key); etag != `W/"e2"` || string(got) != `[]` || h.Get("Link") != "" {
		t.Fatalf("replaced: %q %v %q", etag, h, got)
	}
	if err := cache.PutHTTPCache(ctx, "gh-a", "token GET other", "", hdr, body); err != nil {
		t.Fatal(err)
	}
	if entries, _, _, _ := db.HTTPCacheSize(ctx, "gh-a"); entries != 1 {
		t.Fatalf("an answer without ETag was stored (%d entries)", entries)
	}

	if n, err := cache.EvictHTTPCache(ctx, "gh-a", time.Hour); err != nil || n != 0 {
		t.Fatalf("evicting what was just used: %d, %v", n, err)
	}
	clock.Advance(2 * time.Hour)
	if etag, _, _, err := cache.GetHTTPCache(ctx, "gh-a", key); err != nil || etag == "" { // a read is a use
		t.Fatalf("read: %q, %v", etag, err)
	}
	if n, err := cache.EvictHTTPCache(ctx, "gh-a", time.Hour); err != nil || n != 0 {
		t.Fatalf("evicting what was just read: %d, %v", n, err)
	}
	clock.Advance(2 * time.Hour)
	if err := cache.PutHTTPCache(ctx, "gh-b", key, `W/"b"`, hdr, body); err != nil {
		t.Fatal(err)
	}
	if n, err := cache.EvictHTTPCache(ctx, "gh-a", time.Hour); err != nil || n != 1 {
		t.Fatalf("evict unused: %d, %v", n, err)
	}
	if etag, _, _, _ := cache.GetHTTPCache(ctx, "gh-b", key); etag != `W/"b"` {
		t.Fatal("eviction crossed connectors")
	}
	if err := db.DeleteConnector(ctx, "gh-b"); err != nil {
		t.Fatal(err)
	}
	if entries, _, _, _ := db.HTTPCacheSize(ctx, "gh-b"); entries != 0 {
		t.Fatalf("deleting the connector left %d cache entries", entries)
	}
}
