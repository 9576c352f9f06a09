-- +goose Up
-- Push hook registrations: per connector, where its push hook is registered with the provider (the URL the
-- provider delivers to) and the provider's ids of what was registered (Okta's event hook, Entra's subscriptions,
-- Google's Reports channels), so that a scheduled step can renew subscriptions that expire. A failed attempt is
-- kept as its message (safe to show, never a secret) next to the last successful registration, which stays in
-- force. The webhook secret the deliveries carry stays sealed in connectors.webhook_secret; nothing here is a
-- secret. Deleting the connector deletes its registration.
CREATE TABLE push_hooks (
    connector_id   text        PRIMARY KEY REFERENCES connectors (id) ON DELETE CASCADE,
    hook_url       text        NOT NULL DEFAULT '',
    provider_ref   text        NOT NULL DEFAULT '',
    registered_at  timestamptz,
    last_error     text        NOT NULL DEFAULT '',
    last_error_url text        NOT NULL DEFAULT '',
    last_error_at  timestamptz,
    CHECK ((hook_url = '') = (registered_at IS NULL)),
    CHECK ((last_error = '') = (last_error_at IS NULL))
);

-- +goose Down
DROP TABLE push_hooks;
