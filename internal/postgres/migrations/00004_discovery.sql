-- +goose Up
-- Discovered SaaS apps (rules.md §6), computed by the discovery lane from saas_app_evidence; the governance
-- columns are set by people and never overwritten by the lane.
CREATE TABLE saas_apps (
    app_key                  text PRIMARY KEY,
    display_name             text        NOT NULL,
    vendor                   text        NOT NULL DEFAULT '',
    domain                   text        NOT NULL DEFAULT '',
    sources                  text[]      NOT NULL DEFAULT '{}', -- connector ids with evidence
    first_seen_at            timestamptz NOT NULL,
    last_seen_at             timestamptz NOT NULL,
    actors_30d               integer     NOT NULL DEFAULT 0,
    scopes                   text[]      NOT NULL DEFAULT '{}',
    privileged_scopes        text[]      NOT NULL DEFAULT '{}',
    confidential_scopes      text[]      NOT NULL DEFAULT '{}',
    suggested_criticality    text        NOT NULL DEFAULT 'low',
    suggested_classification text        NOT NULL DEFAULT 'internal',
    managed_state            text        NOT NULL DEFAULT 'no_binding',
    managed_connector_id     text        NOT NULL DEFAULT '',
    risk_score               integer     NOT NULL DEFAULT 0,
    risk_level               text        NOT NULL DEFAULT 'low',
    computed_at              timestamptz NOT NULL DEFAULT now(),
    -- governance
    owner_identity_id        bigint REFERENCES identities (id) ON DELETE SET NULL,
    criticality              text        NOT NULL DEFAULT 'unknown' CHECK (criticality IN ('unknown', 'low', 'medium', 'high', 'critical')),
    classification           text        NOT NULL DEFAULT 'unknown' CHECK (classification IN ('unknown', 'public', 'internal', 'confidential', 'restricted')),
    state                    text        NOT NULL DEFAULT 'under_review' CHECK (state IN ('sanctioned', 'unsanctioned', 'under_review', 'ignored')),
    notes                    text        NOT NULL DEFAULT '',
    governed_by              text        NOT NULL DEFAULT '',
    governed_at              timestamptz
);
CREATE INDEX saas_apps_risk ON saas_apps (risk_score DESC, last_seen_at DESC);

-- Which connector manages a discovered app: manual bindings (set by people) beat automatic ones.
CREATE TABLE saas_app_bindings (
    app_key      text        NOT NULL REFERENCES saas_apps (app_key) ON DELETE CASCADE,
    connector_id text        NOT NULL,
    manual       boolean     NOT NULL,
    confidence   double precision NOT NULL DEFAULT 0.8,
    created_by   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_key, connector_id, manual)
);

-- +goose Down
DROP TABLE saas_app_bindings, saas_apps;
