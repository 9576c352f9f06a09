-- Visibility is read on the store's clock: @clock_now, or the database's now() when it is NULL (postgres.WithClock).

-- name: EnqueueMessages :execrows
INSERT INTO queue_messages (queue, body, visible_at)
SELECT @queue::text, b, COALESCE(sqlc.narg(clock_now)::timestamptz, now()) FROM unnest(@bodies::bytea[]) AS b;

-- name: ReceiveMessages :many
-- Leases up to max_messages visible messages; SKIP LOCKED lets concurrent receivers take disjoint sets. A
-- message whose visibility ran out after its last attempt (its receiver crashed) goes to the dead state instead.
WITH picked AS (
    SELECT m.id, m.attempts FROM queue_messages m
    WHERE m.queue = @queue::text AND m.state = 'ready' AND m.visible_at <= COALESCE(sqlc.narg(clock_now)::timestamptz, now())
    ORDER BY m.visible_at, m.id
    LIMIT @max_messages::integer
    FOR UPDATE SKIP LOCKED
), dead AS (
    UPDATE queue_messages d
    SET state = 'dead', last_error = CASE WHEN d.last_error = '' THEN 'visibility timeout after the last attempt' ELSE d.last_error END
    FROM picked WHERE d.id = picked.id AND picked.attempts >= @max_attempts::integer
)
UPDATE queue_messages q
SET attempts = q.attempts + 1, visible_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @visibility_seconds::float8),
    receipt = gen_random_uuid()::text
FROM picked
WHERE q.id = picked.id AND picked.attempts < @max_attempts::integer
RETURNING q.id, q.body, q.attempts, q.receipt;

-- name: DeleteMessages :execrows
DELETE FROM queue_messages WHERE receipt = ANY(@receipts::text[]) AND state = 'ready';

-- name: NackMessage :execrows
-- Makes a message visible again after a delay, or moves it to the dead state once it used its attempts.
UPDATE queue_messages
SET visible_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @retry_seconds::float8), last_error = @reason::text,
    state = CASE WHEN attempts >= @max_attempts::integer THEN 'dead' ELSE 'ready' END
WHERE receipt = @receipt::text AND state = 'ready';

-- name: QueueDepth :one
SELECT count(*) FILTER (WHERE state = 'ready')::bigint AS ready, count(*) FILTER (WHERE state = 'dead')::bigint AS dead
FROM queue_messages WHERE queue = @queue::text;

-- name: ListDeadMessages :many
SELECT id, body, attempts, last_error, enqueued_at FROM queue_messages
WHERE queue = @queue::text AND state = 'dead' ORDER BY id LIMIT @max_rows;

-- name: ReplayDeadMessage :execrows
UPDATE queue_messages SET state = 'ready', attempts = 0, visible_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), last_error = ''
WHERE id = @id AND queue = @queue::text AND state = 'dead';

-- name: AsyncCommit :exec
-- Within a transaction: do not wait for the WAL flush at commit. Used where losing the last moments of work
-- after a crash is harmless: a lost receive or acknowledgement only means a redelivery (at least once).
SET LOCAL synchronous_commit = off;
