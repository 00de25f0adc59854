-- Journal records live in bounded parts, so a change of a million records is
-- never one giant value in memory or in a row: `journal.payload` keeps the
-- entry's zone metadata, `journal_parts` its removed and added records.
CREATE TABLE journal_parts (
    seq BIGINT NOT NULL,
    part BIGINT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (seq, part)
);
