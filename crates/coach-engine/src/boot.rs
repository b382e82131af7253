//! The one boot sequence the app and `coach` share: environment → data
//! directory → secrets → telemetry → engine options. Each program says only
//! what differs (its name, where the platform keeps app data, whether logs
//! also go to stderr); the order and the rules are here.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::{EnvOverrides, SettingsIssue};
use crate::secrets::SecretStore;
use crate::telemetry::{self, TelemetryGuard, TelemetryOptions};
use crate::{EngineError, EngineOptions};

/// What a program says about itself when it boots.
pub struct BootRequest {
    /// `ai-coach` or `coach`: the log file's prefix and Sentry's release.
    pub program: &'static str,
    /// The platform's data directory for the app (Tauri's `app_data_dir`), when
    /// the program knows one; otherwise the shared default. `COACH_DATA_DIR`
    /// wins over it.
    pub platform_data_dir: Option<PathBuf>,
    /// An explicit choice (`coach --data-dir`), which wins over everything.
    pub data_dir_flag: Option<PathBuf>,
    /// Also log to stderr.
    pub stderr: bool,
}

/// A booted program: where its data lives, its keys and its logging.
pub struct Booted {
    pub env: EnvOverrides,
    pub data_dir: PathBuf,
    /// The data directory could not be created: the program reports this
    /// instead of starting an engine (nothing is logged to a file then).
    pub data_dir_error: Option<EngineError>,
    pub secrets: Arc<SecretStore>,
    pub telemetry: TelemetryGuard,
}

/// Reads the environment, settles the data directory (creating it), opens
/// the key store (the OS keychain, or the announced file), and installs
/// logging and error reporting with the Sentry DSN from there.
pub fn boot(req: BootRequest) -> Booted {
    let mut env = EnvOverrides::from_env();
    if let Some(dir) = req.data_dir_flag {
        env.data_dir = Some(dir);
    }
    let data_dir = match (&env.data_dir, req.platform_data_dir) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => d,
        (None, None) => crate::resolve_data_dir(&env),
    };
    let data_dir_error = crate::ensure_data_dir(&data_dir).err();
    let secrets = Arc::new(SecretStore::open(&data_dir));
    let (resolved, _) = crate::resolve_secrets(&env, &secrets);
    let telemetry = telemetry::init(TelemetryOptions {
        data_dir: data_dir_error.is_none().then(|| data_dir.clone()),
        sentry_dsn: resolved.sentry_dsn,
        stderr: req.stderr,
        default_filter: "info".into(),
        program: req.program,
    });
    Booted {
        env,
        data_dir,
        data_dir_error,
        secrets,
        telemetry,
    }
}

impl Booted {
    /// Engine options for these settings (as read by
    /// [`crate::load_settings_file`] in the app, [`crate::read_settings_file`]
    /// in `coach`); the demo market on its usual seed and clock, connecting at once.
    pub fn engine_options(
        &self,
        (settings, settings_issues): (Map<String, Value>, Vec<SettingsIssue>),
    ) -> EngineOptions {
        EngineOptions {
            data_dir: self.data_dir.clone(),
            env: self.env.clone(),
            secrets: self.secrets.clone(),
            settings,
            settings_issues,
            provider_override: None,
            demo_seed: 1,
            demo_clock: None,
            lazy_market: false,
            log_dir: self.telemetry.log_dir.clone(),
        }
    }
}
