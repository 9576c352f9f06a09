-- Access history (migration 00160): the change rows the inventory triggers record, read by the API, the "as of"
-- reconstruction, the change rules and the retention step.

-- name: SetChangeContext :exec
-- The change context of the transaction's writes (see the migration): the run that observes them, the stored
-- event a push-assisted refresh follows and the provider's time of it. Empty strings leave one unset.
SELECT set_config('open_sspm.change_run', @run_id::text, true),
       set_config('open_sspm.change_event', @event_id::text, true),
       set_config('open_sspm.change_provider_at', @provider_at::text, true);

-- name: ListAccessChanges :many
-- A page of changes, newest first, after the keyset cursor (before_at, before_id) when given. Identity: the
-- changes of accounts linked to it now or ever (link changes name it), and its own link changes.
SELECT c.id, c.connector_id, c.entity, c.change, c.observed_at, c.provider_at, c.run_id, c.event_id,
       c.principal_kind, c.principal_external_id, c.account_id, c.target_kind, c.target_external_id, c.permission,
       c.via, c.via_external_id, c.old_value, c.new_value, c.identity_id AS link_identity_id, c.privileged,
       coalesce(a.display_name, '')::text AS account_display, coalesce(a.email, '')::text AS account_email,
       l.identity_id AS identity_id,
       coalesce(r.name, g.name, '')::text AS target_name,
       coalesce(pg.name, '')::text AS principal_group_name,
       coalesce(vg.name, '')::text AS via_name
FROM access_changes c
LEFT JOIN accounts a ON a.id = c.account_id
LEFT JOIN identity_links l ON l.account_id = c.account_id
LEFT JOIN resources r ON c.target_kind = 'resource' AND r.connector_id = c.connector_id AND r.external_id = c.target_external_id
LEFT JOIN groups g ON c.target_kind = 'group' AND g.connector_id = c.connector_id AND g.external_id = c.target_external_id
LEFT JOIN groups pg ON c.principal_kind = 'group' AND pg.connector_id = c.connector_id AND pg.external_id = c.principal_external_id
LEFT JOIN groups vg ON c.via_external_id <> '' AND vg.connector_id = c.connector_id AND vg.external_id = c.via_external_id
WHERE (sqlc.narg(since)::timestamptz IS NULL OR c.observed_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR c.observed_at < sqlc.narg(until)::timestamptz)
  AND (@connector_id::text = '' OR c.connector_id = @connector_id::text)
  AND (sqlc.narg(account_id)::bigint IS NULL OR c.account_id = sqlc.narg(account_id)::bigint)
  AND (sqlc.narg(identity_id)::bigint IS NULL OR c.identity_id = sqlc.narg(identity_id)::bigint
       OR c.account_id IN (SELECT il.account_id FROM identity_links il WHERE il.identity_id = sqlc.narg(identity_id)::bigint)
       OR c.account_id IN (SELECT h.account_id FROM access_changes h WHERE h.identity_id = sqlc.narg(identity_id)::bigint))
  AND (@target::text = '' OR c.target_external_id = @target::text)
  AND (@principal::text = '' OR c.principal_external_id = @principal::text)
  AND (cardinality(@changes::text[]) = 0 OR c.change = ANY(@changes::text[]))
  AND (cardinality(@entities::text[]) = 0 OR c.entity = ANY(@entities::text[]))
  AND (NOT @privileged_only::boolean OR c.privileged)
  AND (cardinality(@ids::bigint[]) = 0 OR c.id = ANY(@ids::bigint[]))
  AND (sqlc.narg(before_at)::timestamptz IS NULL
       OR (c.observed_at, c.id) < (sqlc.narg(before_at)::timestamptz, @before_id::bigint))
ORDER BY c.observed_at DESC, c.id DESC
LIMIT @max_rows;

-- name: CountPrivilegedChanges :one
SELECT count(*)::bigint FROM access_changes WHERE privileged AND observed_at >= @since::timestamptz;

-- name: PruneAccessChanges :execrows
-- Deletes up to max_rows changes observed before the cutoff, oldest first.
DELETE FROM access_changes WHERE id IN (
    SELECT id FROM access_changes WHERE observed_at < @cutoff::timestamptz ORDER BY observed_at LIMIT @max_rows);

-- name: DeleteConnectorAccessChanges :exec
DELETE FROM access_changes WHERE connector_id = @connector_id::text;

-- name: AsOfLinkedAccounts :many
-- The accounts linked to an identity now or at any time its history names (the candidates of an "as of" answer),
-- with the current link's identity and time.
SELECT a.id, a.connector_id, a.external_id, a.kind, a.email, a.display_name, a.status, a.is_admin, a.first_seen_at,
       a.expired_at, l.identity_id AS linked_identity_id, l.linked_at
FROM accounts a
LEFT JOIN identity_links l ON l.account_id = a.id
WHERE a.id IN (SELECT il.account_id FROM identity_links il WHERE il.identity_id = @identity_id::bigint
               UNION SELECT h.account_id FROM access_changes h WHERE h.identity_id = @identity_id::bigint AND h.account_id IS NOT NULL)
ORDER BY a.id;

-- name: AsOfAccountChanges :many
-- The changes of the given accounts observed after a time, oldest first.
SELECT id, connector_id, entity, change, observed_at, principal_kind, principal_external_id, account_id,
       target_kind, target_external_id, permission, via, via_external_id, old_value, new_value, identity_id, privileged
FROM access_changes
WHERE account_id = ANY(@account_ids::bigint[]) AND observed_at > @after::timestamptz
ORDER BY observed_at, id;

-- name: AsOfPrincipalChanges :many
-- The changes whose principal is one of the given (connector, external id) pairs of a kind, after a time.
SELECT c.id, c.connector_id, c.entity, c.change, c.observed_at, c.principal_kind, c.principal_external_id,
       c.account_id, c.target_kind, c.target_external_id, c.permission, c.via, c.via_external_id, c.old_value,
       c.new_value, c.identity_id, c.privileged
FROM access_changes c
JOIN (SELECT unnest(@connector_ids::text[]) AS connector_id, unnest(@external_ids::text[]) AS external_id) p
  ON c.connector_id = p.connector_id AND c.principal_external_id = p.external_id
WHERE c.principal_kind = @principal_kind::text AND c.observed_at > @after::timestamptz
ORDER BY c.observed_at, c.id;

-- name: AsOfMemberships :many
-- The membership rows (live or expired) of the given principals.
SELECT m.connector_id, m.group_external_id, m.member_external_id, m.member_kind, m.role, m.first_seen_at,
       (m.expired_at IS NULL)::boolean AS live, coalesce(g.name, '')::text AS group_name
FROM group_members m
JOIN (SELECT unnest(@connector_ids::text[]) AS connector_id, unnest(@external_ids::text[]) AS external_id) p
  ON m.connector_id = p.connector_id AND m.member_external_id = p.external_id
LEFT JOIN groups g ON g.connector_id = m.connector_id AND g.external_id = m.group_external_id
WHERE m.member_kind = @member_kind::text;

-- name: AsOfGrants :many
-- The grant rows (live or expired) of the given principals of a kind.
SELECT gr.connector_id, gr.principal_external_id, gr.principal_kind, gr.resource_external_id, gr.permission,
       gr.via, gr.via_external_id, gr.first_seen_at, (gr.expired_at IS NULL)::boolean AS live,
       coalesce(r.name, '')::text AS resource_name
FROM grants gr
JOIN (SELECT unnest(@connector_ids::text[]) AS connector_id, unnest(@external_ids::text[]) AS external_id) p
  ON gr.connector_id = p.connector_id AND gr.principal_external_id = p.external_id
LEFT JOIN resources r ON r.connector_id = gr.connector_id AND r.external_id = gr.resource_external_id
WHERE gr.principal_kind = @principal_kind::text;

-- name: AsOfCredentials :many
-- The credential rows (live or expired) the given accounts own.
SELECT cr.connector_id, cr.external_id, cr.kind, cr.name, cr.owner_external_id,
       array_to_string(cr.scopes, ' ')::text AS scopes, cr.first_seen_at, (cr.expired_at IS NULL)::boolean AS live
FROM credentials cr
JOIN (SELECT unnest(@connector_ids::text[]) AS connector_id, unnest(@external_ids::text[]) AS external_id) p
  ON cr.connector_id = p.connector_id AND cr.owner_external_id = p.external_id;

-- name: AccessHistorySince :one
SELECT access_history_since(@connector_id::text)::timestamptz AS since;

-- name: MarkHistoryBaseline :exec
-- Tells the history triggers (migration 00161) whether the transaction writes a connector still in its
-- baseline (no successful full run yet): they then skip its rows without calling their functions.
SELECT set_config('open_sspm.baseline',
                  CASE WHEN access_history_since(@connector_id::text) IS NULL THEN 'on' ELSE '' END, true);

-- name: AsyncPageCommit :exec
-- AsyncCommit and MarkHistoryBaseline in one round trip, for the transactions of a run's pages.
SELECT set_config('synchronous_commit', 'off', true),
       set_config('open_sspm.baseline',
                  CASE WHEN access_history_since(@connector_id::text) IS NULL THEN 'on' ELSE '' END, true);

-- name: NormalizedAccessChanges :many
-- The normalized:access_changes dataset (docs/rules-engine.md#normalized-datasets): the access changes observed
-- in the window before now, one row each, with what the change-based rules ask of them. The time of a change is
-- the provider's when it has one, else when it was observed; business hours are Monday to Friday, 08:00 to
-- 18:00 UTC.
SELECT jsonb_build_object(
    'resource_id', 'access_change:' || x.id,
    'display', x.change || ' ' || COALESCE(NULLIF(a.display_name, ''), NULLIF(a.email, ''), x.principal_external_id)
               || CASE WHEN x.target_external_id <> '' THEN ' → ' || COALESCE(NULLIF(r.name, ''), NULLIF(g.name, ''), x.target_external_id) ELSE '' END
               || ' (' || x.connector_id || ')',
    'change_id', x.id, 'change', x.change, 'entity', x.entity, 'source_kind', c.kind, 'source_name', c.id,
    'privileged', x.privileged,
    'gained', x.change IN ('account_added', 'account_admin_granted', 'membership_added', 'membership_role_changed',
                           'grant_added', 'grant_permission_changed', 'credential_added', 'credential_scopes_changed'),
    'outside_business_hours', extract(isodow FROM COALESCE(x.provider_at, x.observed_at) AT TIME ZONE 'UTC') > 5
        OR extract(hour FROM COALESCE(x.provider_at, x.observed_at) AT TIME ZONE 'UTC') NOT BETWEEN 8 AND 17,
    'through_group', x.entity = 'membership' OR x.via NOT IN ('', 'direct'),
    'permission', x.permission,
    'account_status', COALESCE(a.status, ''),
    'outside_collaborator', COALESCE(lower(a.raw ->> 'user_type') = 'outside_collaborator'
                                     OR a.raw ->> 'role' = 'outside_collaborator' OR a.status = 'outside', false),
    'identity_leaver', COALESCE(i.leaver, false),
    'target_kind', COALESCE(r.kind, x.target_kind),
    'target_sensitive', COALESCE(r.raw ->> 'visibility' IN ('private', 'internal') OR r.raw -> 'private' = 'true'::jsonb
                                 OR r.raw -> 'sensitive' = 'true'::jsonb, false))::jsonb AS row
FROM access_changes x
JOIN connectors c ON c.id = x.connector_id
LEFT JOIN accounts a ON a.id = x.account_id
LEFT JOIN identity_links l ON l.account_id = x.account_id
LEFT JOIN identities i ON i.id = l.identity_id
LEFT JOIN resources r ON x.target_kind = 'resource' AND r.connector_id = x.connector_id AND r.external_id = x.target_external_id
LEFT JOIN groups g ON x.target_kind = 'group' AND g.connector_id = x.connector_id AND g.external_id = x.target_external_id
WHERE x.observed_at >= @since::timestamptz AND x.entity <> 'identity_link'
ORDER BY x.id;
