-- TSIG keys (RFC 8945) for zone transfers: name is the canonical absolute
-- key name, secret the base64 text BIND and Knot configurations use.
CREATE TABLE tsig_keys (
    name        TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
