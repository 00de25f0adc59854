-- Responses of requests sent with an Idempotency-Key, so a retried request
-- gets the first answer instead of being applied twice. `status` 0 marks a
-- request still being handled. Kept 24 hours.
CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY,
    fingerprint  TEXT NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
