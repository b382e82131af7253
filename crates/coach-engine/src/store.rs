//! The SQLite database: one file in the data directory, WAL mode, numbered
//! migrations from `migrations/` applied in one transaction at open.
//!
//! Reads and writes go through separate connections (`read()` / `write()`),
//! so a long read never waits behind a write and the intent is visible at the
//! call site.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, ErrorCode, OpenFlags};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every migration, in order. `migrations_are_all_embedded` fails when a file
/// in migrations/ is missing here.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "0001_init.sql",
        include_str!("../../../migrations/0001_init.sql"),
    ),
    (
        2,
        "0002_chart_cache.sql",
        include_str!("../../../migrations/0002_chart_cache.sql"),
    ),
    (
        3,
        "0003_level_tests.sql",
        include_str!("../../../migrations/0003_level_tests.sql"),
    ),
    (
        4,
        "0004_chat.sql",
        include_str!("../../../migrations/0004_chat.sql"),
    ),
    (
        5,
        "0005_positions.sql",
        include_str!("../../../migrations/0005_positions.sql"),
    ),
    (
        6,
        "0006_journal.sql",
        include_str!("../../../migrations/0006_journal.sql"),
    ),
    (
        7,
        "0007_alerts.sql",
        include_str!("../../../migrations/0007_alerts.sql"),
    ),
    (
        8,
        "0008_chat_images.sql",
        include_str!("../../../migrations/0008_chat_images.sql"),
    ),
];

/// The schema version this build of the app understands.
pub fn supported_schema_version() -> u32 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

pub const DB_FILE: &str = "coach.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database {path} is damaged or is not an AI Coach database ({detail}). It can be moved aside so the app starts fresh; nothing is deleted.")]
    Corrupt { path: PathBuf, detail: String },
    #[error("the database {path} was written by a newer AI Coach (schema {found}; this version understands up to {supported}). Update the app; the database was left untouched.")]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the database {path} could not be opened: {detail}")]
    Open { path: PathBuf, detail: String },
    #[error("migration {name} failed and was rolled back: {detail}")]
    Migration { name: String, detail: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("could not move the database aside: {0}")]
    MoveAside(std::io::Error),
}

impl StoreError {
    fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
                StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }
            }
            _ => StoreError::Open {
                path: path.to_path_buf(),
                detail: e.to_string(),
            },
        }
    }
}

/// One local measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Metric {
    #[ts(type = "number")]
    pub ts_ms: i64,
    pub name: String,
    pub value: f64,
    pub unit: String,
    #[ts(type = "Record<string, unknown>")]
    pub attrs: serde_json::Value,
}

pub struct Db {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    /// Database work waiting for a blocking thread: at most this many jobs
    /// run at once, the rest queue here (never on the async threads).
    jobs: Arc<tokio::sync::Semaphore>,
}

/// Database jobs running on blocking threads at once (one writer connection
/// and one reader serialise them anyway; more would only wait on the mutex).
const DB_JOBS: usize = 4;

impl Db {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        let mut writer = Connection::open(path).map_err(|e| StoreError::classify(path, e))?;
        // Check the version before anything writes: switching to WAL rewrites
        // the header, and a database from a newer app must be left untouched.
        // Reading user_version is also the first real read: a file that is not
        // a database fails here with NotADatabase.
        writer
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| StoreError::classify(path, e))?;
        refuse_newer(path, &writer)?;
        configure(&writer).map_err(|e| StoreError::classify(path, e))?;
        migrate(path, &mut writer)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::classify(path, e))?;
        reader
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| StoreError::classify(path, e))?;
        Ok(Db {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            jobs: Arc::new(tokio::sync::Semaphore::new(DB_JOBS)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` (SQLite work) on a blocking thread, off the async threads;
    /// jobs beyond [`DB_JOBS`] wait their turn. A panic in `f` resumes here.
    pub async fn blocking<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        let turn = self
            .jobs
            .clone()
            .acquire_owned()
            .await
            .expect("the job queue is never closed");
        // The turn goes with the job: a caller that stops waiting does not
        // free a place while its job still runs.
        match tokio::task::spawn_blocking(move || {
            let _turn = turn;
            f()
        })
        .await
        {
            Ok(r) => r,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only a runtime shutting down cancels a blocking job: this task is
            // being dropped with it, so it waits for that instead of panicking.
            Err(_) => std::future::pending().await,
        }
    }

    /// The connection for reads.
    pub fn read(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connection for writes.
    pub fn write(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(user_version(&self.read())?)
    }

    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self
            .read()
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))?)
    }
}

/// A component's handle over its own tables: the database is shared, but each
/// component sees only the statements that concern it (`db.chat()`,
/// `db.positions()`, …).
macro_rules! tables {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            db: Arc<Db>,
        }

        impl $name {
            #[allow(dead_code)]
            pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
                self.db.read()
            }

            #[allow(dead_code)]
            pub(crate) fn write(&self) -> MutexGuard<'_, Connection> {
                self.db.write()
            }
        }

        impl $name {
            /// Runs `f` over these tables on a blocking thread (see [`Db::blocking`]).
            pub async fn call<R: Send + 'static>(
                &self,
                f: impl FnOnce(&$name) -> R + Send + 'static,
            ) -> R {
                let me = self.clone();
                self.db.blocking(move || f(&me)).await
            }
        }

        impl Db {
            pub fn $accessor(self: &Arc<Self>) -> $name {
                $name { db: self.clone() }
            }
        }
    };
}

tables!(
    /// Local measurements (migrations/0001_init.sql).
    MetricTables,
    metrics
);
tables!(
    /// The chart cache's bars and coverage (migrations/0002_chart_cache.sql).
    BarTables,
    bars
);
tables!(
    /// Level tests counted today (migrations/0003_level_tests.sql).
    LevelTestTables,
    level_tests
);
tables!(
    /// Chat sessions and messages (migrations/0004_chat.sql).
    ChatTables,
    chat
);
tables!(
    /// Saved positions (migrations/0005_positions.sql).
    PositionTables,
    positions
);
tables!(
    /// The trade journal (migrations/0006_journal.sql).
    JournalTables,
    journal
);
tables!(
    /// Alerts, their firings and deliveries (migrations/0007_alerts.sql).
    AlertTables,
    alerts
);

impl MetricTables {
    pub fn record_metric(&self, m: &Metric) -> Result<(), StoreError> {
        self.record_metrics(std::slice::from_ref(m))
    }

    /// Several measurements in one transaction (all or none).
    pub fn record_metrics(&self, ms: &[Metric]) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO metrics (ts_ms, name, value, unit, attrs) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for m in ms {
                stmt.execute(params![
                    m.ts_ms,
                    m.name,
                    m.value,
                    m.unit,
                    m.attrs.to_string()
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` measurements called `name`, newest first.
    pub fn recent_metrics(&self, name: &str, limit: u32) -> Result<Vec<Metric>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT ts_ms, name, value, unit, attrs FROM metrics WHERE name = ?1 ORDER BY ts_ms DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![name, limit], |r| {
            let attrs: String = r.get(4)?;
            Ok(Metric {
                ts_ms: r.get(0)?,
                name: r.get(1)?,
                value: r.get(2)?,
                unit: r.get(3)?,
                attrs: serde_json::from_str(&attrs).unwrap_or(serde_json::Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn refuse_newer(path: &Path, conn: &Connection) -> Result<u32, StoreError> {
    let current = user_version(conn).map_err(|e| StoreError::classify(path, e))?;
    let supported = supported_schema_version();
    if current > supported {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            supported,
        });
    }
    Ok(current)
}

/// A cached bar (see migrations/0002_chart_cache.sql).
pub type CachedBar = coach_core::candles::Candle;

impl BarTables {
    /// Inserts or replaces bars of one series in one transaction.
    pub fn upsert_bars(
        &self,
        symbol: &str,
        timeframe: &str,
        bars: &[CachedBar],
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO bars (symbol, timeframe, time, open, high, low, close, volume, vwap, extended) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for b in bars {
                stmt.execute(params![
                    symbol, timeframe, b.time, b.open, b.high, b.low, b.close, b.volume, b.vwap,
                    b.extended
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Bars of one series starting in `[from, to]`, ascending.
    /// Whether any bar of the series lies in `[from, to]` (one index probe).
    pub fn has_bars(
        &self,
        symbol: &str,
        timeframe: &str,
        from: i64,
        to: i64,
    ) -> Result<bool, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM bars WHERE symbol = ?1 AND timeframe = ?2 AND time BETWEEN ?3 AND ?4)",
        )?;
        Ok(stmt.query_row(params![symbol, timeframe, from, to], |r| r.get(0))?)
    }

    pub fn bars_between(
        &self,
        symbol: &str,
        timeframe: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<CachedBar>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT time, open, high, low, close, volume, vwap, extended FROM bars \
             WHERE symbol = ?1 AND timeframe = ?2 AND time BETWEEN ?3 AND ?4 ORDER BY time",
        )?;
        let rows = stmt.query_map(params![symbol, timeframe, from, to], |r| {
            Ok(CachedBar {
                time: r.get(0)?,
                open: r.get(1)?,
                high: r.get(2)?,
                low: r.get(3)?,
                close: r.get(4)?,
                volume: r.get(5)?,
                vwap: r.get(6)?,
                extended: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The fetched span of a series, if any.
    pub fn coverage(
        &self,
        symbol: &str,
        timeframe: &str,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT from_ms, to_ms FROM bar_coverage WHERE symbol = ?1 AND timeframe = ?2",
        )?;
        let mut rows = stmt.query(params![symbol, timeframe])?;
        Ok(match rows.next()? {
            Some(r) => Some((r.get(0)?, r.get(1)?)),
            None => None,
        })
    }

    pub fn set_coverage(
        &self,
        symbol: &str,
        timeframe: &str,
        from: i64,
        to: i64,
        fetched_ms: i64,
    ) -> Result<(), StoreError> {
        self.write().execute(
            "INSERT OR REPLACE INTO bar_coverage (symbol, timeframe, from_ms, to_ms, fetched_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![symbol, timeframe, from, to, fetched_ms],
        )?;
        Ok(())
    }
}

/// One level's persisted tests: (kind, label, touches, rejections, breaks).
pub type LevelTestRow = (String, String, u32, u32, u32);

impl LevelTestTables {
    pub fn level_tests(
        &self,
        symbol: &str,
        session: &str,
    ) -> Result<Vec<LevelTestRow>, StoreError> {
        let conn = self.write();
        let mut stmt = conn.prepare(
            "SELECT kind, label, touches, rejections, breaks FROM level_tests WHERE symbol = ?1 AND session = ?2",
        )?;
        let rows = stmt
            .query_map(params![symbol, session], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Replaces the stored tests of a session in one transaction.
    pub fn save_level_tests(
        &self,
        symbol: &str,
        session: &str,
        rows: &[LevelTestRow],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO level_tests (symbol, session, kind, label, touches, rejections, breaks, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (kind, label, t, r, b) in rows {
                stmt.execute(params![symbol, session, kind, label, t, r, b, now_ms])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))
}

fn migrate(path: &Path, conn: &mut Connection) -> Result<(), StoreError> {
    let current = refuse_newer(path, conn)?;
    let supported = supported_schema_version();
    let pending: Vec<_> = MIGRATIONS.iter().filter(|m| m.0 > current).collect();
    if pending.is_empty() {
        return Ok(());
    }
    // All pending migrations in one transaction: the schema moves to the new
    // version completely or not at all.
    let tx = conn
        .transaction()
        .map_err(|e| StoreError::classify(path, e))?;
    for (version, name, sql) in &pending {
        tx.execute_batch(sql).map_err(|e| StoreError::Migration {
            name: name.to_string(),
            detail: e.to_string(),
        })?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|e| StoreError::Migration {
                name: name.to_string(),
                detail: e.to_string(),
            })?;
    }
    tx.commit().map_err(|e| StoreError::Migration {
        name: pending.last().map(|m| m.1).unwrap_or_default().to_string(),
        detail: e.to_string(),
    })?;
    tracing::info!(from = current, to = supported, "database migrated");
    Ok(())
}

/// Renames a damaged database (and its WAL/SHM companions) to
/// `coach.db.corrupt-<UTC time>` beside it. Returns the new path. Nothing is deleted.
pub fn move_aside(path: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<PathBuf, StoreError> {
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| DB_FILE.to_string());
    let mut target = path.with_file_name(format!("{file_name}.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = path.with_file_name(format!("{file_name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(StoreError::MoveAside)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{file_name}{suffix}"));
        if side.exists() {
            let to = target.with_file_name(format!(
                "{}{suffix}",
                target.file_name().unwrap_or_default().to_string_lossy()
            ));
            std::fs::rename(&side, to).map_err(StoreError::MoveAside)?;
        }
    }
    tracing::warn!(from = %path.display(), to = %target.display(), "database moved aside");
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        (dir, path)
    }

    #[test]
    fn a_new_database_is_migrated_to_the_latest_schema_in_wal_mode() {
        let (_dir, path) = temp_db();
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), supported_schema_version());
        assert_eq!(
            db.journal_mode().unwrap(),
            "wal",
            "WAL lets the UI read while the engine writes"
        );
        drop(db);
        let again = Db::open(&path).unwrap();
        assert_eq!(
            again.schema_version().unwrap(),
            supported_schema_version(),
            "re-opening is a no-op"
        );
    }

    #[test]
    fn migrations_are_all_embedded_and_numbered_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS.iter().map(|m| m.1.to_string()).collect();
        assert_eq!(
            files, embedded,
            "every file in migrations/ must be listed in MIGRATIONS"
        );
        for (i, (version, name, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                *version as usize,
                i + 1,
                "versions are 1, 2, 3… without gaps"
            );
            assert!(
                name.starts_with(&format!("{version:04}_")),
                "{name} starts with its number"
            );
        }
    }

    #[test]
    fn a_database_from_a_newer_app_is_refused_and_left_untouched() {
        let (_dir, path) = temp_db();
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 999).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Db::open(&path)
            .err()
            .expect("a newer schema must be refused");
        assert!(
            matches!(err, StoreError::TooNew { found: 999, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("newer AI Coach"), "{err}");
        let after = std::fs::read(&path).unwrap();
        assert_eq!(before, after, "the newer database is not modified");
    }

    #[test]
    fn a_garbage_file_is_reported_as_corrupt_and_can_be_moved_aside() {
        let (dir, path) = temp_db();
        std::fs::write(
            &path,
            b"this is not sqlite, just bytes that a crash left behind....",
        )
        .unwrap();
        let err = Db::open(&path).err().expect("garbage must not open");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .to_utc();
        let moved = move_aside(&path, now).unwrap();
        assert_eq!(
            moved.file_name().unwrap(),
            "coach.db.corrupt-20261123T100000Z"
        );
        assert_eq!(
            std::fs::read(&moved).unwrap(),
            b"this is not sqlite, just bytes that a crash left behind....",
            "the damaged file is kept byte for byte"
        );
        let second = {
            std::fs::write(&path, b"again").unwrap();
            move_aside(&path, now).unwrap()
        };
        assert_ne!(
            second, moved,
            "a second move in the same second does not overwrite the first"
        );
        assert!(
            Db::open(&path).is_ok(),
            "a fresh database opens in its place"
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names
                .iter()
                .filter(|n| n.starts_with("coach.db.corrupt-"))
                .count(),
            2,
            "both damaged files are kept: {names:?}"
        );
    }

    #[test]
    fn a_failing_migration_rolls_back_completely() {
        let (_dir, path) = temp_db();
        let mut conn = Connection::open(&path).unwrap();
        // A table that collides with the first migration makes it fail half-way.
        conn.execute_batch(
            "CREATE TABLE keep_me (x); CREATE INDEX metrics_name_ts ON keep_me (x);",
        )
        .unwrap();
        let err = migrate(&path, &mut conn).unwrap_err();
        assert!(matches!(err, StoreError::Migration { .. }), "{err}");
        assert_eq!(user_version(&conn).unwrap(), 0, "the version did not move");
        let metrics_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'metrics'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            metrics_exists, 0,
            "the table created before the failure was rolled back"
        );
    }

    #[test]
    fn metrics_are_stored_and_read_newest_first() {
        let (_dir, path) = temp_db();
        let db = Arc::new(Db::open(&path).unwrap()).metrics();
        for (ts, v) in [(1_000, 12.5), (3_000, 9.0), (2_000, 30.0)] {
            db.record_metric(&Metric {
                ts_ms: ts,
                name: "chat.ttft".into(),
                value: v,
                unit: "ms".into(),
                attrs: serde_json::json!({"model": "offline"}),
            })
            .unwrap();
        }
        let got = db.recent_metrics("chat.ttft", 2).unwrap();
        assert_eq!(
            got.iter().map(|m| m.ts_ms).collect::<Vec<_>>(),
            vec![3_000, 2_000]
        );
        assert_eq!(got[0].attrs["model"], "offline");
        assert!(db.recent_metrics("other", 10).unwrap().is_empty());
    }

    #[test]
    fn a_slow_database_never_stalls_the_async_thread() {
        let (_dir, path) = temp_db();
        let db = Arc::new(Db::open(&path).unwrap());
        // Another thread holds the write connection, as a long import would.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (held, holding) = std::sync::mpsc::channel::<()>();
        let holder = {
            let db = db.clone();
            std::thread::spawn(move || {
                let _writer = db.write();
                held.send(()).unwrap();
                // Bounded, so a regression fails the assertions below instead of hanging.
                let _ = released.recv_timeout(std::time::Duration::from_secs(10));
            })
        };
        holding.recv().unwrap();
        // One async thread only: if the write ran on it, nothing else could.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (ran_first, write_done) = rt.block_on(async {
            let chat = db.chat();
            let write = tokio::spawn(async move {
                chat.call(|c| c.chat_create_session("while the writer is busy", 1))
                    .await
            });
            let other = tokio::spawn(async { 42 }).await.unwrap();
            let ran_first = other == 42 && !write.is_finished();
            release.send(()).unwrap();
            (ran_first, write.await.unwrap())
        });
        holder.join().unwrap();
        assert!(
            ran_first,
            "another task ran while the database was busy: the write waited on a blocking thread"
        );
        assert!(
            write_done.is_ok(),
            "and the write went through once the connection was free"
        );
    }
}
