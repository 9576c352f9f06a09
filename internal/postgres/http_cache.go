package postgres

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/open-sspm/open-sspm/internal/postgres/sqlgen"
)

// The HTTP response cache of connectors (migration 00006): per connector and request key, the last 200 answer
// with its ETag, its Link and Content-Type headers and its body (gzip). Connectors use it for conditional
// requests (the GitHub connector's port is github.HTTPCache). Request keys are built by the connector and never
// contain a credential; nothing here logs a key or a body.

// maxCachedBody bounds what one entry may hold (uncompressed); larger answers are not stored.
const maxCachedBody = 16 << 20

// GetHTTPCache returns the cached answer of a request and marks it used now; etag is "" when none is stored.
// header holds the kept headers (Link, Content-Type); body is decompressed.
func (db *DB) GetHTTPCache(ctx context.Context, connectorID, key string) (etag string, header http.Header, body []byte, err error) {
	row, err := db.q.UseHTTPCache(ctx, sqlgen.UseHTTPCacheParams{ConnectorID: connectorID, RequestKey: key, ClockNow: db.clock()})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("http cache of %s: read: %w", connectorID, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(row.BodyGzip))
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(zr, maxCachedBody+1))
	}
	if err != nil || len(body) > maxCachedBody {
		return "", nil, nil, fmt.Errorf("http cache of %s: a stored body does not decompress", connectorID)
	}
	header = http.Header{}
	if row.Link != "" {
		header.Set("Link", row.Link)
	}
	if row.ContentType != "" {
		header.Set("Content-Type", row.ContentType)
	}
	return row.Etag, header, body, nil
}

// PutHTTPCache stores (or replaces) the answer of a request: its ETag, the kept headers of header and the body,
// compressed. An empty etag or a body over 16 MiB is not stored.
func (db *DB) PutHTTPCache(ctx context.Context, connectorID, key, etag string, header http.Header, body []byte) error {
	if etag == "" || key == "" || len(body) > maxCachedBody {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(body); err != nil {
		return fmt.Errorf("http cache of %s: compress: %w", connectorID, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("http cache of %s: compress: %w", connectorID, err)
	}
	p := sqlgen.PutHTTPCacheParams{ConnectorID: connectorID, RequestKey: key, Etag: etag, Link: header.Get("Link"),
		ContentType: header.Get("Content-Type"), BodyGzip: buf.Bytes(), BodySize: int32(len(body)), ClockNow: db.clock()}
	if err := db.q.PutHTTPCache(ctx, p); err != nil {
		return fmt.Errorf("http cache of %s: store: %w", connectorID, err)
	}
	return nil
}

// EvictHTTPCache deletes a connector's cached answers that no request used in the last unusedFor (on the
// store's clock) and returns how many it deleted.
func (db *DB) EvictHTTPCache(ctx context.Context, connectorID string, unusedFor time.Duration) (int64, error) {
	n, err := db.q.EvictHTTPCache(ctx, sqlgen.EvictHTTPCacheParams{ConnectorID: connectorID, UnusedForSeconds: math.Max(0, unusedFor.Seconds()), ClockNow: db.clock()})
	if err != nil {
		return 0, fmt.Errorf("http cache of %s: evict: %w", connectorID, err)
	}
	return n, nil
}

// HTTPCacheSize reports a connector's cache: entries, bytes stored (compressed) and body bytes they hold.
func (db *DB) HTTPCacheSize(ctx context.Context, connectorID string) (entries, storedBytes, bodyBytes int64, err error) {
	row, err := db.q.HTTPCacheStats(ctx, connectorID)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("http cache of %s: size: %w", connectorID, err)
	}
	return row.Entries, row.StoredBytes, row.BodyBytes, nil
}
