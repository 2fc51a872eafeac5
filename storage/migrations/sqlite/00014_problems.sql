-- +goose Up
-- Problems group the clusters that are one underlying issue in any
-- wording or language (issue 9): the triage engine places each cluster
-- in a problem, agents move clusters and merge problems. A cluster an
-- agent placed is pinned: automatic placements leave it where it is.
CREATE TABLE problems (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL DEFAULT '',
    title_lang  TEXT NOT NULL DEFAULT '',
    other_title TEXT NOT NULL DEFAULT '',
    other_lang  TEXT NOT NULL DEFAULT '',
    incident_id TEXT,
    status      TEXT NOT NULL DEFAULT 'open',
    merged_into TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX problems_incident ON problems (incident_id);

ALTER TABLE clusters ADD COLUMN problem_id TEXT;
ALTER TABLE clusters ADD COLUMN problem_pinned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX clusters_problem ON clusters (problem_id);

-- +goose Down
DROP INDEX clusters_problem;
ALTER TABLE clusters DROP COLUMN problem_pinned;
ALTER TABLE clusters DROP COLUMN problem_id;
DROP INDEX problems_incident;
DROP TABLE problems;
