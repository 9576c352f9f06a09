-- name: APIListResources :many
SELECT r.id, r.connector_id, r.external_id, r.kind, r.name, r.url, r.first_seen_at, r.seen_at,
       (SELECT count(*) FROM grants g WHERE g.connector_id = r.connector_id AND g.resource_external_id = r.external_id
            AND g.expired_at IS NULL)::bigint AS grants,
       count(*) OVER () AS total
FROM resources r
WHERE r.expired_at IS NULL
  AND (@connector_id::text = '' OR r.connector_id = @connector_id::text)
  AND (@kind::text = '' OR r.kind = @kind::text)
  AND (@search::text = '' OR r.name ILIKE @search::text OR r.external_id ILIKE @search::text OR r.url ILIKE @search::text)
ORDER BY CASE WHEN @sort::text = 'name' THEN lower(r.name) END ASC,
         CASE WHEN @sort::text = '-name' THEN lower(r.name) END DESC,
         CASE WHEN @sort::text = 'kind' THEN r.kind END ASC,
         CASE WHEN @sort::text = '-kind' THEN r.kind END DESC,
         CASE WHEN @sort::text = 'connector_id' THEN r.connector_id END ASC,
         CASE WHEN @sort::text = '-connector_id' THEN r.connector_id END DESC,
         CASE WHEN @sort::text = 'first_seen_at' THEN r.first_seen_at END ASC,
         CASE WHEN @sort::text = '-first_seen_at' THEN r.first_seen_at END DESC,
         r.id
LIMIT @max_rows OFFSET @skip;

-- name: APIGetResource :one
SELECT r.id, r.connector_id, r.external_id, r.kind, r.name, r.url, r.raw, r.first_seen_at, r.seen_at, r.expired_at
FROM resources r WHERE r.id = @id;

-- name: APIResourceAccess :many
-- Who holds access to a resource and how: each grant with its principal (an account with its identity, or a
-- group with its live member count) and what it comes through.
SELECT g.id, g.principal_kind, g.principal_external_id, g.permission, g.via, g.via_external_id,
       COALESCE(a.display_name, pg.name, '')::text AS principal_name, COALESCE(a.email, '')::text AS principal_email,
       l.identity_id, COALESCE(vg.name, '')::text AS via_name,
       (SELECT count(*) FROM group_members gm WHERE g.principal_kind = 'group' AND gm.connector_id = g.connector_id
            AND gm.group_external_id = g.principal_external_id AND gm.expired_at IS NULL)::bigint AS members,
       count(*) OVER () AS total
FROM grants g
LEFT JOIN accounts a ON g.principal_kind = 'account' AND a.connector_id = g.connector_id AND a.external_id = g.principal_external_id
LEFT JOIN identity_links l ON l.account_id = a.id
LEFT JOIN groups pg ON g.principal_kind = 'group' AND pg.connector_id = g.connector_id AND pg.external_id = g.principal_external_id
LEFT JOIN groups vg ON g.via_external_id <> '' AND vg.connector_id = g.connector_id AND vg.external_id = g.via_external_id
WHERE g.connector_id = @connector_id AND g.resource_external_id = @resource_external_id AND g.expired_at IS NULL
  AND (@via::text = '' OR g.via = @via::text)
  AND (@principal_kind::text = '' OR g.principal_kind = @principal_kind::text)
  AND (@search::text = '' OR a.email ILIKE @search::text OR a.display_name ILIKE @search::text OR pg.name ILIKE @search::text
       OR g.principal_external_id ILIKE @search::text)
ORDER BY CASE WHEN @sort::text = 'principal_name' THEN lower(COALESCE(a.display_name, pg.name, '')) END ASC,
         CASE WHEN @sort::text = '-principal_name' THEN lower(COALESCE(a.display_name, pg.name, '')) END DESC,
         CASE WHEN @sort::text = 'permission' THEN g.permission END ASC,
         CASE WHEN @sort::text = '-permission' THEN g.permission END DESC,
         CASE WHEN @sort::text = 'via' THEN g.via END ASC,
         CASE WHEN @sort::text = '-via' THEN g.via END DESC,
         g.id
LIMIT @max_rows OFFSET @skip;
