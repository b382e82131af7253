//! Logging, tracing and error reporting.
//!
//! One subscriber: a rolling daily log file in `<data dir>/logs/`, optional
//! stderr output, and Sentry (with breadcrumbs from tracing) only when a DSN is
//! configured. Every command from the UI or the CLI runs in a span that carries
//! a request id (see [`next_request_id`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::secrets::Secret;

static REQUEST_ID: AtomicU64 = AtomicU64::new(1);

/// A process-unique id for one command, carried by its span as `request_id`.
pub fn next_request_id() -> u64 {
    REQUEST_ID.fetch_add(1, Ordering::Relaxed)
}

pub struct TelemetryOptions {
    /// Where the rolling log goes (`<dir>/logs/coach.log.YYYY-MM-DD`); `None` for no file.
    pub data_dir: Option<PathBuf>,
    pub sentry_dsn: Option<Secret>,
    /// Also log to stderr (the app in a terminal; `coach -v`).
    pub stderr: bool,
    /// The default filter when `RUST_LOG` is not set.
    pub default_filter: String,
    /// Name of the program, for the log file prefix and Sentry's release.
    pub program: &'static str,
}

/// Keeps the log writer and Sentry alive; drop it last (it flushes).
pub struct TelemetryGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
    _sentry: Option<sentry::ClientInitGuard>,
    pub log_dir: Option<PathBuf>,
    pub sentry_enabled: bool,
}

/// Installs the global subscriber. Safe to call once per process; a second
/// call keeps the first subscriber (and says so in the returned guard's fields).
pub fn init(opts: TelemetryOptions) -> TelemetryGuard {
    let sentry_guard = opts
        .sentry_dsn
        .as_ref()
        .and_then(|dsn| init_sentry(dsn, opts.program));
    let sentry_enabled = sentry_guard.is_some();

    let filter = || {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&opts.default_filter))
    };

    let mut file_guard = None;
    let mut log_dir = None;
    let file_layer = opts.data_dir.as_deref().and_then(|dir| {
        let dir = dir.join("logs");
        // The appender prunes old files by listing the folder: it must exist first.
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("warning: no log file in {}: {e}", dir.display());
            return None;
        }
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix(format!("{}.log", opts.program))
            .max_log_files(14)
            .build(&dir)
            .map_err(|e| eprintln!("warning: no log file in {}: {e}", dir.display()))
            .ok()?;
        let (writer, guard) = tracing_appender::non_blocking(appender);
        file_guard = Some(guard);
        log_dir = Some(dir);
        Some(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_target(true)
                .with_filter(filter()),
        )
    });

    let stderr_layer = opts.stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });

    // Sentry: errors become events; info and warnings ride along as breadcrumbs.
    let sentry_errors = sentry_enabled.then(|| {
        sentry_tracing::ErrorLayer::new()
            .with_filter(tracing_subscriber::filter::LevelFilter::ERROR)
    });
    let sentry_breadcrumbs = sentry_enabled.then(|| {
        sentry_tracing::BreadcrumbLayer::new()
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });

    let installed = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .with(sentry_errors)
        .with(sentry_breadcrumbs)
        .try_init()
        .is_ok();
    if !installed {
        eprintln!("warning: a tracing subscriber was already installed; keeping it");
    }
    tracing::info!(
        program = opts.program,
        version = env!("CARGO_PKG_VERSION"),
        sentry = sentry_enabled,
        "telemetry ready"
    );
    TelemetryGuard {
        _file: file_guard,
        _sentry: sentry_guard,
        log_dir,
        sentry_enabled,
    }
}

fn init_sentry(dsn: &Secret, program: &'static str) -> Option<sentry::ClientInitGuard> {
    let parsed: sentry::types::Dsn = match dsn.expose().parse() {
        Ok(d) => d,
        Err(e) => {
            // The parse error describes the shape, not the DSN itself.
            eprintln!("warning: the Sentry DSN is not valid ({e}); error reporting is off");
            return None;
        }
    };
    let mut options = sentry::ClientOptions::new();
    options.dsn = Some(parsed);
    options.release = Some(format!("{program}@{}", env!("CARGO_PKG_VERSION")).into());
    options.send_default_pii = false;
    options.attach_stacktrace = true;
    let guard = sentry::init(options);
    guard.is_enabled().then_some(guard)
}

/// The newest log file in `dir`, for "where are my logs" answers.
pub fn newest_log(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}
