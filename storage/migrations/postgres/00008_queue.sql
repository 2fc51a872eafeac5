-- +goose Up
-- An agent's claim on a queue item (a cluster): a lease that expires.
ALTER TABLE clusters ADD COLUMN claimed_by TEXT;
ALTER TABLE clusters ADD COLUMN claimed_until BIGINT;

-- +goose Down
ALTER TABLE clusters DROP COLUMN claimed_until;
ALTER TABLE clusters DROP COLUMN claimed_by;
