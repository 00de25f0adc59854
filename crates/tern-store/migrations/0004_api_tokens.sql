-- API tokens. Only the SHA-256 of the secret is kept (`hash`); scopes and
-- allowed networks are JSON lists of strings.
CREATE TABLE api_tokens (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organisations (id),
    project_id        TEXT REFERENCES projects (id),
    name              TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    hash              TEXT NOT NULL UNIQUE,
    expires_at        BIGINT,
    allowed_networks  TEXT NOT NULL,
    last_used_at      BIGINT,
    revoked_at        BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX api_tokens_org ON api_tokens (org_id);
