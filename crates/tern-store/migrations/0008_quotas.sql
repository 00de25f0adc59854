-- Organisation quotas; NULL means no limit.
ALTER TABLE organisations ADD COLUMN max_zones BIGINT;
ALTER TABLE organisations ADD COLUMN max_records_per_zone BIGINT;
