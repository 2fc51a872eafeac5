-- +goose Up
CREATE INDEX clusters_incident ON clusters (incident_id);

-- +goose Down
DROP INDEX clusters_incident;
