-- 0003: today's tests of each key level, per symbol and session, so that a
-- restart does not reset them (the levels engine keeps the larger of a
-- recount and this record).
CREATE TABLE level_tests (
    symbol     TEXT    NOT NULL,
    session    TEXT    NOT NULL, -- New York date, YYYY-MM-DD
    kind       TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    touches    INTEGER NOT NULL,
    rejections INTEGER NOT NULL,
    breaks     INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (symbol, session, kind, label)
) WITHOUT ROWID;
