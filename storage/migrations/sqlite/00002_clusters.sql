-- +goose Up
CREATE TABLE clusters (
    id             TEXT PRIMARY KEY,
    representative TEXT NOT NULL,
    label          TEXT NOT NULL DEFAULT '',
    inquiries      BIGINT NOT NULL DEFAULT 0,
    customers      BIGINT NOT NULL DEFAULT 0,
    first_seen     BIGINT NOT NULL,
    last_seen      BIGINT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX clusters_open ON clusters (status, last_seen);

-- One row per distinct customer of a cluster: the count of distinct
-- customers stays exact however many instances store at once.
CREATE TABLE cluster_customers (
    cluster_id   TEXT NOT NULL,
    customer_key TEXT NOT NULL,
    PRIMARY KEY (cluster_id, customer_key)
) WITHOUT ROWID;

ALTER TABLE inquiries ADD COLUMN cluster_id TEXT;
CREATE INDEX inquiries_cluster ON inquiries (cluster_id, received_at);

-- +goose Down
DROP INDEX inquiries_cluster;
ALTER TABLE inquiries DROP COLUMN cluster_id;
DROP TABLE cluster_customers;
DROP TABLE clusters;
