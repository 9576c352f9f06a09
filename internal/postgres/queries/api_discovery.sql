-- name: APIListSaasApps :many
SELECT sqlc.embed(s), count(*) OVER () AS total
FROM saas_apps s
WHERE (@state::text = '' OR s.state = @state::text)
  AND (@managed_state::text = '' OR s.managed_state = @managed_state::text)
  AND (@risk_level::text = '' OR s.risk_level = @risk_level::text)
  AND (@search::text = '' OR s.display_name ILIKE @search::text OR s.domain ILIKE @search::text OR s.app_key ILIKE @search::text)
ORDER BY CASE WHEN @sort::text = 'risk_score' THEN s.risk_score END ASC,
         CASE WHEN @sort::text = '-risk_score' THEN s.risk_score END DESC,
         CASE WHEN @sort::text = 'display_name' THEN lower(s.display_name) END ASC,
         CASE WHEN @sort::text = '-display_name' THEN lower(s.display_name) END DESC,
         CASE WHEN @sort::text = 'last_seen_at' THEN s.last_seen_at END ASC,
         CASE WHEN @sort::text = '-last_seen_at' THEN s.last_seen_at END DESC,
         CASE WHEN @sort::text = 'first_seen_at' THEN s.first_seen_at END ASC,
         CASE WHEN @sort::text = '-first_seen_at' THEN s.first_seen_at END DESC,
         CASE WHEN @sort::text = 'actors_30d' THEN s.actors_30d END ASC,
         CASE WHEN @sort::text = '-actors_30d' THEN s.actors_30d END DESC,
         s.app_key
LIMIT @max_rows OFFSET @skip;

-- name: APIAppEvidence :many
-- A discovered app's evidence: which connector saw whom use it, how, when, with which scopes.
SELECT e.id, e.connector_id, e.kind, e.app_key, e.app_id, e.app_name, e.domain, e.actor_key, e.actor_id,
       e.actor_email, e.scopes, e.occurrences, e.first_seen_at, e.last_seen_at, count(*) OVER () AS total
FROM saas_app_evidence e
WHERE e.app_key = @app_key
ORDER BY e.last_seen_at DESC, e.id
LIMIT @max_rows OFFSET @skip;

-- name: APIAppBindings :many
SELECT * FROM saas_app_bindings WHERE app_key = @app_key ORDER BY manual DESC, connector_id;
