//! The one event forwarder: low-rate broadcast state from the engine to the UI.
//! Names are namespaced: `market://status`, `app://startup`.

use std::sync::Arc;

use coach_engine::ipc::Startup;
use coach_engine::Engine;
use tauri::{AppHandle, Emitter, Runtime};

pub const MARKET_STATUS: &str = "market://status";
pub const APP_STARTUP: &str = "app://startup";

/// Forwards connection-state changes until the engine is replaced (the task is aborted then).
pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    engine: Arc<Engine>,
) -> tauri::async_runtime::JoinHandle<()> {
    let mut rx = engine.market().watch_connection();
    tauri::async_runtime::spawn(async move {
        loop {
            let status = rx.borrow_and_update().clone();
            if let Err(e) = app.emit(MARKET_STATUS, &status) {
                tracing::warn!(error = %e, "could not emit {MARKET_STATUS}");
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    })
}

pub fn emit_startup<R: Runtime>(app: &AppHandle<R>, startup: &Startup) {
    if let Err(e) = app.emit(APP_STARTUP, startup) {
        tracing::warn!(error = %e, "could not emit {APP_STARTUP}");
    }
}
