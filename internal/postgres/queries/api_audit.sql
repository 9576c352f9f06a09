-- name: APIInsertAudit :one
INSERT INTO admin_audit (actor, action, target_type, target_id, before, after)
VALUES (@actor, @action, @target_type, @target_id, @before, @after)
RETURNING id;

-- name: APIListAudit :many
SELECT id, actor, action, target_type, target_id, before, after, at, count(*) OVER () AS total
FROM admin_audit
WHERE (@actor::text = '' OR actor = @actor::text OR split_part(actor, ' ', 1) = @actor::text)
  AND (@action::text = '' OR action = @action::text OR action LIKE @action::text || '.%')
  AND (@target_type::text = '' OR target_type = @target_type::text)
  AND (@target_id::text = '' OR target_id = @target_id::text)
  AND (sqlc.narg(since)::timestamptz IS NULL OR at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR at < sqlc.narg(until)::timestamptz)
ORDER BY CASE WHEN @sort::text = 'at' THEN at END ASC,
         CASE WHEN @sort::text = '-at' THEN at END DESC,
         CASE WHEN @sort::text = 'at' THEN id END ASC,
         id DESC
LIMIT @max_rows OFFSET @skip;
