-- name: LockLinking :exec
-- Serializes linking runs, so two connectors finishing at once do not create two identities for one email, and
-- gives the run's sorts (the rollup over every link) memory instead of temporary files.
SELECT pg_advisory_xact_lock(727275), set_config('work_mem', '64MB', true);

-- The linking links only accounts of kind user, and never a guest (an account whose raw record's userType is
-- Guest, as Microsoft Graph marks B2B guests): a guest is someone else's person, linked only by hand, and waits
-- in "needing anchor" with the reason guest.

-- name: LinkByAlias :execrows
-- Links the connector's live, unlinked user accounts whose primary email no identity has to the identity of one of
-- their aliases (the raw record's "aliases", a list of addresses: Google Workspace), anchored identities first, then
-- the oldest. It runs before identities are created for emails, so an account known by an alias joins the person
-- it belongs to instead of starting an identity of its own.
INSERT INTO identity_links (account_id, identity_id, reason)
SELECT DISTINCT ON (a.id) a.id, i.id, CASE WHEN @authoritative::boolean THEN 'authoritative' ELSE 'auto_email' END
FROM accounts a
LEFT JOIN identity_links l ON l.account_id = a.id
CROSS JOIN LATERAL jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(a.raw -> 'aliases') = 'array' THEN a.raw -> 'aliases' ELSE '[]'::jsonb END) x(alias)
JOIN identities i ON lower(i.primary_email) = lower(x.alias)
WHERE a.connector_id = @connector_id AND a.expired_at IS NULL AND a.kind = 'user' AND lower(COALESCE(a.raw ->> 'userType', '')) <> 'guest' AND l.account_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM identities p WHERE lower(p.primary_email) = a.email)
ORDER BY a.id, i.anchored DESC, i.id
ON CONFLICT (account_id) DO NOTHING;

-- name: CreateIdentitiesForEmails :execrows
-- One identity per email that a live, unlinked user account of the connector carries and no identity has yet.
INSERT INTO identities (kind, primary_email, display_name)
SELECT 'person', e.email, e.display_name
FROM (SELECT DISTINCT ON (a.email) a.email, a.display_name
      FROM accounts a
      LEFT JOIN identity_links l ON l.account_id = a.id
      WHERE a.connector_id = @connector_id AND a.expired_at IS NULL AND a.kind = 'user' AND lower(COALESCE(a.raw ->> 'userType', '')) <> 'guest' AND a.email <> ''
        AND l.account_id IS NULL
      ORDER BY a.email, a.id) e
WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE lower(i.primary_email) = e.email);

-- name: HasLinkableAccounts :one
-- Whether the connector has live, unlinked user accounts with an email: what LinkByEmail links.
SELECT EXISTS (
    SELECT 1 FROM accounts a
    LEFT JOIN identity_links l ON l.account_id = a.id
    WHERE a.connector_id = @connector_id AND a.expired_at IS NULL AND a.kind = 'user' AND lower(COALESCE(a.raw ->> 'userType', '')) <> 'guest' AND a.email <> ''
      AND l.account_id IS NULL)::boolean;

-- name: LinkByEmail :execrows
-- Links the connector's live, unlinked user accounts to the identity of their email (case-insensitive),
-- preferring an identity an authoritative source anchors, then the oldest. Manual links and manual unlinks
-- (a link row exists) are never touched.
INSERT INTO identity_links (account_id, identity_id, reason)
SELECT a.id,
       (SELECT i.id FROM identities i
        WHERE lower(i.primary_email) = a.email
        ORDER BY i.anchored DESC, i.id
        LIMIT 1),
       CASE WHEN @authoritative::boolean THEN 'authoritative' ELSE 'auto_email' END
FROM accounts a
LEFT JOIN identity_links l ON l.account_id = a.id
WHERE a.connector_id = @connector_id AND a.expired_at IS NULL AND a.kind = 'user' AND lower(COALESCE(a.raw ->> 'userType', '')) <> 'guest' AND a.email <> ''
  AND l.account_id IS NULL
ON CONFLICT (account_id) DO NOTHING;

-- name: IdentityAccounts :many
-- The live linked accounts of every identity (or, with ids, of those identities) with the identity's stored
-- attributes, by identity: what identity.Rollup derives an identity's attributes and flags from.
SELECT i.id AS identity_id, i.display_name AS identity_display_name, i.primary_email AS identity_email,
       i.status AS identity_status, i.last_seen_at AS identity_last_seen_at, i.anchored, i.privileged, i.mfa, i.stale,
       i.leaver, i.accounts, i.connectors,
       a.id, a.connector_id, c.authoritative, a.active, a.is_admin, a.mfa_enrolled, a.last_login_at, a.display_name,
       a.email, a.status
FROM identity_links l
JOIN accounts a ON a.id = l.account_id AND a.expired_at IS NULL
JOIN connectors c ON c.id = a.connector_id
JOIN identities i ON i.id = l.identity_id
WHERE l.identity_id IS NOT NULL
  AND (sqlc.narg(ids)::bigint[] IS NULL OR l.identity_id = ANY(sqlc.narg(ids)::bigint[]))
ORDER BY l.identity_id;

-- name: SetIdentityAttributes :execrows
-- Writes identities' derived attributes and flags (identity.Rollup), one array element per identity. MFA is
-- 'true', 'false' or '' (unknown); connectors is the connector ids joined by commas (an id has none).
UPDATE identities i
SET display_name = n.display_name, primary_email = n.primary_email, status = n.status, last_seen_at = n.last_seen_at,
    anchored = n.anchored, privileged = n.privileged, mfa = NULLIF(n.mfa, '')::boolean, stale = n.stale,
    leaver = n.leaver, accounts = n.accounts,
    connectors = string_to_array(n.connectors, ','), updated_at = now()
FROM (SELECT unnest(@ids::bigint[]) AS id,
             unnest(@display_names::text[]) AS display_name,
             unnest(@primary_emails::text[]) AS primary_email,
             unnest(@statuses::text[]) AS status,
             unnest(@last_seen_ats::timestamptz[]) AS last_seen_at,
             unnest(@anchored::boolean[]) AS anchored,
             unnest(@privileged::boolean[]) AS privileged,
             unnest(@mfa::text[]) AS mfa,
             unnest(@stale::boolean[]) AS stale,
             unnest(@leaver::boolean[]) AS leaver,
             unnest(@accounts::integer[]) AS accounts,
             unnest(@connectors::text[]) AS connectors) n
WHERE i.id = n.id;

-- name: ClearOrphanIdentities :execrows
-- Identities no live account links to any more lose their derived flags (they stay for manual links and history).
UPDATE identities i SET anchored = false, privileged = false, mfa = NULL, leaver = false, accounts = 0, connectors = '{}',
    updated_at = now()
WHERE i.accounts > 0 AND (sqlc.narg(ids)::bigint[] IS NULL OR i.id = ANY(sqlc.narg(ids)::bigint[])) AND NOT EXISTS (
    SELECT 1 FROM identity_links l JOIN accounts a ON a.id = l.account_id AND a.expired_at IS NULL
    WHERE l.identity_id = i.id);

-- name: SetManualLink :exec
-- Links an account to an identity (or, with a NULL identity, unlinks it for good); recorded as manual.
INSERT INTO identity_links (account_id, identity_id, reason, linked_by, linked_at)
VALUES (@account_id, sqlc.narg(identity_id), 'manual', @linked_by, now())
ON CONFLICT (account_id) DO UPDATE
SET identity_id = EXCLUDED.identity_id, reason = 'manual', linked_by = EXCLUDED.linked_by, linked_at = now();

-- name: ClearManualLink :execrows
-- Forgets a manual decision: the next linking run links the account automatically again.
DELETE FROM identity_links WHERE account_id = @account_id AND reason = 'manual';

-- name: NeedsAnchor :many
-- The connector's live accounts that no identity anchored by an authoritative source claims.
SELECT a.id, a.external_id, a.kind, a.email, a.display_name, l.identity_id, COALESCE(l.reason, '') AS reason
FROM accounts a
LEFT JOIN identity_links l ON l.account_id = a.id
LEFT JOIN identities i ON i.id = l.identity_id
WHERE a.connector_id = @connector_id AND a.expired_at IS NULL AND (i.id IS NULL OR NOT i.anchored)
ORDER BY a.external_id
LIMIT @max_rows;

-- name: AccountIdentity :one
SELECT a.id AS account_id, l.identity_id, COALESCE(l.reason, '') AS reason, COALESCE(l.linked_by, '') AS linked_by
FROM accounts a LEFT JOIN identity_links l ON l.account_id = a.id
WHERE a.connector_id = @connector_id AND a.external_id = @external_id;

-- name: GetIdentity :one
SELECT * FROM identities WHERE id = @id;

-- name: CountIdentities :one
SELECT count(*)::bigint FROM identities;
