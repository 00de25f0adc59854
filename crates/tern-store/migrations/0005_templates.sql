-- Organisations' own zone templates (the built-in ones live in code).
-- `body` is the JSON of the variables and records.
CREATE TABLE templates (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    name        TEXT NOT NULL,
    description TEXT,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX templates_org ON templates (org_id);
