-- +goose Up
-- Connectors: one row per configured source. Several connectors of one kind may exist.
CREATE TABLE connectors (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    kind                text        NOT NULL,
    name                text        NOT NULL,
    enabled             boolean     NOT NULL DEFAULT true,
    discovery_enabled   boolean     NOT NULL DEFAULT false,
    authoritative       boolean     NOT NULL DEFAULT false,
    config              jsonb       NOT NULL DEFAULT '{}',
    secret              bytea,      -- envelope ciphertext (internal/secrets); never returned by the API
    secret_key_id       text        NOT NULL DEFAULT '',
    secret_updated_at   timestamptz,
    webhook_secret      bytea,      -- envelope ciphertext of the secret providers sign or authorize pushes with
    intervals           jsonb       NOT NULL DEFAULT '{}', -- lane -> seconds
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Per connector and lane: when the lane is next due and how many runs failed in a row (back-off).
CREATE TABLE lane_schedules (
    connector_id         text        NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    lane                 text        NOT NULL,
    next_due_at          timestamptz NOT NULL DEFAULT now(),
    consecutive_failures integer     NOT NULL DEFAULT 0,
    last_status          text        NOT NULL DEFAULT '',
    last_run_id          bigint,
    last_success_at      timestamptz,
    last_activity_at     timestamptz,
    PRIMARY KEY (connector_id, lane)
);

CREATE TABLE sync_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id     text        NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    lane             text        NOT NULL,
    trigger          text        NOT NULL CHECK (trigger IN ('schedule', 'manual', 'push')),
    status           text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'canceled')),
    checkpoint       jsonb       NOT NULL DEFAULT '{}',
    counts           jsonb       NOT NULL DEFAULT '{}',
    progress         jsonb       NOT NULL DEFAULT '{}',
    unavailable      text[]      NOT NULL DEFAULT '{}',
    error_kind       text        NOT NULL DEFAULT '',
    error_text       text        NOT NULL DEFAULT '',
    attempts         integer     NOT NULL DEFAULT 1,
    lease_owner      text,
    lease_expires_at timestamptz,
    heartbeat_at     timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
-- At most one running run per connector and lane family: the database enforces it.
CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (connector_id, lane) WHERE status = 'running';
CREATE INDEX sync_runs_connector_started ON sync_runs (connector_id, lane, started_at DESC);

-- Inventory. Every synced fact is keyed by (connector_id, external key) and carries freshness markers:
-- seen_in_run (the run that last wrote it), seen_at, first_seen_at, expired_at (set by the sweep of a complete,
-- successful run that did not see it). The markers are deliberately not indexed and the tables keep half of each
-- page free (fillfactor 50): an upsert or a sweep changes no indexed column and finds room for the new row version
-- on the same page, so PostgreSQL updates it in place (HOT) without touching any index (measured: a 100,000-row
-- sweep takes 0.7 s at fillfactor 50 against 1.75 s at 80, where only a quarter of the updates stay HOT). That is what makes a sync's upserts and its end-of-run sweep cheap. For the same
-- reason the high-volume tables carry no foreign key to connectors (a per-row trigger); DeleteConnector removes a
-- connector's rows from each of them in one transaction.
CREATE TABLE accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id    text        NOT NULL,
    external_id     text        NOT NULL,
    kind            text        NOT NULL,
    email           text        NOT NULL DEFAULT '',
    username        text        NOT NULL DEFAULT '',
    display_name    text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT '',
    active          boolean     NOT NULL DEFAULT true,
    last_login_at   timestamptz,
    mfa_enrolled    boolean,
    is_admin        boolean     NOT NULL DEFAULT false,
    raw             jsonb       NOT NULL DEFAULT '{}',
    seen_in_run     bigint      NOT NULL,
    seen_at         timestamptz NOT NULL DEFAULT now(),
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    expired_at      timestamptz,
    UNIQUE (connector_id, external_id)
) WITH (fillfactor = 50);
ALTER SEQUENCE accounts_id_seq CACHE 100;
CREATE INDEX accounts_email ON accounts (email) WHERE email <> '';

CREATE TABLE groups (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id  text        NOT NULL,
    external_id   text        NOT NULL,
    kind          text        NOT NULL DEFAULT 'group',
    name          text        NOT NULL DEFAULT '',
    description   text        NOT NULL DEFAULT '',
    raw           jsonb       NOT NULL DEFAULT '{}',
    seen_in_run   bigint      NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT now(),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    expired_at    timestamptz,
    UNIQUE (connector_id, external_id)
) WITH (fillfactor = 50);

CREATE TABLE group_members (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id       text        NOT NULL,
    group_external_id  text        NOT NULL,
    member_external_id text        NOT NULL,
    member_kind        text        NOT NULL CHECK (member_kind IN ('account', 'group')),
    role               text        NOT NULL DEFAULT 'member',
    seen_in_run        bigint      NOT NULL,
    seen_at            timestamptz NOT NULL DEFAULT now(),
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    expired_at         timestamptz,
    UNIQUE (connector_id, group_external_id, member_external_id, member_kind)
) WITH (fillfactor = 50);
CREATE INDEX group_members_member ON group_members (connector_id, member_external_id);

CREATE TABLE resources (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id  text        NOT NULL,
    external_id   text        NOT NULL,
    kind          text        NOT NULL,
    name          text        NOT NULL DEFAULT '',
    url           text        NOT NULL DEFAULT '',
    raw           jsonb       NOT NULL DEFAULT '{}',
    seen_in_run   bigint      NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT now(),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    expired_at    timestamptz,
    UNIQUE (connector_id, external_id)
) WITH (fillfactor = 50);

CREATE TABLE grants (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id          text        NOT NULL,
    principal_external_id text        NOT NULL,
    principal_kind        text        NOT NULL CHECK (principal_kind IN ('account', 'group')),
    resource_external_id  text        NOT NULL,
    permission            text        NOT NULL,
    via                   text        NOT NULL DEFAULT 'direct',
    via_external_id       text        NOT NULL DEFAULT '',
    seen_in_run           bigint      NOT NULL,
    seen_at               timestamptz NOT NULL DEFAULT now(),
    first_seen_at         timestamptz NOT NULL DEFAULT now(),
    expired_at            timestamptz,
    UNIQUE (connector_id, principal_external_id, principal_kind, resource_external_id, permission, via, via_external_id)
) WITH (fillfactor = 50);
CREATE INDEX grants_resource ON grants (connector_id, resource_external_id);

-- Credentials: metadata only, never secret values.
CREATE TABLE credentials (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id      text        NOT NULL,
    external_id       text        NOT NULL,
    kind              text        NOT NULL,
    name              text        NOT NULL DEFAULT '',
    owner_external_id text        NOT NULL DEFAULT '',
    scopes            text[]      NOT NULL DEFAULT '{}',
    created_at        timestamptz,
    expires_at        timestamptz,
    last_used_at      timestamptz,
    raw               jsonb       NOT NULL DEFAULT '{}',
    seen_in_run       bigint      NOT NULL,
    seen_at           timestamptz NOT NULL DEFAULT now(),
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    expired_at        timestamptz,
    UNIQUE (connector_id, external_id)
) WITH (fillfactor = 50);

-- Datasets: configuration objects posture rulesets read (policies, authenticators, org settings), as the
-- provider returned them. Swept per dataset like the inventory.
CREATE TABLE datasets (
    connector_id  text        NOT NULL,
    dataset       text        NOT NULL,
    external_id   text        NOT NULL,
    raw           jsonb       NOT NULL DEFAULT '{}',
    seen_in_run   bigint      NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT now(),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    expired_at    timestamptz,
    PRIMARY KEY (connector_id, dataset, external_id)
) WITH (fillfactor = 50);

-- SaaS discovery evidence from identity providers' logs, de-duplicated per (connector, kind, app, actor).
CREATE TABLE saas_app_evidence (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id  text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('sso', 'oauth_grant')),
    app_key       text        NOT NULL, -- the provider's app id, else the domain, else the lower-cased name
    app_id        text        NOT NULL DEFAULT '',
    app_name      text        NOT NULL DEFAULT '',
    domain        text        NOT NULL DEFAULT '',
    actor_key     text        NOT NULL, -- actor id, else lower-cased email
    actor_id      text        NOT NULL DEFAULT '',
    actor_email   text        NOT NULL DEFAULT '',
    scopes        text[]      NOT NULL DEFAULT '{}',
    occurrences   bigint      NOT NULL DEFAULT 1,
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    last_event_id text        NOT NULL DEFAULT '',
    UNIQUE (connector_id, kind, app_key, actor_key)
);

-- Where a lane's stage continues in its next run (discovery reads the log from the previous run's end).
CREATE TABLE lane_watermarks (
    connector_id text        NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    lane         text        NOT NULL,
    stage        text        NOT NULL,
    watermark    text        NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector_id, lane, stage)
);

-- Identities: the person, bot or service behind accounts.
CREATE TABLE identities (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text        NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'service', 'bot')),
    primary_email  text        NOT NULL DEFAULT '',
    display_name   text        NOT NULL DEFAULT '',
    status         text        NOT NULL DEFAULT '',
    last_seen_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identities_email ON identities (lower(primary_email));

CREATE TABLE identity_links (
    account_id  bigint      PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    identity_id bigint      NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    reason      text        NOT NULL CHECK (reason IN ('authoritative', 'auto_email', 'manual')),
    linked_by   text        NOT NULL DEFAULT '',
    linked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_links_identity ON identity_links (identity_id);

-- Canonical provider events; a redelivered event (same provider event id) is stored once.
CREATE TABLE events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id      text        NOT NULL,
    provider_event_id text        NOT NULL,
    type              text        NOT NULL,
    category          text        NOT NULL DEFAULT '',
    actor_external_id text        NOT NULL DEFAULT '',
    actor_display     text        NOT NULL DEFAULT '',
    outcome           text        NOT NULL DEFAULT '',
    occurred_at       timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    source            text        NOT NULL DEFAULT 'tail' CHECK (source IN ('tail', 'push')),
    raw               jsonb       NOT NULL DEFAULT '{}',
    UNIQUE (connector_id, provider_event_id)
);
CREATE INDEX events_occurred ON events (connector_id, occurred_at DESC);

CREATE TABLE event_targets (
    event_id     bigint NOT NULL,
    ordinal      integer NOT NULL,
    type         text   NOT NULL DEFAULT '',
    external_id  text   NOT NULL DEFAULT '',
    display_name text   NOT NULL DEFAULT '',
    account_id   bigint, -- the account and resource the target resolved to when stored (no foreign keys: see above)
    resource_id  bigint,
    PRIMARY KEY (event_id, ordinal)
);
CREATE INDEX event_targets_external ON event_targets (external_id);

-- Raw push deliveries, kept for audit and replay.
CREATE TABLE inbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connector_id text        NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    delivery_id  text        NOT NULL DEFAULT '',
    kind         text        NOT NULL,
    body         bytea       NOT NULL,
    status       text        NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'failed', 'dead')),
    attempts     integer     NOT NULL DEFAULT 0,
    error        text        NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);
CREATE INDEX inbox_status ON inbox (status, received_at);
CREATE UNIQUE INDEX inbox_delivery ON inbox (connector_id, delivery_id) WHERE delivery_id <> '';

-- The local queue (SQS's stand-in): SKIP LOCKED receive, attempts, visibility timeout, dead state.
CREATE TABLE queue_messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue        text        NOT NULL,
    body         bytea       NOT NULL,
    state        text        NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'dead')),
    attempts     integer     NOT NULL DEFAULT 0,
    receipt      text        NOT NULL DEFAULT '',
    visible_at   timestamptz NOT NULL DEFAULT now(),
    last_error   text        NOT NULL DEFAULT '',
    enqueued_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_messages_ready ON queue_messages (queue, visible_at, id) WHERE state = 'ready';

-- Tail cursors per connector and stream.
CREATE TABLE tail_cursors (
    connector_id  text        NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    stream        text        NOT NULL,
    cursor        text        NOT NULL DEFAULT '',
    high_water_at timestamptz,
    lag_seconds   double precision NOT NULL DEFAULT 0,
    last_error    text        NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector_id, stream)
);

-- Findings: posture, event and identity findings with one lifecycle.
CREATE TABLE findings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key      text        NOT NULL UNIQUE,
    kind            text        NOT NULL CHECK (kind IN ('posture', 'event', 'identity')),
    connector_id    text        REFERENCES connectors (id) ON DELETE CASCADE,
    rule_key        text        NOT NULL DEFAULT '',
    severity        text        NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'suppressed', 'accepted_risk')),
    title           text        NOT NULL,
    evidence        jsonb       NOT NULL DEFAULT '{}',
    status_reason   text        NOT NULL DEFAULT '',
    status_until    timestamptz,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz
);
CREATE INDEX findings_status ON findings (status, severity);

-- Who changed what through the admin UI or API. Never holds secret values.
CREATE TABLE admin_audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    target_type text        NOT NULL DEFAULT '',
    target_id   text        NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_at ON admin_audit (at DESC);

-- +goose Down
DROP TABLE lane_watermarks, saas_app_evidence, datasets, admin_audit, findings, tail_cursors, queue_messages, inbox, event_targets, events, identity_links,
    identities, credentials, grants, resources, group_members, groups, accounts, sync_runs, lane_schedules, connectors;
