//! Types that cross the boundary to the UI, and the generator of their
//! TypeScript declarations (`ui/src/generated/bindings.ts`).
//!
//! The generated file is committed; the test `bindings_are_current` fails
//! when it drifts. Regenerate with `UPDATE_BINDINGS=1 cargo test -p coach-engine bindings`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::{MarketMode, Settings, SettingsIssue};
use crate::error_code::{Coded, ErrorCode};
use crate::market::ConnectionStatus;
use crate::secrets::{SecretBackendKind, SecretInfo, SecretName};

/// An error as the UI receives it: a small stable `code` to branch on and a
/// message to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> IpcError {
        IpcError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Every engine error crosses with its code and its message.
impl<E: Coded> From<E> for IpcError {
    fn from(e: E) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// Everything the status bar shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub version: String,
    pub market_mode: MarketMode,
    /// "Demo market", "Massive real-time" or "Massive delayed".
    pub market_label: String,
    pub connection: ConnectionStatus,
    /// True when the chat runs without a language model.
    pub ai_offline: bool,
    /// "Offline coach" or the model name.
    pub ai_label: String,
    /// Why the coach is offline, when it is.
    pub ai_detail: Option<String>,
    pub data_dir: String,
    pub schema_version: u32,
    pub secret_backend_warning: Option<String>,
    pub settings_issues: Vec<SettingsIssue>,
    /// The demo market's clock when it is not real time (nights, weekends and
    /// holidays replay the last session); `None` for real time.
    pub simulated_clock: Option<SimulatedClock>,
}

/// Whether fired alerts can show as OS notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NotificationState {
    Granted,
    Denied,
    /// Not asked yet.
    Prompt,
    /// Turned off in the settings.
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NotificationPermission {
    pub state: NotificationState,
    /// What to tell the trader: "OS notifications are on", or how to allow them.
    pub message: String,
}

/// Where a simulated market is in time: `now_ms` at the moment of the answer,
/// moving at `speed` simulated seconds per real second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SimulatedClock {
    #[ts(type = "number")]
    pub now_ms: i64,
    pub speed: f64,
    /// The session being played, YYYY-MM-DD.
    pub session_date: String,
}

/// What the app is doing at start: running, or waiting for the user to decide
/// about a database it cannot use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Startup {
    Ready {
        status: Box<AppStatus>,
    },
    DatabaseProblem {
        path: String,
        message: String,
        /// Corrupt files can be moved aside; a database from a newer app cannot be fixed here.
        can_move_aside: bool,
    },
    Failed {
        message: String,
    },
}

/// The settings screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SettingsView {
    pub settings: Settings,
    pub issues: Vec<SettingsIssue>,
    pub secrets: Vec<SecretInfo>,
    pub secret_backend: SecretBackendKind,
    pub secret_backend_warning: Option<String>,
}

/// A JavaScript error from the webview, forwarded to the log and Sentry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UiErrorReport {
    /// "error" (window.onerror) or "unhandledrejection".
    pub kind: String,
    pub message: String,
    pub source: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub stack: Option<String>,
}

/// A measurement from the UI (e.g. time to first visible chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MetricInput {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// A stream the UI hands a command (Tauri's `Channel<T>` in the shell; a
/// `Channel` of `@tauri-apps/api` in the UI), carrying `T`s.
pub struct Channel<T>(std::marker::PhantomData<T>);

impl<T: TS> TS for Channel<T> {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(cfg: &ts_rs::Config) -> String {
        format!("Channel<{}>", T::name(cfg))
    }

    fn inline(cfg: &ts_rs::Config) -> String {
        Self::name(cfg)
    }
}

/// The command table: every command the app registers, its arguments and
/// what it answers, written once. From it come [`COMMANDS`] and the UI's
/// `Command`, `CommandArgs` and `CommandResult` types, so `invoke` takes
/// only these names with exactly these arguments; `scripts/check-commands.mjs`
/// fails when the shell's `generate_handler!` list or the signatures of its
/// `#[tauri::command]` functions differ from this table (argument names,
/// their types and the answer's type, in order).
macro_rules! command_table {
    ($( $name:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        /// Every command the app registers, in the table's order.
        pub const COMMANDS: &[&str] = &[$( stringify!($name) ),*];

        /// `CommandArgs` and `CommandResult` in TypeScript (arguments
        /// camelCased as Tauri reads them).
        fn command_types(cfg: &ts_rs::Config) -> String {
            let mut args = String::from(
                "/** Each command's arguments, as `invoke` sends them. */\nexport type CommandArgs = {\n",
            );
            let mut rets = String::from(
                "/** What each command answers. */\nexport type CommandResult = {\n",
            );
            $(
                let fields: Vec<String> = vec![$( format!(
                    "{}: {}",
                    camel_case(stringify!($arg)),
                    <$ty as TS>::name(cfg)
                ) ),*];
                let fields = if fields.is_empty() {
                    "{}".to_string()
                } else {
                    format!("{{ {} }}", fields.join("; "))
                };
                args.push_str(&format!("  {}: {};\n", stringify!($name), fields));
                rets.push_str(&format!(
                    "  {}: {};\n",
                    stringify!($name),
                    <$ret as TS>::name(cfg)
                ));
            )*
            args.push_str("};\n\n");
            rets.push_str("};\n");
            args + &rets
        }
    };
}

command_table! {
    startup_state() -> Startup;
    get_status() -> AppStatus;
    doctor() -> crate::doctor::DoctorReport;
    get_settings() -> SettingsView;
    save_settings(patch: serde_json::Map<String, serde_json::Value>) -> SettingsView;
    set_secret(name: SecretName, value: String) -> SettingsView;
    clear_secret(name: SecretName) -> SettingsView;
    move_database_aside() -> Startup;
    report_ui_error(report: UiErrorReport) -> ();
    record_metric(metric: MetricInput) -> ();
    record_metrics(metrics: Vec<MetricInput>) -> ();
    recent_metrics(name: String, limit: u32) -> Vec<crate::store::Metric>;
    chart_open(slot: String, request: crate::chart_stream::ChartOpen, on_event: Channel<crate::chart_stream::ChartEvent>) -> crate::chart_stream::ChartView;
    chart_close(slot: String) -> bool;
    chart_bars(query: crate::market::history::ChartQuery) -> crate::market::history::ChartData;
    chat_send(request: crate::chat::ChatRequest, on_event: Channel<crate::chat::ChatEvent>) -> crate::chat::ChatEvent;
    chat_continue(message_id: i64, on_event: Channel<crate::chat::ChatEvent>) -> crate::chat::ChatEvent;
    chat_cancel(session_id: i64) -> bool;
    chat_sessions(limit: u32) -> Vec<crate::chat::SessionSummary>;
    chat_session(id: i64) -> crate::chat::SessionDetail;
    chat_rename(id: i64, title: String) -> ();
    chat_delete(id: i64) -> ();
    chat_search(text: String, limit: u32) -> Vec<crate::chat::SearchHit>;
    options_chain(symbol: String, expiration: Option<String>) -> crate::options_chain::OptionsChain;
    options_follow(symbol: String, expiration: Option<String>, on_event: Channel<crate::options_chain::OptionsTick>) -> crate::options_chain::OptionsChain;
    options_unfollow() -> ();
    options_term_structure(symbol: String) -> Vec<crate::options_chain::TermPoint>;
    positions_list() -> Vec<crate::positions::SavedPosition>;
    position_save(position: crate::positions::PositionInput) -> i64;
    position_delete(id: i64) -> ();
    position_analyze(id: i64, what_if: crate::positions::WhatIf) -> crate::positions::PositionAnalysis;
    portfolio_greeks() -> crate::positions::PortfolioGreeks;
    journal_import(text: String, file_name: String, request: crate::journal::ImportRequest, on_event: Channel<crate::journal::ImportProgress>) -> crate::journal::ImportSummary;
    journal_trades(filter: crate::journal::TradeFilter) -> Vec<crate::journal::TradeView>;
    journal_dashboard(filter: crate::journal::TradeFilter) -> crate::journal::Dashboard;
    journal_set_notes(id: i64, notes: crate::journal::TradeNotes) -> crate::journal::TradeView;
    journal_add(trade: crate::journal::ManualTrade) -> crate::journal::TradeView;
    journal_edit(id: i64, trade: crate::journal::ManualTrade) -> crate::journal::TradeView;
    journal_delete(id: i64) -> Vec<i64>;
    pnl_tracker_follow(on_event: Channel<crate::pnl_tracker::PnlTrackerView>) -> crate::pnl_tracker::PnlTrackerView;
    pnl_tracker_unfollow(follow_id: u64) -> ();
    alerts_list() -> Vec<crate::alerts::AlertView>;
    alerts_create(alert: crate::alerts::AlertInput) -> crate::alerts::AlertView;
    alerts_update(id: i64, alert: crate::alerts::AlertInput) -> crate::alerts::AlertView;
    alerts_pause(id: i64, paused: bool) -> crate::alerts::AlertView;
    alerts_delete(id: i64) -> ();
    alerts_history(limit: u32) -> Vec<crate::alerts::AlertEvent>;
    alerts_attempts(event_id: i64) -> Vec<crate::alerts::DeliveryAttempt>;
    alerts_watch(on_event: Channel<crate::alerts::AlertFeed>) -> Vec<crate::alerts::AlertView>;
    alerts_notifications(request: bool) -> NotificationPermission;
    screenshot_put(data: String) -> crate::screenshots::StoredImage;
    screenshot_image(sha256: String) -> String;
    screenshot_confirm(message_id: i64, tool_call_id: String, rows: Vec<crate::chat::cards::ConfirmedRow>) -> crate::chat::ScreenshotConfirmed;
}

/// `what_if` → `whatIf`, as Tauri names command arguments on the JS side.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The TypeScript declarations of every IPC type, as committed in
/// `ui/src/generated/bindings.ts`.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::new();
    let decls = [
        IpcError::decl(&cfg),
        serde_json::Value::decl(&cfg),
        ErrorCode::decl(&cfg),
        AppStatus::decl(&cfg),
        SimulatedClock::decl(&cfg),
        Startup::decl(&cfg),
        SecretInfo::decl(&cfg),
        SettingsView::decl(&cfg),
        UiErrorReport::decl(&cfg),
        MetricInput::decl(&cfg),
        crate::store::Metric::decl(&cfg),
        ConnectionStatus::decl(&cfg),
        crate::market::ConnectionState::decl(&cfg),
        MarketMode::decl(&cfg),
        Settings::decl(&cfg),
        SettingsIssue::decl(&cfg),
        crate::config::ProviderChoice::decl(&cfg),
        crate::config::MassiveFeed::decl(&cfg),
        crate::config::AiChoice::decl(&cfg),
        SecretName::decl(&cfg),
        SecretBackendKind::decl(&cfg),
        crate::doctor::DoctorReport::decl(&cfg),
        crate::doctor::DatabaseReport::decl(&cfg),
        crate::doctor::EndpointReport::decl(&cfg),
        crate::market::history::ChartQuery::decl(&cfg),
        crate::market::history::ChartData::decl(&cfg),
        coach_core::candles::Candle::decl(&cfg),
        crate::market::history::ChartSource::decl(&cfg),
        crate::chart_stream::ChartOpen::decl(&cfg),
        crate::chart_stream::ChartView::decl(&cfg),
        crate::chart_stream::ChartEvent::decl(&cfg),
        coach_core::Symbol::decl(&cfg),
        coach_core::Timeframe::decl(&cfg),
        coach_core::strategy::LegKind::decl(&cfg),
        coach_core::levels::LevelsReport::decl(&cfg),
        coach_core::levels::Level::decl(&cfg),
        coach_core::levels::LevelTests::decl(&cfg),
        coach_core::levels::LevelKind::decl(&cfg),
        crate::chat::ChatRequest::decl(&cfg),
        crate::chat::ChatEvent::decl(&cfg),
        crate::chat::Phase::decl(&cfg),
        crate::chat::MessageStatus::decl(&cfg),
        crate::chat::Card::decl(&cfg),
        crate::chat::cards::CardBody::decl(&cfg),
        crate::chat::cards::UnreadableCard::decl(&cfg),
        crate::chat::cards::QuoteCard::decl(&cfg),
        crate::chat::cards::KeyLevelsCard::decl(&cfg),
        crate::chat::cards::LevelLine::decl(&cfg),
        crate::chat::cards::IndicatorsCard::decl(&cfg),
        crate::chat::cards::IndicatorValues::decl(&cfg),
        crate::chat::cards::ChartCard::decl(&cfg),
        crate::chat::cards::SessionPhase::decl(&cfg),
        crate::chat::cards::MarketStatusCard::decl(&cfg),
        crate::chat::cards::OptionsChainCard::decl(&cfg),
        crate::chat::cards::ExpectedMoveLine::decl(&cfg),
        crate::chat::cards::StrikeLine::decl(&cfg),
        crate::chat::cards::QuoteLine::decl(&cfg),
        crate::chat::cards::PositionCard::decl(&cfg),
        crate::chat::cards::Unbounded::decl(&cfg),
        crate::chat::cards::Money::decl(&cfg),
        crate::chat::cards::Extreme::decl(&cfg),
        crate::chat::cards::MarketPositionCard::decl(&cfg),
        crate::chat::cards::GreeksLine::decl(&cfg),
        crate::chat::cards::PayoffCard::decl(&cfg),
        crate::chat::cards::JournalCard::decl(&cfg),
        crate::chat::cards::AlertProposalCard::decl(&cfg),
        crate::chat::cards::AlertStatusCard::decl(&cfg),
        crate::chat::cards::GroupLine::decl(&cfg),
        crate::chat::cards::TradeLine::decl(&cfg),
        crate::chat::Usage::decl(&cfg),
        crate::chat::Unverified::decl(&cfg),
        crate::chat::ToolRecord::decl(&cfg),
        crate::chat::Role::decl(&cfg),
        crate::chat::ChatMessage::decl(&cfg),
        crate::chat::SessionSummary::decl(&cfg),
        crate::chat::SessionDetail::decl(&cfg),
        crate::chat::SnippetPart::decl(&cfg),
        crate::chat::SearchHit::decl(&cfg),
        crate::options_chain::OptionsChain::decl(&cfg),
        crate::options_chain::OptionsTick::decl(&cfg),
        crate::options_chain::ChainRow::decl(&cfg),
        crate::options_chain::OptionQuote::decl(&cfg),
        crate::options_chain::ExpectedMove::decl(&cfg),
        crate::options_chain::TermPoint::decl(&cfg),
        crate::positions::PositionLeg::decl(&cfg),
        crate::positions::PositionInput::decl(&cfg),
        crate::positions::SavedPosition::decl(&cfg),
        crate::positions::WhatIf::decl(&cfg),
        crate::positions::CurvePoint::decl(&cfg),
        crate::positions::GreeksView::decl(&cfg),
        crate::positions::PositionAnalysis::decl(&cfg),
        crate::positions::PortfolioGreeks::decl(&cfg),
        crate::positions::SymbolExposure::decl(&cfg),
        crate::journal::ImportRequest::decl(&cfg),
        crate::journal::ImportProgress::decl(&cfg),
        crate::journal::ImportSummary::decl(&cfg),
        coach_core::journal::SkippedRow::decl(&cfg),
        coach_core::journal::RowError::decl(&cfg),
        crate::journal::TradeOption::decl(&cfg),
        crate::journal::TradeFill::decl(&cfg),
        crate::journal::TradeView::decl(&cfg),
        crate::journal::TradeFilter::decl(&cfg),
        crate::journal::StatsView::decl(&cfg),
        crate::journal::DayPnl::decl(&cfg),
        crate::journal::Dashboard::decl(&cfg),
        crate::pnl_tracker::PnlTrackerView::decl(&cfg),
        crate::pnl_tracker::OpenLine::decl(&cfg),
        crate::journal::ManualTrade::decl(&cfg),
        crate::journal::TradeNotes::decl(&cfg),
        coach_core::journal::Broker::decl(&cfg),
        coach_core::journal::OptionKind::decl(&cfg),
        coach_core::journal::Side::decl(&cfg),
        coach_core::journal::ExecKind::decl(&cfg),
        coach_core::journal::trades::Direction::decl(&cfg),
        coach_core::journal::trades::TradeStatus::decl(&cfg),
        coach_core::journal::stats::Stats::decl(&cfg),
        coach_core::journal::stats::EquityPoint::decl(&cfg),
        coach_core::journal::stats::HourCell::decl(&cfg),
        coach_core::journal::stats::Pattern::decl(&cfg),
        crate::alerts::AlertInput::decl(&cfg),
        crate::alerts::AlertView::decl(&cfg),
        crate::alerts::AlertStateName::decl(&cfg),
        crate::alerts::AlertEvent::decl(&cfg),
        crate::alerts::AlertContext::decl(&cfg),
        crate::alerts::NextLevel::decl(&cfg),
        crate::alerts::DeliveryChannel::decl(&cfg),
        crate::alerts::DeliveryStatus::decl(&cfg),
        crate::alerts::DeliveryView::decl(&cfg),
        crate::alerts::DeliveryAttempt::decl(&cfg),
        crate::alerts::AlertFeed::decl(&cfg),
        coach_core::alerts::Condition::decl(&cfg),
        coach_core::alerts::Trigger::decl(&cfg),
        coach_core::alerts::Rearm::decl(&cfg),
        crate::config::EmailTarget::decl(&cfg),
        crate::config::SmtpSecurity::decl(&cfg),
        NotificationState::decl(&cfg),
        NotificationPermission::decl(&cfg),
        crate::screenshots::StoredImage::decl(&cfg),
        crate::screenshots::ImageKind::decl(&cfg),
        crate::chat::cards::ScreenshotExtractionCard::decl(&cfg),
        crate::chat::cards::ScreenshotSavedCard::decl(&cfg),
        crate::chat::cards::ScreenshotConfirmation::decl(&cfg),
        crate::chat::cards::ConfirmedRow::decl(&cfg),
        crate::chat::ScreenshotConfirmed::decl(&cfg),
        coach_core::screenshot::ExtractedPosition::decl(&cfg),
        coach_core::screenshot::FieldConfidence::decl(&cfg),
        coach_core::screenshot::PositionKind::decl(&cfg),
        coach_core::screenshot::Check::decl(&cfg),
        coach_core::screenshot::Totals::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types in crates/coach-engine by `UPDATE_BINDINGS=1 cargo test -p coach-engine bindings`.\n// Do not edit by hand: CI fails when this file and the Rust types disagree.\n\nimport type { Channel } from \"@tauri-apps/api/core\";\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.push_str("/** Every command the app registers; `invoke` takes no other name. */\nexport type Command = ");
    out.push_str(
        &COMMANDS
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(";\n\n");
    out.push_str(&command_types(
        &ts_rs::Config::new().with_large_int("number"),
    ));
    out.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_are_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../ui/src/generated/bindings.ts");
        let fresh = typescript_bindings();
        if std::env::var("UPDATE_BINDINGS").is_ok() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/generated/bindings.ts is out of date with the Rust types: run `UPDATE_BINDINGS=1 cargo test -p coach-engine bindings` and commit the result"
        );
    }

    #[test]
    fn millisecond_timestamps_are_plain_numbers_in_typescript() {
        let b = typescript_bindings();
        assert!(
            b.contains("since_ms: number"),
            "no silent bigint for i64 times"
        );
        assert!(
            !b.contains("bigint"),
            "no field may surface as bigint:\n{b}"
        );
    }
}
