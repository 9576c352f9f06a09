-- +goose Up
-- Access history (docs/access-history.md): every change a write makes to access — an account appears, disappears
-- or changes status or admin flag; a membership is added, removed or changes role; a grant is added, removed or
-- changes permission; a credential appears, expires, is revoked or changes scopes; an identity link is made or
-- broken — is recorded by statement-level triggers on the inventory tables, in the transaction of the write. So
-- every write path of every connector kind records, a rolled-back write records nothing, and a resumed run that
-- upserts a page again records nothing again (the rows already hold what it writes).
--
-- History starts at a connector's first successful full run (its baseline): what that run and anything before it
-- write is the starting state, not changes. "As of" answers treat rows first seen in the baseline as present
-- since they were first seen.
CREATE TABLE access_changes (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id          text        NOT NULL,
    entity                text        NOT NULL CHECK (entity IN ('account', 'membership', 'grant', 'credential', 'identity_link')),
    change                text        NOT NULL,
    observed_at           timestamptz NOT NULL DEFAULT now(),
    provider_at           timestamptz,          -- the provider's own time of the change, when it has one
    run_id                bigint,               -- the sync run that observed it (NULL: a push refresh or an admin)
    event_id              bigint,               -- the stored event whose push-assisted refresh observed it
    principal_kind        text        NOT NULL DEFAULT 'account', -- who holds the access: account or group
    principal_external_id text        NOT NULL DEFAULT '',
    account_id            bigint,               -- the account, when the principal is one (no foreign key: history outlives rows)
    target_kind           text        NOT NULL DEFAULT '', -- group (membership), resource (grant), credential, identity
    target_external_id    text        NOT NULL DEFAULT '',
    permission            text        NOT NULL DEFAULT '', -- grant permission, membership role, credential scopes
    via                   text        NOT NULL DEFAULT '', -- how the access is held: direct, group, team, ...
    via_external_id       text        NOT NULL DEFAULT '', -- the group or team it comes through
    old_value             text        NOT NULL DEFAULT '',
    new_value             text        NOT NULL DEFAULT '',
    identity_id           bigint,               -- identity link changes: the identity linked or unlinked
    privileged            boolean     NOT NULL DEFAULT false
);
ALTER SEQUENCE access_changes_id_seq CACHE 100;
CREATE INDEX access_changes_observed ON access_changes (observed_at DESC, id DESC);
CREATE INDEX access_changes_connector ON access_changes (connector_id, observed_at DESC, id DESC);
CREATE INDEX access_changes_account ON access_changes (account_id, observed_at) WHERE account_id IS NOT NULL;
CREATE INDEX access_changes_principal ON access_changes (connector_id, principal_external_id, observed_at);
CREATE INDEX access_changes_target ON access_changes (connector_id, target_external_id, observed_at);
CREATE INDEX access_changes_identity ON access_changes (identity_id) WHERE identity_id IS NOT NULL;
CREATE INDEX access_changes_privileged ON access_changes (observed_at DESC) WHERE privileged;

-- +goose StatementBegin
-- When a connector's history starts: the end of its first successful full run; NULL while it has none.
CREATE FUNCTION access_history_since(cid text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT r.finished_at FROM sync_runs r
    WHERE r.connector_id = cid AND r.lane = 'full' AND r.status = 'succeeded'
    ORDER BY r.started_at LIMIT 1
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Whether a permission, role, group name or scope list names privileged access.
CREATE FUNCTION access_privileged(p text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(p, '') ~* '(admin|owner|superuser|super_user|root|full.?access|poweruser|power_user|maintain)'
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- The writer's change context, set transaction-locally by the store (set_config(..., true)): the sweeping run,
-- the event a push-assisted refresh follows, and the provider's time of it.
CREATE FUNCTION access_change_run(seen bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(NULLIF(current_setting('open_sspm.change_run', true), '')::bigint, NULLIF(seen, 0))
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION access_change_event() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('open_sspm.change_event', true), '')::bigint
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION access_change_provider_at() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT NULLIF(current_setting('open_sspm.change_provider_at', true), '')::timestamptz
$$;
-- +goose StatementEnd

-- Accounts ---------------------------------------------------------------------------------------------------

-- +goose StatementBegin
CREATE FUNCTION record_account_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                account_id, new_value, privileged)
    SELECT n.connector_id, 'account', 'account_added', access_change_run(n.seen_in_run), access_change_event(),
           access_change_provider_at(), n.external_id, n.id, n.status, n.is_admin
    FROM new_rows n
    JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
          WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION record_account_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                account_id, old_value, new_value, privileged)
    SELECT x.connector_id, 'account', v.change, access_change_run(x.seen_in_run), access_change_event(),
           access_change_provider_at(), x.external_id, x.id, v.old_value, v.new_value, v.privileged
    FROM (SELECT n.connector_id, n.id, n.external_id, n.seen_in_run, n.status, n.active, n.is_admin,
                 n.expired_at IS NULL AS live, o.status AS o_status, o.active AS o_active, o.is_admin AS o_admin,
                 o.expired_at IS NULL AS o_live
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
                WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id) x
    CROSS JOIN LATERAL (VALUES
        (CASE WHEN x.live AND NOT x.o_live THEN 'account_added'
              WHEN x.o_live AND NOT x.live THEN 'account_removed' END,
         CASE WHEN x.live THEN '' ELSE x.o_status END, CASE WHEN x.live THEN x.status ELSE '' END,
         CASE WHEN x.live THEN x.is_admin ELSE x.o_admin END),
        (CASE WHEN x.live AND x.o_live AND (x.status IS DISTINCT FROM x.o_status OR x.active <> x.o_active)
              THEN 'account_status_changed' END, x.o_status, x.status, x.is_admin),
        (CASE WHEN x.live AND x.o_live AND x.is_admin AND NOT x.o_admin THEN 'account_admin_granted'
              WHEN x.live AND x.o_live AND x.o_admin AND NOT x.is_admin THEN 'account_admin_revoked' END,
         x.o_admin::text, x.is_admin::text, true)
    ) AS v(change, old_value, new_value, privileged)
    WHERE v.change IS NOT NULL;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Memberships ------------------------------------------------------------------------------------------------

-- +goose StatementBegin
CREATE FUNCTION record_member_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_kind,
                                principal_external_id, account_id, target_kind, target_external_id, permission, via,
                                new_value, privileged)
    SELECT n.connector_id, 'membership', 'membership_added', access_change_run(n.seen_in_run), access_change_event(),
           access_change_provider_at(), n.member_kind, n.member_external_id,
           CASE WHEN n.member_kind = 'account' THEN (SELECT a.id FROM accounts a
               WHERE a.connector_id = n.connector_id AND a.external_id = n.member_external_id) END,
           'group', n.group_external_id, n.role, 'direct', n.role,
           access_privileged(n.role) OR coalesce((SELECT access_privileged(g.name) FROM groups g
               WHERE g.connector_id = n.connector_id AND g.external_id = n.group_external_id), false)
    FROM new_rows n
    JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
          WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION record_member_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_kind,
                                principal_external_id, account_id, target_kind, target_external_id, permission, via,
                                old_value, new_value, privileged)
    SELECT x.connector_id, 'membership', v.change, access_change_run(x.seen_in_run), access_change_event(),
           access_change_provider_at(), x.member_kind, x.member_external_id,
           CASE WHEN x.member_kind = 'account' THEN (SELECT a.id FROM accounts a
               WHERE a.connector_id = x.connector_id AND a.external_id = x.member_external_id) END,
           'group', x.group_external_id, CASE WHEN x.live THEN x.role ELSE x.o_role END, 'direct', v.old_value,
           v.new_value, access_privileged(x.role) OR access_privileged(x.o_role)
               OR coalesce((SELECT access_privileged(g.name) FROM groups g
                            WHERE g.connector_id = x.connector_id AND g.external_id = x.group_external_id), false)
    FROM (SELECT n.connector_id, n.member_kind, n.member_external_id, n.group_external_id, n.seen_in_run, n.role,
                 o.role AS o_role, n.expired_at IS NULL AS live, o.expired_at IS NULL AS o_live
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
                WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id) x
    CROSS JOIN LATERAL (VALUES
        (CASE WHEN x.live AND NOT x.o_live THEN 'membership_added'
              WHEN x.o_live AND NOT x.live THEN 'membership_removed'
              WHEN x.live AND x.role <> x.o_role THEN 'membership_role_changed' END,
         CASE WHEN x.o_live THEN x.o_role ELSE '' END, CASE WHEN x.live THEN x.role ELSE '' END)
    ) AS v(change, old_value, new_value)
    WHERE v.change IS NOT NULL;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Grants -----------------------------------------------------------------------------------------------------

-- +goose StatementBegin
CREATE FUNCTION record_grant_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_kind,
                                principal_external_id, account_id, target_kind, target_external_id, permission, via,
                                via_external_id, new_value, privileged)
    SELECT n.connector_id, 'grant', 'grant_added', access_change_run(n.seen_in_run), access_change_event(),
           access_change_provider_at(), n.principal_kind, n.principal_external_id,
           CASE WHEN n.principal_kind = 'account' THEN (SELECT a.id FROM accounts a
               WHERE a.connector_id = n.connector_id AND a.external_id = n.principal_external_id) END, 'resource',
           n.resource_external_id, n.permission, n.via, n.via_external_id, n.permission, access_privileged(n.permission)
    FROM new_rows n
    JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
          WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A grant that expires while a live grant of the same principal, resource and path holds another permission is
-- a permission change (old → new), not a removal.
CREATE FUNCTION record_grant_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_kind,
                                principal_external_id, account_id, target_kind, target_external_id, permission, via,
                                via_external_id, old_value, new_value, privileged)
    SELECT x.connector_id, 'grant', v.change, access_change_run(x.seen_in_run), access_change_event(),
           access_change_provider_at(), x.principal_kind, x.principal_external_id,
           CASE WHEN x.principal_kind = 'account' THEN (SELECT a.id FROM accounts a
               WHERE a.connector_id = x.connector_id AND a.external_id = x.principal_external_id) END, 'resource',
           x.resource_external_id, x.permission, x.via, x.via_external_id, v.old_value, v.new_value,
           access_privileged(x.permission) OR access_privileged(v.new_value)
    FROM (SELECT n.connector_id, n.principal_kind, n.principal_external_id, n.resource_external_id, n.permission,
                 n.via, n.via_external_id, n.seen_in_run, n.expired_at IS NULL AS live, o.expired_at IS NULL AS o_live
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
                WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id
          WHERE (n.expired_at IS NULL) <> (o.expired_at IS NULL)) x
    LEFT JOIN LATERAL (SELECT s.permission FROM grants s
                       WHERE NOT x.live AND s.connector_id = x.connector_id
                         AND s.principal_external_id = x.principal_external_id AND s.principal_kind = x.principal_kind
                         AND s.resource_external_id = x.resource_external_id AND s.via = x.via
                         AND s.via_external_id = x.via_external_id AND s.permission <> x.permission
                         AND s.expired_at IS NULL
                       ORDER BY s.permission LIMIT 1) sib ON true
    CROSS JOIN LATERAL (VALUES
        (CASE WHEN x.live THEN 'grant_added' WHEN sib.permission IS NOT NULL THEN 'grant_permission_changed'
              ELSE 'grant_removed' END,
         CASE WHEN x.live THEN '' ELSE x.permission END,
         CASE WHEN x.live THEN x.permission ELSE coalesce(sib.permission, '') END)
    ) AS v(change, old_value, new_value);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Credentials ------------------------------------------------------------------------------------------------

-- +goose StatementBegin
CREATE FUNCTION record_credential_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                account_id, target_kind, target_external_id, permission, via, new_value, privileged)
    SELECT n.connector_id, 'credential', 'credential_added', access_change_run(n.seen_in_run), access_change_event(),
           coalesce(access_change_provider_at(), n.created_at), n.owner_external_id,
           (SELECT a.id FROM accounts a WHERE a.connector_id = n.connector_id AND a.external_id = n.owner_external_id),
           'credential', n.external_id,
           array_to_string(n.scopes, ' '), 'direct', n.kind, access_privileged(array_to_string(n.scopes, ' '))
    FROM new_rows n
    JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
          WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A credential that disappears after its expiry expired; one that disappears before it was revoked. A live
-- credential whose expiry passed since it was last observed expired (once: the next observation finds it
-- expired already).
CREATE FUNCTION record_credential_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT connector_id FROM new_rows) c
                   WHERE access_history_since(c.connector_id) IS NOT NULL) THEN
        RETURN NULL; -- no connector of these rows records history yet (its baseline), or no rows
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                account_id, target_kind, target_external_id, permission, via, old_value, new_value,
                                privileged)
    SELECT x.connector_id, 'credential', v.change, access_change_run(x.seen_in_run), access_change_event(),
           coalesce(v.provider_at, access_change_provider_at()), x.owner_external_id,
           (SELECT a.id FROM accounts a WHERE a.connector_id = x.connector_id AND a.external_id = x.owner_external_id),
           'credential',
           x.external_id, x.scopes, 'direct', v.old_value, v.new_value,
           access_privileged(x.scopes) OR access_privileged(x.o_scopes)
    FROM (SELECT n.connector_id, n.external_id, n.owner_external_id, n.seen_in_run, n.kind,
                 array_to_string(n.scopes, ' ') AS scopes, array_to_string(o.scopes, ' ') AS o_scopes,
                 n.expires_at, o.expires_at AS o_expires_at, n.seen_at, o.seen_at AS o_seen_at,
                 n.expired_at IS NULL AS live, o.expired_at IS NULL AS o_live
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          JOIN (SELECT c.connector_id FROM (SELECT DISTINCT connector_id FROM new_rows) c
                WHERE access_history_since(c.connector_id) IS NOT NULL) h ON h.connector_id = n.connector_id) x
    CROSS JOIN LATERAL (VALUES
        (CASE WHEN x.live AND NOT x.o_live THEN 'credential_added'
              WHEN x.o_live AND NOT x.live AND x.o_expires_at <= now() THEN 'credential_expired'
              WHEN x.o_live AND NOT x.live THEN 'credential_revoked' END,
         CASE WHEN x.o_live AND NOT x.live AND x.o_expires_at <= now() THEN x.o_expires_at END,
         CASE WHEN x.live THEN '' ELSE x.kind END, CASE WHEN x.live THEN x.kind ELSE '' END),
        (CASE WHEN x.live AND x.o_live AND x.expires_at <= x.seen_at
                   AND NOT coalesce(x.o_expires_at <= x.o_seen_at, false) THEN 'credential_expired' END,
         x.expires_at, '', ''),
        (CASE WHEN x.live AND x.o_live AND x.scopes <> x.o_scopes THEN 'credential_scopes_changed' END,
         NULL, x.o_scopes, x.scopes)
    ) AS v(change, provider_at, old_value, new_value)
    WHERE v.change IS NOT NULL;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Identity links ---------------------------------------------------------------------------------------------

-- +goose StatementBegin
-- A link made by a sync for an account of the connector's baseline is part of the baseline; manual links, and
-- links of accounts that appeared later, are changes. Links of deleted accounts (a deleted connector) are not.
CREATE FUNCTION record_link_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO access_changes (connector_id, entity, change, run_id, provider_at, principal_external_id,
                                    account_id, target_kind, target_external_id, identity_id, new_value, privileged)
        SELECT a.connector_id, 'identity_link', 'identity_linked', access_change_run(NULL), access_change_provider_at(),
               a.external_id, a.id, 'identity', n.identity_id::text, n.identity_id, n.reason, a.is_admin
        FROM new_rows n JOIN accounts a ON a.id = n.account_id
        CROSS JOIN LATERAL (SELECT access_history_since(a.connector_id) AS since) h
        WHERE n.identity_id IS NOT NULL AND h.since IS NOT NULL AND (n.reason = 'manual' OR a.first_seen_at > h.since);
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO access_changes (connector_id, entity, change, run_id, provider_at, principal_external_id,
                                    account_id, target_kind, target_external_id, identity_id, old_value, new_value,
                                    privileged)
        SELECT a.connector_id, 'identity_link', v.change, access_change_run(NULL), access_change_provider_at(),
               a.external_id, a.id, 'identity', v.identity_id::text, v.identity_id, v.old_value, v.new_value, a.is_admin
        FROM old_rows o JOIN new_rows n ON n.account_id = o.account_id
        JOIN accounts a ON a.id = n.account_id
        CROSS JOIN LATERAL (VALUES
            ('identity_unlinked', o.identity_id, o.reason, n.reason),
            ('identity_linked', n.identity_id, o.reason, n.reason)) AS v(change, identity_id, old_value, new_value)
        WHERE o.identity_id IS DISTINCT FROM n.identity_id AND v.identity_id IS NOT NULL
          AND access_history_since(a.connector_id) IS NOT NULL;
    ELSE
        INSERT INTO access_changes (connector_id, entity, change, run_id, provider_at, principal_external_id,
                                    account_id, target_kind, target_external_id, identity_id, old_value, privileged)
        SELECT a.connector_id, 'identity_link', 'identity_unlinked', access_change_run(NULL), access_change_provider_at(),
               a.external_id, a.id, 'identity', o.identity_id::text, o.identity_id, o.reason, a.is_admin
        FROM old_rows o JOIN accounts a ON a.id = o.account_id
        WHERE o.identity_id IS NOT NULL AND access_history_since(a.connector_id) IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER accounts_history_insert AFTER INSERT ON accounts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_account_inserts();
CREATE TRIGGER accounts_history_update AFTER UPDATE ON accounts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_account_updates();
CREATE TRIGGER group_members_history_insert AFTER INSERT ON group_members REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_member_inserts();
CREATE TRIGGER group_members_history_update AFTER UPDATE ON group_members REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_member_updates();
CREATE TRIGGER grants_history_insert AFTER INSERT ON grants REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_grant_inserts();
CREATE TRIGGER grants_history_update AFTER UPDATE ON grants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_grant_updates();
CREATE TRIGGER credentials_history_insert AFTER INSERT ON credentials REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_credential_inserts();
CREATE TRIGGER credentials_history_update AFTER UPDATE ON credentials REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_credential_updates();
CREATE TRIGGER identity_links_history_insert AFTER INSERT ON identity_links REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_link_changes();
CREATE TRIGGER identity_links_history_update AFTER UPDATE ON identity_links REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_link_changes();
CREATE TRIGGER identity_links_history_delete AFTER DELETE ON identity_links REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION record_link_changes();

-- +goose Down
DROP TRIGGER accounts_history_insert ON accounts;
DROP TRIGGER accounts_history_update ON accounts;
DROP TRIGGER group_members_history_insert ON group_members;
DROP TRIGGER group_members_history_update ON group_members;
DROP TRIGGER grants_history_insert ON grants;
DROP TRIGGER grants_history_update ON grants;
DROP TRIGGER credentials_history_insert ON credentials;
DROP TRIGGER credentials_history_update ON credentials;
DROP TRIGGER identity_links_history_insert ON identity_links;
DROP TRIGGER identity_links_history_update ON identity_links;
DROP TRIGGER identity_links_history_delete ON identity_links;
DROP FUNCTION record_account_inserts(), record_account_updates(), record_member_inserts(), record_member_updates(),
    record_grant_inserts(), record_grant_updates(), record_credential_inserts(), record_credential_updates(),
    record_link_changes(), access_history_since(text), access_privileged(text), access_change_run(bigint),
    access_change_event(), access_change_provider_at();
DROP TABLE access_changes;
