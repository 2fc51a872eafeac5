-- +goose Up
-- A cluster is urgent once a member mentions money, fraud, hacking or
-- privacy: set as inquiries are stored, so the agents' queue ranks without
-- reading members (its cost follows the open clusters, not the stored
-- inquiries).
ALTER TABLE clusters ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE clusters DROP COLUMN urgent;
