-- name: InsertConnector :one
INSERT INTO connectors (id, kind, name, enabled, discovery_enabled, authoritative, config, intervals, secret,
                        secret_key_id, secret_updated_at, webhook_secret)
VALUES (@id, @kind, @name, @enabled, @discovery_enabled, @authoritative, @config, @intervals, @secret,
        @secret_key_id, CASE WHEN @secret::bytea IS NULL THEN NULL ELSE now() END, @webhook_secret)
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

-- name: RewrapWebhookSecret :execrows
-- Rotation of a webhook secret: replaces the ciphertext if it is still the one read.
UPDATE connectors SET webhook_secret = @webhook_secret WHERE id = @id AND webhook_secret = @old_webhook_secret;

-- name: GetConnector :one
SELECT * FROM connectors WHERE id = @id;

-- name: ListConnectors :many
SELECT * FROM connectors ORDER BY id;

-- name: DeleteConnector :execrows
DELETE FROM connectors WHERE id = @id;

-- name: DeleteConnectorEventTargets :exec
DELETE FROM event_targets WHERE event_id IN (SELECT id FROM events WHERE connector_id = @connector_id);

-- name: DeleteConnectorInventory :exec
-- The high-volume tables have no foreign key to connectors (see the migration); delete their rows explicitly.
WITH a AS (DELETE FROM accounts WHERE accounts.connector_id = @connector_id::text),
     g AS (DELETE FROM groups WHERE groups.connector_id = @connector_id::text),
     m AS (DELETE FROM group_members WHERE group_members.connector_id = @connector_id::text),
     r AS (DELETE FROM resources WHERE resources.connector_id = @connector_id::text),
     gr AS (DELETE FROM grants WHERE grants.connector_id = @connector_id::text),
     c AS (DELETE FROM credentials WHERE credentials.connector_id = @connector_id::text)
DELETE FROM events WHERE events.connector_id = @connector_id::text;
