-- DNSSEC (issue 10). Signing keys: the private key is stored only sealed
-- (AES-256-GCM under the key-encryption key, bound to zone and key id),
-- hex-encoded like the public key.
CREATE TABLE dnssec_keys (
    id                  TEXT PRIMARY KEY,
    zone_id             TEXT NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
    role                TEXT NOT NULL,
    algorithm           BIGINT NOT NULL,
    key_tag             BIGINT NOT NULL,
    public_key          TEXT NOT NULL,
    sealed_private_key  TEXT NOT NULL,
    state               TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    published_at        BIGINT,
    active_at           BIGINT,
    retire_at           BIGINT,
    removed_at          BIGINT
);

CREATE INDEX dnssec_keys_zone ON dnssec_keys (zone_id, created_at);

-- The signer finds an NSEC3 owner's neighbours in the chain by type and
-- owner order, and strips a zone's DNSSEC records by type.
CREATE INDEX records_zone_type_name ON records (zone_id, rtype, name);
