-- +goose Up
-- The knowledge base: incidents with their numbered status updates, the
-- answers customers get, and an audit trail of every change.
CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    title_ko    TEXT NOT NULL DEFAULT '',
    title_en    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    components  JSONB NOT NULL DEFAULT '[]',
    severity    TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
    started_at  BIGINT NOT NULL,
    resolved_at BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX incidents_status ON incidents (status, started_at);

CREATE TABLE incident_updates (
    incident_id   TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL CHECK (version >= 1),
    status        TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    text_ko       TEXT NOT NULL DEFAULT '',
    text_en       TEXT NOT NULL DEFAULT '',
    eta           BIGINT,
    workaround_ko TEXT NOT NULL DEFAULT '',
    workaround_en TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    author        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, version)
);

-- An answer without an incident is a general FAQ entry.
CREATE TABLE answers (
    id          TEXT PRIMARY KEY,
    incident_id TEXT REFERENCES incidents (id) ON DELETE CASCADE,
    keywords    JSONB NOT NULL DEFAULT '[]',
    template_ko TEXT NOT NULL DEFAULT '',
    template_en TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX answers_incident ON answers (incident_id);

-- position keeps the examples in the order they were written.
CREATE TABLE answer_examples (
    answer_id TEXT NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    locale    TEXT NOT NULL CHECK (locale IN ('ko', 'en')),
    text      TEXT NOT NULL,
    PRIMARY KEY (answer_id, position)
);

CREATE TABLE audit (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_subject ON audit (subject, id);

-- +goose Down
DROP TABLE audit;
DROP TABLE answer_examples;
DROP TABLE answers;
DROP TABLE incident_updates;
DROP TABLE incidents;
