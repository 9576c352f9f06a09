-- name: APIListEvents :many
SELECT e.id, e.connector_id, e.provider_event_id, e.type, e.category, e.actor_external_id, e.actor_display,
       e.outcome, e.occurred_at, e.received_at, e.source, count(*) OVER () AS total
FROM events e
WHERE (@connector_id::text = '' OR e.connector_id = @connector_id::text)
  AND (@type_prefix::text = '' OR e.type LIKE @type_prefix::text)
  AND (@category::text = '' OR e.category = @category::text)
  AND (@outcome::text = '' OR e.outcome = @outcome::text)
  AND (@actor::text = '' OR e.actor_external_id = @actor::text OR e.actor_display ILIKE @actor_search::text)
  AND (@target::text = '' OR EXISTS (SELECT 1 FROM event_targets t WHERE t.event_id = e.id
        AND (t.external_id = @target::text OR t.display_name ILIKE @target_search::text)))
  AND (sqlc.narg(since)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(until)::timestamptz)
ORDER BY CASE WHEN @sort::text = 'occurred_at' THEN e.occurred_at END ASC,
         CASE WHEN @sort::text = '-occurred_at' THEN e.occurred_at END DESC,
         CASE WHEN @sort::text = 'type' THEN e.type END ASC,
         CASE WHEN @sort::text = '-type' THEN e.type END DESC,
         CASE WHEN @sort::text = 'occurred_at' THEN e.id END ASC,
         e.id DESC
LIMIT @max_rows OFFSET @skip;

-- name: APIGetEvent :one
SELECT * FROM events WHERE id = @id;

-- name: APIEventTargets :many
SELECT t.ordinal, t.type, t.external_id, t.display_name, t.account_id, t.resource_id, l.identity_id
FROM event_targets t LEFT JOIN identity_links l ON l.account_id = t.account_id
WHERE t.event_id = @event_id
ORDER BY t.ordinal;
