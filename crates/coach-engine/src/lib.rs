//! coach-engine: the running AI Coach system behind one [`Engine`] facade.
//!
//! The Tauri shell and the `coach` CLI are thin layers over this crate: they
//! resolve the data directory, install telemetry, then start an `Engine` and
//! call its methods. Nothing here knows about a webview.

pub mod alerts;
pub mod boot;
pub mod chart_stream;
pub mod chat;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod error_code;
pub mod ipc;
pub mod journal;
pub mod levels;
pub mod market;
pub mod options_chain;
pub mod pnl_tracker;
pub mod positions;
pub mod screenshots;
pub mod secrets;
pub mod store;
pub mod telemetry;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::alerts::{Alerts, DeliveryConfig};
use crate::chart_stream::Charts;
use crate::chat::{Coach, Toolbox};
use crate::clock::{Clock, SystemClock};
use crate::config::{
    AiConfig, EnvOverrides, MarketMode, ProviderChoice, ResolvedSecrets, Settings, SettingsIssue,
};
use crate::doctor::{DatabaseReport, DoctorReport};
use crate::error_code::{Coded, ErrorCode};
use crate::ipc::{AppStatus, MetricInput, SettingsView, UiErrorReport};
use crate::journal::Journal;
use crate::levels::Levels;
use crate::market::history::BarHistory;
use crate::market::rest::MassiveRest;
use crate::market::Market;
use crate::options_chain::OptionsDesk;
use crate::pnl_tracker::PnlTracker;
use crate::positions::Positions;
use crate::screenshots::Screenshots;
use crate::secrets::{Secret, SecretInfo, SecretName, SecretStore, SecretsError};
use crate::store::{Db, Metric, StoreError};

pub use chrono;
pub use coach_sim::SimHandle;

/// The identifier shared by the app and `coach`: the data directory is
/// `<platform data dir>/com.aicoach.app` unless COACH_DATA_DIR says otherwise.
pub const APP_IDENTIFIER: &str = "com.aicoach.app";
pub const SETTINGS_FILE: &str = "settings.json";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("the data directory {path} could not be created: {detail}")]
    DataDir { path: PathBuf, detail: String },
    #[error(transparent)]
    Sim(#[from] coach_sim::SimError),
    #[error("invalid settings: {}", .0.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidSettings(Vec<SettingsIssue>),
    #[error("{0}")]
    InvalidInput(String),
    #[error("the settings could not be saved to {path}: {detail}")]
    SettingsWrite { path: PathBuf, detail: String },
}

impl Coded for EngineError {
    fn code(&self) -> ErrorCode {
        match self {
            EngineError::Store(_) => ErrorCode::Database,
            EngineError::InvalidSettings(_) | EngineError::InvalidInput(_) => {
                ErrorCode::InvalidInput
            }
            EngineError::Secrets(_)
            | EngineError::DataDir { .. }
            | EngineError::Sim(_)
            | EngineError::SettingsWrite { .. } => ErrorCode::Unavailable,
        }
    }
}

/// The platform's data directory for AI Coach, overridden by COACH_DATA_DIR.
pub fn resolve_data_dir(env: &EnvOverrides) -> PathBuf {
    env.data_dir.clone().unwrap_or_else(|| {
        dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join(APP_IDENTIFIER)
    })
}

/// Creates the data directory if it is missing.
pub fn ensure_data_dir(dir: &Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(dir).map_err(|e| EngineError::DataDir {
        path: dir.to_path_buf(),
        detail: e.to_string(),
    })
}

/// Why `settings.json` cannot be used.
enum SettingsProblem {
    /// It could not be read (permissions, a folder in its place): left alone.
    Unreadable(String),
    /// It was read but is not a JSON object: damaged.
    Damaged(String),
}

impl std::fmt::Display for SettingsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingsProblem::Unreadable(s) | SettingsProblem::Damaged(s) => f.write_str(s),
        }
    }
}

/// The settings object (`None` when there is no file), or why it cannot be used.
fn parse_settings_file(path: &Path) -> Result<Option<Map<String, Value>>, SettingsProblem> {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SettingsProblem::Unreadable(format!(
            "it could not be read ({e})"
        ))),
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            Ok(_) => Err(SettingsProblem::Damaged(
                "it is not a JSON object".to_string(),
            )),
            Err(e) => Err(SettingsProblem::Damaged(format!(
                "it is not valid JSON ({e})"
            ))),
        },
    }
}

/// Reads `settings.json` as a JSON object, only reporting a file it cannot
/// use (for `coach`, which must not move the app's files). A missing file is
/// empty settings.
pub fn read_settings_file(data_dir: &Path) -> (Map<String, Value>, Vec<SettingsIssue>) {
    match parse_settings_file(&data_dir.join(SETTINGS_FILE)) {
        Ok(m) => (m.unwrap_or_default(), vec![]),
        Err(problem) => (
            Map::new(),
            vec![SettingsIssue {
                key: SETTINGS_FILE.into(),
                message: format!("could not be used: {problem}; defaults are in use"),
            }],
        ),
    }
}

/// Reads `settings.json` for the app. A file that is not a JSON object (a
/// damaged save, a hand edit gone wrong) is moved aside, never deleted, and
/// reported by name with where it was kept; defaults are used until settings
/// are saved again.
pub fn load_settings_file(data_dir: &Path) -> (Map<String, Value>, Vec<SettingsIssue>) {
    let path = data_dir.join(SETTINGS_FILE);
    let problem = match parse_settings_file(&path) {
        Ok(m) => return (m.unwrap_or_default(), vec![]),
        // Only a file that was read and is damaged moves; one that cannot be
        // read at all is reported where it is.
        Err(SettingsProblem::Unreadable(_)) => return read_settings_file(data_dir),
        Err(SettingsProblem::Damaged(p)) => p,
    };
    let aside = path.with_extension(format!(
        "json.damaged-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    let message = match std::fs::rename(&path, &aside) {
        Ok(()) => format!(
            "could not be used: {problem}; it was kept as {} and defaults are in use",
            aside.display()
        ),
        Err(e) => format!(
            "could not be used: {problem} (and could not be moved aside: {e}); defaults are in use"
        ),
    };
    tracing::error!(file = %path.display(), "{message}");
    (
        Map::new(),
        vec![SettingsIssue {
            key: SETTINGS_FILE.into(),
            message,
        }],
    )
}

/// Saves `settings` into `settings.json`, keeping keys this version does not
/// know. The file is replaced atomically (a temporary file beside it, flushed
/// to disk, then renamed over it), so a crash or kill mid-save leaves the old
/// file or the new one, never a truncated one.
pub fn write_settings_file(data_dir: &Path, settings: &Settings) -> Result<(), EngineError> {
    let path = data_dir.join(SETTINGS_FILE);
    // A file that cannot be read is left as it is: saving over it would lose it.
    let mut map = parse_settings_file(&path)
        .map_err(|problem| EngineError::SettingsWrite {
            path: path.clone(),
            detail: format!("{problem}; it was left as it is and nothing was saved"),
        })?
        .unwrap_or_default();
    map.extend(settings.to_map());
    let bytes = serde_json::to_vec_pretty(&Value::Object(map))
        .map_err(|e| EngineError::InvalidInput(format!("settings could not be written: {e}")))?;
    write_atomically(&path, &bytes).map_err(|e| EngineError::SettingsWrite {
        path: path.clone(),
        detail: e.to_string(),
    })
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable once the folder is flushed.
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Where each secret comes from: the environment wins over the store.
pub fn resolve_secrets(
    env: &EnvOverrides,
    store: &SecretStore,
) -> (ResolvedSecrets, BTreeMap<SecretName, &'static str>) {
    let mut sources = BTreeMap::new();
    let source_name = match store.kind() {
        secrets::SecretBackendKind::Keychain => "keychain",
        secrets::SecretBackendKind::File => "file",
    };
    let mut pick = |name: SecretName, from_env: &Option<Secret>| -> Option<Secret> {
        if let Some(v) = from_env {
            sources.insert(name, "env");
            return Some(v.clone());
        }
        match store.get(name) {
            Ok(Some(v)) => {
                sources.insert(name, source_name);
                Some(v)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, secret = name.label(), "could not read a stored secret");
                None
            }
        }
    };
    let resolved = ResolvedSecrets {
        massive_api_key: pick(SecretName::MassiveApiKey, &env.massive_api_key),
        openai_api_key: pick(SecretName::OpenaiApiKey, &env.openai_api_key),
        sentry_dsn: pick(SecretName::SentryDsn, &env.sentry_dsn),
        smtp_password: pick(SecretName::SmtpPassword, &env.smtp_password),
    };
    (resolved, sources)
}

/// COACH_DEMO_START / COACH_DEMO_SPEED, validated.
fn demo_clock_from_env(env: &EnvOverrides) -> Result<Option<coach_sim::SimClock>, EngineError> {
    let Some(start) = &env.demo_start else {
        return Ok(None);
    };
    let start = chrono::DateTime::parse_from_rfc3339(start)
        .map_err(|e| {
            EngineError::InvalidInput(format!(
                "COACH_DEMO_START {start:?} is not an RFC 3339 time: {e}"
            ))
        })?
        .to_utc();
    let speed = match &env.demo_speed {
        None => 1.0,
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0 && *v <= 10_000.0)
            .ok_or_else(|| {
                EngineError::InvalidInput(format!(
                    "COACH_DEMO_SPEED {s:?} must be a number from 0 to 10000"
                ))
            })?,
    };
    Ok(Some(coach_sim::SimClock::Replay {
        start,
        wall_start: std::time::Instant::now(),
        speed,
    }))
}

/// How to start an engine.
pub struct EngineOptions {
    pub data_dir: PathBuf,
    pub env: EnvOverrides,
    pub secrets: Arc<SecretStore>,
    /// The stored settings object (settings.json).
    pub settings: Map<String, Value>,
    /// Problems found while reading the settings (e.g. an unreadable file).
    pub settings_issues: Vec<SettingsIssue>,
    /// `--provider demo|massive` on the command line.
    pub provider_override: Option<ProviderChoice>,
    /// Seed for the demo market.
    pub demo_seed: u64,
    /// The demo market's clock; `None` picks [`coach_sim::SimClock::demo`]
    /// (real time during the market day, a replay of the last session otherwise).
    pub demo_clock: Option<coach_sim::SimClock>,
    /// Connect the market socket only when something subscribes (CLI commands
    /// that only read history must not take the key's one connection).
    pub lazy_market: bool,
    pub log_dir: Option<PathBuf>,
}

/// The running system: builds the components, wires each to the handles it
/// needs, and hands them out. It holds no feature code of its own.
pub struct Engine {
    data_dir: PathBuf,
    log_dir: Option<PathBuf>,
    db: Arc<Db>,
    /// Read once at start: migrations only run then.
    schema_version: u32,
    env: EnvOverrides,
    settings: Settings,
    settings_issues: Vec<SettingsIssue>,
    secrets: Arc<SecretStore>,
    secret_sources: BTreeMap<SecretName, &'static str>,
    ai: AiConfig,
    // Components, dropped in this order: the users of the market first.
    coach: Coach,
    screenshots: Arc<Screenshots>,
    alerts: Arc<Alerts>,
    charts: Charts,
    pnl: Arc<PnlTracker>,
    journal: Arc<Journal>,
    positions: Arc<Positions>,
    options: Arc<OptionsDesk>,
    levels: Levels,
    market: Arc<Market>,
    // Declared last so it stops after the hub that talks to it.
    sim: Option<SimHandle>,
}

impl Engine {
    /// Opens the database, resolves configuration and connects to the market
    /// (starting the in-process demo market when no Massive key is configured).
    #[tracing::instrument(skip_all, fields(data_dir = %opts.data_dir.display()))]
    pub async fn start(opts: EngineOptions) -> Result<Engine, EngineError> {
        ensure_data_dir(&opts.data_dir)?;
        if let Some(w) = opts.secrets.warning() {
            tracing::warn!("{w}");
        }
        // Opening migrates: file I/O, off the async threads.
        let db_path = opts.data_dir.join(store::DB_FILE);
        let db = Arc::new(
            tokio::task::spawn_blocking(move || Db::open(&db_path))
                .await
                .map_err(|e| {
                    EngineError::InvalidInput(format!("the database could not be opened: {e}"))
                })??,
        );
        let schema_version = {
            let db = db.clone();
            db.clone().blocking(move || db.schema_version()).await?
        };
        let (settings, mut settings_issues) = Settings::from_map(&opts.settings);
        settings_issues.splice(0..0, opts.settings_issues);
        for issue in &settings_issues {
            tracing::warn!(key = %issue.key, "setting ignored: {}", issue.message);
        }
        // The keychain is D-Bus (or the OS) underneath: off the async threads too.
        let (resolved, secret_sources) = {
            let (env, secrets) = (opts.env.clone(), opts.secrets.clone());
            tokio::task::spawn_blocking(move || resolve_secrets(&env, &secrets))
                .await
                .map_err(|e| {
                    EngineError::InvalidInput(format!("the stored keys could not be read: {e}"))
                })?
        };
        let mut market_config =
            config::resolve_market(&settings, &opts.env, &resolved, opts.provider_override);
        let (sim, clock): (Option<SimHandle>, Arc<dyn Clock>) =
            if market_config.mode == MarketMode::Demo {
                let sim_clock = match (opts.demo_clock.clone(), demo_clock_from_env(&opts.env)?) {
                    (Some(c), _) | (None, Some(c)) => c,
                    (None, None) => coach_sim::SimClock::demo(chrono::Utc::now()),
                };
                let sim = SimHandle::start(coach_sim::SimConfig {
                    seed: opts.demo_seed,
                    clock: sim_clock.clone(),
                    ..Default::default()
                })
                .await?;
                market_config.rest_url = sim.rest_url();
                market_config.ws_url = sim.ws_url();
                (Some(sim), Arc::new(sim_clock))
            } else {
                (None, Arc::new(SystemClock))
            };
        let ai = config::resolve_ai(&settings, &opts.env, &resolved);
        tracing::info!(
            market = market_config.mode.label(),
            ai = %ai.label(),
            schema = schema_version,
            "engine started"
        );
        let now_ms = chrono::Utc::now().timestamp_millis();
        match db
            .chat()
            .call(move |chat| chat.chat_close_orphans(now_ms))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                messages = n,
                "answers left streaming by an earlier run are marked interrupted"
            ),
            Err(e) => tracing::warn!(error = %e, "could not close answers left streaming"),
        }

        let rest = MassiveRest::new(&market_config);
        let history = BarHistory::new(rest.clone(), db.bars(), clock.clone());
        let reconcile_every = (!opts.lazy_market && settings.reconcile_every_secs > 0)
            .then(|| std::time::Duration::from_secs(u64::from(settings.reconcile_every_secs)));
        let market = Arc::new(Market::start(
            market_config,
            clock.clone(),
            history.clone(),
            rest,
            opts.lazy_market,
            reconcile_every,
        ));
        let levels = Levels::new(history, db.level_tests(), clock);
        let charts = Charts::new(
            market.clone(),
            levels.clone(),
            opts.env
                .chart_live_updates
                .unwrap_or(settings.chart_live_updates),
        );
        let options = Arc::new(OptionsDesk::new(market.clone()));
        let positions = Arc::new(Positions::new(
            db.positions(),
            options.clone(),
            market.clone(),
        ));
        let journal = Arc::new(Journal::new(
            db.journal(),
            market.clock().clone(),
            settings.import_tz(),
            settings.display_tz(),
        ));
        let pnl = Arc::new(PnlTracker::new(
            journal.clone(),
            options.clone(),
            market.clone(),
        ));
        let alerts = Arc::new(Alerts::new(
            db.alerts(),
            market.clone(),
            levels.clone(),
            DeliveryConfig {
                os_notifications: settings.alert_os_notifications,
                webhook_url: settings.alert_webhook_url.clone(),
                email: settings.alert_email.clone(),
                email_password: resolved.smtp_password.clone(),
                retry_base: std::time::Duration::from_millis(
                    opts.env.alert_retry_base_ms.unwrap_or(5_000),
                ),
            },
        ));
        let chat_timeout = std::time::Duration::from_secs(u64::from(
            opts.env
                .chat_timeout_secs
                .unwrap_or(settings.chat_timeout_secs),
        ));
        let screenshots = Arc::new(Screenshots::new(
            &opts.data_dir,
            ai.clone(),
            chat_timeout,
            options.clone(),
            market.clone(),
        ));
        let coach = Coach::new(
            db.chat(),
            db.metrics(),
            ai.clone(),
            chat_timeout,
            opts.env
                .stream_progressive_functions
                .unwrap_or(settings.stream_progressive_functions),
            Toolbox::new(
                market.clone(),
                levels.clone(),
                options.clone(),
                positions.clone(),
                journal.clone(),
                pnl.clone(),
                alerts.clone(),
                screenshots.clone(),
                ai.label(),
            ),
        );
        Ok(Engine {
            data_dir: opts.data_dir,
            log_dir: opts.log_dir,
            db,
            schema_version,
            env: opts.env,
            settings,
            settings_issues,
            secrets: opts.secrets,
            secret_sources,
            ai,
            coach,
            screenshots,
            alerts,
            charts,
            pnl,
            journal,
            positions,
            options,
            levels,
            market,
            sim,
        })
    }

    /// Market data: the shared socket, typed REST, bar history, reconciliation.
    pub fn market(&self) -> &Arc<Market> {
        &self.market
    }

    /// Bar history (the chart cache); the same as `market().history()`.
    pub fn bar_history(&self) -> &Arc<BarHistory> {
        self.market.history()
    }

    /// The open charts, by UI slot.
    pub fn charts(&self) -> &Charts {
        &self.charts
    }

    /// Key levels, at a moment or kept live.
    pub fn levels(&self) -> &Levels {
        &self.levels
    }

    /// Expirations, chains, the term structure and the live chain follow.
    pub fn options(&self) -> &Arc<OptionsDesk> {
        &self.options
    }

    /// Saved positions and their analysis.
    pub fn positions(&self) -> &Arc<Positions> {
        &self.positions
    }

    /// The trade journal: imports, trades, notes, figures.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// Today's and this week's realized P&L and the open trades marked live.
    pub fn pnl_tracker(&self) -> &Arc<PnlTracker> {
        &self.pnl
    }

    /// Price alerts: rules, the worker on the shared socket, history, delivery.
    pub fn alerts(&self) -> &Arc<Alerts> {
        &self.alerts
    }

    /// The chat coach: sessions, answers, tools.
    pub fn coach(&self) -> &Coach {
        &self.coach
    }

    /// Screenshots: the image store and reading broker screens into positions.
    pub fn screenshots(&self) -> &Arc<Screenshots> {
        &self.screenshots
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }

    pub fn ai_config(&self) -> &AiConfig {
        &self.ai
    }

    /// The in-process demo market, when it is the market.
    pub fn demo_market(&self) -> Option<&SimHandle> {
        self.sim.as_ref()
    }

    pub fn status(&self) -> AppStatus {
        let (ai_offline, ai_detail) = match &self.ai {
            AiConfig::Offline { reason } => {
                (true, Some(format!("No language model in use: {reason}.")))
            }
            AiConfig::Model { base_url, .. } => (
                false,
                Some(format!("OpenAI-compatible endpoint {base_url}")),
            ),
        };
        AppStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            market_mode: self.market.config().mode,
            market_label: self.market.config().mode.label().to_string(),
            connection: self.market.watch_connection().borrow().clone(),
            ai_offline,
            ai_label: self.ai.label(),
            ai_detail,
            data_dir: self.data_dir.display().to_string(),
            schema_version: self.schema_version,
            secret_backend_warning: self.secrets.warning().map(str::to_string),
            settings_issues: self.settings_issues.clone(),
            simulated_clock: self
                .sim
                .as_ref()
                .filter(|s| s.clock().is_simulated())
                .map(|s| {
                    let now = s.now();
                    ipc::SimulatedClock {
                        now_ms: now.timestamp_millis(),
                        speed: s.clock().speed(),
                        session_date: now
                            .with_timezone(&chrono_tz::America::New_York)
                            .date_naive()
                            .to_string(),
                    }
                }),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn settings_view(&self) -> SettingsView {
        SettingsView {
            settings: self.settings.clone(),
            issues: self.settings_issues.clone(),
            secrets: self.secret_infos(),
            secret_backend: self.secrets.kind(),
            secret_backend_warning: self.secrets.warning().map(str::to_string),
        }
    }

    fn secret_infos(&self) -> Vec<SecretInfo> {
        secret_infos(&self.secret_sources)
    }

    /// Validates a settings patch against the current settings; all or nothing.
    /// The caller persists the returned object and restarts the engine.
    pub fn validate_settings_patch(
        &self,
        patch: &Map<String, Value>,
    ) -> Result<Settings, EngineError> {
        self.settings
            .patched(patch)
            .map_err(EngineError::InvalidSettings)
    }

    /// Saves a key in the OS keychain (or the announced file), off the async threads.
    pub async fn set_secret(&self, name: SecretName, value: &str) -> Result<(), EngineError> {
        let (secrets, value) = (self.secrets.clone(), value.to_string());
        tokio::task::spawn_blocking(move || secrets.set(name, &value))
            .await
            .map_err(|e| EngineError::InvalidInput(format!("the key could not be saved: {e}")))??;
        tracing::info!(secret = name.label(), "secret saved");
        Ok(())
    }

    /// Removes a stored key, off the async threads.
    pub async fn clear_secret(&self, name: SecretName) -> Result<(), EngineError> {
        let secrets = self.secrets.clone();
        tokio::task::spawn_blocking(move || secrets.clear(name))
            .await
            .map_err(|e| {
                EngineError::InvalidInput(format!("the key could not be removed: {e}"))
            })??;
        tracing::info!(secret = name.label(), "secret cleared");
        Ok(())
    }

    pub async fn record_metric(&self, m: MetricInput) -> Result<(), EngineError> {
        self.record_metrics(vec![m]).await
    }

    /// Records measurements from the UI; one bad one refuses the batch (nothing saved).
    pub async fn record_metrics(&self, ms: Vec<MetricInput>) -> Result<(), EngineError> {
        if let Some(m) = ms
            .iter()
            .find(|m| m.name.trim().is_empty() || !m.value.is_finite())
        {
            return Err(EngineError::InvalidInput(format!(
                "a metric needs a name and a finite value (got {:?} = {})",
                m.name, m.value
            )));
        }
        let now = chrono::Utc::now().timestamp_millis();
        let rows: Vec<Metric> = ms
            .into_iter()
            .map(|m| {
                // Info level: it reaches the log file and, with a DSN, Sentry (as a breadcrumb).
                tracing::info!(target: "metrics", name = %m.name, value = m.value, unit = %m.unit, "metric");
                Metric {
                    ts_ms: now,
                    name: m.name,
                    value: m.value,
                    unit: m.unit,
                    attrs: serde_json::json!({}),
                }
            })
            .collect();
        self.db
            .metrics()
            .call(move |m| m.record_metrics(&rows))
            .await?;
        Ok(())
    }

    pub async fn recent_metrics(&self, name: &str, limit: u32) -> Result<Vec<Metric>, EngineError> {
        let (name, limit) = (name.to_string(), limit.min(10_000));
        Ok(self
            .db
            .metrics()
            .call(move |m| m.recent_metrics(&name, limit))
            .await?)
    }

    /// A JavaScript error from the webview: logged, and sent to Sentry when configured.
    pub fn report_ui_error(&self, e: UiErrorReport) {
        tracing::error!(
            target: "ui",
            kind = %e.kind,
            source = e.source.as_deref().unwrap_or(""),
            line = e.line.unwrap_or(0),
            column = e.column.unwrap_or(0),
            stack = e.stack.as_deref().unwrap_or(""),
            "UI error: {}",
            e.message
        );
    }

    /// The full system check (`coach doctor`, the System view).
    pub async fn doctor(&self) -> DoctorReport {
        let endpoints = doctor::check_endpoints(
            self.market.config(),
            &self.ai,
            self.market.watch_connection(),
        )
        .await;
        DoctorReport {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.data_dir.display().to_string(),
            log_dir: self.log_dir.as_ref().map(|d| d.display().to_string()),
            database: DatabaseReport {
                path: self.db.path().display().to_string(),
                schema_version: Some(self.schema_version),
                supported_schema_version: store::supported_schema_version(),
                journal_mode: {
                    let db = self.db.clone();
                    self.db.blocking(move || db.journal_mode()).await.ok()
                },
                error: None,
            },
            market_mode: self.market.config().mode.label().to_string(),
            ai_mode: self.ai.label(),
            secret_backend: self.secrets.kind(),
            secret_backend_warning: self.secrets.warning().map(str::to_string),
            secrets: self.secret_infos(),
            endpoints,
            settings_issues: self.settings_issues.clone(),
        }
    }

    /// Environment overrides in force (for diagnostics).
    pub fn env(&self) -> &EnvOverrides {
        &self.env
    }
}

/// Whether each secret is set and where it came from (never its value).
fn secret_infos(sources: &BTreeMap<SecretName, &'static str>) -> Vec<SecretInfo> {
    SecretName::ALL
        .into_iter()
        .map(|name| SecretInfo {
            name,
            label: name.label().to_string(),
            env_var: name.env_var().to_string(),
            set: sources.contains_key(&name),
            source: sources.get(&name).map(|s| s.to_string()),
        })
        .collect()
}

/// A doctor report for when the engine could not start (e.g. a damaged
/// database): everything that can be known without it, and the error.
pub fn doctor_for_failed_start(opts: &EngineOptions, err: &EngineError) -> DoctorReport {
    let (settings, mut issues) = Settings::from_map(&opts.settings);
    issues.splice(0..0, opts.settings_issues.clone());
    let (resolved, sources) = resolve_secrets(&opts.env, &opts.secrets);
    let market = config::resolve_market(&settings, &opts.env, &resolved, opts.provider_override);
    let ai = config::resolve_ai(&settings, &opts.env, &resolved);
    DoctorReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: opts.data_dir.display().to_string(),
        log_dir: opts.log_dir.as_ref().map(|d| d.display().to_string()),
        database: DatabaseReport {
            path: opts.data_dir.join(store::DB_FILE).display().to_string(),
            schema_version: None,
            supported_schema_version: store::supported_schema_version(),
            journal_mode: None,
            error: Some(err.to_string()),
        },
        market_mode: market.mode.label().to_string(),
        ai_mode: ai.label(),
        secret_backend: opts.secrets.kind(),
        secret_backend_warning: opts.secrets.warning().map(str::to_string),
        secrets: secret_infos(&sources),
        endpoints: vec![],
        settings_issues: issues,
    }
}
