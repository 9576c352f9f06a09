-- name: InboxCounts :one
SELECT count(*) FILTER (WHERE status = 'processed')::bigint AS processed,
       count(*) FILTER (WHERE status = 'failed')::bigint AS failed,
       count(*) FILTER (WHERE status = 'received')::bigint AS received
FROM inbox WHERE connector_id = @connector_id;

-- name: SetWebhookSecret :execrows
UPDATE connectors SET webhook_secret = @webhook_secret, updated_at = now() WHERE id = @id;

-- name: RecordDeliveries :execrows
-- Records a batch of processed push deliveries (for audit and replay), once per provider delivery id; attempts
-- counts the copies of each in the batch.
INSERT INTO inbox (connector_id, delivery_id, kind, body, status, attempts, error, received_at, processed_at)
SELECT r.connector_id, r.delivery_id, r.kind, r.body, r.status, r.attempts, r.error, r.received_at, now()
FROM (SELECT unnest(@connector_ids::text[]) AS connector_id,
             unnest(@delivery_ids::text[]) AS delivery_id,
             unnest(@kinds::text[]) AS kind,
             unnest(@bodies::bytea[]) AS body,
             unnest(@statuses::text[]) AS status,
             unnest(@errors::text[]) AS error,
             unnest(@received_ats::timestamptz[]) AS received_at,
             unnest(@attempts::integer[]) AS attempts) AS r
ON CONFLICT (connector_id, delivery_id) WHERE delivery_id <> '' DO UPDATE
SET attempts = inbox.attempts + EXCLUDED.attempts, status = EXCLUDED.status, error = EXCLUDED.error, processed_at = now();
