-- name: APIInsertUser :one
INSERT INTO users (email, password_hash, role) VALUES (lower(@email::text), @password_hash, @role)
RETURNING *;

-- name: APIUserByEmail :one
SELECT * FROM users WHERE email = lower(@email::text);

-- name: APICountAdmins :one
SELECT count(*)::bigint FROM users WHERE role = 'admin' AND NOT disabled;

-- name: APITouchLogin :exec
UPDATE users SET last_login_at = now() WHERE id = @id;

-- name: APILockUsers :exec
-- Serializes the first-admin check and insert.
SELECT pg_advisory_xact_lock(727276);

-- name: APIUserByID :one
SELECT * FROM users WHERE id = @id;

-- name: APISetUserPassword :one
UPDATE users SET password_hash = @password_hash, updated_at = now() WHERE email = lower(@email::text)
RETURNING *;

-- name: APISetUserDisabled :one
UPDATE users SET disabled = @disabled, updated_at = now() WHERE email = lower(@email::text)
RETURNING *;

-- name: APIDeleteUser :one
DELETE FROM users WHERE email = lower(@email::text) RETURNING *;

-- name: APIInsertSession :exec
INSERT INTO user_sessions (id, user_id, refresh_hash, expires_at) VALUES (@id, @user_id, @refresh_hash, @expires_at);

-- name: APIDeleteEndedSessions :exec
-- Drops sessions that ended more than a day ago (the day keeps a reused refresh token recognisable for a while).
DELETE FROM user_sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day';

-- name: APISessionForUpdate :one
SELECT s.id, s.refresh_hash, s.previous_hash, (s.revoked_at IS NULL AND s.expires_at > now())::boolean AS active,
       u.id AS user_id, u.email, u.role, u.disabled
FROM user_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = @id
FOR UPDATE OF s;

-- name: APIRotateSession :exec
UPDATE user_sessions SET previous_hash = refresh_hash, refresh_hash = @refresh_hash, refreshed_at = now() WHERE id = @id;

-- name: APIRevokeSession :exec
UPDATE user_sessions SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL;

-- name: APIRevokeUserSessions :exec
UPDATE user_sessions SET revoked_at = now() WHERE user_id = @user_id AND revoked_at IS NULL;

-- name: APIActiveSessionUser :one
SELECT u.* FROM user_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = @id AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled;
