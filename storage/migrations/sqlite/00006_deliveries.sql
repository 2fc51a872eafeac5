-- +goose Up
-- Outbound messages to customers' reply_url: an inquiry's instant answer
-- and incident follow-ups. dedup_key is unique so that every instance
-- enqueuing the same follow-up still sends it once.
CREATE TABLE deliveries (
    id             TEXT PRIMARY KEY,
    dedup_key      TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    inquiry_id     TEXT NOT NULL DEFAULT '',
    customer_key   TEXT NOT NULL DEFAULT '',
    incident_id    TEXT NOT NULL DEFAULT '',
    update_version BIGINT NOT NULL DEFAULT 0,
    url            TEXT NOT NULL,
    source         TEXT NOT NULL DEFAULT '',
    locale         TEXT NOT NULL DEFAULT '',
    text           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'pending',
    attempts       BIGINT NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT '',
    next_at        BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    delivered_at   BIGINT NOT NULL DEFAULT 0,
    -- The instance sending it, until lease_until (unix ms): a crashed
    -- sender's deliveries become claimable again when the lease runs out.
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
CREATE INDEX deliveries_incident ON deliveries (incident_id, created_at);
CREATE INDEX deliveries_inquiry ON deliveries (inquiry_id);

-- +goose Down
DROP TABLE deliveries;
