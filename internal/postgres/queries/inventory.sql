-- Batched upserts with run markers: one statement per page and table, rows passed as arrays.
-- A row written by a run gets seen_in_run = the run and seen_at = now(), and is un-expired if it had expired.

-- name: UpsertAccounts :execrows
INSERT INTO accounts (connector_id, external_id, kind, email, username, display_name, status, active,
                      last_login_at, mfa_enrolled, is_admin, raw, seen_in_run, seen_at)
SELECT @connector_id::text, r.external_id, r.kind, lower(r.email), r.username, r.display_name, r.status, r.active,
       r.last_login_at, NULLIF(r.mfa, '')::boolean, r.is_admin, r.raw, @run_id::bigint, now()
FROM (SELECT unnest(@external_ids::text[]) AS external_id,
             unnest(@kinds::text[]) AS kind,
             unnest(@emails::text[]) AS email,
             unnest(@usernames::text[]) AS username,
             unnest(@display_names::text[]) AS display_name,
             unnest(@statuses::text[]) AS status,
             unnest(@actives::boolean[]) AS active,
             unnest(@last_logins::timestamptz[]) AS last_login_at,
             unnest(@mfas::text[]) AS mfa,
             unnest(@admins::boolean[]) AS is_admin,
             unnest(@raws::jsonb[]) AS raw) AS r
ON CONFLICT (connector_id, external_id) DO UPDATE
SET kind = EXCLUDED.kind, email = EXCLUDED.email, username = EXCLUDED.username,
    display_name = EXCLUDED.display_name, status = EXCLUDED.status, active = EXCLUDED.active,
    last_login_at = EXCLUDED.last_login_at,
    mfa_enrolled = COALESCE(EXCLUDED.mfa_enrolled, accounts.mfa_enrolled),
    is_admin = EXCLUDED.is_admin, raw = EXCLUDED.raw,
    seen_in_run = EXCLUDED.seen_in_run, seen_at = EXCLUDED.seen_at, expired_at = NULL;

-- name: UpsertGroups :execrows
INSERT INTO groups (connector_id, external_id, kind, name, description, raw, seen_in_run, seen_at)
SELECT @connector_id::text, r.external_id, r.kind, r.name, r.description, r.raw, @run_id::bigint, now()
FROM (SELECT unnest(@external_ids::text[]) AS external_id,
             unnest(@kinds::text[]) AS kind,
             unnest(@names::text[]) AS name,
             unnest(@descriptions::text[]) AS description,
             unnest(@raws::jsonb[]) AS raw) AS r
ON CONFLICT (connector_id, external_id) DO UPDATE
SET kind = EXCLUDED.kind, name = EXCLUDED.name, description = EXCLUDED.description, raw = EXCLUDED.raw,
    seen_in_run = EXCLUDED.seen_in_run, seen_at = EXCLUDED.seen_at, expired_at = NULL;

-- name: UpsertGroupMembers :execrows
INSERT INTO group_members (connector_id, group_external_id, member_external_id, member_kind, role, seen_in_run, seen_at)
SELECT @connector_id::text, r.group_external_id, r.member_external_id, r.member_kind, r.role, @run_id::bigint, now()
FROM (SELECT unnest(@group_external_ids::text[]) AS group_external_id,
             unnest(@member_external_ids::text[]) AS member_external_id,
             unnest(@member_kinds::text[]) AS member_kind,
             unnest(@roles::text[]) AS role) AS r
ON CONFLICT (connector_id, group_external_id, member_external_id, member_kind) DO UPDATE
SET role = EXCLUDED.role, seen_in_run = EXCLUDED.seen_in_run, seen_at = EXCLUDED.seen_at, expired_at = NULL;

-- name: UpsertResources :execrows
INSERT INTO resources (connector_id, external_id, kind, name, url, raw, seen_in_run, seen_at)
SELECT @connector_id::text, r.external_id, r.kind, r.name, r.url, r.raw, @run_id::bigint, now()
FROM (SELECT unnest(@external_ids::text[]) AS external_id,
             unnest(@kinds::text[]) AS kind,
             unnest(@names::text[]) AS name,
             unnest(@urls::text[]) AS url,
             unnest(@raws::jsonb[]) AS raw) AS r
ON CONFLICT (connector_id, external_id) DO UPDATE
SET kind = EXCLUDED.kind, name = EXCLUDED.name, url = EXCLUDED.url, raw = EXCLUDED.raw,
    seen_in_run = EXCLUDED.seen_in_run, seen_at = EXCLUDED.seen_at, expired_at = NULL;

-- name: UpsertGrants :execrows
INSERT INTO grants (connector_id, principal_external_id, principal_kind, resource_external_id, permission, via,
                    via_external_id, seen_in_run, seen_at)
SELECT @connector_id::text, r.principal_external_id, r.principal_kind, r.resource_external_id, r.permission, r.via,
       r.via_external_id, @run_id::bigint, now()
FROM (SELECT unnest(@principal_external_ids::text[]) AS principal_external_id,
             unnest(@principal_kinds::text[]) AS principal_kind,
             unnest(@resource_external_ids::text[]) AS resource_external_id,
             unnest(@permissions::text[]) AS permission,
             unnest(@vias::text[]) AS via,
             unnest(@via_external_ids::text[]) AS via_external_id) AS r
ON CONFLICT (connector_id, principal_external_id, principal_kind, resource_external_id, permission, via, via_external_id)
    DO UPDATE SET seen_in_run = EXCLUDED.seen_in_run, seen_at = EXCLUDED.seen_at, expired_at = NULL;

-- name: UpsertCredentials :execrows
INSERT INTO credentials (connector_id, external_id, kind, name, owner_external_id, scopes, created_at, expires_at,
                         last_used_at, raw, seen_in_run, seen_at)
SELECT @connector_id::text, r.external_id, r.kind, r.name, r.owner_external_id,
       CASE WHEN r.scopes = '' THEN '{}'::text[] ELSE string_to_array(r.scopes, ' ') END,
       r.created_at, r.expires_at, r.last_used_at, r.raw, @run_id::bigint, now()
FROM (SELECT unnest(@external_ids::text[]) AS external_id,
             unnest(@kinds::text[]) AS kind,
             unnest(@names::text[]) AS name,
             unnest(@owner_external_ids::text[]) AS owner_external_id,
             unnest(@scopes::text[]) AS scopes,
             unnest(@created_ats::timestamptz[]) AS created_at,
             unnest(@expires_ats::timestamptz[]) AS expires_at,
             unnest(@last_used_ats::timestamptz[]) AS last_used_at,
             unnest(@raws::jsonb[]) AS raw) AS r
ON CONFLICT (connector_id, external_id) DO UPDATE
SET kind = EXCLUDED.kind, name = EXCLUDED.name, owner_external_id = EXCLUDED.owner_external_id,
    scopes = EXCLUDED.scopes, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
    last_used_at = EXCLUDED.last_used_at, raw = EXCLUDED.raw,
    seen_in_run = EXCLUDED.seen_in_run, seen_at = EXCLUDED.seen_at, expired_at = NULL;

-- name: UpsertDatasets :execrows
INSERT INTO datasets (connector_id, dataset, external_id, raw, seen_in_run, seen_at)
SELECT @connector_id::text, r.dataset, r.external_id, r.raw, @run_id::bigint, now()
FROM (SELECT unnest(@datasets::text[]) AS dataset,
             unnest(@external_ids::text[]) AS external_id,
             unnest(@raws::jsonb[]) AS raw) AS r
ON CONFLICT (connector_id, dataset, external_id) DO UPDATE
SET raw = EXCLUDED.raw, seen_in_run = EXCLUDED.seen_in_run, seen_at = EXCLUDED.seen_at, expired_at = NULL;

-- name: UpsertEvidence :execrows
-- Evidence is de-duplicated per (connector, kind, app, actor); a page's rows are aggregated before this.
-- Re-read events (a log read with an overlap) do not count again: only newer evidence raises the count.
INSERT INTO saas_app_evidence (connector_id, kind, app_key, app_id, app_name, domain, actor_key, actor_id,
                               actor_email, scopes, occurrences, first_seen_at, last_seen_at, last_event_id)
SELECT @connector_id::text, r.kind, r.app_key, r.app_id, r.app_name, r.domain, r.actor_key, r.actor_id,
       r.actor_email, CASE WHEN r.scopes = '' THEN '{}'::text[] ELSE string_to_array(r.scopes, ' ') END,
       r.occurrences, r.first_seen_at, r.last_seen_at, r.last_event_id
FROM (SELECT unnest(@kinds::text[]) AS kind,
             unnest(@app_keys::text[]) AS app_key,
             unnest(@app_ids::text[]) AS app_id,
             unnest(@app_names::text[]) AS app_name,
             unnest(@domains::text[]) AS domain,
             unnest(@actor_keys::text[]) AS actor_key,
             unnest(@actor_ids::text[]) AS actor_id,
             unnest(@actor_emails::text[]) AS actor_email,
             unnest(@scopes::text[]) AS scopes,
             unnest(@occurrences::bigint[]) AS occurrences,
             unnest(@first_seen_ats::timestamptz[]) AS first_seen_at,
             unnest(@last_seen_ats::timestamptz[]) AS last_seen_at,
             unnest(@last_event_ids::text[]) AS last_event_id) AS r
ON CONFLICT (connector_id, kind, app_key, actor_key) DO UPDATE
SET app_id = COALESCE(NULLIF(EXCLUDED.app_id, ''), saas_app_evidence.app_id),
    app_name = COALESCE(NULLIF(EXCLUDED.app_name, ''), saas_app_evidence.app_name),
    domain = COALESCE(NULLIF(EXCLUDED.domain, ''), saas_app_evidence.domain),
    actor_email = COALESCE(NULLIF(EXCLUDED.actor_email, ''), saas_app_evidence.actor_email),
    scopes = ARRAY(SELECT DISTINCT unnest(saas_app_evidence.scopes || EXCLUDED.scopes) ORDER BY 1),
    occurrences = saas_app_evidence.occurrences +
        CASE WHEN EXCLUDED.last_seen_at > saas_app_evidence.last_seen_at THEN EXCLUDED.occurrences ELSE 0 END,
    first_seen_at = LEAST(saas_app_evidence.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(saas_app_evidence.last_seen_at, EXCLUDED.last_seen_at),
    last_event_id = CASE WHEN EXCLUDED.last_seen_at >= saas_app_evidence.last_seen_at THEN EXCLUDED.last_event_id
                         ELSE saas_app_evidence.last_event_id END;

-- name: UpdateMFA :execrows
-- Sets the MFA signal of existing accounts without touching their other columns or freshness markers.
UPDATE accounts a
SET mfa_enrolled = r.enrolled,
    raw = jsonb_set(a.raw, '{_mfa_factors}', to_jsonb(CASE WHEN r.factors = '' THEN '{}'::text[] ELSE string_to_array(r.factors, ' ') END))
FROM (SELECT unnest(@external_ids::text[]) AS external_id,
             unnest(@enrolled::boolean[]) AS enrolled,
             unnest(@factors::text[]) AS factors) AS r
WHERE a.connector_id = @connector_id::text AND a.external_id = r.external_id;

-- name: ListDatasetRows :many
SELECT dataset, external_id, raw FROM datasets
WHERE connector_id = @connector_id AND dataset = @dataset AND expired_at IS NULL
ORDER BY external_id;

-- name: GetWatermark :one
SELECT watermark FROM lane_watermarks WHERE connector_id = @connector_id AND lane = @lane AND stage = @stage;

-- name: SaveWatermark :exec
INSERT INTO lane_watermarks (connector_id, lane, stage, watermark) VALUES (@connector_id, @lane, @stage, @watermark)
ON CONFLICT (connector_id, lane, stage) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now();

-- Sweeps: at the end of a complete, successful run, expire the connector's live rows the run did not see.
-- Rows written after the run started (by a push-assisted refresh) are kept, and so are the rows of the scopes the
-- run could not read (kept: JSON objects of column values, sspm.ScopedEntity; a row in one is kept).

-- name: ExpireAccounts :execrows
UPDATE accounts x SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND seen_in_run <> @run_id AND seen_at < @run_started_at
  AND NOT (to_jsonb(x) @> ANY(@kept::jsonb[]));

-- name: ExpireGroups :execrows
UPDATE groups x SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND seen_in_run <> @run_id AND seen_at < @run_started_at
  AND NOT (to_jsonb(x) @> ANY(@kept::jsonb[]));

-- name: ExpireGroupMembers :execrows
UPDATE group_members x SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND seen_in_run <> @run_id AND seen_at < @run_started_at
  AND NOT (to_jsonb(x) @> ANY(@kept::jsonb[]));

-- name: ExpireResources :execrows
UPDATE resources x SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND seen_in_run <> @run_id AND seen_at < @run_started_at
  AND NOT (to_jsonb(x) @> ANY(@kept::jsonb[]));

-- name: ExpireGrants :execrows
UPDATE grants x SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND seen_in_run <> @run_id AND seen_at < @run_started_at
  AND NOT (to_jsonb(x) @> ANY(@kept::jsonb[]));

-- name: ExpireCredentials :execrows
UPDATE credentials x SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND seen_in_run <> @run_id AND seen_at < @run_started_at
  AND NOT (to_jsonb(x) @> ANY(@kept::jsonb[]));

-- name: ExpireDatasets :execrows
-- Datasets the run could not read (kept_datasets) keep their rows.
UPDATE datasets SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND seen_in_run <> @run_id AND seen_at < @run_started_at
  AND NOT (dataset = ANY(@kept_datasets::text[]));

-- name: ListLiveAccounts :many
SELECT id, external_id, kind, email, username, display_name, status, active, last_login_at, mfa_enrolled, is_admin,
       seen_in_run, seen_at
FROM accounts
WHERE connector_id = @connector_id AND expired_at IS NULL
ORDER BY external_id
LIMIT @max_rows;

-- name: CountLive :one
SELECT (SELECT count(*) FROM accounts a WHERE a.connector_id = @connector_id AND a.expired_at IS NULL)::bigint AS accounts,
       (SELECT count(*) FROM groups g WHERE g.connector_id = @connector_id AND g.expired_at IS NULL)::bigint AS groups,
       (SELECT count(*) FROM group_members m WHERE m.connector_id = @connector_id AND m.expired_at IS NULL)::bigint AS group_members,
       (SELECT count(*) FROM resources r WHERE r.connector_id = @connector_id AND r.expired_at IS NULL)::bigint AS resources,
       (SELECT count(*) FROM grants gr WHERE gr.connector_id = @connector_id AND gr.expired_at IS NULL)::bigint AS grants,
       (SELECT count(*) FROM credentials c WHERE c.connector_id = @connector_id AND c.expired_at IS NULL)::bigint AS credentials;

-- Removals a source knows of (sspm.Page.RevokedGrants, RevokedCredentials, RemovedAccounts, RemovedGroups,
-- RemovedMembers): expired at once, in the transaction of the page that names them.

-- name: ExpireRevokedGrants :execrows
-- An empty principal or permission matches every one; a grant the same page grants (kept, as
-- principal|kind|resource|permission|via|via_external_id joined by \x1f) is never expired.
UPDATE grants g SET expired_at = now()
FROM (SELECT unnest(@principal_external_ids::text[]) AS principal, unnest(@resource_external_ids::text[]) AS resource,
             unnest(@permissions::text[]) AS permission) r
WHERE g.connector_id = @connector_id AND g.expired_at IS NULL AND g.resource_external_id = r.resource
  AND (r.principal = '' OR g.principal_external_id = r.principal) AND (r.permission = '' OR g.permission = r.permission)
  AND NOT (concat_ws(chr(31), g.principal_external_id, g.principal_kind, g.resource_external_id, g.permission, g.via,
                     g.via_external_id) = ANY(@kept::text[]));

-- name: ExpireRevokedCredentials :execrows
UPDATE credentials SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND external_id = ANY(@external_ids::text[]);

-- name: ExpireRemovedAccounts :execrows
UPDATE accounts SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND external_id = ANY(@external_ids::text[]);

-- name: ExpireRemovedGroups :execrows
UPDATE groups SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND external_id = ANY(@external_ids::text[]);

-- name: ExpireRemovedMembers :execrows
-- The memberships named (group, member, member kind), whatever their role.
UPDATE group_members m SET expired_at = now()
FROM (SELECT unnest(@group_external_ids::text[]) AS grp, unnest(@member_external_ids::text[]) AS member,
             unnest(@member_kinds::text[]) AS kind) r
WHERE m.connector_id = @connector_id AND m.expired_at IS NULL
  AND m.group_external_id = r.grp AND m.member_external_id = r.member AND m.member_kind = r.kind;

-- name: ExpireMembershipsOfRemoved :execrows
-- Every membership of the removed accounts and groups: as members, and, for a group, its members'.
UPDATE group_members m SET expired_at = now()
WHERE m.id IN (SELECT x.id FROM group_members x
               WHERE x.connector_id = @connector_id AND x.member_external_id = ANY(@members::text[])
               UNION ALL
               SELECT x.id FROM group_members x
               WHERE x.connector_id = @connector_id AND x.group_external_id = ANY(@groups::text[]))
  AND m.expired_at IS NULL
  AND ((m.member_kind = 'account' AND m.member_external_id = ANY(@accounts::text[]))
       OR (m.member_kind = 'group' AND m.member_external_id = ANY(@groups::text[]))
       OR m.group_external_id = ANY(@groups::text[]));

-- name: ExpireGrantsHeldByRemoved :execrows
-- The grants the removed accounts and groups hold.
UPDATE grants g SET expired_at = now()
FROM (SELECT unnest(@principal_external_ids::text[]) AS principal, unnest(@principal_kinds::text[]) AS kind) r
WHERE g.connector_id = @connector_id AND g.expired_at IS NULL
  AND g.principal_kind = r.kind AND g.principal_external_id = r.principal;

-- name: ExpireGrantsViaRemovedGroups :execrows
-- The grants that came through removed groups (or teams).
UPDATE grants g SET expired_at = now()
WHERE g.connector_id = @connector_id AND g.expired_at IS NULL AND g.via IN ('group', 'team')
  AND g.via_external_id = ANY(@groups::text[]);

-- name: ExpireRemovedResources :execrows
UPDATE resources SET expired_at = now()
WHERE connector_id = @connector_id AND expired_at IS NULL AND external_id = ANY(@external_ids::text[]);

-- name: ExpireGrantsOnRemovedResources :execrows
-- The grants on the removed resources.
UPDATE grants g SET expired_at = now()
WHERE g.connector_id = @connector_id AND g.expired_at IS NULL AND g.resource_external_id = ANY(@resources::text[]);
