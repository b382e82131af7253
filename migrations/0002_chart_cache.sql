-- 0002: the chart cache. Bars as fetched from the provider (or finalised
-- live), per symbol and timeframe; `time` is the bar start in unix ms (UTC).
CREATE TABLE bars (
    symbol    TEXT    NOT NULL,
    timeframe TEXT    NOT NULL,
    time      INTEGER NOT NULL,
    open      REAL    NOT NULL,
    high      REAL    NOT NULL,
    low       REAL    NOT NULL,
    close     REAL    NOT NULL,
    volume    REAL    NOT NULL,
    vwap      REAL,
    extended  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (symbol, timeframe, time)
) WITHOUT ROWID;

-- Which span of each series has been fetched, so a request inside it is a cache hit.
CREATE TABLE bar_coverage (
    symbol     TEXT    NOT NULL,
    timeframe  TEXT    NOT NULL,
    from_ms    INTEGER NOT NULL,
    to_ms      INTEGER NOT NULL,
    fetched_ms INTEGER NOT NULL,
    PRIMARY KEY (symbol, timeframe)
) WITHOUT ROWID;
