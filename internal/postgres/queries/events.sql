-- name: InsertEvents :many
-- Stores events once per (connector, provider event id); returns the ids of the events that were new.
INSERT INTO events (connector_id, provider_event_id, type, category, actor_external_id, actor_display, outcome,
                    occurred_at, source, raw)
SELECT @connector_id::text, r.provider_event_id, r.type, r.category, r.actor_external_id, r.actor_display,
       r.outcome, r.occurred_at, r.source, r.raw
FROM (SELECT unnest(@provider_event_ids::text[]) AS provider_event_id,
             unnest(@types::text[]) AS type,
             unnest(@categories::text[]) AS category,
             unnest(@actor_external_ids::text[]) AS actor_external_id,
             unnest(@actor_displays::text[]) AS actor_display,
             unnest(@outcomes::text[]) AS outcome,
             unnest(@occurred_ats::timestamptz[]) AS occurred_at,
             unnest(@sources::text[]) AS source,
             unnest(@raws::jsonb[]) AS raw) AS r
ON CONFLICT (connector_id, provider_event_id) DO NOTHING
RETURNING id, provider_event_id;

-- name: InsertEventTargets :execrows
INSERT INTO event_targets (event_id, ordinal, type, external_id, display_name, account_id, resource_id)
SELECT t.event_id, t.ordinal, t.type, t.external_id, t.display_name,
       (SELECT a.id FROM accounts a WHERE a.connector_id = @connector_id::text AND a.external_id = t.external_id),
       (SELECT r.id FROM resources r WHERE r.connector_id = @connector_id::text AND r.external_id = t.external_id)
FROM (SELECT unnest(@event_ids::bigint[]) AS event_id,
             unnest(@ordinals::integer[]) AS ordinal,
             unnest(@types::text[]) AS type,
             unnest(@external_ids::text[]) AS external_id,
             unnest(@display_names::text[]) AS display_name) AS t;

-- name: CountEvents :one
SELECT count(*)::bigint FROM events WHERE connector_id = @connector_id;

-- name: GetTailCursor :one
SELECT * FROM tail_cursors WHERE connector_id = @connector_id AND stream = @stream;

-- name: SaveTailCursor :exec
-- The request rate counts in windows of ten minutes on the tailer's clock (@now): a read past the window's end
-- keeps the window's rate as the previous one and starts the next.
INSERT INTO tail_cursors (connector_id, stream, cursor, high_water_at, lag_seconds, last_error, updated_at,
                          rate_window_start, rate_window_end, rate_requests, bucket_limit)
VALUES (@connector_id, @stream, @cursor, @high_water_at, @lag_seconds, @last_error, now(),
        @now::timestamptz, @now::timestamptz, @requests::integer, @bucket_limit::integer)
ON CONFLICT (connector_id, stream) DO UPDATE
SET cursor = EXCLUDED.cursor, high_water_at = COALESCE(EXCLUDED.high_water_at, tail_cursors.high_water_at),
    lag_seconds = EXCLUDED.lag_seconds, last_error = EXCLUDED.last_error, unavailable = '', not_before = NULL,
    updated_at = now(),
    prev_requests_per_minute = CASE
        WHEN tail_cursors.rate_window_start IS NULL OR EXCLUDED.rate_window_end < tail_cursors.rate_window_start + interval '10 minutes'
            THEN tail_cursors.prev_requests_per_minute
        ELSE tail_cursors.rate_requests * 60.0 / GREATEST(60.0, extract(epoch FROM EXCLUDED.rate_window_end - tail_cursors.rate_window_start)) END,
    rate_requests = CASE
        WHEN tail_cursors.rate_window_start IS NULL OR EXCLUDED.rate_window_end >= tail_cursors.rate_window_start + interval '10 minutes'
            THEN EXCLUDED.rate_requests
        ELSE tail_cursors.rate_requests + EXCLUDED.rate_requests END,
    rate_window_start = CASE
        WHEN tail_cursors.rate_window_start IS NULL OR EXCLUDED.rate_window_end >= tail_cursors.rate_window_start + interval '10 minutes'
            THEN EXCLUDED.rate_window_start
        ELSE tail_cursors.rate_window_start END,
    rate_window_end = EXCLUDED.rate_window_end,
    bucket_limit = CASE WHEN EXCLUDED.bucket_limit > 0 THEN EXCLUDED.bucket_limit ELSE tail_cursors.bucket_limit END;

-- name: SetTailError :exec
INSERT INTO tail_cursors (connector_id, stream, last_error, updated_at)
VALUES (@connector_id, @stream, @last_error, now())
ON CONFLICT (connector_id, stream) DO UPDATE
SET last_error = EXCLUDED.last_error, unavailable = '', not_before = NULL, updated_at = now();

-- name: HoldTail :exec
-- Holds a stream back until not_before without moving its cursor: a rate limit, or a stream that is unavailable
-- (the reason in unavailable).
INSERT INTO tail_cursors (connector_id, stream, last_error, unavailable, not_before, updated_at)
VALUES (@connector_id, @stream, @last_error, @unavailable, @not_before, now())
ON CONFLICT (connector_id, stream) DO UPDATE
SET last_error = EXCLUDED.last_error, unavailable = EXCLUDED.unavailable, not_before = EXCLUDED.not_before,
    updated_at = now();
