-- Tern's schema. One file for SQLite and PostgreSQL alike, so only portable
-- DDL: ids are UUID text, timestamps BIGINT milliseconds since the epoch,
-- booleans BIGINT 0/1, JSON documents TEXT.

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    features    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE zones (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    project_id      TEXT REFERENCES projects (id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    prior_status    TEXT,
    default_ttl     BIGINT NOT NULL,
    description     TEXT,
    settings        TEXT NOT NULL,
    dnssec_enabled  BIGINT NOT NULL,
    serial          BIGINT NOT NULL,
    soa             TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deleted_at      BIGINT
);

CREATE INDEX zones_name ON zones (name);
-- An organisation serves a name at most once; soft-deleted zones step aside
-- so the name can be reused (restoring checks for a clash first). This also
-- settles two concurrent creations of the same zone.
CREATE UNIQUE INDEX zones_org_name_live ON zones (org_id, name) WHERE status <> 'deleted';

CREATE TABLE records (
    id           TEXT PRIMARY KEY,
    zone_id      TEXT NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    rtype        BIGINT NOT NULL,
    ttl          BIGINT,
    rdata        TEXT NOT NULL,
    description  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL
);

CREATE INDEX records_zone_name_type ON records (zone_id, name, rtype);

-- No foreign key to zones: a purged zone's final entry outlives its zone.
CREATE TABLE journal (
    seq            BIGINT PRIMARY KEY,
    zone_id        TEXT NOT NULL,
    zone_name      TEXT NOT NULL,
    serial_before  BIGINT NOT NULL,
    serial_after   BIGINT NOT NULL,
    principal      TEXT NOT NULL,
    source         TEXT NOT NULL,
    at             BIGINT NOT NULL,
    payload        TEXT NOT NULL
);

CREATE INDEX journal_zone_seq ON journal (zone_id, seq);
