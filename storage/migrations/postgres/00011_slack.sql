-- +goose Up
-- The Slack messages surgedesk keeps up to date, by what they show
-- ("cluster:<id>", "alert:<cluster id>"): every instance must update the
-- same message, and only when what it shows changed (digest) and not more
-- often than the board's interval (updated_at, unix ms). done marks a
-- message in its final state (resolved, declared…), no longer updated.
-- A row with ts '' reserves its subject for the one instance that posts
-- it (reserved_at, unix ms): chat.postMessage is not idempotent, so a
-- post whose outcome is unknown is looked up in the channel's history
-- before it is tried again (updated_at is then the last attempt). version
-- counts the clicks that made a message due at once, so that a render
-- begun before one does not mark the message up to date.
CREATE TABLE slack_messages (
    subject     TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    ts          TEXT NOT NULL,
    digest      TEXT NOT NULL DEFAULT '',
    done        SMALLINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL,
    reserved_at BIGINT NOT NULL DEFAULT 0,
    version     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX slack_messages_pending ON slack_messages (done);

-- Named leases held by one instance at a time until expires_at (unix ms),
-- e.g. the one that drives the Slack board.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Who declared or dismissed a surge alert, when, and the incident declared.
ALTER TABLE alerts ADD COLUMN decided_by TEXT;
ALTER TABLE alerts ADD COLUMN decided_at BIGINT;
ALTER TABLE alerts ADD COLUMN incident_id TEXT;

-- +goose Down
ALTER TABLE alerts DROP COLUMN incident_id;
ALTER TABLE alerts DROP COLUMN decided_at;
ALTER TABLE alerts DROP COLUMN decided_by;
DROP TABLE leases;
DROP TABLE slack_messages;
