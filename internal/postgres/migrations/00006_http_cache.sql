-- +goose Up
-- Conditional-request cache of connectors (the GitHub connector first): the last 200 answer of each list request a
-- connector made, keyed by the request (method, URL with its query, and a non-secret name of the credential the
-- answer was read with), with its ETag, the headers the client needs to read it again (Link, Content-Type) and the
-- body, gzip-compressed. The next run sends If-None-Match and, on 304, replays the stored body, so a repeat sync
-- re-emits every row without spending the provider's rate limit. Rows not used by a run are evicted by age
-- (used_at); deleting the connector deletes its cache. Never holds a secret: request keys carry no credential.
CREATE TABLE http_cache (
    connector_id text        NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    request_key  text        NOT NULL CHECK (request_key <> ''),
    etag         text        NOT NULL CHECK (etag <> ''),
    link         text        NOT NULL DEFAULT '',
    content_type text        NOT NULL DEFAULT '',
    body_gzip    bytea       NOT NULL,
    body_size    integer     NOT NULL CHECK (body_size >= 0),
    stored_at    timestamptz NOT NULL DEFAULT now(),
    used_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector_id, request_key)
);
CREATE INDEX http_cache_used ON http_cache (connector_id, used_at);

-- +goose Down
DROP TABLE http_cache;
