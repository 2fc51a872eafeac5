-- +goose Up
-- An incident update whose follow-ups are not queued yet: written in the
-- update's own transaction, removed once they are, so that a crash in
-- between loses no customer's follow-up.
CREATE TABLE followup_outbox (
    incident_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (incident_id, version)
);

-- +goose Down
DROP TABLE followup_outbox;
