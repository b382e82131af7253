-- 0001: the foundation.
-- Local measurements (time to first token, chart latency, ...), one row each.
-- Times are unix milliseconds, UTC.
CREATE TABLE metrics (
    id      INTEGER PRIMARY KEY,
    ts_ms   INTEGER NOT NULL,
    name    TEXT    NOT NULL,
    value   REAL    NOT NULL,
    unit    TEXT    NOT NULL,
    attrs   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attrs))
);
CREATE INDEX metrics_name_ts ON metrics (name, ts_ms);
