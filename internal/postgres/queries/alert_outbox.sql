-- Claims and retries are read on the store's clock: @clock_now, or the database's now() when it is NULL
-- (postgres.WithClock).

-- name: EnqueueAlerts :execrows
-- One pending row per (destination, alert); an alert already enqueued for a destination is left alone.
INSERT INTO alert_outbox (destination, alert_id, severity, payload, next_attempt_at, updated_at)
SELECT e.destination, e.alert_id, e.severity, e.payload::jsonb, COALESCE(sqlc.narg(clock_now)::timestamptz, now()), COALESCE(sqlc.narg(clock_now)::timestamptz, now())
FROM (SELECT unnest(@destinations::text[]) AS destination,
             unnest(@alert_ids::text[]) AS alert_id,
             unnest(@severities::text[]) AS severity,
             unnest(@payloads::text[]) AS payload) AS e
ON CONFLICT (destination, alert_id) DO NOTHING;

-- name: ExpireAlerts :execrows
-- Due rows that used their last attempt without finishing it (the deliverer died with the claim) are dead.
UPDATE alert_outbox o
SET state = 'dead', claim = NULL, updated_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()),
    last_error = CASE WHEN o.last_error = '' THEN 'the last attempt never finished'
                      ELSE o.last_error || ' (the last attempt never finished)' END
WHERE o.id IN (
    SELECT x.id FROM alert_outbox x
    WHERE x.state = 'pending' AND x.next_attempt_at <= COALESCE(sqlc.narg(clock_now)::timestamptz, now()) AND x.attempts >= @max_attempts::integer
      AND x.destination = ANY(@destinations::text[])
    FOR UPDATE SKIP LOCKED
);

-- name: ClaimAlerts :many
-- Leases up to max_rows due rows of the destinations: SKIP LOCKED lets concurrent deliverers take disjoint
-- rows; the claim counts an attempt and makes the row due again when its lease runs out.
WITH picked AS (
    SELECT x.id FROM alert_outbox x
    WHERE x.state = 'pending' AND x.next_attempt_at <= COALESCE(sqlc.narg(clock_now)::timestamptz, now()) AND x.attempts < @max_attempts::integer
      AND x.destination = ANY(@destinations::text[])
    ORDER BY x.next_attempt_at, x.id
    LIMIT @max_rows::integer
    FOR UPDATE SKIP LOCKED
)
UPDATE alert_outbox o
SET attempts = o.attempts + 1, claim = gen_random_uuid()::text, updated_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()),
    next_attempt_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @lease_seconds::float8)
FROM picked
WHERE o.id = picked.id
RETURNING o.id, o.destination, o.payload, o.attempts, o.claim::text AS claim;

-- name: MarkAlertDelivered :execrows
UPDATE alert_outbox
SET state = 'delivered', claim = NULL, delivered_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), updated_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now())
WHERE id = @id AND claim = @claim::text AND state = 'pending';

-- name: MarkAlertFailed :execrows
-- A failed attempt: pending again after retry_seconds, or dead.
UPDATE alert_outbox
SET state = CASE WHEN @dead::boolean THEN 'dead' ELSE 'pending' END, claim = NULL, updated_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()),
    next_attempt_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @retry_seconds::float8), last_error = @last_error::text
WHERE id = @id AND claim = @claim::text AND state = 'pending';

-- name: ReleaseAlert :execrows
-- Gives a claimed row back, due now, without counting its attempt.
UPDATE alert_outbox
SET attempts = greatest(attempts - 1, 0), claim = NULL, next_attempt_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), updated_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now())
WHERE id = @id AND claim = @claim::text AND state = 'pending';

-- name: PruneAlerts :execrows
DELETE FROM alert_outbox WHERE state <> 'pending' AND updated_at < @before::timestamptz;

-- name: AlertOutboxCounts :many
SELECT destination, state, count(*)::bigint AS n FROM alert_outbox GROUP BY destination, state ORDER BY destination, state;
