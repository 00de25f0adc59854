-- Which live zone holds each zone name. The first live (not deleted) zone of
-- a name claims it; a create or restore that cannot claim its name is
-- refused unless names are shared (--allow-shared-zone-names), in which case
-- the zone exists unclaimed beside the holder. The primary key settles two
-- organisations racing on one name inside the creating transaction. A soft
-- delete or purge passes the claim to the oldest other live zone of the
-- name, so a name with a live zone always has a holder.
CREATE TABLE zone_name_claims (
    name     TEXT PRIMARY KEY,
    zone_id  TEXT NOT NULL UNIQUE REFERENCES zones (id)
);

-- Zones made before claims existed: the oldest live zone of each name
-- claims it; later live copies of the name stay, unclaimed, and keep working.
INSERT INTO zone_name_claims (name, zone_id)
SELECT z.name, z.id FROM zones z
WHERE z.status <> 'deleted'
  AND NOT EXISTS (
    SELECT 1 FROM zones o
    WHERE o.name = z.name
      AND o.status <> 'deleted'
      AND (o.created_at < z.created_at OR (o.created_at = z.created_at AND o.id < z.id))
  );
