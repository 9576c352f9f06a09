-- name: UseHTTPCache :one
-- Returns a cached answer and marks it used by this run.
UPDATE http_cache SET used_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now())
WHERE connector_id = @connector_id AND request_key = @request_key
RETURNING etag, link, content_type, body_gzip;

-- name: PutHTTPCache :exec
INSERT INTO http_cache (connector_id, request_key, etag, link, content_type, body_gzip, body_size, stored_at, used_at)
VALUES (@connector_id, @request_key, @etag, @link, @content_type, @body_gzip, @body_size, COALESCE(sqlc.narg(clock_now)::timestamptz, now()), COALESCE(sqlc.narg(clock_now)::timestamptz, now()))
ON CONFLICT (connector_id, request_key) DO UPDATE
SET etag = EXCLUDED.etag, link = EXCLUDED.link, content_type = EXCLUDED.content_type, body_gzip = EXCLUDED.body_gzip,
    body_size = EXCLUDED.body_size, stored_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), used_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now());

-- name: EvictHTTPCache :execrows
-- Drops the answers no request used in the last @unused_for_seconds (on the store's clock, which also stamps
-- used_at: @clock_now, or the database's now() when it is NULL).
DELETE FROM http_cache
WHERE connector_id = @connector_id AND used_at < COALESCE(sqlc.narg(clock_now)::timestamptz, now()) - make_interval(secs => @unused_for_seconds::float8);

-- name: HTTPCacheStats :one
SELECT count(*)::bigint AS entries, COALESCE(sum(octet_length(body_gzip)), 0)::bigint AS stored_bytes,
       COALESCE(sum(body_size), 0)::bigint AS body_bytes
FROM http_cache WHERE connector_id = @connector_id;
