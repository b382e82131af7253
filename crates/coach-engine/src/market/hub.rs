//! MarketHub: exactly one upstream WebSocket, shared by every panel, alert and scanner.
//!
//! - Subscriptions are reference-counted per topic (`AM.SPY`, `T.QQQ`, …). The
//!   upstream `subscribe`/`unsubscribe` is the diff between what subscribers
//!   hold and what the server was told; dropping the last [`Subscription`] of a
//!   topic unsubscribes it.
//! - Reconnects with exponential backoff and jitter, resubscribes everything,
//!   then backfills missed minute bars over REST, so the minute bars a
//!   subscriber sees after recovery are the ones an uninterrupted run would have
//!   produced. A later minute bar that skips ahead (a gap) triggers the same
//!   backfill; a minute bar already delivered is dropped. A backfill runs in
//!   its own task: the socket keeps being read, other symbols flow on, and the
//!   symbol waiting for its missed minutes holds its aggregates and trades
//!   until they are delivered, so its bars and ticks stay in time order.
//! - Publishes its state: connecting / live / delayed / stale / reconnecting /
//!   failed. "Stale" means no data for the configured time while the regular
//!   session is open (by the market's clock), with something subscribed.
//! - Never blocks on a slow subscriber: each has a bounded queue; one that
//!   falls behind loses events (and is told how many) instead of stalling the socket.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coach_core::calendar::{self, MarketPhase};
use coach_core::Symbol;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use super::link::{backoff, ConnectionState, ConnectionStatus};
use super::rest::MassiveRest;
use super::wire::{FrameParser, MarketData, MarketEvent, Sym};
use crate::clock::Clock;
use crate::config::{MarketConfig, MarketMode};

/// Which stream of a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Trades,
    Quotes,
    Seconds,
    Minutes,
}

impl Channel {
    pub fn prefix(self) -> &'static str {
        match self {
            Channel::Trades => "T",
            Channel::Quotes => "Q",
            Channel::Seconds => "A",
            Channel::Minutes => "AM",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Topic {
    pub channel: Channel,
    pub symbol: Symbol,
}

impl Topic {
    pub fn new(channel: Channel, symbol: Symbol) -> Topic {
        Topic { channel, symbol }
    }
    /// As Massive spells it: `AM.SPY`.
    pub fn wire(&self) -> String {
        format!("{}.{}", self.channel.prefix(), self.symbol)
    }
}

/// Per-subscriber queue length. A subscriber this many events behind loses the
/// newest ones until it catches up, and is told how many it lost.
const SUBSCRIBER_CAPACITY: usize = 4096;

/// One subscriber's queue; shared by all the topics of its subscription, so
/// it sees their events in the order the server sent them.
struct Sink {
    id: u64,
    tx: mpsc::Sender<Arc<MarketData>>,
    dropped: Arc<std::sync::atomic::AtomicU64>,
}

impl Sink {
    /// Never waits: a full queue drops the event and counts it.
    fn offer(&self, ev: &Arc<MarketData>) {
        if self.tx.try_send(ev.clone()).is_err() {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

#[derive(Default)]
struct Entry {
    sinks: Vec<Arc<Sink>>,
}

#[derive(Default)]
struct Counters {
    connections: u64,
    malformed_frames: u64,
    skipped_events: u64,
    duplicate_minutes: u64,
    backfilled_minutes: u64,
}

/// A fast hash for the few short tickers on the hot path (FxHash's mixing);
/// the keys come from our own subscriptions, so flooding is not a concern.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHash(u64);

impl std::hash::Hasher for FastHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

impl FastHash {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHash>>;
type TopicMap = FastMap<Symbol, FastMap<Channel, Entry>>;

struct Shared {
    /// Subscribers per symbol, then per channel (looked up by the feed's `&str`).
    topics: Mutex<TopicMap>,
    /// What the server was last told we want (wire names).
    upstream: Mutex<BTreeSet<String>>,
    counters: Mutex<Counters>,
    wake: mpsc::UnboundedSender<()>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Shared {
    fn wanted(&self) -> BTreeSet<String> {
        self.topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .flat_map(|(sym, chans)| {
                chans
                    .keys()
                    .map(move |c| Topic::new(*c, sym.clone()).wire())
            })
            .collect()
    }

    fn live_symbols(&self) -> Vec<Symbol> {
        let topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<Symbol> = topics
            .iter()
            .filter(|(_, chans)| {
                chans.contains_key(&Channel::Minutes) || chans.contains_key(&Channel::Seconds)
            })
            .map(|(sym, _)| sym.clone())
            .collect();
        v.sort();
        v
    }

    /// Hands an event to every subscriber of its topic.
    fn publish(&self, channel: Channel, ev: MarketData) {
        let sym = ev.symbol();
        let topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = topics.get(sym).and_then(|chans| chans.get(&channel)) {
            let ev = Arc::new(ev);
            for sink in &e.sinks {
                sink.offer(&ev);
            }
        }
    }
}

/// A subscriber's handle on one or more topics; dropping it releases them.
pub struct Subscription {
    topics: Vec<Topic>,
    id: u64,
    rx: mpsc::Receiver<Arc<MarketData>>,
    dropped: Arc<std::sync::atomic::AtomicU64>,
    shared: Arc<Shared>,
}

/// Why [`Subscription::recv`] returned no event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    #[error("fell behind and missed {0} events")]
    Lagged(u64),
    #[error("the market hub stopped")]
    Closed,
}

impl Subscription {
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Arc<MarketData>> {
        self.rx.try_recv().ok()
    }

    /// The next event; `Lagged(n)` first when `n` events were lost to a full queue.
    pub async fn recv(&mut self) -> Result<Arc<MarketData>, RecvError> {
        let lost = self.dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
        if lost > 0 {
            return Err(RecvError::Lagged(lost));
        }
        self.rx.recv().await.ok_or(RecvError::Closed)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut topics = self.shared.topics.lock().unwrap_or_else(|p| p.into_inner());
        let mut released = false;
        for t in &self.topics {
            if let Some(chans) = topics.get_mut(&t.symbol) {
                if let Some(e) = chans.get_mut(&t.channel) {
                    e.sinks.retain(|s| s.id != self.id);
                    if e.sinks.is_empty() {
                        chans.remove(&t.channel);
                        released = true;
                    }
                }
                if chans.is_empty() {
                    topics.remove(&t.symbol);
                }
            }
        }
        if released {
            let _ = self.shared.wake.send(());
        }
    }
}

/// Snapshot of the hub's counters (for tests, `coach doctor` and metrics).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct HubStats {
    pub connections: u64,
    pub malformed_frames: u64,
    pub skipped_events: u64,
    pub duplicate_minutes: u64,
    pub backfilled_minutes: u64,
    pub upstream_topics: Vec<String>,
}

pub struct MarketHub {
    shared: Arc<Shared>,
    status: watch::Receiver<ConnectionStatus>,
    task: tokio::task::JoinHandle<()>,
}

impl MarketHub {
    /// Starts the connection task. It connects at once, so the status bar can
    /// say whether the market answers, and holds the one socket from then on.
    pub fn start(
        config: MarketConfig,
        rest: MassiveRest,
        clock: Arc<dyn Clock>,
        lazy: bool,
    ) -> MarketHub {
        let (wake_tx, wake_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            topics: Mutex::new(TopicMap::default()),
            upstream: Mutex::new(BTreeSet::new()),
            counters: Mutex::new(Counters::default()),
            wake: wake_tx,
            next_id: std::sync::atomic::AtomicU64::new(1),
        });
        let (tx, rx) = watch::channel(status_now(&*clock, ConnectionState::Connecting, None, 0));
        let task = tokio::spawn(
            Runner {
                config,
                rest,
                clock,
                shared: shared.clone(),
                status: tx,
                wake: wake_rx,
                last_minute_end: HashMap::new(),
                parser: FrameParser::new(),
                last_data_ms: None,
                backfills: tokio::task::JoinSet::new(),
                in_flight: HashMap::new(),
                held: HashMap::new(),
                queued: HashMap::new(),
            }
            .run(lazy),
        );
        MarketHub {
            shared,
            status: rx,
            task,
        }
    }

    /// Adds a subscriber to a topic; the upstream subscribe happens only for the first.
    pub fn subscribe(&self, topic: Topic) -> Subscription {
        self.subscribe_all(vec![topic])
    }

    /// One subscriber for several topics, receiving their events in the order
    /// the server sent them (a minute bar before the next minute's seconds).
    pub fn subscribe_all(&self, topics: Vec<Topic>) -> Subscription {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_CAPACITY);
        let dropped = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let id = self
            .shared
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sink = Arc::new(Sink {
            id,
            tx,
            dropped: dropped.clone(),
        });
        {
            let mut map = self.shared.topics.lock().unwrap_or_else(|p| p.into_inner());
            for t in &topics {
                map.entry(t.symbol.clone())
                    .or_default()
                    .entry(t.channel)
                    .or_default()
                    .sinks
                    .push(sink.clone());
            }
        }
        let _ = self.shared.wake.send(());
        Subscription {
            topics,
            id,
            rx,
            dropped,
            shared: self.shared.clone(),
        }
    }

    pub fn status(&self) -> watch::Receiver<ConnectionStatus> {
        self.status.clone()
    }

    /// Hands a parsed event to its topic's subscribers exactly as the socket
    /// task does (without the minute-bar gap bookkeeping). For replay tools and
    /// the fan-out benchmark.
    pub fn dispatch(&self, ev: MarketData) {
        let channel = match &ev {
            MarketData::Trade { .. } => Channel::Trades,
            MarketData::Quote { .. } => Channel::Quotes,
            MarketData::Aggregate { minute: true, .. } => Channel::Minutes,
            MarketData::Aggregate { minute: false, .. } => Channel::Seconds,
        };
        self.shared.publish(channel, ev);
    }

    /// Symbols someone follows live (second or minute aggregates).
    pub fn live_symbols(&self) -> Vec<Symbol> {
        self.shared.live_symbols()
    }

    /// [`MarketHub::live_symbols`] for a task that outlives this borrow.
    pub fn live_symbols_source(&self) -> impl Fn() -> Vec<Symbol> + Send + Sync + 'static {
        let shared = self.shared.clone();
        move || shared.live_symbols()
    }

    /// How many subscribers hold each topic.
    pub fn subscriber_counts(&self) -> Vec<(String, usize)> {
        let topics = self.shared.topics.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<(String, usize)> = topics
            .iter()
            .flat_map(|(sym, chans)| {
                chans
                    .iter()
                    .map(move |(c, e)| (Topic::new(*c, sym.clone()).wire(), e.sinks.len()))
            })
            .collect();
        v.sort();
        v
    }

    pub fn stats(&self) -> HubStats {
        let c = self
            .shared
            .counters
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        HubStats {
            connections: c.connections,
            malformed_frames: c.malformed_frames,
            skipped_events: c.skipped_events,
            duplicate_minutes: c.duplicate_minutes,
            backfilled_minutes: c.backfilled_minutes,
            upstream_topics: self
                .shared
                .upstream
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned()
                .collect(),
        }
    }
}

impl Drop for MarketHub {
    fn drop(&mut self) {
        // Deterministic teardown: the socket task ends with the hub.
        self.task.abort();
    }
}

fn status_now(
    clock: &dyn Clock,
    state: ConnectionState,
    detail: Option<String>,
    attempt: u32,
) -> ConnectionStatus {
    ConnectionStatus {
        state,
        detail,
        since_ms: clock.now().timestamp_millis(),
        attempt,
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

enum SessionEnd {
    Dropped(String),
    AuthFailed,
    HubGone,
}

struct Runner {
    config: MarketConfig,
    rest: MassiveRest,
    clock: Arc<dyn Clock>,
    shared: Arc<Shared>,
    status: watch::Sender<ConnectionStatus>,
    wake: mpsc::UnboundedReceiver<()>,
    /// Per symbol: the end of the last minute bar delivered.
    last_minute_end: HashMap<Sym, i64>,
    parser: FrameParser,
    /// Market time of the last data event.
    last_data_ms: Option<i64>,
    /// REST backfills in flight, one per symbol at most. They run beside the
    /// read loop, so a slow backfill never stops frames from being read; their
    /// answers come back into the loop and are delivered there, in order.
    backfills: tokio::task::JoinSet<Backfilled>,
    /// The backfill in flight per symbol, and the symbol of each task.
    in_flight: HashMap<Sym, (tokio::task::Id, tokio::task::AbortHandle)>,
    /// Per symbol with a backfill in flight: its aggregates that arrived
    /// meanwhile, delivered after the missed bars so the minute bars of a
    /// symbol stay in time order. Other symbols and channels flow on.
    held: HashMap<Sym, Vec<MarketData>>,
    /// Per symbol: a gap found while its backfill was in flight (the socket
    /// dropped again meanwhile), fetched when that backfill ends and before
    /// what the symbol held is released.
    queued: HashMap<Sym, (i64, i64)>,
}

/// A finished backfill: the minute bars of `sym` in `[from, to]`, or why not.
struct Backfilled {
    sym: Sym,
    from: i64,
    to: i64,
    bars: Result<Vec<super::rest::RestBar>, super::rest::RestError>,
}

/// Aggregates and trades held for one symbol while its backfill runs, at
/// most (minutes of a busy symbol's open; ~15 MB); past this (a backfill
/// stuck for minutes) they are delivered unheld.
const MAX_HELD: usize = 200_000;

impl Runner {
    fn set(&self, state: ConnectionState, detail: Option<String>, attempt: u32) {
        let current = self.status.borrow().clone();
        if current.state != state || current.detail != detail || current.attempt != attempt {
            let _ = self
                .status
                .send(status_now(&*self.clock, state, detail, attempt));
        }
    }

    fn live_state(&self) -> ConnectionState {
        match self.config.mode {
            MarketMode::MassiveDelayed => ConnectionState::Delayed,
            _ => ConnectionState::Live,
        }
    }

    async fn run(mut self, lazy: bool) {
        if lazy {
            // Commands such as `coach bars` never need the socket: connect on the
            // first subscription, so they do not take the key's one connection.
            self.set(
                ConnectionState::Connecting,
                Some("idle until something subscribes".into()),
                0,
            );
            while self.shared.wanted().is_empty() {
                if self.wake.recv().await.is_none() {
                    return;
                }
            }
        }
        let url = format!("{}/stocks", self.config.ws_url.trim_end_matches('/'));
        let mut attempt: u32 = 0;
        let mut connected_before = false;
        loop {
            match self
                .session(&url, &mut attempt, &mut connected_before)
                .await
            {
                SessionEnd::HubGone => return,
                SessionEnd::AuthFailed => {
                    self.set(
                        ConnectionState::Failed,
                        Some(match self.config.mode {
                            MarketMode::Demo => "the demo market refused the connection".to_string(),
                            _ => "Massive rejected the API key: check it in Settings or MASSIVE_API_KEY".to_string(),
                        }),
                        attempt,
                    );
                    return;
                }
                SessionEnd::Dropped(why) => {
                    self.shared
                        .upstream
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .clear();
                    attempt += 1;
                    let wait = backoff(attempt, rand::random::<f64>());
                    tracing::warn!(%why, attempt, wait_ms = wait.as_millis() as u64, "market connection lost; reconnecting");
                    self.set(
                        ConnectionState::Reconnecting,
                        Some(format!("{why}; retrying in {:.1} s", wait.as_secs_f64())),
                        attempt,
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn session(
        &mut self,
        url: &str,
        attempt: &mut u32,
        connected_before: &mut bool,
    ) -> SessionEnd {
        let (mut ws, _) = match tokio_tungstenite::connect_async(url).await {
            Ok(ok) => ok,
            Err(e) => return SessionEnd::Dropped(format!("could not connect to {url}: {e}")),
        };
        self.shared
            .counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .connections += 1;
        // Massive expects the key as the auth param; the demo market accepts any.
        let key = self
            .config
            .api_key
            .as_ref()
            .map(|k| k.expose().to_string())
            .unwrap_or_else(|| "demo".to_string());
        let auth = serde_json::json!({"action": "auth", "params": key}).to_string();
        if let Err(e) = ws.send(Message::Text(auth.into())).await {
            return SessionEnd::Dropped(format!("could not authenticate: {e}"));
        }
        let mut authed = false;
        let mut events = Vec::with_capacity(64);
        let mut watchdog = tokio::time::interval(Duration::from_millis(250));
        watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                woke = self.wake.recv() => {
                    if woke.is_none() {
                        return SessionEnd::HubGone;
                    }
                    while self.wake.try_recv().is_ok() {}
                    if authed {
                        if let Err(e) = self.sync_topics(&mut ws).await {
                            return SessionEnd::Dropped(e);
                        }
                    }
                }
                _ = watchdog.tick(), if authed => self.check_stale(),
                done = self.backfills.join_next_with_id(), if !self.backfills.is_empty() => {
                    match done {
                        // Only the symbol's current backfill counts: one given
                        // up on (aborted after it had finished) is dropped.
                        Some(Ok((id, done)))
                            if self.in_flight.get(&done.sym).map(|t| t.0) == Some(id) =>
                        {
                            self.in_flight.remove(&done.sym);
                            self.finish_backfill(done);
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            // Panicked or aborted: what the symbol held flows on.
                            let sym = self
                                .in_flight
                                .iter()
                                .find(|(_, (id, _))| *id == e.id())
                                .map(|(s, _)| s.clone());
                            if let Some(sym) = sym {
                                tracing::warn!(%sym, error = %e, "a backfill stopped; live bars flow on without it");
                                self.in_flight.remove(&sym);
                                self.next_or_release(&sym);
                            }
                        }
                        None => {}
                    }
                }
                msg = ws.next() => {
                    let text = match msg {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(_))) | None => return SessionEnd::Dropped("the server closed the connection".into()),
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return SessionEnd::Dropped(format!("connection error: {e}")),
                    };
                    events.clear();
                    match self.parser.parse(&text, &mut events) {
                        Ok(skipped) if skipped > 0 => {
                            tracing::warn!(skipped, "skipped market events with missing fields");
                            self.shared.counters.lock().unwrap_or_else(|p| p.into_inner()).skipped_events += skipped as u64;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            // A bad frame is logged and skipped; the connection stays.
                            tracing::warn!(error = %e, len = text.len(), "skipping a malformed market frame");
                            self.shared.counters.lock().unwrap_or_else(|p| p.into_inner()).malformed_frames += 1;
                            continue;
                        }
                    }
                    if events.iter().any(|ev| !matches!(ev, MarketEvent::Status { .. })) {
                        self.note_data();
                    }
                    for ev in events.drain(..) {
                        match ev {
                            MarketEvent::Status { status, message } => match status.as_str() {
                                "auth_success" => {
                                    authed = true;
                                    *attempt = 0;
                                    tracing::info!("market connection authenticated");
                                    self.set(self.live_state(), None, 0);
                                    self.last_data_ms = Some(self.clock.now().timestamp_millis());
                                    if let Err(e) = self.sync_topics(&mut ws).await {
                                        return SessionEnd::Dropped(e);
                                    }
                                    if *connected_before {
                                        self.backfill_all();
                                    }
                                    *connected_before = true;
                                }
                                "auth_failed" => return SessionEnd::AuthFailed,
                                "max_connections" => return SessionEnd::Dropped("another connection with this key took over (max_connections)".into()),
                                "slow_consumer" => return SessionEnd::Dropped("the server dropped us as a slow consumer".into()),
                                other => tracing::debug!(status = other, %message, "market status message"),
                            },
                            MarketEvent::Data(data) => self.deliver(data, true),
                        }
                    }
                }
            }
        }
    }

    /// Sends the upstream subscribe/unsubscribe diff.
    async fn sync_topics(&self, ws: &mut Ws) -> Result<(), String> {
        let wanted = self.shared.wanted();
        let (add, remove): (Vec<String>, Vec<String>) = {
            let upstream = self
                .shared
                .upstream
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            (
                wanted.difference(&upstream).cloned().collect(),
                upstream.difference(&wanted).cloned().collect(),
            )
        };
        for (action, topics) in [("subscribe", &add), ("unsubscribe", &remove)] {
            if topics.is_empty() {
                continue;
            }
            let msg = serde_json::json!({"action": action, "params": topics.join(",")}).to_string();
            ws.send(Message::Text(msg.into()))
                .await
                .map_err(|e| format!("could not {action}: {e}"))?;
            tracing::debug!(action, topics = %topics.join(","), "upstream");
        }
        *self
            .shared
            .upstream
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = wanted;
        Ok(())
    }

    fn check_stale(&self) {
        let now = self.clock.now();
        let has_topics = !self
            .shared
            .topics
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        let open = matches!(calendar::phase_at(now), Ok(MarketPhase::Regular));
        let quiet_ms = self
            .last_data_ms
            .map(|t| now.timestamp_millis() - t)
            .unwrap_or(0);
        let limit_ms = self.config.stale_after_secs as i64 * 1000;
        let state = self.status.borrow().state;
        if has_topics && open && quiet_ms > limit_ms && state != ConnectionState::Stale {
            tracing::warn!(quiet_s = quiet_ms / 1000, "market data is stale");
            self.set(
                ConnectionState::Stale,
                Some(format!(
                    "no market data for {} s while the market is open",
                    quiet_ms / 1000
                )),
                0,
            );
        }
    }

    /// Data arrived: not stale any more. Once per frame, not per event.
    fn note_data(&mut self) {
        self.last_data_ms = Some(self.clock.now().timestamp_millis());
        if self.status.borrow().state == ConnectionState::Stale {
            self.set(self.live_state(), None, 0);
        }
    }

    /// Publishes `ev` to its topic's subscribers. A minute bar that skips
    /// ahead starts a backfill of the minutes in between (with `may_backfill`;
    /// bars released after one are taken as they are, so a provider that has
    /// no bars for a gap cannot start another at once).
    fn deliver(&mut self, ev: MarketData, may_backfill: bool) {
        // A symbol waiting for its missed minutes holds its aggregates and
        // trades, so that whoever evaluates its prices (the alerts worker)
        // sees the missed minutes before the ticks that came after them.
        if let MarketData::Aggregate { sym, .. } | MarketData::Trade { sym, .. } = &ev {
            if let Some(held) = self.held.get_mut(sym) {
                if held.len() < MAX_HELD {
                    held.push(ev);
                    return;
                }
                tracing::warn!(%sym, "a backfill is taking too long; live bars flow on without it");
                let sym = sym.clone();
                if let Some((_, task)) = self.in_flight.remove(&sym) {
                    task.abort();
                }
                self.queued.remove(&sym);
                self.release(&sym);
            }
        }
        let channel = match &ev {
            MarketData::Trade { .. } => Channel::Trades,
            MarketData::Quote { .. } => Channel::Quotes,
            MarketData::Aggregate { minute: false, .. } => Channel::Seconds,
            MarketData::Aggregate {
                sym,
                minute: true,
                start,
                end,
                ..
            } => {
                let (start, end) = (*start, *end);
                match self.last_minute_end.get(sym).copied() {
                    Some(last) if start < last => {
                        self.shared
                            .counters
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .duplicate_minutes += 1;
                        return;
                    }
                    Some(last)
                        if may_backfill && start > last && start - last <= 16 * 3_600_000 =>
                    {
                        // The bars in between come first: hold this one behind them.
                        let sym = sym.clone();
                        self.start_backfill(&sym, last, start - 1);
                        self.held.entry(sym).or_default().push(ev);
                        return;
                    }
                    _ => {}
                }
                match self.last_minute_end.get_mut(sym) {
                    Some(e) => *e = end,
                    None => {
                        self.last_minute_end.insert(sym.clone(), end);
                    }
                }
                Channel::Minutes
            }
        };
        self.shared.publish(channel, ev);
    }

    /// Delivers what `sym` held, in arrival order, and stops holding it.
    fn release(&mut self, sym: &Sym) {
        for ev in self.held.remove(sym).unwrap_or_default() {
            self.deliver(ev, false);
        }
    }

    /// After a reconnect: every subscribed symbol's missed minutes up to now.
    fn backfill_all(&mut self) {
        let now = self.clock.now().timestamp_millis();
        let symbols: Vec<(Sym, i64)> = self
            .shared
            .wanted()
            .iter()
            .filter_map(|w| w.strip_prefix("AM."))
            .filter_map(|s| {
                self.last_minute_end
                    .get_key_value(s)
                    .map(|(k, &e)| (k.clone(), e))
            })
            .collect();
        for (sym, last) in symbols {
            self.start_backfill(&sym, last, now);
        }
    }

    /// Fetches the minute bars of `sym` starting in `[from, to]` over REST in
    /// its own task; `sym`'s aggregates are held until they are delivered.
    fn start_backfill(&mut self, sym: &Sym, from: i64, to: i64) {
        if to < from {
            return;
        }
        if self.in_flight.contains_key(sym) {
            // Another gap while the first is fetched: fetched next, before
            // the held bars (which come after both) are released.
            self.queued
                .entry(sym.clone())
                .and_modify(|r| *r = (r.0.min(from), r.1.max(to)))
                .or_insert((from, to));
            return;
        }
        self.held.entry(sym.clone()).or_default();
        let rest = self.rest.clone();
        let key = sym.clone();
        let sym = sym.clone();
        let task = self.backfills.spawn(async move {
            let bars = rest
                .aggregates(&sym, 1, "minute", &from.to_string(), &to.to_string())
                .await;
            Backfilled {
                sym,
                from,
                to,
                bars,
            }
        });
        self.in_flight.insert(key, (task.id(), task));
    }

    /// Delivers a finished backfill's bars in order, then what its symbol held.
    fn finish_backfill(&mut self, done: Backfilled) {
        let Backfilled {
            sym,
            from,
            to,
            bars,
        } = done;
        let bars = match bars {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, %sym, "gap backfill failed; reconciliation will retry");
                self.next_or_release(&sym);
                return;
            }
        };
        let mut n = 0;
        for b in bars {
            let last = self.last_minute_end.get(&sym).copied().unwrap_or(i64::MIN);
            if b.t < last || b.t < from || b.t > to {
                continue;
            }
            let end = b.t + 60_000;
            self.shared.publish(
                Channel::Minutes,
                MarketData::Aggregate {
                    sym: sym.clone(),
                    minute: true,
                    open: b.o,
                    high: b.h,
                    low: b.l,
                    close: b.c,
                    volume: b.v,
                    vwap: b.vw,
                    start: b.t,
                    end,
                    backfill: true,
                },
            );
            self.last_minute_end.insert(sym.clone(), end);
            n += 1;
        }
        if n > 0 {
            tracing::info!(%sym, bars = n, "backfilled missed minute bars over REST");
            self.shared
                .counters
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .backfilled_minutes += n;
        }
        self.next_or_release(&sym);
    }

    /// After a backfill: the gap queued behind it, if any (from where the
    /// delivered bars end), else what the symbol held.
    fn next_or_release(&mut self, sym: &Sym) {
        let followed = self.shared.wanted().contains(&format!("AM.{sym}"));
        if let Some((from, to)) = self.queued.remove(sym).filter(|_| followed) {
            let from = self
                .last_minute_end
                .get(sym)
                .map_or(from, |&last| last.max(from));
            if to >= from {
                self.start_backfill(sym, from, to);
                return;
            }
        }
        self.release(sym);
    }
}
