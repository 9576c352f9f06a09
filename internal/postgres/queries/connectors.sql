-- name: InsertConnector :one
INSERT INTO connectors (id, kind, name, enabled, discovery_enabled, authoritative, config, intervals)
VALUES (@id, @kind, @name, @enabled, @discovery_enabled, @authoritative, @config, @intervals)
RETURNING *;

-- name: UpdateConnector :one
UPDATE connectors
SET name = @name, enabled = @enabled, discovery_enabled = @discovery_enabled, authoritative = @authoritative,
    config = @config, intervals = @intervals, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: SetConnectorSecret :execrows
UPDATE connectors SET secret = @secret, secret_key_id = @secret_key_id, secret_updated_at = now(), updated_at = now()
WHERE id = @id;

-- name: RewrapConnectorSecret :execrows
-- Rotation: replaces the ciphertext (re-wrapped data key) without changing when the secret itself changed.
UPDATE connectors SET secret = @secret, secret_key_id = @secret_key_id WHERE id = @id AND secret = @old_secret;

-- name: GetConnector :one
SELECT * FROM connectors WHERE id = @id;

-- name: ListConnectors :many
SELECT * FROM connectors ORDER BY id;

-- name: DeleteConnector :execrows
DELETE FROM connectors WHERE id = @id;
