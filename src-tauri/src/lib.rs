//! The Tauri shell: start-up, state, and the commands the UI calls.
//! All behaviour lives in coach-engine; this crate is glue.

mod commands;
mod forward;
mod state;

use tauri::Manager;

pub use state::AppState;

/// The app entry point for desktop (`main.rs`) and mobile (the generated
/// iOS/Android projects call it through `mobile_entry_point`).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let result = tauri::Builder::default()
        // Registered, but it holds no store: it writes files in place and saves
        // every open store again on exit, so settings.json is the engine's
        // (atomic writes, its own reader). The page is granted none of its
        // commands (capabilities/*.json). See docs/adr/0008.
        .plugin(tauri_plugin_store::Builder::default().build())
        // OS notifications for fired alerts, shown from Rust (forward.rs);
        // the page is granted none of its commands.
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let booted = coach_engine::boot::boot(coach_engine::boot::BootRequest {
                program: "ai-coach",
                platform_data_dir: Some(app.path().app_data_dir()?),
                data_dir_flag: None,
                stderr: true,
            });
            let dir_error = booted.data_dir_error.as_ref().map(|e| e.to_string());
            app.manage(AppState::new(booted));
            let handle = app.handle().clone();
            tauri::async_runtime::block_on(async move {
                let state = handle.state::<AppState>();
                match dir_error {
                    // A data dir that cannot be created is shown as a start-up failure.
                    Some(e) => state.fail(e).await,
                    None => state.start_engine(&handle).await,
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup_state,
            commands::get_status,
            commands::doctor,
            commands::get_settings,
            commands::save_settings,
            commands::set_secret,
            commands::clear_secret,
            commands::move_database_aside,
            commands::report_ui_error,
            commands::record_metric,
            commands::record_metrics,
            commands::recent_metrics,
            commands::chart_open,
            commands::chart_close,
            commands::chart_bars,
            commands::chat_send,
            commands::chat_continue,
            commands::chat_cancel,
            commands::chat_sessions,
            commands::chat_session,
            commands::chat_rename,
            commands::chat_delete,
            commands::chat_search,
            commands::options_chain,
            commands::options_follow,
            commands::options_unfollow,
            commands::options_term_structure,
            commands::positions_list,
            commands::position_save,
            commands::position_delete,
            commands::position_analyze,
            commands::portfolio_greeks,
            commands::journal_import,
            commands::journal_trades,
            commands::journal_dashboard,
            commands::journal_set_notes,
            commands::journal_add,
            commands::journal_edit,
            commands::journal_delete,
            commands::pnl_tracker_follow,
            commands::pnl_tracker_unfollow,
            commands::alerts_list,
            commands::alerts_create,
            commands::screenshot_put,
            commands::screenshot_image,
            commands::screenshot_confirm,
            commands::alerts_update,
            commands::alerts_pause,
            commands::alerts_delete,
            commands::alerts_history,
            commands::alerts_attempts,
            commands::alerts_watch,
            commands::alerts_notifications,
        ])
        .build(tauri::generate_context!())
        .map(|app| {
            app.run(|handle, event| {
                if let tauri::RunEvent::Exit = event {
                    // Save how far the alerts were watched and give up their
                    // lease, so `coach alerts run` or the next start need not
                    // wait, and nothing watched is reported as missed.
                    let state = handle.state::<AppState>();
                    tauri::async_runtime::block_on(state.stop_alerts());
                }
            })
        });
    if let Err(e) = result {
        tracing::error!(error = %e, "the app stopped with an error");
        eprintln!("AI Coach could not run: {e}");
        std::process::exit(1);
    }
}
