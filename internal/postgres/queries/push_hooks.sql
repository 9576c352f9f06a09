-- name: GetPushHook :one
SELECT connector_id, hook_url, provider_ref, registered_at, last_error, last_error_url, last_error_at
FROM push_hooks WHERE connector_id = @connector_id;

-- name: PutPushHookRegistered :one
-- Records a successful registration; it clears the last failure.
INSERT INTO push_hooks (connector_id, hook_url, provider_ref, registered_at)
VALUES (@connector_id, @hook_url, @provider_ref, COALESCE(sqlc.narg(clock_now)::timestamptz, now()))
ON CONFLICT (connector_id) DO UPDATE
SET hook_url = EXCLUDED.hook_url, provider_ref = EXCLUDED.provider_ref, registered_at = EXCLUDED.registered_at,
    last_error = '', last_error_url = '', last_error_at = NULL
RETURNING connector_id, hook_url, provider_ref, registered_at, last_error, last_error_url, last_error_at;

-- name: PutPushHookFailed :one
-- Records a failed attempt; the last successful registration, if any, is kept.
INSERT INTO push_hooks (connector_id, last_error, last_error_url, last_error_at)
VALUES (@connector_id, @last_error, @last_error_url, COALESCE(sqlc.narg(clock_now)::timestamptz, now()))
ON CONFLICT (connector_id) DO UPDATE
SET last_error = EXCLUDED.last_error, last_error_url = EXCLUDED.last_error_url, last_error_at = EXCLUDED.last_error_at
RETURNING connector_id, hook_url, provider_ref, registered_at, last_error, last_error_url, last_error_at;
