-- name: EnqueueMessages :execrows
INSERT INTO queue_messages (queue, body)
SELECT @queue::text, b FROM unnest(@bodies::bytea[]) AS b;

-- name: ReceiveMessages :many
-- Leases up to max_messages visible messages; SKIP LOCKED lets concurrent receivers take disjoint sets.
UPDATE queue_messages q
SET attempts = q.attempts + 1, visible_at = now() + make_interval(secs => @visibility_seconds::float8),
    receipt = gen_random_uuid()::text
FROM (SELECT m.id FROM queue_messages m
      WHERE m.queue = @queue::text AND m.state = 'ready' AND m.visible_at <= now()
      ORDER BY m.visible_at, m.id
      LIMIT @max_messages::integer
      FOR UPDATE SKIP LOCKED) picked
WHERE q.id = picked.id
RETURNING q.id, q.body, q.attempts, q.receipt;

-- name: DeleteMessages :execrows
DELETE FROM queue_messages WHERE receipt = ANY(@receipts::text[]) AND state = 'ready';

-- name: NackMessage :execrows
-- Makes a message visible again after a delay, or moves it to the dead state once it used its attempts.
UPDATE queue_messages
SET visible_at = now() + make_interval(secs => @retry_seconds::float8), last_error = @reason::text,
    state = CASE WHEN attempts >= @max_attempts::integer THEN 'dead' ELSE 'ready' END
WHERE receipt = @receipt::text AND state = 'ready';

-- name: KillExhaustedMessages :execrows
-- Messages whose visibility ran out after their last attempt (the receiver crashed) go to the dead state.
UPDATE queue_messages SET state = 'dead', last_error = CASE WHEN last_error = '' THEN 'visibility timeout after last attempt' ELSE last_error END
WHERE queue = @queue::text AND state = 'ready' AND attempts >= @max_attempts::integer AND visible_at <= now();

-- name: QueueDepth :one
SELECT count(*) FILTER (WHERE state = 'ready')::bigint AS ready, count(*) FILTER (WHERE state = 'dead')::bigint AS dead
FROM queue_messages WHERE queue = @queue::text;

-- name: ListDeadMessages :many
SELECT id, body, attempts, last_error, enqueued_at FROM queue_messages
WHERE queue = @queue::text AND state = 'dead' ORDER BY id LIMIT @max_rows;

-- name: ReplayDeadMessage :execrows
UPDATE queue_messages SET state = 'ready', attempts = 0, visible_at = now(), last_error = ''
WHERE id = @id AND queue = @queue::text AND state = 'dead';
