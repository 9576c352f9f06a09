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
