-- +goose Up
-- A tail stream's request rate, shown against its rate-limit bucket on the health page: the requests its reads
-- made in the current window (rate_window_start .. rate_window_end, on the tailer's clock), the rate of the
-- previous window, and the bucket's per-minute limit as the provider last announced it (0 when it did not).
ALTER TABLE tail_cursors
    ADD COLUMN rate_window_start   timestamptz,
    ADD COLUMN rate_window_end     timestamptz,
    ADD COLUMN rate_requests       integer          NOT NULL DEFAULT 0,
    ADD COLUMN prev_requests_per_minute double precision,
    ADD COLUMN bucket_limit        integer          NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE tail_cursors DROP COLUMN bucket_limit, DROP COLUMN prev_requests_per_minute, DROP COLUMN rate_requests,
    DROP COLUMN rate_window_end, DROP COLUMN rate_window_start;
