-- +goose Up
-- A run taken over while its previous holder still held the lease (the lease expired: the process was killed, or
-- lost the database, before it released or finished the run) counts that lost lease. attempts counts every
-- invocation that worked on the run, including those that released it at their time budget; lost_leases says
-- how many of them ended without a word.
ALTER TABLE sync_runs ADD COLUMN lost_leases integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN lost_leases;
