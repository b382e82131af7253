//! Commands: ten-line adapters over the Engine. Errors cross as `IpcError {code, message}`.

use coach_engine::alerts::{AlertEvent, AlertFeed, AlertInput, AlertView, DeliveryAttempt};
use coach_engine::chart_stream::{ChartEvent, ChartOpen, ChartView};
use coach_engine::chat::cards::ConfirmedRow;
use coach_engine::chat::{
    ChatEvent, ChatRequest, ScreenshotConfirmed, SearchHit, SessionDetail, SessionSummary,
};
use coach_engine::chrono;
use coach_engine::doctor::DoctorReport;
use coach_engine::error_code::ErrorCode;
use coach_engine::ipc::{
    AppStatus, IpcError, MetricInput, NotificationPermission, SettingsView, Startup, UiErrorReport,
};
use coach_engine::journal::{
    Dashboard, ImportProgress, ImportRequest, ImportSummary, ManualTrade, TradeFilter, TradeNotes,
    TradeView,
};
use coach_engine::market::history::{ChartData, ChartQuery};
use coach_engine::options_chain::{OptionsChain, OptionsTick, TermPoint};
use coach_engine::pnl_tracker::PnlTrackerView;
use coach_engine::positions::{
    PortfolioGreeks, PositionAnalysis, PositionInput, SavedPosition, WhatIf,
};
use coach_engine::screenshots::StoredImage;
use coach_engine::secrets::SecretName;
use coach_engine::store::Metric;
use coach_engine::telemetry::next_request_id;
use serde_json::{Map, Value};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::AppState;

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()))]
pub async fn startup_state(state: State<'_, AppState>) -> Result<Startup, IpcError> {
    Ok(state.startup().await)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn get_status(state: State<'_, AppState>) -> Result<AppStatus, IpcError> {
    Ok(state.engine().await?.status())
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn doctor(state: State<'_, AppState>) -> Result<DoctorReport, IpcError> {
    Ok(state.engine().await?.doctor().await)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    Ok(state.engine().await?.settings_view())
}

/// Validates the whole patch first (nothing is saved if any value is bad),
/// saves it atomically, then restarts the engine with it.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), keys = ?patch.keys().collect::<Vec<_>>()), err(Debug))]
pub async fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    patch: Map<String, Value>,
) -> Result<SettingsView, IpcError> {
    // One save at a time: each validates against the settings the last one saved.
    let _saving = state.saving_settings().await;
    let next = state.engine().await?.validate_settings_patch(&patch)?;
    state.save_settings(next).await?;
    state.start_engine(&app).await;
    Ok(state.engine().await?.settings_view())
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), secret = ?name), err(Debug))]
pub async fn set_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    name: SecretName,
    value: String,
) -> Result<SettingsView, IpcError> {
    state.engine().await?.set_secret(name, &value).await?;
    state.start_engine(&app).await;
    Ok(state.engine().await?.settings_view())
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), secret = ?name), err(Debug))]
pub async fn clear_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    name: SecretName,
) -> Result<SettingsView, IpcError> {
    state.engine().await?.clear_secret(name).await?;
    state.start_engine(&app).await;
    Ok(state.engine().await?.settings_view())
}

/// The user agreed to move a damaged database aside; start again with a fresh one.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn move_database_aside(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Startup, IpcError> {
    let moved_to = state.move_database_aside().await?;
    tracing::warn!(to = %moved_to.display(), "damaged database moved aside at the user's request");
    state.start_engine(&app).await;
    Ok(state.startup().await)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()))]
pub async fn report_ui_error(
    state: State<'_, AppState>,
    report: UiErrorReport,
) -> Result<(), IpcError> {
    match state.engine().await {
        Ok(engine) => engine.report_ui_error(report),
        // Before the engine runs, the report still reaches the log and Sentry.
        Err(_) => {
            tracing::error!(target: "ui", kind = %report.kind, "UI error: {}", report.message)
        }
    }
    Ok(())
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn record_metric(
    state: State<'_, AppState>,
    metric: MetricInput,
) -> Result<(), IpcError> {
    Ok(state.engine().await?.record_metric(metric).await?)
}

/// A batch of measurements (the chart's per-tick latencies are flushed this way).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), n = metrics.len()), err(Debug))]
pub async fn record_metrics(
    state: State<'_, AppState>,
    metrics: Vec<MetricInput>,
) -> Result<(), IpcError> {
    Ok(state.engine().await?.record_metrics(metrics).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn recent_metrics(
    state: State<'_, AppState>,
    name: String,
    limit: u32,
) -> Result<Vec<Metric>, IpcError> {
    Ok(state.engine().await?.recent_metrics(&name, limit).await?)
}

/// Opens the chart of a UI slot and streams its live events into `on_event`.
/// A newer open of the same slot answers this one with code `superseded`.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), slot = %slot, symbol = %request.symbol, timeframe = %request.timeframe), err(Debug))]
pub async fn chart_open(
    state: State<'_, AppState>,
    slot: String,
    request: ChartOpen,
    on_event: Channel<ChartEvent>,
) -> Result<ChartView, IpcError> {
    let engine = state.engine().await?;
    let sink = move |ev: ChartEvent| on_event.send(ev).is_ok();
    Ok(engine.charts().open(&slot, request, sink).await?)
}

/// Stops a slot's stream (the chart view was closed).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), slot = %slot), err(Debug))]
pub async fn chart_close(state: State<'_, AppState>, slot: String) -> Result<bool, IpcError> {
    Ok(state.engine().await?.charts().close(&slot))
}

/// Bars for a range from the chart cache, with no stream (QA and the coach's cards).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn chart_bars(
    state: State<'_, AppState>,
    query: ChartQuery,
) -> Result<ChartData, IpcError> {
    Ok(state.engine().await?.bar_history().load(&query).await?)
}

/// Asks the coach; every ChatEvent goes through `on_event`, the last one is returned.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), session = ?request.session_id), err(Debug))]
pub async fn chat_send(
    state: State<'_, AppState>,
    request: ChatRequest,
    on_event: Channel<ChatEvent>,
) -> Result<ChatEvent, IpcError> {
    let engine = state.engine().await?;
    let sink = move |ev: ChatEvent| on_event.send(ev).is_ok();
    Ok(engine.coach().chat(request, sink).await?)
}

/// Continues an interrupted or stopped answer in the same message.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), message_id), err(Debug))]
pub async fn chat_continue(
    state: State<'_, AppState>,
    message_id: i64,
    on_event: Channel<ChatEvent>,
) -> Result<ChatEvent, IpcError> {
    let engine = state.engine().await?;
    let sink = move |ev: ChatEvent| on_event.send(ev).is_ok();
    Ok(engine.coach().chat_continue(message_id, sink).await?)
}

/// Stops the answer streaming in a session (false when none is).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), session_id), err(Debug))]
pub async fn chat_cancel(state: State<'_, AppState>, session_id: i64) -> Result<bool, IpcError> {
    Ok(state.engine().await?.coach().chat_cancel(session_id))
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn chat_sessions(
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<SessionSummary>, IpcError> {
    Ok(state.engine().await?.coach().chat_sessions(limit).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn chat_session(state: State<'_, AppState>, id: i64) -> Result<SessionDetail, IpcError> {
    Ok(state.engine().await?.coach().chat_session(id).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn chat_rename(
    state: State<'_, AppState>,
    id: i64,
    title: String,
) -> Result<(), IpcError> {
    Ok(state
        .engine()
        .await?
        .coach()
        .chat_rename(id, &title)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn chat_delete(state: State<'_, AppState>, id: i64) -> Result<(), IpcError> {
    Ok(state.engine().await?.coach().chat_delete(id).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn chat_search(
    state: State<'_, AppState>,
    text: String,
    limit: u32,
) -> Result<Vec<SearchHit>, IpcError> {
    Ok(state
        .engine()
        .await?
        .coach()
        .chat_search(&text, limit)
        .await?)
}

/// One expiration's options chain (default: the nearest), IV/Greeks completed.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), symbol = %symbol), err(Debug))]
pub async fn options_chain(
    state: State<'_, AppState>,
    symbol: String,
    expiration: Option<String>,
) -> Result<OptionsChain, IpcError> {
    let exp = match expiration.as_deref() {
        None | Some("") => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                IpcError::new(
                    ErrorCode::InvalidInput,
                    format!("{d:?} is not a date (YYYY-MM-DD)"),
                )
            })?,
        ),
    };
    Ok(state.engine().await?.options().chain(&symbol, exp).await?)
}

/// The chain as `options_chain`, then followed live: every move of the
/// underlying on the socket reprices it and arrives through `on_event`
/// (the newest follow replaces any earlier one).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), symbol = %symbol), err(Debug))]
pub async fn options_follow(
    state: State<'_, AppState>,
    symbol: String,
    expiration: Option<String>,
    on_event: Channel<OptionsTick>,
) -> Result<OptionsChain, IpcError> {
    // Claimed before the fetch: a slower fetch for an older request must not
    // start its follow after this one.
    let generation = state.engine().await?.options().claim_follow();
    let chain = options_chain(state.clone(), symbol, expiration).await?;
    let engine = state.engine().await?;
    engine
        .options()
        .follow(generation, chain.clone(), move |t| on_event.send(t).is_ok())?;
    Ok(chain)
}

/// Stops following the chain live.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn options_unfollow(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.engine().await?.options().unfollow();
    Ok(())
}

/// ATM implied volatility of the first expirations.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), symbol = %symbol), err(Debug))]
pub async fn options_term_structure(
    state: State<'_, AppState>,
    symbol: String,
) -> Result<Vec<TermPoint>, IpcError> {
    Ok(state
        .engine()
        .await?
        .options()
        .term_structure(&symbol, 10)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn positions_list(state: State<'_, AppState>) -> Result<Vec<SavedPosition>, IpcError> {
    Ok(state.engine().await?.positions().list().await?)
}

/// Saves a position (validated by leg); returns its id.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn position_save(
    state: State<'_, AppState>,
    position: PositionInput,
) -> Result<i64, IpcError> {
    Ok(state.engine().await?.positions().save(position).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn position_delete(state: State<'_, AppState>, id: i64) -> Result<(), IpcError> {
    Ok(state.engine().await?.positions().delete(id).await?)
}

/// A saved position against the market, with what-ifs.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn position_analyze(
    state: State<'_, AppState>,
    id: i64,
    what_if: WhatIf,
) -> Result<PositionAnalysis, IpcError> {
    Ok(state
        .engine()
        .await?
        .positions()
        .analyze(id, &what_if)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn portfolio_greeks(state: State<'_, AppState>) -> Result<PortfolioGreeks, IpcError> {
    Ok(state.engine().await?.positions().portfolio_greeks().await?)
}

/// Imports a broker file's text; progress arrives through `on_event`. With
/// errors and no `skip_bad_rows`, nothing is written (`stopped`).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), file = %file_name), err(Debug))]
pub async fn journal_import(
    state: State<'_, AppState>,
    text: String,
    file_name: String,
    request: ImportRequest,
    on_event: Channel<ImportProgress>,
) -> Result<ImportSummary, IpcError> {
    let engine = state.engine().await?;
    Ok(engine
        .journal()
        .import_with_progress(&text, &file_name, &request, move |p| {
            let _ = on_event.send(p);
        })
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn journal_trades(
    state: State<'_, AppState>,
    filter: TradeFilter,
) -> Result<Vec<TradeView>, IpcError> {
    Ok(state.engine().await?.journal().trades(&filter).await?)
}

/// The figures, equity curve, calendar, hour × weekday and patterns of the trades in `filter`.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn journal_dashboard(
    state: State<'_, AppState>,
    filter: TradeFilter,
) -> Result<Dashboard, IpcError> {
    Ok(state.engine().await?.journal().dashboard(&filter).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn journal_set_notes(
    state: State<'_, AppState>,
    id: i64,
    notes: TradeNotes,
) -> Result<TradeView, IpcError> {
    Ok(state.engine().await?.journal().set_notes(id, notes).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn journal_add(
    state: State<'_, AppState>,
    trade: ManualTrade,
) -> Result<TradeView, IpcError> {
    let engine = state.engine().await?;
    let id = engine.journal().add_manual(&trade).await?;
    Ok(engine.journal().trade(id).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn journal_edit(
    state: State<'_, AppState>,
    id: i64,
    trade: ManualTrade,
) -> Result<TradeView, IpcError> {
    Ok(state
        .engine()
        .await?
        .journal()
        .edit_manual(id, &trade)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), id), err(Debug))]
pub async fn journal_delete(state: State<'_, AppState>, id: i64) -> Result<Vec<i64>, IpcError> {
    Ok(state.engine().await?.journal().delete(id).await?)
}

/// The P&L tracker now, then again through `on_event` as the open trades'
/// underlyings move (the newest follow replaces any earlier one).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn pnl_tracker_follow(
    state: State<'_, AppState>,
    on_event: Channel<PnlTrackerView>,
) -> Result<PnlTrackerView, IpcError> {
    let engine = state.engine().await?;
    Ok(engine
        .pnl_tracker()
        .follow(move |v| on_event.send(v).is_ok())
        .await?)
}

/// Stops the P&L tracker's follow `follow_id` (a newer follow is left alone).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn pnl_tracker_unfollow(
    state: State<'_, AppState>,
    follow_id: u64,
) -> Result<(), IpcError> {
    state
        .engine()
        .await?
        .pnl_tracker()
        .unfollow(Some(follow_id));
    Ok(())
}

/// Every alert, newest first, with live distances.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_list(state: State<'_, AppState>) -> Result<Vec<AlertView>, IpcError> {
    Ok(state.engine().await?.alerts().list().await?)
}

/// Saves a new alert (the user's click: the panel, a chart level, or a
/// confirmed coach proposal). A bad field is named in the error.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_create(
    state: State<'_, AppState>,
    alert: AlertInput,
) -> Result<AlertView, IpcError> {
    Ok(state.engine().await?.alerts().create(alert).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_update(
    state: State<'_, AppState>,
    id: i64,
    alert: AlertInput,
) -> Result<AlertView, IpcError> {
    Ok(state.engine().await?.alerts().update(id, alert).await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_pause(
    state: State<'_, AppState>,
    id: i64,
    paused: bool,
) -> Result<AlertView, IpcError> {
    Ok(state
        .engine()
        .await?
        .alerts()
        .set_paused(id, paused)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_delete(state: State<'_, AppState>, id: i64) -> Result<(), IpcError> {
    Ok(state.engine().await?.alerts().delete(id).await?)
}

/// The newest firings, with their deliveries.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_history(
    state: State<'_, AppState>,
    limit: u32,
) -> Result<Vec<AlertEvent>, IpcError> {
    Ok(state.engine().await?.alerts().history(limit).await?)
}

/// Every delivery attempt of one firing.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_attempts(
    state: State<'_, AppState>,
    event_id: i64,
) -> Result<Vec<DeliveryAttempt>, IpcError> {
    Ok(state.engine().await?.alerts().attempts(event_id).await?)
}

/// The alerts now; then firings (toasts) and list changes through `on_event`.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_watch(
    state: State<'_, AppState>,
    on_event: Channel<AlertFeed>,
) -> Result<Vec<AlertView>, IpcError> {
    Ok(state
        .engine()
        .await?
        .alerts()
        .watch(move |f| on_event.send(f).is_ok())
        .await?)
}

/// Whether fired alerts show as OS notifications; with `request`, asks the
/// OS for permission when it has not been asked yet.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn alerts_notifications(
    state: State<'_, AppState>,
    app: AppHandle,
    request: bool,
) -> Result<NotificationPermission, IpcError> {
    let enabled = state.engine().await?.settings().alert_os_notifications;
    Ok(crate::forward::notification_permission(&app, enabled, request).await)
}

/// Stores an image the user attached (base64, or a `data:` URL): a PNG, JPEG
/// or WebP of at most 10 MB, by its bytes. The same image twice is stored once.
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), bytes = data.len()), err(Debug))]
pub async fn screenshot_put(
    state: State<'_, AppState>,
    data: String,
) -> Result<StoredImage, IpcError> {
    Ok(state
        .engine()
        .await?
        .screenshots()
        .put_base64(&data)
        .await?)
}

/// A stored image as a `data:` URL (thumbnails of earlier messages).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id()), err(Debug))]
pub async fn screenshot_image(
    state: State<'_, AppState>,
    sha256: String,
) -> Result<String, IpcError> {
    Ok(state
        .engine()
        .await?
        .screenshots()
        .data_url(&sha256)
        .await?)
}

/// Saves the positions of a screenshot's extraction card as the user
/// confirmed them (the user's click; the model cannot call this).
#[tauri::command]
#[tracing::instrument(skip_all, fields(request_id = next_request_id(), message_id), err(Debug))]
pub async fn screenshot_confirm(
    state: State<'_, AppState>,
    message_id: i64,
    tool_call_id: String,
    rows: Vec<ConfirmedRow>,
) -> Result<ScreenshotConfirmed, IpcError> {
    Ok(state
        .engine()
        .await?
        .coach()
        .screenshot_confirm(message_id, tool_call_id, rows)
        .await?)
}
