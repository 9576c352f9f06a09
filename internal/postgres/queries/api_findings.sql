-- Read-only findings for the admin API, limited to the columns of the foundation migration.

-- name: APIListFindings :many
SELECT f.id, f.dedupe_key, f.kind, f.connector_id, f.rule_key, f.severity, f.status, f.title, f.status_reason,
       f.status_until, f.first_seen_at, f.last_seen_at, f.resolved_at, f.ruleset_key, count(*) OVER () AS total
FROM findings f
WHERE (@status::text = '' OR f.status = @status::text)
  AND (@severity::text = '' OR f.severity = @severity::text)
  AND (@kind::text = '' OR f.kind = @kind::text)
  AND (@connector_id::text = '' OR f.connector_id = @connector_id::text)
  AND (@rule_key::text = '' OR f.rule_key = @rule_key::text)
  AND (@identity_id::text = '' OR f.evidence ->> 'identity_id' = @identity_id::text)
  AND (@search::text = '' OR f.title ILIKE @search::text OR f.dedupe_key ILIKE @search::text)
ORDER BY CASE WHEN @sort::text = 'severity' THEN array_position(ARRAY['info', 'low', 'medium', 'high', 'critical'], f.severity) END ASC,
         CASE WHEN @sort::text = '-severity' THEN array_position(ARRAY['info', 'low', 'medium', 'high', 'critical'], f.severity) END DESC,
         CASE WHEN @sort::text = 'last_seen_at' THEN f.last_seen_at END ASC,
         CASE WHEN @sort::text = '-last_seen_at' THEN f.last_seen_at END DESC,
         CASE WHEN @sort::text = 'first_seen_at' THEN f.first_seen_at END ASC,
         CASE WHEN @sort::text = '-first_seen_at' THEN f.first_seen_at END DESC,
         CASE WHEN @sort::text = 'title' THEN f.title END ASC,
         CASE WHEN @sort::text = '-title' THEN f.title END DESC,
         f.id DESC
LIMIT @max_rows OFFSET @skip;

-- name: APIGetFinding :one
SELECT f.id, f.dedupe_key, f.kind, f.connector_id, f.rule_key, f.severity, f.status, f.title, f.evidence,
       f.status_reason, f.status_until, f.first_seen_at, f.last_seen_at, f.resolved_at, f.ruleset_key
FROM findings f WHERE f.id = @id;
