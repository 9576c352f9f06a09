-- Leases are read on the store's clock: @clock_now, or the database's now() when it is NULL (postgres.WithClock).
-- started_at stays on the database's clock, like the seen_at of the rows a run writes, which its sweep compares.

-- name: GetRunningRunForUpdate :one
SELECT * FROM sync_runs
WHERE connector_id = @connector_id AND lane = @lane AND status = 'running'
FOR UPDATE;

-- name: InsertRun :one
INSERT INTO sync_runs (connector_id, lane, trigger, status, lease_owner, lease_expires_at, heartbeat_at, checkpoint)
VALUES (@connector_id, @lane, @trigger, 'running', @owner::text, COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @lease_seconds::float8), COALESCE(sqlc.narg(clock_now)::timestamptz, now()), '{}')
ON CONFLICT (connector_id, lane) WHERE status = 'running' DO NOTHING
RETURNING *;

-- name: ClaimRun :one
-- Takes over a running run whose lease has expired or was released, for a new invocation to continue it. A lease
-- still held (it expired: its holder died) is counted as lost.
UPDATE sync_runs
SET lease_owner = @owner::text, lease_expires_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @lease_seconds::float8),
    heartbeat_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), attempts = attempts + 1,
    lost_leases = lost_leases + CASE WHEN lease_owner IS NULL THEN 0 ELSE 1 END
WHERE id = @id AND status = 'running' AND (lease_owner IS NULL OR lease_expires_at < COALESCE(sqlc.narg(clock_now)::timestamptz, now()))
RETURNING *;

-- name: SaveCheckpoint :execrows
-- Saves progress and extends the lease, only while the caller still holds it.
UPDATE sync_runs
SET checkpoint = @checkpoint, counts = @counts, progress = @progress, unavailable = @unavailable::text[],
    heartbeat_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), lease_expires_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @lease_seconds::float8)
WHERE id = @id AND status = 'running' AND lease_owner = @owner::text;

-- name: Heartbeat :execrows
UPDATE sync_runs
SET heartbeat_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), lease_expires_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()) + make_interval(secs => @lease_seconds::float8)
WHERE id = @id AND status = 'running' AND lease_owner = @owner::text;

-- name: ReleaseLease :execrows
-- Ends this invocation's hold on a run that will continue in another invocation.
UPDATE sync_runs SET lease_owner = NULL, lease_expires_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), heartbeat_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), resume_at = NULL
WHERE id = @id AND status = 'running' AND lease_owner = @owner::text;

-- name: PauseRun :execrows
-- Ends this invocation's hold on a run that waits for a provider's rate limit: it continues at resume_at.
UPDATE sync_runs SET progress = @progress, resume_at = @resume_at::timestamptz,
    lease_owner = NULL, lease_expires_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()), heartbeat_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now())
WHERE id = @id AND status = 'running' AND lease_owner = @owner::text;

-- name: FinishRun :execrows
UPDATE sync_runs
SET status = @status, error_kind = @error_kind, error_text = @error_text, finished_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()),
    lease_owner = NULL, lease_expires_at = NULL, heartbeat_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now())
WHERE id = @id AND status = 'running' AND lease_owner = @owner::text;

-- name: CloseRun :execrows
-- Closes a running run regardless of its lease (a stale run, or an operator's cancel).
UPDATE sync_runs
SET status = @status, error_kind = @error_kind, error_text = @error_text, finished_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now()),
    lease_owner = NULL, lease_expires_at = NULL
WHERE id = @id AND status = 'running';

-- name: StaleRuns :many
-- Running runs nobody holds that made no progress since the cutoff, or that were resumed too often. A run paused
-- for a rate limit (resume_at after its last heartbeat, which the pause set) is neither while it waits: it is
-- stale only when nobody continued it for the cutoff's span after resume_at.
SELECT * FROM sync_runs
WHERE status = 'running' AND (lease_owner IS NULL OR lease_expires_at < COALESCE(sqlc.narg(clock_now)::timestamptz, now()))
  AND CASE WHEN resume_at IS NOT NULL AND resume_at > heartbeat_at THEN resume_at < @cutoff
           ELSE (heartbeat_at < @cutoff OR attempts >= @max_attempts::integer) END;

-- name: GetRun :one
SELECT * FROM sync_runs WHERE id = @id;

-- name: ListRuns :many
SELECT * FROM sync_runs
WHERE connector_id = @connector_id AND (@lane::text = '' OR lane = @lane::text)
ORDER BY id DESC
LIMIT @max_rows;

-- name: ResumableRuns :many
-- Running runs whose lease is free and that wait for no rate limit past now: a new invocation should continue them.
SELECT r.connector_id, r.lane, r.id FROM sync_runs r
JOIN connectors c ON c.id = r.connector_id AND c.enabled
WHERE r.status = 'running' AND (r.lease_owner IS NULL OR r.lease_expires_at < COALESCE(sqlc.narg(clock_now)::timestamptz, now()))
  AND (r.resume_at IS NULL OR r.resume_at <= @now::timestamptz)
  AND (r.lane <> 'discovery' OR c.discovery_enabled)
ORDER BY r.id;

-- name: EnsureSchedule :exec
INSERT INTO lane_schedules (connector_id, lane) VALUES (@connector_id, @lane)
ON CONFLICT (connector_id, lane) DO NOTHING;

-- name: GetSchedule :one
SELECT * FROM lane_schedules WHERE connector_id = @connector_id AND lane = @lane;

-- name: DueLanes :many
-- Enabled connectors whose lane is due, and whose lane has no running run.
SELECT s.connector_id, s.lane FROM lane_schedules s
JOIN connectors c ON c.id = s.connector_id AND c.enabled
WHERE s.lane = ANY(@lanes::text[]) AND s.next_due_at <= @now
  AND (s.lane <> 'discovery' OR c.discovery_enabled)
  AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.connector_id = s.connector_id AND r.lane = s.lane AND r.status = 'running')
ORDER BY s.next_due_at, s.connector_id;

-- name: RecordRunOutcome :exec
UPDATE lane_schedules
SET last_status = @status, last_run_id = @run_id::bigint, next_due_at = @next_due_at,
    consecutive_failures = @consecutive_failures,
    last_success_at = CASE WHEN @status = 'succeeded' THEN COALESCE(sqlc.narg(clock_now)::timestamptz, now()) ELSE last_success_at END,
    last_activity_at = COALESCE(sqlc.narg(clock_now)::timestamptz, now())
WHERE connector_id = @connector_id AND lane = @lane;

-- name: EnsureSchedules :exec
INSERT INTO lane_schedules (connector_id, lane, next_due_at)
SELECT c.id, l, @now::timestamptz FROM connectors c CROSS JOIN unnest(@lanes::text[]) AS l
ON CONFLICT (connector_id, lane) DO NOTHING;

-- name: ShareLease :execrows
-- Proves the caller holds a run's lease and keeps it from being taken over until the transaction ends.
SELECT 1 FROM sync_runs WHERE id = @id AND status = 'running' AND lease_owner = @owner::text FOR SHARE;

-- name: RecordLaneActivity :exec
-- A lane that runs without sync runs (the evaluator) records when it last did its work for a connector.
INSERT INTO lane_schedules (connector_id, lane, last_status, last_success_at, last_activity_at)
SELECT c.id, @lane::text, 'succeeded', @at::timestamptz, @at::timestamptz FROM connectors c WHERE c.id = @connector_id::text
ON CONFLICT (connector_id, lane) DO UPDATE
SET last_status = 'succeeded', last_success_at = EXCLUDED.last_success_at, last_activity_at = EXCLUDED.last_activity_at;
