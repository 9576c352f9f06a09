-- +goose Up
-- Account linking (DESIGN §6.7): a NULL identity on a manual link means "deliberately unlinked": syncs never
-- link that account again until an admin links it.
ALTER TABLE identity_links ALTER COLUMN identity_id DROP NOT NULL;
ALTER TABLE identity_links ADD CONSTRAINT identity_links_unlink_is_manual CHECK (identity_id IS NOT NULL OR reason = 'manual');

-- Attributes recomputed from the linked accounts, authoritative sources first, and the derived flags.
ALTER TABLE identities
    ADD COLUMN anchored    boolean NOT NULL DEFAULT false, -- linked to a live account of an authoritative source
    ADD COLUMN privileged  boolean NOT NULL DEFAULT false, -- an admin grant in any source
    ADD COLUMN mfa         boolean,                        -- every live user account with a known MFA signal has MFA
    ADD COLUMN stale       boolean NOT NULL DEFAULT false, -- no activity in 90 days
    ADD COLUMN leaver      boolean NOT NULL DEFAULT false, -- deprovisioned in an identity provider, active elsewhere
    ADD COLUMN accounts    integer NOT NULL DEFAULT 0;

-- An identity's attributes from its linked live accounts, authoritative sources first.
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

-- +goose Down
DROP VIEW identity_rollup;
ALTER TABLE identities DROP COLUMN anchored, DROP COLUMN privileged, DROP COLUMN mfa, DROP COLUMN stale,
    DROP COLUMN leaver, DROP COLUMN accounts;
DELETE FROM identity_links WHERE identity_id IS NULL;
ALTER TABLE identity_links DROP CONSTRAINT identity_links_unlink_is_manual;
ALTER TABLE identity_links ALTER COLUMN identity_id SET NOT NULL;
