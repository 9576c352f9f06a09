-- name: EvidenceForScoring :many
-- Every connector's evidence observed since the cutoff (older evidence is stale and no longer counts).
SELECT e.connector_id, c.kind AS connector_kind, e.kind, e.app_key, e.app_id, e.app_name, e.domain, e.actor_key, e.scopes,
       e.first_seen_at, e.last_seen_at
FROM saas_app_evidence e JOIN connectors c ON c.id = e.connector_id
WHERE e.last_seen_at >= @since
ORDER BY e.id;

-- name: ConnectorFreshness :many
SELECT c.id, c.kind, c.enabled, c.intervals, s.last_success_at
FROM connectors c LEFT JOIN lane_schedules s ON s.connector_id = c.id AND s.lane = 'full';

-- name: ListBindings :many
SELECT * FROM saas_app_bindings ORDER BY app_key, created_at;

-- name: GovernanceOwners :many
SELECT app_key, owner_identity_id, criticality, classification FROM saas_apps;

-- name: UpsertSaasApps :execrows
INSERT INTO saas_apps (app_key, display_name, vendor, domain, sources, first_seen_at, last_seen_at, actors_30d,
                       scopes, privileged_scopes, confidential_scopes, suggested_criticality,
                       suggested_classification, managed_state, managed_connector_id, risk_score, risk_level, computed_at)
SELECT r.app_key, r.display_name, r.vendor, r.domain, string_to_array(r.sources, ' '), r.first_seen_at,
       r.last_seen_at, r.actors_30d, COALESCE(string_to_array(NULLIF(r.scopes, ''), ' '), '{}'),
       COALESCE(string_to_array(NULLIF(r.privileged, ''), ' '), '{}'), COALESCE(string_to_array(NULLIF(r.confidential, ''), ' '), '{}'),
       r.criticality, r.classification, r.managed_state, r.managed_connector_id, r.risk_score, r.risk_level, now()
FROM (SELECT unnest(@app_keys::text[]) AS app_key,
             unnest(@display_names::text[]) AS display_name,
             unnest(@vendors::text[]) AS vendor,
             unnest(@domains::text[]) AS domain,
             unnest(@sources::text[]) AS sources,
             unnest(@first_seen_ats::timestamptz[]) AS first_seen_at,
             unnest(@last_seen_ats::timestamptz[]) AS last_seen_at,
             unnest(@actors::integer[]) AS actors_30d,
             unnest(@scopes::text[]) AS scopes,
             unnest(@privileged::text[]) AS privileged,
             unnest(@confidential::text[]) AS confidential,
             unnest(@criticalities::text[]) AS criticality,
             unnest(@classifications::text[]) AS classification,
             unnest(@managed_states::text[]) AS managed_state,
             unnest(@managed_connector_ids::text[]) AS managed_connector_id,
             unnest(@risk_scores::integer[]) AS risk_score,
             unnest(@risk_levels::text[]) AS risk_level) AS r
ON CONFLICT (app_key) DO UPDATE
SET display_name = EXCLUDED.display_name, vendor = EXCLUDED.vendor, domain = EXCLUDED.domain,
    sources = EXCLUDED.sources, first_seen_at = LEAST(saas_apps.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(saas_apps.last_seen_at, EXCLUDED.last_seen_at), actors_30d = EXCLUDED.actors_30d,
    scopes = COALESCE(EXCLUDED.scopes, '{}'), privileged_scopes = EXCLUDED.privileged_scopes,
    confidential_scopes = EXCLUDED.confidential_scopes, suggested_criticality = EXCLUDED.suggested_criticality,
    suggested_classification = EXCLUDED.suggested_classification, managed_state = EXCLUDED.managed_state,
    managed_connector_id = EXCLUDED.managed_connector_id, risk_score = EXCLUDED.risk_score,
    risk_level = EXCLUDED.risk_level, computed_at = now();

-- name: StaleSaasApps :execrows
-- Apps with no evidence in the window keep their row (governance, history) with no active actors.
UPDATE saas_apps SET actors_30d = 0, computed_at = now() WHERE NOT (app_key = ANY(@active_keys::text[])) AND actors_30d <> 0;

-- name: AddAutoBindings :execrows
INSERT INTO saas_app_bindings (app_key, connector_id, manual, confidence)
SELECT unnest(@app_keys::text[]), unnest(@connector_ids::text[]), false, 0.8
ON CONFLICT (app_key, connector_id, manual) DO NOTHING;

-- name: Hotspots :many
SELECT * FROM saas_apps WHERE risk_score >= @min_score ORDER BY risk_score DESC, last_seen_at DESC LIMIT @max_rows;

-- name: GetSaasApp :one
SELECT * FROM saas_apps WHERE app_key = @app_key;

-- name: SetGovernance :one
UPDATE saas_apps
SET owner_identity_id = sqlc.narg(owner_identity_id), criticality = @criticality, classification = @classification,
    state = @state, notes = @notes, governed_by = @governed_by, governed_at = now()
WHERE app_key = @app_key
RETURNING *;

-- name: SetManualBinding :exec
INSERT INTO saas_app_bindings (app_key, connector_id, manual, confidence, created_by)
VALUES (@app_key, @connector_id, true, 1, @created_by)
ON CONFLICT (app_key, connector_id, manual) DO UPDATE SET created_by = EXCLUDED.created_by, created_at = now();

-- name: RemoveManualBindings :exec
DELETE FROM saas_app_bindings WHERE app_key = @app_key AND manual;

-- name: InsertAudit :exec
INSERT INTO admin_audit (actor, action, target_type, target_id, before, after)
VALUES (@actor, @action, @target_type, @target_id, @before, @after);

-- name: ListAudit :many
SELECT * FROM admin_audit WHERE (@target_type::text = '' OR target_type = @target_type::text) ORDER BY id DESC LIMIT @max_rows;
