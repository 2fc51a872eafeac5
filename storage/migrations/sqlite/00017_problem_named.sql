-- +goose Up
-- An agent may name a problem (its titles); automatic placements then
-- leave the titles as named. named_by is who named it, '' for none.
ALTER TABLE problems ADD COLUMN named_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE problems DROP COLUMN named_by;
