-- 0007: price alerts, what they fired, and every delivery attempt.
-- A firing is written (with the alert's new state) before it is delivered,
-- so a crash in between re-delivers it on the next start and never fires it twice.
-- AUTOINCREMENT: an id is never reused, so history never points at a newer alert.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol      TEXT    NOT NULL,
    rule        TEXT    NOT NULL,  -- coach_core::alerts::AlertRule as JSON
    level_label TEXT,              -- which level of its kind ("PDH", "Swing high 512.40")
    note        TEXT    NOT NULL DEFAULT '',
    origin      TEXT,              -- 'proposal:<tool call id>' for a confirmed coach proposal
    paused      INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL DEFAULT '{}',  -- coach_core::alerts::AlertState as JSON
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX alerts_symbol ON alerts (symbol);

-- Kept when its alert is deleted: history is history.
CREATE TABLE alert_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id      INTEGER NOT NULL,
    symbol        TEXT    NOT NULL,
    condition     TEXT    NOT NULL,
    trigger_price REAL,             -- the line at that moment
    price         REAL    NOT NULL, -- the tick that crossed
    at_ms         INTEGER NOT NULL, -- that tick's time
    message       TEXT    NOT NULL,
    context       TEXT    NOT NULL DEFAULT '{}',
    missed        INTEGER NOT NULL DEFAULT 0,  -- found on start: it fired while the app was closed
    recorded_ms   INTEGER NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id);

CREATE TABLE alert_deliveries (
    event_id        INTEGER NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL CHECK (channel IN ('in_app', 'os', 'webhook', 'email')),
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, channel)
) WITHOUT ROWID;

-- Every attempt, with its result.
CREATE TABLE alert_delivery_attempts (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES alert_events (id) ON DELETE CASCADE,
    channel  TEXT    NOT NULL,
    attempt  INTEGER NOT NULL,
    at_ms    INTEGER NOT NULL,
    ok       INTEGER NOT NULL,
    detail   TEXT    NOT NULL
);
CREATE INDEX alert_delivery_attempts_event ON alert_delivery_attempts (event_id);

-- How far the alerts worker had watched the market (for "missed while
-- closed"): in the market data's time, and on the engine's clock then (they
-- differ when a past session is replayed).
CREATE TABLE alert_worker (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_run_ms   INTEGER NOT NULL,
    last_clock_ms INTEGER NOT NULL
);

-- Which process watches the alerts (the app, or `coach alerts run`): one at a
-- time, so that two never fire the same alert. Renewed while it runs.
CREATE TABLE alert_lease (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    owner    TEXT    NOT NULL,
    until_ms INTEGER NOT NULL
);
