-- Queries of the admin API: identities, accounts and links. @search is an ILIKE pattern ('' for none).

-- name: APIIdentityAccounts :many
-- An identity's linked accounts in every source, live ones first.
SELECT a.id, a.connector_id, c.kind AS connector_kind, c.name AS connector_name, c.authoritative, a.external_id,
       a.kind, a.email, a.username, a.display_name, a.status, a.active, a.last_login_at, a.mfa_enrolled, a.is_admin,
       a.first_seen_at, a.seen_at, a.expired_at, l.reason, l.linked_by, l.linked_at
FROM identity_links l
JOIN accounts a ON a.id = l.account_id
JOIN connectors c ON c.id = a.connector_id
WHERE l.identity_id = @identity_id
ORDER BY a.expired_at IS NOT NULL, c.authoritative DESC, a.connector_id, a.external_id;

-- name: APIAccountGroups :many
-- The groups accounts belong to, directly or through nested groups (via_group: the nested group it came through).
WITH RECURSIVE m AS (
    SELECT a.id AS account_id, gm.connector_id, gm.group_external_id, ''::text AS via_group, 1 AS depth
    FROM accounts a
    JOIN group_members gm ON gm.connector_id = a.connector_id AND gm.member_external_id = a.external_id
                         AND gm.member_kind = 'account' AND gm.expired_at IS NULL
    WHERE a.id = ANY(@account_ids::bigint[])
    UNION ALL
    SELECT m.account_id, gm.connector_id, gm.group_external_id, m.group_external_id, m.depth + 1
    FROM m
    JOIN group_members gm ON gm.connector_id = m.connector_id AND gm.member_external_id = m.group_external_id
                         AND gm.member_kind = 'group' AND gm.expired_at IS NULL
    WHERE m.depth < 8
)
SELECT DISTINCT ON (m.account_id, m.connector_id, m.group_external_id)
       m.account_id, m.connector_id, m.group_external_id, COALESCE(g.name, '')::text AS group_name,
       COALESCE(g.kind, '')::text AS group_kind, m.via_group
FROM m
LEFT JOIN groups g ON g.connector_id = m.connector_id AND g.external_id = m.group_external_id AND g.expired_at IS NULL
ORDER BY m.account_id, m.connector_id, m.group_external_id, m.depth
LIMIT 5000;

-- name: APIAccountGrants :many
-- What accounts can access: grants to the account itself and to every group it belongs to (also nested).
WITH RECURSIVE m AS (
    SELECT a.id AS account_id, gm.connector_id, gm.group_external_id, 1 AS depth
    FROM accounts a
    JOIN group_members gm ON gm.connector_id = a.connector_id AND gm.member_external_id = a.external_id
                         AND gm.member_kind = 'account' AND gm.expired_at IS NULL
    WHERE a.id = ANY(@account_ids::bigint[])
    UNION ALL
    SELECT m.account_id, gm.connector_id, gm.group_external_id, m.depth + 1
    FROM m
    JOIN group_members gm ON gm.connector_id = m.connector_id AND gm.member_external_id = m.group_external_id
                         AND gm.member_kind = 'group' AND gm.expired_at IS NULL
    WHERE m.depth < 8
), principals AS (
    SELECT a.id AS account_id, a.connector_id, a.external_id AS principal_external_id, 'account'::text AS principal_kind
    FROM accounts a WHERE a.id = ANY(@account_ids::bigint[])
    UNION
    SELECT m.account_id, m.connector_id, m.group_external_id, 'group'::text FROM m
)
SELECT p.account_id, g.connector_id, g.resource_external_id, COALESCE(r.id, 0)::bigint AS resource_id,
       COALESCE(r.name, '')::text AS resource_name, COALESCE(r.kind, '')::text AS resource_kind, g.permission, g.via,
       g.via_external_id, g.principal_kind, g.principal_external_id, COALESCE(pg.name, '')::text AS principal_name
FROM principals p
JOIN grants g ON g.connector_id = p.connector_id AND g.principal_kind = p.principal_kind
             AND g.principal_external_id = p.principal_external_id AND g.expired_at IS NULL
LEFT JOIN resources r ON r.connector_id = g.connector_id AND r.external_id = g.resource_external_id AND r.expired_at IS NULL
LEFT JOIN groups pg ON g.principal_kind = 'group' AND pg.connector_id = g.connector_id AND pg.external_id = g.principal_external_id
ORDER BY p.account_id, g.connector_id, resource_name, g.resource_external_id, g.permission
LIMIT 5000;

-- name: APIIdentityEvents :many
-- An identity's newest events: those its accounts did, and those that touched them.
WITH accts AS (
    SELECT a.id, a.connector_id, a.external_id FROM identity_links l JOIN accounts a ON a.id = l.account_id
    WHERE l.identity_id = @identity_id
), ids AS (
    SELECT e.id FROM events e JOIN accts ON e.connector_id = accts.connector_id AND e.actor_external_id = accts.external_id
    UNION
    SELECT t.event_id FROM event_targets t JOIN accts ON t.account_id = accts.id
)
SELECT e.id, e.connector_id, e.provider_event_id, e.type, e.category, e.actor_external_id, e.actor_display,
       e.outcome, e.occurred_at, e.received_at, e.source
FROM events e JOIN ids ON ids.id = e.id
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT @max_rows;

-- name: APIListAccounts :many
SELECT a.id, a.connector_id, a.external_id, a.kind, a.email, a.username, a.display_name, a.status, a.active,
       a.last_login_at, a.mfa_enrolled, a.is_admin, a.first_seen_at, a.seen_at, a.expired_at,
       l.identity_id, COALESCE(l.reason, '')::text AS link_reason, COALESCE(l.linked_by, '')::text AS linked_by,
       COALESCE(i.anchored, false)::boolean AS anchored,
       -- Why no anchored identity claims the account ('' when one does); same_email counts the anchored
       -- identities with its email.
       (CASE
            WHEN i.anchored THEN ''
            WHEN l.account_id IS NOT NULL AND l.identity_id IS NULL THEN 'unlinked_by_hand'
            WHEN a.kind <> 'user' THEN 'service_account'
            WHEN l.reason = 'manual' THEN 'identity_not_anchored'
            WHEN lower(COALESCE(a.raw ->> 'userType', '')) = 'guest' THEN 'guest'
            WHEN a.email = '' THEN 'no_email'
            WHEN same_email.n = 0 THEN 'email_matches_no_identity'
            WHEN same_email.n > 1 THEN 'several_candidates'
            ELSE 'awaiting_linking'
        END)::text AS anchor_reason,
       count(*) OVER () AS total
FROM accounts a
LEFT JOIN identity_links l ON l.account_id = a.id
LEFT JOIN identities i ON i.id = l.identity_id
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM identities e
    WHERE a.email <> '' AND e.anchored AND lower(e.primary_email) = lower(a.email)
) same_email ON true
WHERE a.connector_id = @connector_id
  AND (@include_expired::boolean OR a.expired_at IS NULL)
  AND (@search::text = '' OR a.email ILIKE @search::text OR a.display_name ILIKE @search::text
       OR a.username ILIKE @search::text OR a.external_id ILIKE @search::text)
  AND (@kind::text = '' OR a.kind = @kind::text)
  AND (sqlc.narg(active)::boolean IS NULL OR a.active = sqlc.narg(active)::boolean)
  AND (sqlc.narg(is_admin)::boolean IS NULL OR a.is_admin = sqlc.narg(is_admin)::boolean)
  AND (sqlc.narg(mfa)::boolean IS NULL OR a.mfa_enrolled = sqlc.narg(mfa)::boolean)
  AND (sqlc.narg(linked)::boolean IS NULL OR (l.identity_id IS NOT NULL) = sqlc.narg(linked)::boolean)
  AND (NOT @needs_anchor::boolean OR i.id IS NULL OR NOT i.anchored)
ORDER BY CASE WHEN @sort::text = 'external_id' THEN a.external_id END ASC,
         CASE WHEN @sort::text = '-external_id' THEN a.external_id END DESC,
         CASE WHEN @sort::text = 'display_name' THEN lower(a.display_name) END ASC,
         CASE WHEN @sort::text = '-display_name' THEN lower(a.display_name) END DESC,
         CASE WHEN @sort::text = 'email' THEN lower(a.email) END ASC,
         CASE WHEN @sort::text = '-email' THEN lower(a.email) END DESC,
         CASE WHEN @sort::text = 'last_login_at' THEN a.last_login_at END ASC NULLS FIRST,
         CASE WHEN @sort::text = '-last_login_at' THEN a.last_login_at END DESC NULLS LAST,
         CASE WHEN @sort::text = 'first_seen_at' THEN a.first_seen_at END ASC,
         CASE WHEN @sort::text = '-first_seen_at' THEN a.first_seen_at END DESC,
         a.id
LIMIT @max_rows OFFSET @skip;

-- name: APIAccountForLink :one
-- An account and its link, locked for a manual decision.
SELECT a.id AS account_id, a.email, a.display_name, l.identity_id, COALESCE(l.reason, '')::text AS reason,
       COALESCE(l.linked_by, '')::text AS linked_by
FROM accounts a LEFT JOIN identity_links l ON l.account_id = a.id
WHERE a.connector_id = @connector_id AND a.external_id = @external_id
FOR UPDATE OF a;

-- name: APIIdentityExists :one
SELECT EXISTS (SELECT 1 FROM identities WHERE id = @id)::boolean;

-- name: APIAccountSuggestions :many
-- Identities likely to own an account, with why: the same display name, an email whose local part is the
-- account's email local part or username, or a known alias (another account of the identity with the same
-- email, or whose username or email local part is the account's username). The account's own identity is left out.
WITH acct AS (
    SELECT a.id, lower(a.email) AS email, lower(a.username) AS username, lower(a.display_name) AS display_name,
           lower(split_part(a.email, '@', 1)) AS local_part, l.identity_id
    FROM accounts a LEFT JOIN identity_links l ON l.account_id = a.id
    WHERE a.connector_id = @connector_id AND a.external_id = @external_id
), matches AS (
    SELECT i.id AS identity_id, 'same_name'::text AS why
    FROM acct JOIN identities i ON acct.display_name <> '' AND lower(i.display_name) = acct.display_name
    UNION ALL
    SELECT i.id, 'email_local_part'
    FROM acct JOIN identities i ON i.primary_email <> ''
         AND lower(split_part(i.primary_email, '@', 1)) IN (NULLIF(acct.local_part, ''), NULLIF(acct.username, ''))
    UNION ALL
    SELECT l.identity_id, 'known_alias'
    FROM acct JOIN accounts o ON o.id <> acct.id
         AND ((acct.email <> '' AND lower(o.email) = acct.email)
              OR (acct.username <> '' AND (lower(o.username) = acct.username OR lower(split_part(o.email, '@', 1)) = acct.username)))
    JOIN identity_links l ON l.account_id = o.id AND l.identity_id IS NOT NULL
)
SELECT i.id, i.display_name, i.primary_email, i.anchored,
       array_agg(DISTINCT m.why ORDER BY m.why)::text[] AS reasons
FROM matches m JOIN identities i ON i.id = m.identity_id
WHERE i.id IS DISTINCT FROM (SELECT identity_id FROM acct)
GROUP BY i.id, i.display_name, i.primary_email, i.anchored
ORDER BY count(DISTINCT m.why) DESC, i.anchored DESC, lower(i.display_name), i.id
LIMIT @max_rows;
