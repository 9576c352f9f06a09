-- Rulesets, rules, results, history, overrides and attestations (see rules.go), and the normalized datasets the
-- global rules read.

-- name: RulesetHashes :many
SELECT key, definition_hash FROM rulesets ORDER BY key;

-- name: UpsertRuleset :execrows
INSERT INTO rulesets (key, kind, name, scope_kind, connector_kind, status, definition, definition_hash)
VALUES (@key, @kind, @name, @scope_kind, @connector_kind, @status, @definition, @definition_hash)
ON CONFLICT (key) DO UPDATE
SET kind = EXCLUDED.kind, name = EXCLUDED.name, scope_kind = EXCLUDED.scope_kind,
    connector_kind = EXCLUDED.connector_kind, status = EXCLUDED.status, definition = EXCLUDED.definition,
    definition_hash = EXCLUDED.definition_hash, updated_at = now()
WHERE rulesets.definition_hash <> EXCLUDED.definition_hash;

-- name: UpsertRules :execrows
-- One statement per set; only rules whose definition changed (or that come back) are rewritten.
INSERT INTO rules (ruleset_key, key, title, severity, monitoring, required_data, parameters, definition,
                   definition_hash, is_active)
SELECT @ruleset_key::text, r.key, r.title, r.severity, r.monitoring,
       ARRAY(SELECT jsonb_array_elements_text(r.required_data)), r.parameters, r.definition, r.definition_hash, r.is_active
FROM (SELECT unnest(@keys::text[]) AS key,
             unnest(@titles::text[]) AS title,
             unnest(@severities::text[]) AS severity,
             unnest(@monitorings::text[]) AS monitoring,
             unnest(@required_data::jsonb[]) AS required_data,
             unnest(@parameters::jsonb[]) AS parameters,
             unnest(@definitions::jsonb[]) AS definition,
             unnest(@definition_hashes::text[]) AS definition_hash,
             unnest(@actives::boolean[]) AS is_active) AS r
ON CONFLICT (ruleset_key, key) DO UPDATE
SET title = EXCLUDED.title, severity = EXCLUDED.severity, monitoring = EXCLUDED.monitoring,
    required_data = EXCLUDED.required_data, parameters = EXCLUDED.parameters, definition = EXCLUDED.definition,
    definition_hash = EXCLUDED.definition_hash, is_active = EXCLUDED.is_active, removed_at = NULL, updated_at = now()
WHERE rules.definition_hash <> EXCLUDED.definition_hash OR rules.removed_at IS NOT NULL;

-- name: RetireRules :execrows
-- Rules of a set that are no longer shipped: kept for their history, never evaluated.
UPDATE rules SET is_active = false, removed_at = now(), updated_at = now()
WHERE ruleset_key = @ruleset_key AND removed_at IS NULL AND NOT (key = ANY(@keys::text[]));

-- name: DeleteInactiveResults :execrows
-- Inactive or retired rules have no current result (their history stays).
DELETE FROM rule_results rr USING rules r WHERE r.id = rr.rule_id AND NOT r.is_active;

-- name: RuleIDs :many
SELECT id, ruleset_key, key FROM rules WHERE ruleset_key = ANY(@ruleset_keys::text[]);

-- name: UpsertRuleResults :execrows
INSERT INTO rule_results (rule_id, scope_kind, source_kind, source_name, status, reason_code, error_kind, summary,
                          selected_count, passed_count, affected_count, affected_resources, evidence, evaluated_at)
SELECT r.rule_id, @scope_kind::text, @source_kind::text, @source_name::text, r.status, r.reason_code, r.error_kind,
       r.summary, r.selected_count, r.passed_count, r.affected_count, r.affected_resources, r.evidence,
       @evaluated_at::timestamptz
FROM (SELECT unnest(@rule_ids::bigint[]) AS rule_id,
             unnest(@statuses::text[]) AS status,
             unnest(@reason_codes::text[]) AS reason_code,
             unnest(@error_kinds::text[]) AS error_kind,
             unnest(@summaries::text[]) AS summary,
             unnest(@selected_counts::integer[]) AS selected_count,
             unnest(@passed_counts::integer[]) AS passed_count,
             unnest(@affected_counts::integer[]) AS affected_count,
             unnest(@affected_resources::jsonb[]) AS affected_resources,
             unnest(@evidences::jsonb[]) AS evidence) AS r
ON CONFLICT (rule_id, scope_kind, source_kind, source_name) DO UPDATE
SET status = EXCLUDED.status, reason_code = EXCLUDED.reason_code, error_kind = EXCLUDED.error_kind,
    summary = EXCLUDED.summary, selected_count = EXCLUDED.selected_count, passed_count = EXCLUDED.passed_count,
    affected_count = EXCLUDED.affected_count, affected_resources = EXCLUDED.affected_resources,
    evidence = EXCLUDED.evidence, evaluated_at = EXCLUDED.evaluated_at;

-- name: InsertRuleEvaluations :execrows
INSERT INTO rule_evaluations (rule_id, scope_kind, source_kind, source_name, status, reason_code, error_kind,
                              selected_count, passed_count, affected_count, evidence, evaluated_at)
SELECT r.rule_id, @scope_kind::text, @source_kind::text, @source_name::text, r.status, r.reason_code, r.error_kind,
       r.selected_count, r.passed_count, r.affected_count, r.evidence, @evaluated_at::timestamptz
FROM (SELECT unnest(@rule_ids::bigint[]) AS rule_id,
             unnest(@statuses::text[]) AS status,
             unnest(@reason_codes::text[]) AS reason_code,
             unnest(@error_kinds::text[]) AS error_kind,
             unnest(@selected_counts::integer[]) AS selected_count,
             unnest(@passed_counts::integer[]) AS passed_count,
             unnest(@affected_counts::integer[]) AS affected_count,
             unnest(@evidences::jsonb[]) AS evidence) AS r;

-- name: LockRuleScope :exec
-- Serializes result writes of one scope.
SELECT pg_advisory_xact_lock(hashtextextended('rules:' || @scope_key::text, 0));

-- name: ListRuleResults :many
SELECT r.ruleset_key, r.key AS rule_key, r.title, r.severity, rr.status, rr.reason_code, rr.error_kind, rr.summary,
       rr.selected_count, rr.passed_count, rr.affected_count, rr.affected_resources, rr.evidence, rr.evaluated_at
FROM rule_results rr JOIN rules r ON r.id = rr.rule_id
WHERE rr.scope_kind = @scope_kind AND rr.source_kind = @source_kind AND rr.source_name = @source_name
ORDER BY r.ruleset_key, r.key;

-- name: ListRuleEvaluations :many
SELECT e.id, e.status, e.reason_code, e.error_kind, e.selected_count, e.passed_count, e.affected_count, e.evidence,
       e.evaluated_at
FROM rule_evaluations e JOIN rules r ON r.id = e.rule_id
WHERE r.ruleset_key = @ruleset_key AND r.key = @rule_key
  AND e.scope_kind = @scope_kind AND e.source_kind = @source_kind AND e.source_name = @source_name
ORDER BY e.id DESC
LIMIT @max_rows;

-- name: ListOverrides :many
SELECT * FROM rule_overrides
WHERE scope_kind = @scope_kind AND source_kind = @source_kind AND source_name = @source_name
ORDER BY ruleset_key, rule_key;

-- name: SaveOverride :exec
INSERT INTO rule_overrides (ruleset_key, rule_key, scope_kind, source_kind, source_name, enabled, params, updated_by, updated_at)
VALUES (@ruleset_key, @rule_key, @scope_kind, @source_kind, @source_name, @enabled, @params, @updated_by, now())
ON CONFLICT (ruleset_key, rule_key, scope_kind, source_kind, source_name) DO UPDATE
SET enabled = EXCLUDED.enabled, params = EXCLUDED.params, updated_by = EXCLUDED.updated_by, updated_at = now();

-- name: DeleteOverride :execrows
DELETE FROM rule_overrides
WHERE ruleset_key = @ruleset_key AND rule_key = @rule_key
  AND scope_kind = @scope_kind AND source_kind = @source_kind AND source_name = @source_name;

-- name: ListAttestations :many
SELECT r.ruleset_key, r.key AS rule_key, a.status, a.note, a.attested_by, a.attested_at, a.expires_at
FROM attestations a JOIN rules r ON r.id = a.rule_id
WHERE a.scope_kind = @scope_kind AND a.source_kind = @source_kind AND a.source_name = @source_name
ORDER BY r.ruleset_key, r.key;

-- name: SaveAttestation :execrows
INSERT INTO attestations (rule_id, scope_kind, source_kind, source_name, status, note, attested_by, attested_at, expires_at)
SELECT r.id, @scope_kind, @source_kind, @source_name, @status, @note, @attested_by, @attested_at, sqlc.narg(expires_at)
FROM rules r WHERE r.ruleset_key = @ruleset_key AND r.key = @rule_key
ON CONFLICT (rule_id, scope_kind, source_kind, source_name) DO UPDATE
SET status = EXCLUDED.status, note = EXCLUDED.note, attested_by = EXCLUDED.attested_by,
    attested_at = EXCLUDED.attested_at, expires_at = EXCLUDED.expires_at;

-- name: DeleteAttestation :execrows
DELETE FROM attestations a USING rules r
WHERE r.id = a.rule_id AND r.ruleset_key = @ruleset_key AND r.key = @rule_key
  AND a.scope_kind = @scope_kind AND a.source_kind = @source_kind AND a.source_name = @source_name;

-- name: ExpiredAttestedResults :many
-- Current results that rest on an attestation that has expired since: they must be evaluated again.
SELECT r.ruleset_key, r.key AS rule_key, rr.scope_kind, rr.source_kind, rr.source_name
FROM rule_results rr
JOIN rules r ON r.id = rr.rule_id
JOIN attestations a ON a.rule_id = rr.rule_id AND a.scope_kind = rr.scope_kind AND a.source_kind = rr.source_kind
                   AND a.source_name = rr.source_name
WHERE rr.reason_code = 'attested' AND a.expires_at IS NOT NULL AND a.expires_at <= @now
ORDER BY rr.scope_kind, rr.source_kind, rr.source_name, r.ruleset_key, r.key;

-- name: LastSucceededFullRun :one
SELECT id, unavailable, finished_at FROM sync_runs
WHERE connector_id = @connector_id AND lane = 'full' AND status = 'succeeded'
ORDER BY id DESC
LIMIT 1;

-- name: CountSucceededConnectors :one
-- Connectors with at least one complete, successful full sync: the normalized datasets exist only then.
SELECT count(DISTINCT connector_id)::bigint FROM sync_runs WHERE lane = 'full' AND status = 'succeeded';

-- Normalized datasets (docs/rules-engine.md#normalized-datasets), built from live inventory rows. Accounts and identities (the large
-- ones) are typed columns the store turns into rows without JSON; the others are one JSON row each. Account status
-- is normalized to active, suspended, deprovisioned or inactive; time fields are whole days before @now (for
-- accounts, computed by the store from the timestamps returned here).

-- name: NormalizedAccountRows :many
SELECT c.kind AS source_kind, c.id AS source_name, a.external_id, a.email, a.display_name, a.is_admin,
    c.authoritative AS is_authoritative_source, a.last_login_at,
    (CASE a.kind WHEN 'user' THEN 'human' WHEN 'service_account' THEN 'service'
                 WHEN 'service_principal' THEN 'service' ELSE a.kind END)::text AS account_kind,
    (CASE WHEN a.active THEN 'active' WHEN a.status ILIKE '%suspend%' THEN 'suspended'
          WHEN a.status ~* '(deprovision|deactivat|disabled|deleted)' THEN 'deprovisioned' ELSE 'inactive' END)::text AS status,
    (CASE WHEN lower(a.raw ->> 'user_type') IN ('guest', 'outside_collaborator', 'member') THEN lower(a.raw ->> 'user_type')
          WHEN lower(a.raw ->> 'userType') = 'guest' THEN 'guest' ELSE 'member' END)::text AS user_type,
    (CASE WHEN a.raw ->> 'admin_tier' IN ('super', 'privileged', 'none') THEN a.raw ->> 'admin_tier'
          WHEN a.is_admin THEN 'privileged' ELSE 'none' END)::text AS admin_tier,
    (CASE a.mfa_enrolled WHEN true THEN 'enrolled' WHEN false THEN 'not_enrolled' ELSE 'unknown' END)::text AS mfa_state,
    (CASE WHEN a.mfa_enrolled IS NULL THEN 'unknown' WHEN NOT a.mfa_enrolled THEN 'none'
          WHEN COALESCE(a.raw -> '_mfa_factors', '[]') ?| ARRAY['webauthn', 'signed_nonce', 'smart_card', 'smart_card_idp', 'u2f', 'fido2'] THEN 'phishing_resistant'
          WHEN COALESCE(a.raw -> '_mfa_factors', '[]') ?| ARRAY['push', 'totp', 'token:software:totp', 'token:hotp', 'token:hardware', 'token'] THEN 'strong'
          WHEN jsonb_array_length(COALESCE(a.raw -> '_mfa_factors', '[]')) > 0 THEN 'weak' ELSE 'unknown' END)::text AS mfa_strength,
    (CASE WHEN a.raw ->> 'created' ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'
          THEN (a.raw ->> 'created')::timestamptz ELSE a.first_seen_at END)::timestamptz AS created_at,
    COALESCE(l.identity_id, 0)::bigint AS identity_id,
    COALESCE(i.anchored, false)::boolean AS managed
FROM accounts a
JOIN connectors c ON c.id = a.connector_id
LEFT JOIN identity_links l ON l.account_id = a.id
LEFT JOIN identities i ON i.id = l.identity_id
WHERE a.expired_at IS NULL
ORDER BY a.id;

-- name: NormalizedIdentityAccounts :many
-- One row per (identity, live linked account), by identity then account: the store aggregates them per identity
-- (counts, source kinds, the authoritative account: the first authoritative one, active ones first).
SELECT i.id, i.kind, i.primary_email, i.display_name, i.anchored,
       a.id AS account_id, a.external_id, a.active, a.is_admin, c.kind AS source_kind, c.id AS source_name, c.authoritative,
       (CASE WHEN a.active THEN 'active' WHEN a.status ILIKE '%suspend%' THEN 'suspended'
             WHEN a.status ~* '(deprovision|deactivat|disabled|deleted)' THEN 'deprovisioned' ELSE 'inactive' END)::text AS status
FROM identities i
JOIN identity_links l ON l.identity_id = i.id
JOIN accounts a ON a.id = l.account_id AND a.expired_at IS NULL
JOIN connectors c ON c.id = a.connector_id
ORDER BY i.id, a.id;

-- name: NormalizedEntitlements :many
-- Direct account grants, and group grants expanded one level to the group's account members.
WITH assignments AS (
    SELECT g.connector_id, g.principal_external_id AS account_external_id, g.resource_external_id, g.permission
    FROM grants g WHERE g.expired_at IS NULL AND g.principal_kind = 'account'
    UNION
    SELECT g.connector_id, m.member_external_id, g.resource_external_id, g.permission
    FROM grants g
    JOIN group_members m ON m.connector_id = g.connector_id AND m.group_external_id = g.principal_external_id
                        AND m.member_kind = 'account' AND m.expired_at IS NULL
    WHERE g.expired_at IS NULL AND g.principal_kind = 'group'
)
SELECT jsonb_build_object(
    'resource_id', 'entitlement:' || x.connector_id || ':' || x.account_external_id || ':' || x.resource_external_id || ':' || x.permission,
    'display', COALESCE(NULLIF(a.email, ''), x.account_external_id) || ' -> ' || COALESCE(NULLIF(r.name, ''), x.resource_external_id) || ' (' || x.permission || ')',
    'identity', jsonb_build_object('id', i.id, 'kind', CASE i.kind WHEN 'person' THEN 'human' ELSE i.kind END,
                                   'managed', COALESCE(i.anchored, false), 'email', COALESCE(i.primary_email, a.email)),
    'account', jsonb_build_object('source_kind', c.kind, 'source_name', c.id, 'external_id', x.account_external_id,
        'user_type', CASE WHEN lower(a.raw ->> 'user_type') IN ('guest', 'outside_collaborator', 'member') THEN lower(a.raw ->> 'user_type')
                          WHEN lower(a.raw ->> 'userType') = 'guest' THEN 'guest' ELSE 'member' END),
    'entitlement', jsonb_build_object('kind', COALESCE(r.kind, 'resource'),
        'resource', COALESCE(NULLIF(r.name, ''), x.resource_external_id), 'permission', x.permission,
        'tags', CASE WHEN x.permission ~* '(admin|owner|super)' THEN jsonb_build_array(COALESCE(r.kind, 'resource'), 'admin')
                     ELSE jsonb_build_array(COALESCE(r.kind, 'resource')) END))::jsonb AS row
FROM assignments x
JOIN connectors c ON c.id = x.connector_id
LEFT JOIN accounts a ON a.connector_id = x.connector_id AND a.external_id = x.account_external_id
LEFT JOIN resources r ON r.connector_id = x.connector_id AND r.external_id = x.resource_external_id AND r.expired_at IS NULL
LEFT JOIN identity_links l ON l.account_id = a.id
LEFT JOIN identities i ON i.id = l.identity_id
WHERE a.id IS NULL OR a.expired_at IS NULL
ORDER BY x.connector_id, x.account_external_id, x.resource_external_id, x.permission;

-- name: NormalizedCredentials :many
SELECT jsonb_build_object(
    'resource_id', 'credential:' || c.id || ':' || cr.external_id,
    'display', COALESCE(NULLIF(cr.name, ''), cr.external_id),
    'source_kind', c.kind, 'source_name', c.id, 'credential_kind', cr.kind,
    'status', lower(COALESCE(cr.raw ->> 'status', '')),
    'is_active_like', lower(COALESCE(cr.raw ->> 'status', '')) IN ('', 'active', 'approved', 'pending_approval'),
    'expired', cr.expires_at IS NOT NULL AND cr.expires_at <= p.now,
    'has_expiry', cr.expires_at IS NOT NULL,
    'days_to_expiry', floor(extract(epoch FROM (cr.expires_at - p.now)) / 86400)::integer,
    'last_used_known', cr.last_used_at IS NOT NULL,
    'days_since_last_used', floor(extract(epoch FROM (p.now - cr.last_used_at)) / 86400)::integer,
    'has_owner', cr.owner_external_id <> '' OR COALESCE(cr.raw ->> 'created_by', cr.raw ->> 'owner', '') <> '',
    'has_approver', COALESCE(cr.raw ->> 'approved_by', cr.raw ->> 'approver', '') <> '',
    'privilege', CASE WHEN cr.kind = ANY(@high_privilege_kinds::text[]) THEN 'high' ELSE 'normal' END)::jsonb AS row
FROM credentials cr
CROSS JOIN (SELECT @now::timestamptz AS now) p
JOIN connectors c ON c.id = cr.connector_id
WHERE cr.expired_at IS NULL AND cr.kind NOT ILIKE '%oauth%'
ORDER BY cr.id;

-- name: NormalizedOAuthGrants :many
-- OAuth grants are credentials of an oauth kind; scopes are classified per token (docs/discovery.md#scope-classification).
SELECT jsonb_build_object(
    'resource_id', 'oauth_grant:' || c.id || ':' || cr.external_id,
    'display', COALESCE(NULLIF(cr.name, ''), cr.external_id),
    'source_kind', c.kind, 'source_name', c.id,
    'canonical_key', COALESCE(cr.raw ->> 'canonical_key', ''),
    'client_id', COALESCE(cr.raw ->> 'client_id', cr.external_id),
    'app_name', cr.name, 'scopes', to_jsonb(cr.scopes),
    'privileged', EXISTS (SELECT 1 FROM unnest(cr.scopes) s
                          WHERE lower(s) = ANY(@privileged_scopes::text[]) OR lower(s) ~ '^okta\.[a-z]+\.manage$'),
    'confidential', EXISTS (SELECT 1 FROM unnest(cr.scopes) s
                            WHERE lower(s) ~ '^(mail\.|files\.|calendar\.|sites\.read)' OR lower(s) LIKE '%readwrite%'
                               OR lower(s) ~ '/auth/(gmail\.|drive|calendar|contacts)'),
    'consent_type', CASE WHEN lower(cr.raw ->> 'consent_type') IN ('user', 'admin', 'tenant_wide') THEN lower(cr.raw ->> 'consent_type') ELSE 'user' END,
    'grantee_identity_id', l.identity_id,
    'app_managed', COALESCE(cr.raw -> 'app_managed' = 'true'::jsonb, false),
    'first_seen_days', floor(extract(epoch FROM (p.now - cr.first_seen_at)) / 86400)::integer)::jsonb AS row
FROM credentials cr
CROSS JOIN (SELECT @now::timestamptz AS now) p
JOIN connectors c ON c.id = cr.connector_id
LEFT JOIN accounts a ON a.connector_id = cr.connector_id AND a.external_id = cr.owner_external_id
LEFT JOIN identity_links l ON l.account_id = a.id
WHERE cr.expired_at IS NULL AND cr.kind ILIKE '%oauth%'
ORDER BY cr.id;
