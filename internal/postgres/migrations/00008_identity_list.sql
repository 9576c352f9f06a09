-- +goose Up
-- The identities list (admin API) walks one of these indexes in the order a page asks for and stops at the
-- page, instead of sorting every identity: p95 under 100 ms at 100,000 identities (BenchmarkIdentitiesList).
-- Sorting by the number of accounts takes a top-N sort instead: every index costs each linking run that
-- rewrites identities.
CREATE INDEX identities_list_name ON identities (display_name, id);
CREATE INDEX identities_list_email ON identities (primary_email, id);
CREATE INDEX identities_list_seen ON identities (last_seen_at ASC NULLS FIRST, id);
CREATE INDEX identities_list_created ON identities (created_at, id);

-- What the list's search matches (a substring of the email or the name, case-insensitive): folded once when a
-- row is written, so a search scans one short column. Not indexed: a trigram index cost a first linking run of
-- 100,000 accounts seconds more than it saved a search (BenchmarkLinkAccounts, BenchmarkIdentitiesList).
ALTER TABLE identities ADD COLUMN search text GENERATED ALWAYS AS (lower(primary_email || ' ' || display_name)) STORED;

-- The connectors an identity has live linked accounts in (the list's source filter and its count read one
-- indexed column instead of joining links and accounts); kept by RecomputeIdentities from identity_rollup.
ALTER TABLE identities ADD COLUMN connectors text[] NOT NULL DEFAULT '{}';
CREATE INDEX identities_connectors ON identities USING gin (connectors);

CREATE OR REPLACE VIEW identity_rollup AS
SELECT linked.identity_id,
       (array_agg(linked.display_name ORDER BY linked.authoritative DESC, linked.active DESC, linked.id)
            FILTER (WHERE linked.display_name <> ''))[1] AS display_name,
       (array_agg(linked.email ORDER BY linked.authoritative DESC, linked.active DESC, linked.id)
            FILTER (WHERE linked.email <> ''))[1] AS email,
       (array_agg(linked.status ORDER BY linked.authoritative DESC, linked.id))[1] AS status,
       max(linked.last_login_at) AS last_seen,
       bool_or(linked.authoritative) AS anchored,
       bool_or(linked.is_admin) AS privileged,
       bool_and(linked.mfa_enrolled) FILTER (WHERE linked.mfa_enrolled IS NOT NULL) AS mfa,
       bool_or(linked.authoritative AND NOT linked.active) AND bool_or(NOT linked.authoritative AND linked.active) AS leaver,
       count(*)::integer AS n,
       array_agg(DISTINCT linked.connector_id ORDER BY linked.connector_id) AS connectors
FROM (SELECT l.identity_id, a.id, a.display_name, a.email, a.status, a.active, a.last_login_at, a.is_admin,
             a.mfa_enrolled, c.authoritative, a.connector_id
      FROM identity_links l
      JOIN accounts a ON a.id = l.account_id AND a.expired_at IS NULL
      JOIN connectors c ON c.id = a.connector_id
      WHERE l.identity_id IS NOT NULL) linked
GROUP BY linked.identity_id;

UPDATE identities i SET connectors = agg.connectors FROM identity_rollup agg WHERE i.id = agg.identity_id;

-- +goose Down
DROP VIEW identity_rollup;
CREATE VIEW identity_rollup AS
SELECT linked.identity_id,
       (array_agg(linked.display_name ORDER BY linked.authoritative DESC, linked.active DESC, linked.id)
            FILTER (WHERE linked.display_name <> ''))[1] AS display_name,
       (array_agg(linked.email ORDER BY linked.authoritative DESC, linked.active DESC, linked.id)
            FILTER (WHERE linked.email <> ''))[1] AS email,
       (array_agg(linked.status ORDER BY linked.authoritative DESC, linked.id))[1] AS status,
       max(linked.last_login_at) AS last_seen,
       bool_or(linked.authoritative) AS anchored,
       bool_or(linked.is_admin) AS privileged,
       bool_and(linked.mfa_enrolled) FILTER (WHERE linked.mfa_enrolled IS NOT NULL) AS mfa,
       bool_or(linked.authoritative AND NOT linked.active) AND bool_or(NOT linked.authoritative AND linked.active) AS leaver,
       count(*)::integer AS n
FROM (SELECT l.identity_id, a.id, a.display_name, a.email, a.status, a.active, a.last_login_at, a.is_admin,
             a.mfa_enrolled, c.authoritative
      FROM identity_links l
      JOIN accounts a ON a.id = l.account_id AND a.expired_at IS NULL
      JOIN connectors c ON c.id = a.connector_id
      WHERE l.identity_id IS NOT NULL) linked
GROUP BY linked.identity_id;
ALTER TABLE identities DROP COLUMN connectors;
ALTER TABLE identities DROP COLUMN search;
DROP INDEX identities_list_created;
DROP INDEX identities_list_seen;
DROP INDEX identities_list_email;
DROP INDEX identities_list_name;
