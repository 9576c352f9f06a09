-- +goose Up
-- Local sign-in for `open-sspm dev` and `serve` (on AWS a Cognito user pool holds the users instead): one row per
-- person allowed into the admin UI, with a password hash (argon2id, PHC string) and a role.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL CHECK (email = lower(email) AND email <> ''),
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('admin', 'viewer')),
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);
CREATE UNIQUE INDEX users_email ON users (email);

-- What the admin API's identity and event pages look up: an account's events as actor and as target, and the
-- grants a principal holds.
CREATE INDEX events_actor ON events (connector_id, actor_external_id);
CREATE INDEX event_targets_account ON event_targets (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX grants_principal ON grants (connector_id, principal_kind, principal_external_id);
CREATE INDEX admin_audit_target ON admin_audit (target_type, target_id);

-- +goose Down
DROP INDEX admin_audit_target, grants_principal, event_targets_account, events_actor;
DROP TABLE users;
