-- +goose Up
-- Local sign-in sessions (open-sspm dev and serve): every access token names its session, which the API checks
-- on each request, so signing out, disabling or deleting the user ends it at once. A session's refresh token is
-- kept as a SHA-256 hash and rotated on every use; the previous hash is kept to recognise a refresh token used
-- twice, which ends the session.
CREATE TABLE user_sessions (
    id            text        PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash  bytea       NOT NULL,
    previous_hash bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    refreshed_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);

-- +goose Down
DROP TABLE user_sessions;
