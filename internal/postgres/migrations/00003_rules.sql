-- +goose Up
-- Posture rulesets and event policy sets as seeded from the definitions embedded in the binary. Seeding is
-- idempotent: a set or rule is rewritten only when its definition hash changed.
CREATE TABLE rulesets (
    key             text PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('posture', 'event_policies')),
    name            text        NOT NULL,
    scope_kind      text        NOT NULL CHECK (scope_kind IN ('global', 'connector_instance')),
    connector_kind  text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated')),
    definition      jsonb       NOT NULL,
    definition_hash text        NOT NULL,
    seeded_at       timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Rules and policies. A rule no longer shipped is kept (its history refers to it) with removed_at set.
CREATE TABLE rules (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ruleset_key     text        NOT NULL REFERENCES rulesets (key) ON DELETE CASCADE,
    key             text        NOT NULL,
    title           text        NOT NULL,
    severity        text        NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    monitoring      text        NOT NULL CHECK (monitoring IN ('automated', 'partial', 'manual', 'unsupported')),
    required_data   text[]      NOT NULL DEFAULT '{}',
    parameters      jsonb       NOT NULL DEFAULT '{}', -- {defaults, schema}: what overrides are validated against
    definition      jsonb       NOT NULL,
    definition_hash text        NOT NULL,
    is_active       boolean     NOT NULL DEFAULT true,
    removed_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ruleset_key, key)
);

-- The current result of each rule per scope (global, or one connector instance: source kind and name).
CREATE TABLE rule_results (
    rule_id            bigint      NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    scope_kind         text        NOT NULL CHECK (scope_kind IN ('global', 'connector_instance')),
    source_kind        text        NOT NULL DEFAULT '',
    source_name        text        NOT NULL DEFAULT '',
    status             text        NOT NULL CHECK (status IN ('pass', 'fail', 'unknown', 'not_applicable', 'error')),
    reason_code        text        NOT NULL,
    error_kind         text        NOT NULL DEFAULT '',
    summary            text        NOT NULL DEFAULT '',
    selected_count     integer     NOT NULL DEFAULT 0,
    passed_count       integer     NOT NULL DEFAULT 0,
    affected_count     integer     NOT NULL DEFAULT 0,
    affected_resources jsonb       NOT NULL DEFAULT '[]',
    evidence           jsonb       NOT NULL DEFAULT '{}',
    evaluated_at       timestamptz NOT NULL,
    PRIMARY KEY (rule_id, scope_kind, source_kind, source_name)
);
CREATE INDEX rule_results_scope ON rule_results (scope_kind, source_kind, source_name, status);

-- Every evaluation of every rule, append-only (a trigger refuses updates and deletes).
CREATE TABLE rule_evaluations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id        bigint      NOT NULL REFERENCES rules (id),
    scope_kind     text        NOT NULL,
    source_kind    text        NOT NULL DEFAULT '',
    source_name    text        NOT NULL DEFAULT '',
    status         text        NOT NULL,
    reason_code    text        NOT NULL,
    error_kind     text        NOT NULL DEFAULT '',
    selected_count integer     NOT NULL DEFAULT 0,
    passed_count   integer     NOT NULL DEFAULT 0,
    affected_count integer     NOT NULL DEFAULT 0,
    evidence       jsonb       NOT NULL DEFAULT '{}',
    evaluated_at   timestamptz NOT NULL
);
CREATE INDEX rule_evaluations_rule ON rule_evaluations (rule_id, scope_kind, source_kind, source_name, id DESC);

-- +goose StatementBegin
CREATE FUNCTION rule_evaluations_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rule_evaluations is append-only';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER rule_evaluations_append_only BEFORE UPDATE OR DELETE ON rule_evaluations
    FOR EACH ROW EXECUTE FUNCTION rule_evaluations_append_only();

-- Ruleset (rule_key = '') and rule overrides per scope: enabled, and parameters validated against the rule's
-- schema before they are saved.
CREATE TABLE rule_overrides (
    ruleset_key text        NOT NULL REFERENCES rulesets (key) ON DELETE CASCADE,
    rule_key    text        NOT NULL DEFAULT '',
    scope_kind  text        NOT NULL CHECK (scope_kind IN ('global', 'connector_instance')),
    source_kind text        NOT NULL DEFAULT '',
    source_name text        NOT NULL DEFAULT '',
    enabled     boolean     NOT NULL DEFAULT true,
    params      jsonb       NOT NULL DEFAULT '{}',
    updated_by  text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ruleset_key, rule_key, scope_kind, source_kind, source_name)
);

-- A person's statement of a rule's status in a scope, until it expires.
CREATE TABLE attestations (
    rule_id     bigint      NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    scope_kind  text        NOT NULL CHECK (scope_kind IN ('global', 'connector_instance')),
    source_kind text        NOT NULL DEFAULT '',
    source_name text        NOT NULL DEFAULT '',
    status      text        NOT NULL CHECK (status IN ('pass', 'fail', 'not_applicable')),
    note        text        NOT NULL CHECK (note <> ''),
    attested_by text        NOT NULL CHECK (attested_by <> ''),
    attested_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    PRIMARY KEY (rule_id, scope_kind, source_kind, source_name)
);

-- Findings: the lifecycle columns the evaluator and the admin API need.
ALTER TABLE findings
    ADD COLUMN ruleset_key       text        NOT NULL DEFAULT '',
    ADD COLUMN subject           text        NOT NULL DEFAULT '',
    ADD COLUMN status_by         text        NOT NULL DEFAULT '',
    ADD COLUMN status_changed_at timestamptz,
    ADD COLUMN reopened_count    integer     NOT NULL DEFAULT 0,
    ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now();
CREATE INDEX findings_kind_rule ON findings (kind, rule_key, status);
CREATE INDEX findings_status_until ON findings (status_until) WHERE status IN ('suppressed', 'accepted_risk');

-- +goose Down
DROP INDEX findings_status_until;
DROP INDEX findings_kind_rule;
ALTER TABLE findings DROP COLUMN ruleset_key, DROP COLUMN subject, DROP COLUMN status_by,
    DROP COLUMN status_changed_at, DROP COLUMN reopened_count, DROP COLUMN updated_at;
DROP TABLE attestations, rule_overrides, rule_evaluations, rule_results, rules, rulesets;
DROP FUNCTION rule_evaluations_append_only();
