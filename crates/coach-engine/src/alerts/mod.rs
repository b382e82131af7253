//! The alerts component: rules the trader set (in the Alerts panel, from a
//! chart level, or by confirming a coach's proposal), the worker that
//! evaluates them on the shared market socket, their history, and delivery.
//!
//! - A firing is written to SQLite with the alert's new state in one
//!   transaction before anything is delivered: a crash in between delivers it
//!   on the next start, and the persisted state keeps it from firing twice.
//! - Deliveries: in the app (a toast and the history, always), the OS
//!   notification (by the shell), a webhook and an email, each attempt logged,
//!   failures retried with backoff and shown as failed after the last.
//! - On start the worker replays the minute bars since it last ran and reports
//!   what would have fired then, marked "missed while closed".

pub mod book;
pub mod deliver;
mod outbox;
mod store;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use coach_core::alerts::{AlertRule, AlertState, AlertStatus, Condition, Rearm, Trigger};
use coach_core::levels::{LevelKind, LevelTests};
use coach_core::{Symbol, Timeframe};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch, Notify};
use ts_rs::TS;

use crate::clock::Clock;
use crate::config::EmailTarget;
use crate::error_code::{Coded, ErrorCode};
use crate::levels::Levels;
use crate::market::Market;
use crate::secrets::Secret;
use crate::store::{AlertTables, StoreError};

pub use store::Due;

/// An alert as the user (or a confirmed proposal) asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertInput {
    pub symbol: String,
    pub condition: Condition,
    /// The line; a channel's low; the percentage of a move.
    pub price: Option<f64>,
    /// A channel's high.
    pub price2: Option<f64>,
    /// A level that moves with the market instead of a fixed price.
    pub level: Option<LevelKind>,
    /// Which level of that kind (its label on the level sheet, e.g. "PDH");
    /// without one, the level of that kind nearest the price when it is set.
    pub level_label: Option<String>,
    pub trigger: Trigger,
    pub timeframe: Timeframe,
    /// With `every`: seconds between firings at least.
    pub cooldown_secs: u32,
    /// `None`: a quarter of ATR(14) of the timeframe.
    pub rearm: Option<Rearm>,
    /// RFC 3339; `None` is open-ended.
    pub expires_at: Option<String>,
    pub note: String,
    /// Where it came from when not typed in: `proposal:<tool call id>` for a
    /// coach's proposal the user confirmed.
    pub origin: Option<String>,
}

/// Where an alert stands, as the list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AlertStateName {
    Armed,
    Fired,
    Rearming,
    Expired,
    Paused,
}

/// An alert as it is listed: the rule, its state and, while the worker runs,
/// where the market is relative to its trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertView {
    #[ts(type = "number")]
    pub id: i64,
    pub symbol: String,
    pub condition: Condition,
    pub price: Option<f64>,
    pub price2: Option<f64>,
    pub level: Option<LevelKind>,
    pub level_label: Option<String>,
    pub trigger: Trigger,
    pub timeframe: Timeframe,
    pub cooldown_secs: u32,
    pub rearm: Option<Rearm>,
    pub note: String,
    pub origin: Option<String>,
    pub state: AlertStateName,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub expires_at: Option<String>,
    pub fires: u32,
    pub last_fired_at: Option<String>,
    /// The last price the worker saw for the symbol.
    pub last_price: Option<f64>,
    /// The trigger line now (a level's current price; the nearer edge of a channel).
    pub line: Option<f64>,
    /// Signed points from the last price to the line (positive: the line is above).
    pub distance: Option<f64>,
    pub distance_pct: Option<f64>,
    /// In words: "0.42 below the line (0.08 %)", "re-arms at 511.90".
    pub status_text: String,
}

/// The next level beyond the price a firing happened at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NextLevel {
    pub label: String,
    pub price: f64,
    /// Signed points from the firing price.
    pub distance: f64,
}

/// What helps a trader judge a firing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertContext {
    /// "crossed above 512.40 at 512.43".
    pub reason: String,
    pub level_label: Option<String>,
    /// How the level was computed.
    pub provenance: Option<String>,
    /// The next level in the direction price went.
    pub next_level: Option<NextLevel>,
    /// Today's tests of the level.
    pub tests_today: Option<LevelTests>,
    /// The bar's volume against the average of the 20 minutes before it.
    pub relative_volume: Option<f64>,
    /// Seen on a minute bar (backfilled after a drop, or replayed on start),
    /// so the time is the minute's, not a trade's.
    pub from_bar: bool,
}

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryChannel {
    InApp,
    Os,
    Webhook,
    Email,
}

impl DeliveryChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryChannel::InApp => "in_app",
            DeliveryChannel::Os => "os",
            DeliveryChannel::Webhook => "webhook",
            DeliveryChannel::Email => "email",
        }
    }

    fn parse(s: &str) -> Option<DeliveryChannel> {
        [
            DeliveryChannel::InApp,
            DeliveryChannel::Os,
            DeliveryChannel::Webhook,
            DeliveryChannel::Email,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeliveryView {
    pub channel: DeliveryChannel,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// The last attempt's result ("HTTP 204 from hooks.example", "451 try later").
    pub detail: String,
}

/// One firing, as the history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertEvent {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub alert_id: i64,
    pub symbol: String,
    pub condition: Condition,
    /// The line at that moment (none for a move).
    pub trigger_price: Option<f64>,
    /// The tick that crossed.
    pub price: f64,
    /// That tick's time, RFC 3339 UTC.
    pub at: String,
    #[ts(type = "number")]
    pub at_ms: i64,
    pub message: String,
    pub context: AlertContext,
    /// Found on start: it would have fired while the app was closed.
    pub missed: bool,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery attempt, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeliveryAttempt {
    #[ts(type = "number")]
    pub event_id: i64,
    pub channel: DeliveryChannel,
    pub attempt: u32,
    pub at: String,
    pub ok: bool,
    pub detail: String,
}

/// What the alerts panel and the coach's status card follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
// A message, sent a few times a minute at most: not worth a box.
#[allow(clippy::large_enum_variant)]
pub enum AlertFeed {
    /// Every alert, with live distances (on a change, at most once a second).
    Alerts { alerts: Vec<AlertView> },
    /// A firing to show as a toast (also sent again after a restart when the
    /// app had not shown it).
    Fired { event: AlertEvent },
    /// A delivery finished or failed: the history changed.
    History,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0}")]
    Invalid(#[from] coach_core::alerts::RuleError),
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("there is no alert {0}")]
    NotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the market could not be read for {symbol}: {detail}")]
    Market { symbol: String, detail: String },
}

impl Coded for AlertError {
    fn code(&self) -> ErrorCode {
        match self {
            AlertError::Invalid(_) | AlertError::Field { .. } => ErrorCode::InvalidInput,
            AlertError::NotFound(_) => ErrorCode::NotFound,
            AlertError::Store(_) => ErrorCode::Database,
            AlertError::Market { .. } => ErrorCode::Unavailable,
        }
    }
}

impl AlertError {
    /// The field the error is about, for the form to mark.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AlertError::Invalid(e) => Some(e.field),
            AlertError::Field { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Where deliveries go besides the app.
#[derive(Debug, Clone, Default)]
pub struct DeliveryConfig {
    pub os_notifications: bool,
    pub webhook_url: Option<String>,
    pub email: Option<EmailTarget>,
    pub email_password: Option<Secret>,
    /// The first retry's delay (then ×4 each time).
    pub retry_base: std::time::Duration,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub id: i64,
    pub symbol: Symbol,
    pub rule: AlertRule,
    pub level_label: Option<String>,
    pub note: String,
    pub origin: Option<String>,
    pub paused: bool,
    pub state: AlertState,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Stored {
    /// Waiting for the market: not paused, not done.
    fn active(&self) -> bool {
        !self.paused
            && matches!(
                self.state.status(),
                AlertStatus::Armed | AlertStatus::Rearming
            )
    }
}

/// What the worker knows of an alert now.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Live {
    pub last_price: Option<f64>,
    pub line: Option<f64>,
    /// The price at which a disarmed alert re-arms.
    pub rearm_at: Option<f64>,
}

/// Messages to the running worker.
enum Cmd {
    /// The alerts changed: load them again.
    Reload,
    /// Save the states and how far it watched, give the lease up, stop.
    Stop(tokio::sync::oneshot::Sender<()>),
}

/// How long a worker's right to watch lasts without renewal.
const LEASE_MS: i64 = 45_000;

/// The shared parts the worker, the deliverer and the component's methods use.
struct Shared {
    db: AlertTables,
    market: Arc<Market>,
    levels: Levels,
    clock: Arc<dyn Clock>,
    delivery: DeliveryConfig,
    feed: broadcast::Sender<AlertFeed>,
    /// Per alert id, while the worker runs.
    live: watch::Sender<Arc<HashMap<i64, Live>>>,
    /// Wakes the deliverer.
    outbox: Notify,
    /// This process's name on the lease (one worker per data directory).
    owner: String,
    /// Set when this component's worker stops: it may not take the lease again.
    stopped: std::sync::atomic::AtomicBool,
}

/// The alerts component.
pub struct Alerts {
    shared: Arc<Shared>,
    worker: Mutex<Option<Running>>,
    /// The app's one follow of the feed (`watch`); a new one replaces it.
    watcher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

struct Running {
    cmds: mpsc::UnboundedSender<Cmd>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.shared
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // A worker that goes without `stop` gives its lease up too (one short
        // write), so the next engine need not wait for it to run out.
        if let Err(e) = self.shared.db.release_lease(&self.shared.owner) {
            tracing::warn!(error = %e, "the alerts lease could not be given up");
        }
    }
}

/// How the worker runs.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Ask the shell for OS notifications (the app; not `coach alerts run`).
    pub os_notifications: bool,
}

fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A price to the cent, as messages write it.
fn f2(x: f64) -> String {
    format!("{x:.2}")
}

impl Alerts {
    pub fn new(
        db: AlertTables,
        market: Arc<Market>,
        levels: Levels,
        delivery: DeliveryConfig,
    ) -> Alerts {
        let (feed, _) = broadcast::channel(256);
        let clock = market.clock().clone();
        Alerts {
            shared: Arc::new(Shared {
                db,
                market,
                levels,
                clock,
                delivery,
                feed,
                live: watch::channel(Arc::new(HashMap::new())).0,
                outbox: Notify::new(),
                owner: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
                stopped: std::sync::atomic::AtomicBool::new(false),
            }),
            worker: Mutex::new(None),
            watcher: Mutex::new(None),
        }
    }

    /// Starts the worker (once; later calls do nothing) and the deliverer:
    /// the missed-while-closed replay, then every trade and minute bar of the
    /// alerts' symbols from the shared socket.
    pub fn run(&self, opts: RunOptions) {
        let mut worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
        if worker.is_some() {
            return;
        }
        self.shared
            .stopped
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let (tx, rx) = mpsc::unbounded_channel();
        let tasks = vec![
            tokio::spawn(worker::run(self.shared.clone(), rx, opts)),
            tokio::spawn(outbox::run(self.shared.clone())),
        ];
        *worker = Some(Running {
            cmds: tx,
            tasks,
            shared: self.shared.clone(),
        });
    }

    /// Takes the right to watch these alerts for this process; false when
    /// another process (the app, another `coach alerts run`) holds it.
    pub async fn claim(&self) -> Result<bool, AlertError> {
        let (shared, now) = (self.shared.clone(), chrono::Utc::now().timestamp_millis());
        Ok(self
            .shared
            .db
            .call(move |db| db.try_lease(&shared.owner, now, LEASE_MS, &shared.stopped))
            .await?)
    }

    /// Stops the worker cleanly: it saves how far it watched (so a restart
    /// does not report watched minutes as missed) and gives up the lease.
    pub async fn stop(&self) {
        let running = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(r) = running {
            let (tx, rx) = tokio::sync::oneshot::channel();
            if r.cmds.send(Cmd::Stop(tx)).is_ok() {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), rx).await;
            }
        }
    }

    /// Whether the worker runs in this process.
    pub fn running(&self) -> bool {
        self.worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Firings, list changes and history changes as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<AlertFeed> {
        self.shared.feed.subscribe()
    }

    /// The worker's live view of each alert (last price, line), once a second.
    pub fn live(&self) -> watch::Receiver<Arc<HashMap<i64, Live>>> {
        self.shared.live.subscribe()
    }

    fn changed(&self) {
        if let Some(w) = self
            .worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = w.cmds.send(Cmd::Reload);
        }
        let _ = self.shared.feed.send(AlertFeed::History);
    }

    /// Checks an input and turns it into a rule.
    async fn rule_of(
        &self,
        input: &AlertInput,
    ) -> Result<(Symbol, AlertRule, Option<String>), AlertError> {
        let symbol = Symbol::parse(&input.symbol).map_err(|e| AlertError::Field {
            field: "symbol",
            message: e.to_string(),
        })?;
        let expires_ms = match input.expires_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => {
                let t = DateTime::parse_from_rfc3339(s).map_err(|e| AlertError::Field {
                    field: "expires",
                    message: format!("{s:?} is not an RFC 3339 time ({e})"),
                })?;
                if t.timestamp_millis() <= self.shared.clock.now().timestamp_millis() {
                    return Err(AlertError::Field {
                        field: "expires",
                        message: format!("{s} has already passed"),
                    });
                }
                Some(t.timestamp_millis())
            }
        };
        let rule = AlertRule {
            condition: input.condition,
            price: input.price,
            price2: input.price2,
            level: input.level,
            trigger: input.trigger,
            timeframe: input.timeframe,
            cooldown_secs: input.cooldown_secs,
            rearm: input.rearm,
            expires_ms,
        };
        rule.validate()?;
        if input.note.chars().count() > 500 {
            return Err(AlertError::Field {
                field: "note",
                message: "keep the note under 500 characters".into(),
            });
        }
        // A level alert names a level that exists now.
        let label = match rule.level {
            None => None,
            Some(kind) => {
                let report = self
                    .shared
                    .levels
                    .levels(symbol.as_str(), None)
                    .await
                    .map_err(|e| AlertError::Market {
                        symbol: symbol.to_string(),
                        detail: e.to_string(),
                    })?;
                let mut of_kind: Vec<_> = report.levels.iter().filter(|l| l.kind == kind).collect();
                if of_kind.is_empty() {
                    return Err(AlertError::Field {
                        field: "level",
                        message: format!("{symbol} has no {} level now", kind.as_str()),
                    });
                }
                match input
                    .level_label
                    .as_deref()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                {
                    Some(label) => {
                        if !of_kind.iter().any(|l| l.label == label) {
                            return Err(AlertError::Field {
                                field: "level",
                                message: format!(
                                    "{symbol} has no level {label:?} of kind {} (there are: {})",
                                    kind.as_str(),
                                    of_kind
                                        .iter()
                                        .map(|l| l.label.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            });
                        }
                        Some(label.to_string())
                    }
                    None => {
                        of_kind.sort_by(|a, b| {
                            (a.price - report.price)
                                .abs()
                                .total_cmp(&(b.price - report.price).abs())
                        });
                        Some(of_kind[0].label.clone())
                    }
                }
            }
        };
        Ok((symbol, rule, label))
    }

    /// Checks an alert without saving it (the coach's proposal): the input
    /// as it would be saved (with the level chosen), a sentence saying what it
    /// does, the last price and the line now.
    pub async fn preview(
        &self,
        mut input: AlertInput,
    ) -> Result<(AlertInput, String, Option<f64>, Option<f64>), AlertError> {
        let (symbol, rule, label) = self.rule_of(&input).await?;
        input.symbol = symbol.to_string();
        input.level_label = label.clone();
        let report = self.shared.levels.levels(symbol.as_str(), None).await.ok();
        let line = match rule.level {
            Some(kind) => report.as_ref().and_then(|r| {
                r.levels
                    .iter()
                    .find(|l| l.kind == kind && Some(&l.label) == label.as_ref())
                    .map(|l| l.price)
            }),
            None => rule.price,
        };
        let summary = summarize(&symbol, &rule, label.as_deref(), line);
        Ok((input, summary, report.map(|r| r.price), line))
    }

    /// Saves a new alert; it is armed at once when the worker runs.
    pub async fn create(&self, input: AlertInput) -> Result<AlertView, AlertError> {
        let (symbol, rule, label) = self.rule_of(&input).await?;
        // Created on the market's clock (it watches ticks from then on); the
        // row's version on the wall clock.
        let now = (
            self.shared.clock.now().timestamp_millis(),
            chrono::Utc::now().timestamp_millis(),
        );
        let (note, origin) = (input.note.trim().to_string(), input.origin.clone());
        let id = self
            .shared
            .db
            .call(move |db| {
                db.insert_alert(
                    &symbol,
                    &rule,
                    label.as_deref(),
                    &note,
                    origin.as_deref(),
                    now,
                )
            })
            .await?;
        tracing::info!(id, "alert created");
        self.changed();
        self.get(id).await
    }

    /// Replaces an alert's rule; its state starts afresh (armed).
    pub async fn update(&self, id: i64, input: AlertInput) -> Result<AlertView, AlertError> {
        let (symbol, rule, label) = self.rule_of(&input).await?;
        let now = chrono::Utc::now().timestamp_millis();
        let note = input.note.trim().to_string();
        let found = self
            .shared
            .db
            .call(move |db| db.update_alert(id, &symbol, &rule, label.as_deref(), &note, now))
            .await?;
        if !found {
            return Err(AlertError::NotFound(id));
        }
        self.changed();
        self.get(id).await
    }

    /// Pauses or resumes. Resuming a fired or expired alert arms it again.
    pub async fn set_paused(&self, id: i64, paused: bool) -> Result<AlertView, AlertError> {
        let now = chrono::Utc::now().timestamp_millis();
        let found = self
            .shared
            .db
            .call(move |db| db.set_paused(id, paused, now))
            .await?;
        if !found {
            return Err(AlertError::NotFound(id));
        }
        self.changed();
        self.get(id).await
    }

    /// Deletes an alert; its history stays.
    pub async fn delete(&self, id: i64) -> Result<(), AlertError> {
        let found = self.shared.db.call(move |db| db.delete_alert(id)).await?;
        if !found {
            return Err(AlertError::NotFound(id));
        }
        self.changed();
        Ok(())
    }

    pub async fn get(&self, id: i64) -> Result<AlertView, AlertError> {
        self.list()
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(AlertError::NotFound(id))
    }

    /// Every alert, newest first, with live distances while the worker runs.
    pub async fn list(&self) -> Result<Vec<AlertView>, AlertError> {
        list(&self.shared).await
    }

    /// Follows alerts for the app: the list now, then `send` gets each
    /// firing (the ones a crash kept from being shown first, then new ones;
    /// each marked shown in the app once sent) and the list again when it
    /// changes (at most once a second). A new watch replaces this one; it
    /// ends when `send` returns false.
    pub async fn watch(
        &self,
        send: impl Fn(AlertFeed) -> bool + Send + Sync + 'static,
    ) -> Result<Vec<AlertView>, AlertError> {
        let mut feed = self.shared.feed.subscribe();
        let mut live = self.shared.live.subscribe();
        let first = list(&self.shared).await?;
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            // Each firing once: one recorded between the subscription and
            // the read of those not yet shown comes both ways.
            let mut sent = std::collections::HashSet::new();
            let mut dirty = false;
            let mut catch_up = true;
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                if catch_up {
                    catch_up = false;
                    match shared
                        .db
                        .call(|db| db.undelivered(DeliveryChannel::InApp))
                        .await
                    {
                        Ok(events) => {
                            for event in events {
                                if !sent.insert(event.id) {
                                    continue;
                                }
                                let id = event.id;
                                if !send(AlertFeed::Fired { event }) {
                                    return;
                                }
                                let _ = mark(
                                    &shared,
                                    id,
                                    DeliveryChannel::InApp,
                                    Ok("shown in the app".into()),
                                )
                                .await;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "firings not yet shown could not be read")
                        }
                    }
                }
                tokio::select! {
                    ev = feed.recv() => match ev {
                        Ok(AlertFeed::Fired { event }) => {
                            if sent.insert(event.id) {
                                let id = event.id;
                                if !send(AlertFeed::Fired { event }) {
                                    return;
                                }
                                let _ = mark(&shared, id, DeliveryChannel::InApp, Ok("shown in the app".into())).await;
                            }
                            dirty = true;
                        }
                        Ok(_) => dirty = true,
                        // Some were lost: read what was not shown yet.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            catch_up = true;
                            dirty = true;
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    r = live.changed() => {
                        if r.is_err() {
                            return;
                        }
                        dirty = true;
                    }
                    _ = tick.tick() => {
                        if dirty {
                            dirty = false;
                            match list(&shared).await {
                                Ok(alerts) => {
                                    if !send(AlertFeed::Alerts { alerts }) {
                                        return;
                                    }
                                }
                                Err(e) => tracing::warn!(error = %e, "alerts could not be listed"),
                            }
                        }
                    }
                }
            }
        });
        if let Some(old) = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(task)
        {
            old.abort();
        }
        Ok(first)
    }

    /// The newest firings first, with their deliveries.
    pub async fn history(&self, limit: u32) -> Result<Vec<AlertEvent>, AlertError> {
        Ok(self
            .shared
            .db
            .call(move |db| db.events(limit.clamp(1, 10_000), None))
            .await?)
    }

    /// Every delivery attempt of a firing, in order.
    pub async fn attempts(&self, event_id: i64) -> Result<Vec<DeliveryAttempt>, AlertError> {
        Ok(self.shared.db.call(move |db| db.attempts(event_id)).await?)
    }

    /// Firings not yet shown on `channel` (in the app, or as an OS
    /// notification), oldest first: after a crash, they are shown on start.
    pub async fn undelivered(
        &self,
        channel: DeliveryChannel,
    ) -> Result<Vec<AlertEvent>, AlertError> {
        Ok(self
            .shared
            .db
            .call(move |db| db.undelivered(channel))
            .await?)
    }

    /// Records that the app showed a firing (`in_app`, `os`) or that it could not.
    pub async fn mark(
        &self,
        event_id: i64,
        channel: DeliveryChannel,
        result: Result<String, String>,
    ) -> Result<(), AlertError> {
        mark(&self.shared, event_id, channel, result).await
    }
}

impl Drop for Alerts {
    fn drop(&mut self) {
        if let Some(w) = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            w.abort();
        }
    }
}

async fn list(shared: &Shared) -> Result<Vec<AlertView>, AlertError> {
    let stored = shared.db.call(|db| db.alerts()).await?;
    let live = shared.live.borrow().clone();
    let now = shared.clock.now().timestamp_millis();
    Ok(stored
        .iter()
        .rev()
        .map(|s| view(s, live.get(&s.id), now))
        .collect())
}

async fn mark(
    shared: &Shared,
    event_id: i64,
    channel: DeliveryChannel,
    result: Result<String, String>,
) -> Result<(), AlertError> {
    let now = chrono::Utc::now().timestamp_millis();
    shared
        .db
        .call(move |db| db.record_attempt(event_id, channel, now, &result, None))
        .await?;
    let _ = shared.feed.send(AlertFeed::History);
    Ok(())
}

/// "Alert when SPY crosses above PDH (512.40 now), once, until …".
pub fn summarize(
    symbol: &Symbol,
    rule: &AlertRule,
    label: Option<&str>,
    line: Option<f64>,
) -> String {
    let target = match (rule.level, label, line) {
        (Some(_), Some(l), Some(p)) => format!("{l} ({} now)", f2(p)),
        (Some(_), Some(l), None) => l.to_string(),
        _ => rule.price.map(f2).unwrap_or_default(),
    };
    let what = match rule.condition {
        Condition::CrossesAbove => format!("crosses above {target}"),
        Condition::CrossesBelow => format!("crosses below {target}"),
        Condition::Crosses => format!("crosses {target} either way"),
        Condition::Above => format!("is above {target}"),
        Condition::Below => format!("is below {target}"),
        Condition::Enters | Condition::Exits => format!(
            "{} {}–{}",
            if rule.condition == Condition::Enters {
                "enters"
            } else {
                "leaves"
            },
            rule.price.map(f2).unwrap_or_default(),
            rule.price2.map(f2).unwrap_or_default()
        ),
        Condition::MovesUp | Condition::MovesDown => format!(
            "{} {} % within {}",
            if rule.condition == Condition::MovesUp {
                "rises"
            } else {
                "falls"
            },
            rule.price.map(f2).unwrap_or_default(),
            rule.timeframe
        ),
    };
    let how = match rule.trigger {
        Trigger::Once => "once".to_string(),
        Trigger::OncePerBar => format!("at most once per {} bar", rule.timeframe),
        Trigger::OncePerBarClose => format!("judged on each {} bar's close", rule.timeframe),
        Trigger::Every if rule.cooldown_secs > 0 => {
            format!("every time, at least {} s apart", rule.cooldown_secs)
        }
        Trigger::Every => "every time".to_string(),
    };
    let until = match rule.expires_ms {
        Some(ms) => format!(", until {}", rfc3339(ms)),
        None => String::new(),
    };
    format!("Alert when {symbol} {what}, {how}{until}")
}

/// An alert as listed at `now_ms`.
fn view(s: &Stored, live: Option<&Live>, now_ms: i64) -> AlertView {
    let status = s.state.status();
    let state = if s.paused {
        AlertStateName::Paused
    } else if s.rule.expires_ms.is_some_and(|e| now_ms > e) && status != AlertStatus::Fired {
        AlertStateName::Expired
    } else {
        match status {
            AlertStatus::Armed => AlertStateName::Armed,
            AlertStatus::Fired => AlertStateName::Fired,
            AlertStatus::Rearming => AlertStateName::Rearming,
            AlertStatus::Expired => AlertStateName::Expired,
        }
    };
    let live = live.copied().unwrap_or_default();
    let line = live.line.or(match s.rule.condition {
        Condition::MovesUp | Condition::MovesDown => None,
        _ => s.rule.price,
    });
    let line = match (s.rule.condition, live.last_price) {
        // The nearer edge of a channel.
        (Condition::Enters | Condition::Exits, Some(p)) => match (s.rule.price, s.rule.price2) {
            (Some(lo), Some(hi)) => Some(if (p - lo).abs() <= (p - hi).abs() {
                lo
            } else {
                hi
            }),
            _ => line,
        },
        _ => line,
    };
    let distance = match (line, live.last_price) {
        (Some(l), Some(p)) => Some(l - p),
        _ => None,
    };
    let distance_pct = match (distance, live.last_price) {
        (Some(d), Some(p)) if p > 0.0 => Some(d / p * 100.0),
        _ => None,
    };
    let status_text = match state {
        AlertStateName::Paused => "paused".to_string(),
        AlertStateName::Expired => "expired".to_string(),
        AlertStateName::Fired => "fired".to_string(),
        AlertStateName::Rearming => match live.rearm_at {
            Some(r) => format!("fired; re-arms at {}", f2(r)),
            None => "fired; re-arms once price moves away".to_string(),
        },
        AlertStateName::Armed => match (distance, distance_pct) {
            (Some(d), Some(pct)) => format!(
                "{} {} the line ({:.2} %)",
                f2(d.abs()),
                if d >= 0.0 { "below" } else { "above" },
                pct.abs()
            ),
            _ if matches!(s.rule.condition, Condition::MovesUp | Condition::MovesDown) => {
                format!(
                    "watching for a {} % move within {}",
                    s.rule.price.map(f2).unwrap_or_default(),
                    s.rule.timeframe
                )
            }
            _ => "armed".to_string(),
        },
    };
    AlertView {
        id: s.id,
        symbol: s.symbol.to_string(),
        condition: s.rule.condition,
        price: s.rule.price,
        price2: s.rule.price2,
        level: s.rule.level,
        level_label: s.level_label.clone(),
        trigger: s.rule.trigger,
        timeframe: s.rule.timeframe,
        cooldown_secs: s.rule.cooldown_secs,
        rearm: s.rule.rearm,
        note: s.note.clone(),
        origin: s.origin.clone(),
        state,
        created_at: rfc3339(s.created_ms),
        expires_at: s.rule.expires_ms.map(rfc3339),
        fires: s.state.fires,
        last_fired_at: s.state.last_fire_ms().map(rfc3339),
        last_price: live.last_price,
        line,
        distance,
        distance_pct,
        status_text,
    }
}
