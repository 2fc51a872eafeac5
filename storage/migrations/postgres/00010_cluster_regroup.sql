-- +goose Up
-- Agents merge clusters and split them (issue 5). A merged cluster keeps
-- its row with status 'merged' and a pointer to the cluster it went into;
-- a split leaves a cannot-link between the original and the new cluster,
-- so that a restarting instance remembers both (workers.RestoreClusters).
ALTER TABLE clusters ADD COLUMN merged_into TEXT;
-- The cluster a member was in before a merge moved it: a restarting
-- clusterer rebuilds the merged cluster's parts (triage facets) from it.
ALTER TABLE inquiries ADD COLUMN merged_from TEXT;

CREATE TABLE cluster_splits (
    cluster_id TEXT NOT NULL,
    split_id   TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, split_id)
);
CREATE INDEX cluster_splits_split ON cluster_splits (split_id);

-- +goose Down
DROP INDEX cluster_splits_split;
DROP TABLE cluster_splits;
ALTER TABLE inquiries DROP COLUMN merged_from;
ALTER TABLE clusters DROP COLUMN merged_into;
