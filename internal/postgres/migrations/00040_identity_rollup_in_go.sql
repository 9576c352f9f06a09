-- +goose Up
-- An identity's attributes and flags are derived in Go (package identity) from the linked accounts the store
-- streams to it (IdentityAccounts), so changing what a flag means needs no migration; the view that defined
-- them goes.
DROP VIEW identity_rollup;

-- +goose Down
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
       count(*)::integer AS n,
       array_agg(DISTINCT linked.connector_id ORDER BY linked.connector_id) AS connectors
FROM (SELECT l.identity_id, a.id, a.display_name, a.email, a.status, a.active, a.last_login_at, a.is_admin,
             a.mfa_enrolled, c.authoritative, a.connector_id
      FROM identity_links l
      JOIN accounts a ON a.id = l.account_id AND a.expired_at IS NULL
      JOIN connectors c ON c.id = a.connector_id
      WHERE l.identity_id IS NOT NULL) linked
GROUP BY linked.identity_id;
