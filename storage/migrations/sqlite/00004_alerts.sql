-- +goose Up
-- The incident a cluster's members are about, once known.
ALTER TABLE clusters ADD COLUMN incident_id TEXT;

-- A cluster growing faster than alerts.surge_per_minute with no incident
-- linked: a possible incident, raised once per cluster.
CREATE TABLE alerts (
    cluster_id     TEXT PRIMARY KEY,
    raised_at      BIGINT NOT NULL,
    per_minute     REAL NOT NULL,
    inquiries      BIGINT NOT NULL,
    customers      BIGINT NOT NULL,
    label          TEXT NOT NULL DEFAULT '[]',
    representative TEXT NOT NULL DEFAULT '',
    samples        TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX alerts_raised ON alerts (status, raised_at);

-- +goose Down
DROP TABLE alerts;
ALTER TABLE clusters DROP COLUMN incident_id;
