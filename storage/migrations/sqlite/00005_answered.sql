-- +goose Up
-- The instant answer an inquiry got at intake, if any: which answer entry,
-- about which incident, at which of its status updates.
ALTER TABLE inquiries ADD COLUMN answer_id TEXT;
ALTER TABLE inquiries ADD COLUMN incident_id TEXT;
ALTER TABLE inquiries ADD COLUMN update_version BIGINT;
CREATE INDEX inquiries_incident ON inquiries (incident_id, received_at);

-- +goose Down
DROP INDEX inquiries_incident;
ALTER TABLE inquiries DROP COLUMN update_version;
ALTER TABLE inquiries DROP COLUMN incident_id;
ALTER TABLE inquiries DROP COLUMN answer_id;
