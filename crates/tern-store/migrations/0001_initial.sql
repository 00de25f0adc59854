-- Tern's schema, portable between SQLite and PostgreSQL: UUIDs as TEXT,
-- times as BIGINT milliseconds since the epoch, booleans as BIGINT 0/1,
-- JSON as TEXT, RDATA as canonical presentation TEXT.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    features TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE zones (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    project_id TEXT REFERENCES projects (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    prior_status TEXT,
    default_ttl BIGINT NOT NULL,
    description TEXT,
    settings TEXT NOT NULL,
    dnssec_enabled BIGINT NOT NULL,
    serial BIGINT NOT NULL,
    soa TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);

CREATE INDEX zones_by_name ON zones (name);
-- One live zone of a name per organisation; soft-deleted ones may repeat.
CREATE UNIQUE INDEX zones_live_name ON zones (org_id, name) WHERE deleted_at IS NULL;

CREATE TABLE records (
    id TEXT PRIMARY KEY,
    zone_id TEXT NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    rtype BIGINT NOT NULL,
    ttl BIGINT,
    rdata TEXT NOT NULL,
    description TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE INDEX records_by_name ON records (zone_id, name, rtype);

-- The journal: one row per committed change, in global commit order. `seq`
-- is gap-free; followers resume from the last one they saw.
CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    zone_id TEXT NOT NULL,
    zone_name TEXT NOT NULL,
    serial_before BIGINT NOT NULL,
    serial_after BIGINT NOT NULL,
    principal TEXT NOT NULL,
    source TEXT NOT NULL,
    at BIGINT NOT NULL,
    payload TEXT NOT NULL
);

CREATE INDEX journal_by_zone ON journal (zone_id, seq);
