//! The one piece of shell state: the running Engine, or why there is none.

use std::path::PathBuf;
use std::sync::Arc;

use coach_engine::boot::Booted;
use coach_engine::config::SettingsIssue;
use coach_engine::error_code::ErrorCode;
use coach_engine::ipc::{IpcError, Startup};
use coach_engine::store::StoreError;
use coach_engine::{Engine, EngineError};
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
    booted: Booted,
    forwarder: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    settings_save: tokio::sync::Mutex<()>,
    /// One engine start at a time. The slot's lock is only taken to swap it,
    /// never held while an engine starts (that is network and file work).
    starting: tokio::sync::Mutex<()>,
    /// Bumped whenever the slot leaves `Starting`, so callers that arrive
    /// during a restart wait for its outcome instead of failing.
    settled: tokio::sync::watch::Sender<u64>,
}

impl AppState {
    pub fn new(booted: Booted) -> AppState {
        AppState {
            slot: RwLock::new(Slot::Starting),
            data_dir: booted.data_dir.clone(),
            booted,
            forwarder: std::sync::Mutex::new(None),
            settings_save: tokio::sync::Mutex::new(()),
            starting: tokio::sync::Mutex::new(()),
            settled: tokio::sync::watch::channel(0).0,
        }
    }

    /// Puts `next` in the slot and wakes whoever waits for the start to settle.
    async fn settle(&self, next: Slot) {
        *self.slot.write().await = next;
        self.settled.send_modify(|n| *n += 1);
    }

    /// Waits (bounded) while an engine is starting; the slot's lock is not
    /// held meanwhile.
    async fn wait_while_starting(&self) {
        let mut settled = self.settled.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while matches!(&*self.slot.read().await, Slot::Starting) {
            if tokio::time::timeout_at(deadline, settled.changed())
                .await
                .map_or(true, |r| r.is_err())
            {
                return;
            }
        }
    }

    /// The running engine, or an error the UI can show.
    pub async fn engine(&self) -> Result<Arc<Engine>, IpcError> {
        self.wait_while_starting().await;
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
        self.wait_while_starting().await;
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
        self.settle(Slot::Problem(Box::new(Startup::Failed { message })))
            .await;
    }

    /// Held across a settings save (validate, write, restart).
    pub async fn saving_settings(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.settings_save.lock().await
    }

    /// Saves validated settings atomically (see `coach_engine::write_settings_file`).
    pub async fn save_settings(
        &self,
        settings: coach_engine::config::Settings,
    ) -> Result<(), IpcError> {
        let data_dir = self.data_dir.clone();
        tauri::async_runtime::spawn_blocking(move || {
            coach_engine::write_settings_file(&data_dir, &settings)
        })
        .await
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("the settings save stopped: {e}"),
            )
        })?
        .map_err(IpcError::from)
    }

    /// Stops the running engine's alerts worker cleanly (on quit).
    pub async fn stop_alerts(&self) {
        if let Slot::Ready(engine) = &*self.slot.read().await {
            engine.alerts().stop().await;
        }
    }

    /// Starts (or restarts) the engine with the current settings and secrets.
    pub async fn start_engine<R: Runtime>(&self, app: &AppHandle<R>) {
        let _one_at_a_time = self.starting.lock().await;
        // Stop the old engine (its market socket and demo market) before the new
        // one connects: the slot and the forwarder held the handles on it.
        let old = std::mem::replace(&mut *self.slot.write().await, Slot::Starting);
        self.stop_forwarder();
        if let Slot::Ready(engine) = &old {
            // Saves how far its alerts were watched and gives up their lease,
            // so the next engine neither waits nor reports those minutes as missed.
            engine.alerts().stop().await;
        }
        drop(old);
        let data_dir = self.data_dir.clone();
        let (settings, settings_issues) = tauri::async_runtime::spawn_blocking(move || {
            coach_engine::load_settings_file(&data_dir)
        })
        .await
        .unwrap_or_else(|e| {
            (
                Default::default(),
                vec![SettingsIssue {
                    key: coach_engine::SETTINGS_FILE.into(),
                    message: format!("could not be read ({e}); defaults are in use"),
                }],
            )
        });
        let opts = self.booted.engine_options((settings, settings_issues));
        let next = match Engine::start(opts).await {
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
        self.settle(next).await;
        crate::forward::emit_startup(app, &self.startup().await);
    }

    fn stop_forwarder(&self) {
        let mut f = self.forwarder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = f.take() {
            old.abort();
        }
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
