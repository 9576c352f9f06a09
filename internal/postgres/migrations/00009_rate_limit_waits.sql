-- +goose Up
-- A run paused by a provider's rate limit (a wait longer than its invocation's time budget) keeps its lease free
-- and says when it may continue: the dispatcher does not resume it before resume_at, and it is not closed as
-- stale while it waits.
ALTER TABLE sync_runs ADD COLUMN resume_at timestamptz;

-- A tail stream the connector cannot read at all (the provider's plan or the credential's scopes) is a state, not
-- an error: unavailable holds the reason. not_before holds the stream back until then (a rate limit, or the rare
-- retry of an unavailable stream).
ALTER TABLE tail_cursors
    ADD COLUMN unavailable text NOT NULL DEFAULT '',
    ADD COLUMN not_before  timestamptz;

-- +goose Down
ALTER TABLE tail_cursors DROP COLUMN not_before, DROP COLUMN unavailable;
ALTER TABLE sync_runs DROP COLUMN resume_at;
