-- +goose Up
-- The alert outbox: one row per finding alert and destination (Slack, webhook, SNS), written when the evaluator
-- records a finding state change and delivered by a separate deliverer, so that a slow or failing destination
-- never blocks an evaluation and a crash loses nothing. The unique (destination, alert_id) makes a repeated
-- enqueue of the same state change (a retried evaluation) a no-op.
--
-- A deliverer claims due pending rows (SKIP LOCKED): the claim counts an attempt, sets a claim token and leases
-- the row until next_attempt_at; it then marks the row delivered, or pending again with a back-off, or dead
-- after the last attempt. A row whose lease ran out (its deliverer died) is due again.
CREATE TABLE alert_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination     text        NOT NULL CHECK (destination <> ''),
    alert_id        text        NOT NULL CHECK (alert_id <> ''),
    severity        text        NOT NULL,
    payload         jsonb       NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claim           text,
    -- The last failure, as the notifier reported it: never a URL's path or query, a token or a secret.
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE UNIQUE INDEX alert_outbox_destination_alert ON alert_outbox (destination, alert_id);
CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX alert_outbox_finished ON alert_outbox (updated_at) WHERE state <> 'pending';

-- +goose Down
DROP TABLE alert_outbox;
