-- name: RecordDelivery :one
-- Records a push delivery on its first processing attempt, or counts another attempt of the same delivery.
INSERT INTO inbox (connector_id, delivery_id, kind, body, status, attempts, received_at)
VALUES (@connector_id, @delivery_id, @kind, @body, 'received', 1, @received_at)
ON CONFLICT (connector_id, delivery_id) WHERE delivery_id <> '' DO UPDATE SET attempts = inbox.attempts + 1
RETURNING id, status;

-- name: FinishDelivery :exec
UPDATE inbox SET status = @status, error = @error, processed_at = now() WHERE id = @id;

-- name: InboxCounts :one
SELECT count(*) FILTER (WHERE status = 'processed')::bigint AS processed,
       count(*) FILTER (WHERE status = 'failed')::bigint AS failed,
       count(*) FILTER (WHERE status = 'received')::bigint AS received
FROM inbox WHERE connector_id = @connector_id;

-- name: SetWebhookSecret :execrows
UPDATE connectors SET webhook_secret = @webhook_secret, updated_at = now() WHERE id = @id;
