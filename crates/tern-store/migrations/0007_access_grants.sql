-- A zone's owner lets another organisation see (viewer) or edit (editor)
-- the zone. One grant per zone and organisation.
CREATE TABLE access_grants (
    id          TEXT PRIMARY KEY,
    zone_id     TEXT NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (zone_id, org_id)
);
CREATE INDEX access_grants_org ON access_grants (org_id);
