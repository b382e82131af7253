-- 0005: the trader's option positions: a name, an underlying, and legs
-- (calls, puts, stock) with signed quantities and entry prices per share.
CREATE TABLE positions (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    symbol     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE position_legs (
    position_id INTEGER NOT NULL REFERENCES positions (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('call', 'put', 'stock')),
    strike      REAL,
    expiry      TEXT,   -- YYYY-MM-DD; NULL for stock
    quantity    REAL    NOT NULL,
    entry_price REAL    NOT NULL,
    multiplier  REAL    NOT NULL,
    PRIMARY KEY (position_id, seq)
) WITHOUT ROWID;
