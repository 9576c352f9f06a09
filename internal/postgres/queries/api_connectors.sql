-- Queries of the admin API (internal/api): connectors, runs and lane health.

-- name: APIGetConnectorForUpdate :one
SELECT * FROM connectors WHERE id = @id FOR UPDATE;

-- name: APIListRuns :many
SELECT sqlc.embed(r), count(*) OVER () AS total
FROM sync_runs r
WHERE r.connector_id = @connector_id
  AND (@lane::text = '' OR r.lane = @lane::text)
  AND (@status::text = '' OR r.status = @status::text)
ORDER BY CASE WHEN @sort::text = 'started_at' THEN r.started_at END ASC,
         CASE WHEN @sort::text = '-started_at' THEN r.started_at END DESC,
         CASE WHEN @sort::text = 'finished_at' THEN r.finished_at END ASC NULLS LAST,
         CASE WHEN @sort::text = '-finished_at' THEN r.finished_at END DESC NULLS LAST,
         r.id DESC
LIMIT @max_rows OFFSET @skip;

-- name: APILatestRuns :many
-- The newest run of every connector and lane, and the newest failed one (its error in full).
SELECT DISTINCT ON (r.connector_id, r.lane, r.status = 'failed') r.*
FROM sync_runs r
WHERE (@connector_id::text = '' OR r.connector_id = @connector_id::text)
ORDER BY r.connector_id, r.lane, r.status = 'failed', r.id DESC;

-- name: APILaneSchedules :many
SELECT s.connector_id, s.lane, s.next_due_at, s.consecutive_failures, s.last_status, s.last_run_id,
       s.last_success_at, s.last_activity_at
FROM lane_schedules s
WHERE (@connector_id::text = '' OR s.connector_id = @connector_id::text)
ORDER BY s.connector_id, s.lane;

-- name: APITailCursors :many
SELECT connector_id, stream, high_water_at, lag_seconds, last_error, unavailable, not_before, updated_at,
       rate_window_start, rate_window_end, rate_requests, prev_requests_per_minute, bucket_limit
FROM tail_cursors
WHERE (@connector_id::text = '' OR connector_id = @connector_id::text)
ORDER BY connector_id, stream;

-- name: APIInboxStats :many
SELECT connector_id,
       count(*) FILTER (WHERE status = 'received')::bigint AS received,
       count(*) FILTER (WHERE status = 'processed')::bigint AS processed,
       count(*) FILTER (WHERE status = 'failed')::bigint AS failed,
       count(*) FILTER (WHERE status = 'dead')::bigint AS dead,
       max(received_at)::timestamptz AS last_received_at,
       max(processed_at)::timestamptz AS last_processed_at
FROM inbox
WHERE (@connector_id::text = '' OR connector_id = @connector_id::text)
GROUP BY connector_id
ORDER BY connector_id;

-- name: APIDeadMessages :many
SELECT id, body, attempts, last_error, enqueued_at, count(*) OVER () AS total
FROM queue_messages
WHERE queue = @queue::text AND state = 'dead'
ORDER BY id DESC
LIMIT @max_rows OFFSET @skip;

-- name: APIDeadMessage :one
SELECT id, body, attempts, last_error, enqueued_at FROM queue_messages
WHERE queue = @queue::text AND state = 'dead' AND id = @id;
