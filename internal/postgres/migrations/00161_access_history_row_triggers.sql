-- +goose Up
-- Access history (00160) recorded by row triggers instead of statement triggers: a statement trigger with
-- transition tables makes PostgreSQL copy every row a statement writes, changed or not; a row trigger with a
-- WHEN condition fires only for the rows whose access changed (live ↔ expired, status, admin flag, role, scopes,
-- expiry) and for new rows, and for none of them while the writer says its connector is still in its baseline
-- (the store sets open_sspm.baseline for a page of a connector without a successful full run). The functions
-- check the baseline themselves too, so a writer that does not say still records nothing there.
DROP TRIGGER accounts_history_insert ON accounts;
DROP TRIGGER accounts_history_update ON accounts;
DROP TRIGGER group_members_history_insert ON group_members;
DROP TRIGGER group_members_history_update ON group_members;
DROP TRIGGER grants_history_insert ON grants;
DROP TRIGGER grants_history_update ON grants;
DROP TRIGGER credentials_history_insert ON credentials;
DROP TRIGGER credentials_history_update ON credentials;
DROP FUNCTION record_account_inserts(), record_account_updates(), record_member_inserts(), record_member_updates(),
    record_grant_inserts(), record_grant_updates(), record_credential_inserts(), record_credential_updates();

-- +goose StatementBegin
CREATE FUNCTION record_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    run bigint := access_change_run(NEW.seen_in_run);
    ev bigint := access_change_event();
    at timestamptz := access_change_provider_at();
BEGIN
    IF access_history_since(NEW.connector_id) IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' OR (NEW.expired_at IS NULL AND OLD.expired_at IS NOT NULL) THEN
        INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                    account_id, new_value, privileged)
        VALUES (NEW.connector_id, 'account', 'account_added', run, ev, at, NEW.external_id, NEW.id, NEW.status, NEW.is_admin);
        RETURN NULL;
    END IF;
    IF NEW.expired_at IS NOT NULL THEN
        IF OLD.expired_at IS NULL THEN
            INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                        account_id, old_value, privileged)
            VALUES (NEW.connector_id, 'account', 'account_removed', run, ev, at, NEW.external_id, NEW.id, OLD.status, OLD.is_admin);
        END IF;
        RETURN NULL;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.active <> OLD.active THEN
        INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                    account_id, old_value, new_value, privileged)
        VALUES (NEW.connector_id, 'account', 'account_status_changed', run, ev, at, NEW.external_id, NEW.id, OLD.status,
                NEW.status, NEW.is_admin);
    END IF;
    IF NEW.is_admin <> OLD.is_admin THEN
        INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                    account_id, old_value, new_value, privileged)
        VALUES (NEW.connector_id, 'account', CASE WHEN NEW.is_admin THEN 'account_admin_granted' ELSE 'account_admin_revoked' END,
                run, ev, at, NEW.external_id, NEW.id, OLD.is_admin::text, NEW.is_admin::text, true);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION record_member_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change text;
    old_role text := '';
    new_role text := '';
    account bigint;
    group_name text;
BEGIN
    IF access_history_since(NEW.connector_id) IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' OR (NEW.expired_at IS NULL AND OLD.expired_at IS NOT NULL) THEN
        change := 'membership_added';
        new_role := NEW.role;
    ELSIF NEW.expired_at IS NOT NULL AND OLD.expired_at IS NULL THEN
        change := 'membership_removed';
        old_role := OLD.role;
    ELSIF NEW.expired_at IS NULL AND NEW.role <> OLD.role THEN
        change := 'membership_role_changed';
        old_role := OLD.role;
        new_role := NEW.role;
    ELSE
        RETURN NULL;
    END IF;
    IF NEW.member_kind = 'account' THEN
        SELECT a.id INTO account FROM accounts a WHERE a.connector_id = NEW.connector_id AND a.external_id = NEW.member_external_id;
    END IF;
    SELECT g.name INTO group_name FROM groups g WHERE g.connector_id = NEW.connector_id AND g.external_id = NEW.group_external_id;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_kind,
                                principal_external_id, account_id, target_kind, target_external_id, permission, via,
                                old_value, new_value, privileged)
    VALUES (NEW.connector_id, 'membership', change, access_change_run(NEW.seen_in_run), access_change_event(),
            access_change_provider_at(), NEW.member_kind, NEW.member_external_id, account, 'group',
            NEW.group_external_id, NEW.role, 'direct', old_role, new_role,
            access_privileged(NEW.role) OR access_privileged(old_role) OR access_privileged(group_name));
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A grant that expires while a live grant of the same principal, resource and path holds another permission is
-- a permission change (old → new), not a removal.
CREATE FUNCTION record_grant_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change text;
    old_value text := '';
    new_value text := '';
    sibling text;
    account bigint;
BEGIN
    IF access_history_since(NEW.connector_id) IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' OR (NEW.expired_at IS NULL AND OLD.expired_at IS NOT NULL) THEN
        change := 'grant_added';
        new_value := NEW.permission;
    ELSIF NEW.expired_at IS NOT NULL AND OLD.expired_at IS NULL THEN
        SELECT s.permission INTO sibling FROM grants s
        WHERE s.connector_id = NEW.connector_id AND s.principal_external_id = NEW.principal_external_id
          AND s.principal_kind = NEW.principal_kind AND s.resource_external_id = NEW.resource_external_id
          AND s.via = NEW.via AND s.via_external_id = NEW.via_external_id AND s.permission <> NEW.permission
          AND s.expired_at IS NULL
        ORDER BY s.permission LIMIT 1;
        change := CASE WHEN sibling IS NULL THEN 'grant_removed' ELSE 'grant_permission_changed' END;
        old_value := NEW.permission;
        new_value := coalesce(sibling, '');
    ELSE
        RETURN NULL;
    END IF;
    IF NEW.principal_kind = 'account' THEN
        SELECT a.id INTO account FROM accounts a WHERE a.connector_id = NEW.connector_id AND a.external_id = NEW.principal_external_id;
    END IF;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_kind,
                                principal_external_id, account_id, target_kind, target_external_id, permission, via,
                                via_external_id, old_value, new_value, privileged)
    VALUES (NEW.connector_id, 'grant', change, access_change_run(NEW.seen_in_run), access_change_event(),
            access_change_provider_at(), NEW.principal_kind, NEW.principal_external_id, account, 'resource',
            NEW.resource_external_id, NEW.permission, NEW.via, NEW.via_external_id, old_value, new_value,
            access_privileged(NEW.permission) OR access_privileged(new_value));
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A credential that disappears after its expiry expired; one that disappears before it was revoked. A live
-- credential whose expiry passed since it was last observed expired (once: the next observation finds it
-- expired already).
CREATE FUNCTION record_credential_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scopes text := array_to_string(NEW.scopes, ' ');
    old_scopes text := '';
    account bigint;
    change text;
    old_value text := '';
    new_value text := '';
    provider_at timestamptz := access_change_provider_at();
BEGIN
    IF access_history_since(NEW.connector_id) IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        old_scopes := array_to_string(OLD.scopes, ' ');
    END IF;
    IF TG_OP = 'INSERT' OR (NEW.expired_at IS NULL AND OLD.expired_at IS NOT NULL) THEN
        change := 'credential_added';
        new_value := NEW.kind;
        provider_at := coalesce(provider_at, NEW.created_at);
    ELSIF NEW.expired_at IS NOT NULL AND OLD.expired_at IS NULL THEN
        change := CASE WHEN OLD.expires_at <= now() THEN 'credential_expired' ELSE 'credential_revoked' END;
        old_value := OLD.kind;
        IF OLD.expires_at <= now() THEN
            provider_at := OLD.expires_at;
        END IF;
    ELSIF NEW.expired_at IS NULL AND NEW.expires_at <= NEW.seen_at AND NOT coalesce(OLD.expires_at <= OLD.seen_at, false) THEN
        change := 'credential_expired';
        provider_at := NEW.expires_at;
    ELSIF NEW.expired_at IS NULL AND scopes <> old_scopes THEN
        change := 'credential_scopes_changed';
        old_value := old_scopes;
        new_value := scopes;
    ELSE
        RETURN NULL;
    END IF;
    SELECT a.id INTO account FROM accounts a WHERE a.connector_id = NEW.connector_id AND a.external_id = NEW.owner_external_id;
    INSERT INTO access_changes (connector_id, entity, change, run_id, event_id, provider_at, principal_external_id,
                                account_id, target_kind, target_external_id, permission, via, old_value, new_value,
                                privileged)
    VALUES (NEW.connector_id, 'credential', change, access_change_run(NEW.seen_in_run), access_change_event(),
            provider_at, NEW.owner_external_id, account, 'credential', NEW.external_id, scopes, 'direct', old_value,
            new_value, access_privileged(scopes) OR access_privileged(old_scopes));
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER accounts_history_insert AFTER INSERT ON accounts FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION record_account_change();
CREATE TRIGGER accounts_history_update AFTER UPDATE ON accounts FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on'
          AND ((OLD.expired_at IS NULL) <> (NEW.expired_at IS NULL)
               OR (NEW.expired_at IS NULL AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.active <> NEW.active
                                               OR OLD.is_admin <> NEW.is_admin))))
    EXECUTE FUNCTION record_account_change();
CREATE TRIGGER group_members_history_insert AFTER INSERT ON group_members FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION record_member_change();
CREATE TRIGGER group_members_history_update AFTER UPDATE ON group_members FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on'
          AND ((OLD.expired_at IS NULL) <> (NEW.expired_at IS NULL) OR (NEW.expired_at IS NULL AND OLD.role <> NEW.role)))
    EXECUTE FUNCTION record_member_change();
CREATE TRIGGER grants_history_insert AFTER INSERT ON grants FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION record_grant_change();
CREATE TRIGGER grants_history_update AFTER UPDATE ON grants FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on'
          AND (OLD.expired_at IS NULL) <> (NEW.expired_at IS NULL))
    EXECUTE FUNCTION record_grant_change();
CREATE TRIGGER credentials_history_insert AFTER INSERT ON credentials FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION record_credential_change();
CREATE TRIGGER credentials_history_update AFTER UPDATE ON credentials FOR EACH ROW
    WHEN (current_setting('open_sspm.baseline', true) IS DISTINCT FROM 'on'
          AND ((OLD.expired_at IS NULL) <> (NEW.expired_at IS NULL)
               OR (NEW.expired_at IS NULL AND (OLD.scopes <> NEW.scopes
                   OR (NEW.expires_at <= NEW.seen_at AND NOT coalesce(OLD.expires_at <= OLD.seen_at, false))))))
    EXECUTE FUNCTION record_credential_change();

-- +goose Down
DROP TRIGGER accounts_history_insert ON accounts;
DROP TRIGGER accounts_history_update ON accounts;
DROP TRIGGER group_members_history_insert ON group_members;
DROP TRIGGER group_members_history_update ON group_members;
DROP TRIGGER grants_history_insert ON grants;
DROP TRIGGER grants_history_update ON grants;
DROP TRIGGER credentials_history_insert ON credentials;
DROP TRIGGER credentials_history_update ON credentials;
DROP FUNCTION record_account_change(), record_member_change(), record_grant_change(), record_credential_change();
-- The statement triggers of 00160 are not restored: migrate down past 00160 to drop the history.
