-- +goose Up
CREATE TABLE inquiries (
    id              TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    idempotency_key TEXT,
    text            TEXT NOT NULL,
    locale          TEXT NOT NULL DEFAULT '',
    reply_url       TEXT NOT NULL DEFAULT '',
    metadata        JSONB NOT NULL DEFAULT '{}',
    redactions      TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    stored_at       BIGINT NOT NULL,
    stream_seq      BIGINT NOT NULL
);
CREATE UNIQUE INDEX inquiries_source_key ON inquiries (source, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP TABLE inquiries;
