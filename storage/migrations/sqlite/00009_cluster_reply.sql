-- +goose Up
-- An agent's reply to everyone in a cluster, given once.
ALTER TABLE clusters ADD COLUMN reply_text TEXT;
ALTER TABLE clusters ADD COLUMN reply_by TEXT;
ALTER TABLE clusters ADD COLUMN replied_at BIGINT;

-- +goose Down
ALTER TABLE clusters DROP COLUMN replied_at;
ALTER TABLE clusters DROP COLUMN reply_by;
ALTER TABLE clusters DROP COLUMN reply_text;
