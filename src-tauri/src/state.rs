//! The one piece of shell state: the running Engine, or why there is none.

use std::path::PathBuf;
use std::sync::Arc;

use coach_engine::config::{EnvOverrides, SettingsIssue};
use coach_engine::error_code::ErrorCode;
use coach_engine::ipc::{IpcError, Startup};
use coach_engine::secrets::SecretStore;
use coach_engine::store::StoreError;
use coach_engine::telemetry::TelemetryGuard;
use coach_engine::{Engine, EngineError, EngineOptions};
use serde_json::{Map, Value};
use tauri::{AppHandle, Runtime};
use tokio::sync::RwLock;

enum Slot {
    Starting,
    Ready(Arc<Engine>),
    Problem(Box<Startup>),
}

pub struct AppState {
    slot: RwLock<Slot>,
    data_dir: PathBuf,
    env: EnvOverrides,
    secrets: Arc<SecretStore>,
    telemetry: TelemetryGuard,
    forwarder: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    settings_save: tokio::sync::Mutex<()>,
}

impl AppState {
    pub fn new(
        data_dir: PathBuf,
        env: EnvOverrides,
        secrets: Arc<SecretStore>,
        telemetry: TelemetryGuard,
    ) -> AppState {
        AppState {
            slot: RwLock::new(Slot::Starting),
            data_dir,
            env,
            secrets,
            telemetry,
            forwarder: std::sync::Mutex::new(None),
            settings_save: tokio::sync::Mutex::new(()),
        }
    }

    /// The running engine, or an error the UI can show.
    pub async fn engine(&self) -> Result<Arc<Engine>, IpcError> {
        match &*self.slot.read().await {
            Slot::Ready(e) => Ok(e.clone()),
            Slot::Starting => Err(IpcError::new(
                ErrorCode::Unavailable,
                "AI Coach is still starting",
            )),
            Slot::Problem(_) => Err(IpcError::new(
                ErrorCode::Unavailable,
                "AI Coach could not start; see the start-up screen",
            )),
        }
    }

    pub async fn startup(&self) -> Startup {
        match &*self.slot.read().await {
            Slot::Ready(e) => Startup::Ready {
                status: Box::new(e.status()),
            },
            Slot::Starting => Startup::Failed {
                message: "AI Coach is still starting".into(),
            },
            Slot::Problem(p) => (**p).clone(),
        }
    }

    pub async fn fail(&self, message: String) {
        tracing::error!("start-up failed: {message}");
        *self.slot.write().await = Slot::Problem(Box::new(Startup::Failed { message }));
    }

    /// The settings object, read by the engine's own reader: a damaged file is
    /// moved aside (never deleted) and reported; defaults are used.
    pub fn load_settings(&self) -> (Map<String, Value>, Vec<SettingsIssue>) {
        coach_engine::load_settings_file(&self.data_dir)
    }

    /// Held across a settings save (validate, write, restart).
    pub async fn saving_settings(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.settings_save.lock().await
    }

    /// Saves validated settings atomically (see `coach_engine::write_settings_file`).
    pub fn save_settings(&self, settings: &coach_engine::config::Settings) -> Result<(), IpcError> {
        coach_engine::write_settings_file(&self.data_dir, settings).map_err(IpcError::from)
    }

    /// Starts (or restarts) the engine with the current settings and secrets.
    pub async fn start_engine<R: Runtime>(&self, app: &AppHandle<R>) {
        let mut slot = self.slot.write().await;
        // Stop the old engine (its market socket and demo market) before the new one binds.
        *slot = Slot::Starting;
        let (settings, settings_issues) = self.load_settings();
        let opts = EngineOptions {
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
        };
        *slot = match Engine::start(opts).await {
            Ok(engine) => {
                let engine = Arc::new(engine);
                self.replace_forwarder(crate::forward::spawn(app.clone(), engine.clone()));
                Slot::Ready(engine)
            }
            Err(e) => {
                tracing::error!(error = %e, "engine failed to start");
                Slot::Problem(Box::new(problem_from(&e)))
            }
        };
        drop(slot);
        crate::forward::emit_startup(app, &self.startup().await);
    }

    fn replace_forwarder(&self, next: tauri::async_runtime::JoinHandle<()>) {
        let mut f = self.forwarder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = f.replace(next) {
            old.abort();
        }
    }

    /// Moves a damaged database aside so the next start begins fresh.
    pub async fn move_database_aside(&self) -> Result<PathBuf, IpcError> {
        let path = self.data_dir.join(coach_engine::store::DB_FILE);
        coach_engine::store::move_aside(&path, chrono_now())
            .map_err(|e| IpcError::from(EngineError::from(e)))
    }
}

fn problem_from(e: &EngineError) -> Startup {
    match e {
        EngineError::Store(StoreError::Corrupt { path, .. }) => Startup::DatabaseProblem {
            path: path.display().to_string(),
            message: e.to_string(),
            can_move_aside: true,
        },
        EngineError::Store(StoreError::TooNew { path, .. }) => Startup::DatabaseProblem {
            path: path.display().to_string(),
            message: e.to_string(),
            can_move_aside: false,
        },
        other => Startup::Failed {
            message: other.to_string(),
        },
    }
}

fn chrono_now() -> coach_engine::chrono::DateTime<coach_engine::chrono::Utc> {
    coach_engine::chrono::Utc::now()
}
