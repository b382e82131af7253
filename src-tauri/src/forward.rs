//! The one event forwarder: low-rate broadcast state from the engine to the UI.
//! Names are namespaced: `market://status`, `app://startup`.

use std::sync::Arc;

use coach_engine::alerts::{AlertEvent, AlertFeed, DeliveryChannel, RunOptions};
use coach_engine::ipc::{NotificationPermission, NotificationState, Startup};
use coach_engine::Engine;
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_notification::{NotificationExt, PermissionState};

pub const MARKET_STATUS: &str = "market://status";
pub const APP_STARTUP: &str = "app://startup";

/// Forwards connection-state changes, and shows fired alerts as OS
/// notifications, until the engine is replaced (the task is aborted then).
/// Starts the engine's alerts worker.
pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    engine: Arc<Engine>,
) -> tauri::async_runtime::JoinHandle<()> {
    engine.alerts().run(RunOptions {
        os_notifications: true,
    });
    let mut rx = engine.market().watch_connection();
    let status_app = app.clone();
    let status = async move {
        loop {
            let status = rx.borrow_and_update().clone();
            if let Err(e) = status_app.emit(MARKET_STATUS, &status) {
                tracing::warn!(error = %e, "could not emit {MARKET_STATUS}");
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    };
    tauri::async_runtime::spawn(async move {
        tokio::join!(status, os_notifications(app, engine));
    })
}

/// Shows each fired alert as an OS notification (first the ones an earlier
/// run wrote but did not show) and records the outcome as the `os` delivery.
async fn os_notifications<R: Runtime>(app: AppHandle<R>, engine: Arc<Engine>) {
    let mut rx = engine.alerts().subscribe();
    // Each firing once (one recorded during the start comes both ways), and
    // only those the worker meant for the OS (the setting may be off).
    let mut shown = std::collections::HashSet::new();
    let mut catch_up = true;
    loop {
        if catch_up {
            catch_up = false;
            match engine.alerts().undelivered(DeliveryChannel::Os).await {
                Ok(events) => {
                    for e in events {
                        if shown.insert(e.id) {
                            notify(&app, &engine, e).await;
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "alerts not yet notified could not be read"),
            }
        }
        match rx.recv().await {
            Ok(AlertFeed::Fired { event })
                if event
                    .deliveries
                    .iter()
                    .any(|d| d.channel == DeliveryChannel::Os) =>
            {
                if shown.insert(event.id) {
                    notify(&app, &engine, event).await;
                }
            }
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(
                    missed = n,
                    "the OS notifier fell behind the alerts feed; catching up"
                );
                catch_up = true;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn notify<R: Runtime>(app: &AppHandle<R>, engine: &Engine, e: AlertEvent) {
    let app2 = app.clone();
    let title = format!(
        "{}{} alert",
        if e.missed { "Missed: " } else { "" },
        e.symbol
    );
    let body = e.message.clone();
    let result = tauri::async_runtime::spawn_blocking(move || {
        let n = app2.notification();
        match n.permission_state() {
            Ok(PermissionState::Granted) => n
                .builder()
                .title(title)
                .body(body)
                .show()
                .map(|()| "shown as an OS notification".to_string())
                .map_err(|e| format!("the OS did not show it: {e}")),
            Ok(PermissionState::Denied) => Err(DENIED.to_string()),
            Ok(_) => Err("OS notifications have not been allowed yet".to_string()),
            Err(e) => Err(format!("the OS notification service answered: {e}")),
        }
    })
    .await
    .unwrap_or_else(|e| Err(format!("the notification stopped: {e}")));
    if let Err(err) = engine
        .alerts()
        .mark(e.id, DeliveryChannel::Os, result)
        .await
    {
        tracing::warn!(error = %err, "an OS notification's outcome could not be recorded");
    }
}

const DENIED: &str = "AI Coach may not show OS notifications. Allow them in your system's notification settings; fired alerts still show in the app and in the alert history.";

/// The OS notification permission, asked for once when `request` and not asked yet.
pub async fn notification_permission<R: Runtime>(
    app: &AppHandle<R>,
    enabled: bool,
    request: bool,
) -> NotificationPermission {
    if !enabled {
        return NotificationPermission {
            state: NotificationState::Off,
            message: "OS notifications for alerts are off in Settings.".into(),
        };
    }
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let n = app.notification();
        let mut st = n.permission_state();
        if request && matches!(st, Ok(PermissionState::Prompt | PermissionState::PromptWithRationale)) {
            st = n.request_permission();
        }
        match st {
            Ok(PermissionState::Granted) => NotificationPermission {
                state: NotificationState::Granted,
                message: "OS notifications are on: fired alerts also show outside the app.".into(),
            },
            Ok(PermissionState::Denied) => NotificationPermission {
                state: NotificationState::Denied,
                message: DENIED.into(),
            },
            Ok(_) => NotificationPermission {
                state: NotificationState::Prompt,
                message: "AI Coach will ask to show OS notifications when you set your first alert.".into(),
            },
            Err(e) => NotificationPermission {
                state: NotificationState::Denied,
                message: format!("The OS notification service could not be reached ({e}); fired alerts still show in the app."),
            },
        }
    })
    .await
    .unwrap_or_else(|e| NotificationPermission {
        state: NotificationState::Denied,
        message: format!("The notification permission could not be read ({e})."),
    })
}

pub fn emit_startup<R: Runtime>(app: &AppHandle<R>, startup: &Startup) {
    if let Err(e) = app.emit(APP_STARTUP, startup) {
        tracing::warn!(error = %e, "could not emit {APP_STARTUP}");
    }
}
