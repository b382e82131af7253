-- 0006: the trade journal. Executions are stored as imported (one row per
-- fill, expiration, assignment or exercise), identified across imports by
-- broker, account and fingerprint; trades are rebuilt from them. A trade's id
-- is the row id of its first execution, so notes, tags, setups and risk kept
-- per trade survive re-imports.
CREATE TABLE journal_imports (
    id          INTEGER PRIMARY KEY,
    broker      TEXT    NOT NULL,
    file_name   TEXT    NOT NULL,
    imported_ms INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    imported    INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    errors      INTEGER NOT NULL
);

CREATE TABLE journal_executions (
    id          INTEGER PRIMARY KEY,
    broker      TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    time_ms     INTEGER NOT NULL,
    execution   TEXT    NOT NULL, -- the execution as JSON (coach_core::journal::Execution)
    import_id   INTEGER REFERENCES journal_imports (id),
    UNIQUE (broker, account, fingerprint)
);

CREATE INDEX journal_executions_time ON journal_executions (time_ms);

CREATE TABLE journal_trade_notes (
    trade_id INTEGER PRIMARY KEY, -- journal_executions.id of the trade's first execution
    notes    TEXT    NOT NULL DEFAULT '',
    tags     TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    setup    TEXT,
    risk     REAL,
    updated_ms INTEGER NOT NULL
);
