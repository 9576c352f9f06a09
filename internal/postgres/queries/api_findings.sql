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

-- name: APIFindingSubjects :many
-- The live resources and accounts of a connector a finding names by external id, and the identities it names.
SELECT 'resource'::text AS type, r.id, r.connector_id, r.external_id, r.name AS name, NULL::bigint AS identity_id
FROM resources r
WHERE r.connector_id = @connector_id AND r.external_id = ANY(@external_ids::text[]) AND r.expired_at IS NULL
UNION ALL
SELECT 'account', a.id, a.connector_id, a.external_id,
       COALESCE(NULLIF(a.display_name, ''), NULLIF(a.username, ''), NULLIF(a.email, ''), a.external_id), l.identity_id
FROM accounts a LEFT JOIN identity_links l ON l.account_id = a.id
WHERE a.connector_id = @connector_id AND a.external_id = ANY(@external_ids::text[]) AND a.expired_at IS NULL
UNION ALL
SELECT 'identity', i.id, '', '', COALESCE(NULLIF(i.display_name, ''), NULLIF(i.primary_email, ''), '#' || i.id), i.id
FROM identities i
WHERE i.id = ANY(@identity_ids::bigint[])
ORDER BY 1, 5, 2
LIMIT 200;
