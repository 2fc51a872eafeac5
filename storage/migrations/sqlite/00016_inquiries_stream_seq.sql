-- +goose Up
-- /v1/stats counts the inquiries stored above the store consumer's ack
-- floor (bus.Unstored): a range of this index, instead of a scan of every
-- stored inquiry on every read.
CREATE INDEX inquiries_stream_seq ON inquiries (stream_seq);

-- +goose Down
DROP INDEX inquiries_stream_seq;
