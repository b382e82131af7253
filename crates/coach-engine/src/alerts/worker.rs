//! The alerts worker: holds the book of active alerts, follows their
//! symbols' trades and minute bars on the shared socket (one subscription,
//! changed as the alerts change), keeps level lines and ATR current, writes
//! each firing before anyone is told, and on start replays the minutes since
//! it last ran.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use coach_core::alerts::{self as rules, AlertStatus, Condition};
use coach_core::candles::Candle;
use coach_core::indicators::series;
use coach_core::levels::LevelsReport;
use coach_core::{Symbol, Timeframe};
use tokio::sync::{mpsc, Notify};

use super::book::{Book, Firing, Watched};
use super::store::NewEvent;
use super::{
    f2, AlertContext, AlertFeed, Cmd, DeliveryChannel, Live, NextLevel, RunOptions, Shared,
};
use crate::levels::LiveLevels;
use crate::market::history::ChartQuery;
use crate::market::hub::{Channel as Stream, RecvError, Subscription, Topic};
use crate::market::wire::MarketData;

/// How often the worker saves its states and that it is running.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The longest stretch replayed on start.
const MAX_REPLAY_MS: i64 = 7 * 86_400_000;

/// Results of the worker's own background loads.
enum Inbox {
    Levels(Arc<str>, Arc<LevelsReport>),
    Atr(Arc<str>, Timeframe, Option<f64>),
    Volumes(Arc<str>, Vec<f64>),
}

/// What the worker follows for one symbol besides its trades.
struct Followed {
    _levels: LiveLevels,
    closes: Arc<Notify>,
    forward: tokio::task::JoinHandle<()>,
}

impl Drop for Followed {
    fn drop(&mut self) {
        self.forward.abort();
    }
}

struct Worker {
    shared: Arc<Shared>,
    opts: RunOptions,
    book: Book,
    sub: Option<Subscription>,
    followed: HashMap<Arc<str>, Followed>,
    atr: HashMap<(Arc<str>, Timeframe), Option<f64>>,
    inbox_tx: mpsc::UnboundedSender<Inbox>,
    inbox: mpsc::UnboundedReceiver<Inbox>,
    loads: Vec<tokio::task::JoinHandle<()>>,
    /// Events taken from a subscription being replaced, read before the new one's.
    backlog: std::collections::VecDeque<Arc<MarketData>>,
    /// The newest market data time evaluated (kept when symbols leave the book),
    /// and the clock when it was.
    reached: i64,
    reached_clock: i64,
    /// Holds the lease (false after another process took it: it watches nothing).
    leased: bool,
    /// The alerts table as last loaded (another process may change it).
    fingerprint: (i64, i64, i64),
}

impl Drop for Worker {
    fn drop(&mut self) {
        for t in &self.loads {
            t.abort();
        }
    }
}

pub(super) async fn run(
    shared: Arc<Shared>,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    opts: RunOptions,
) {
    let (inbox_tx, inbox) = mpsc::unbounded_channel();
    let mut w = Worker {
        shared,
        opts,
        book: Book::new(),
        sub: None,
        followed: HashMap::new(),
        atr: HashMap::new(),
        inbox_tx,
        inbox,
        loads: vec![],
        backlog: Default::default(),
        reached: 0,
        reached_clock: 0,
        leased: true,
        fingerprint: (0, 0, 0),
    };
    // One worker per data directory: wait while another process watches.
    let mut waiting = false;
    loop {
        let (shared, now) = (w.shared.clone(), chrono::Utc::now().timestamp_millis());
        match w
            .shared
            .db
            .call(move |db| db.try_lease(&shared.owner, now, super::LEASE_MS, &shared.stopped))
            .await
        {
            Ok(true) => break,
            Ok(false) if !waiting => {
                waiting = true;
                tracing::warn!(
                    "another AI Coach process watches the alerts; this one waits until it stops"
                );
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "the alerts lease could not be read"),
        }
        tokio::select! {
            cmd = cmds.recv() => match cmd {
                Some(Cmd::Stop(done)) => {
                    let _ = done.send(());
                    return;
                }
                Some(Cmd::Reload) => {}
                None => return,
            },
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
    w.reload().await;
    w.replay_missed().await;
    w.publish_live();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    let mut live_tick = tokio::time::interval(Duration::from_secs(1));
    let mut out = Vec::new();
    loop {
        // Events of a replaced subscription first: they are the older ones.
        if !w.backlog.is_empty() {
            while let Some(ev) = w.backlog.pop_front() {
                w.on_event(&ev, &mut out);
            }
            if !out.is_empty() {
                w.record(std::mem::take(&mut out), false).await;
            }
            continue;
        }
        tokio::select! {
            ev = async {
                match w.sub.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            } => match ev {
                Ok(ev) => {
                    w.on_event(&ev, &mut out);
                    // Take what else is queued before writing.
                    while let Some(ev) = w.sub.as_mut().and_then(|s| s.try_recv()) {
                        w.on_event(&ev, &mut out);
                        if out.len() >= 64 {
                            break;
                        }
                    }
                    if !out.is_empty() {
                        w.record(std::mem::take(&mut out), false).await;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(lost = n, "the alerts worker fell behind the market feed and lost events");
                }
                Err(RecvError::Closed) => {
                    tracing::warn!("the market hub stopped; the alerts worker stops");
                    return;
                }
            },
            cmd = cmds.recv() => match cmd {
                Some(Cmd::Reload) if w.leased => {
                    w.reload().await;
                    w.publish_live();
                }
                Some(Cmd::Reload) => {}
                Some(Cmd::Stop(done)) => {
                    if w.leased {
                        w.save_states().await;
                    }
                    w.shared.stopped.store(true, std::sync::atomic::Ordering::SeqCst);
                    let owner = w.shared.owner.clone();
                    let _ = w.shared.db.call(move |db| db.release_lease(&owner)).await;
                    let _ = done.send(());
                    return;
                }
                None => return,
            },
            Some(msg) = w.inbox.recv() => w.on_inbox(msg),
            _ = live_tick.tick() => w.publish_live(),
            _ = heartbeat.tick() => {
                if w.leased {
                    w.save_states().await;
                }
                w.renew().await;
            }
        }
    }
}

impl Worker {
    fn on_event(&mut self, ev: &MarketData, out: &mut Vec<Firing>) {
        match ev {
            MarketData::Trade {
                sym,
                price,
                size,
                t,
            } => {
                if *t > self.reached {
                    self.reached = *t;
                    self.reached_clock = self.shared.clock.now().timestamp_millis();
                }
                self.book.on_trade(sym, *t, *price, *size, out);
            }
            MarketData::Aggregate {
                sym, minute: true, ..
            } => {
                if let Some(bar) = ev.candle() {
                    if bar.time + 60_000 > self.reached {
                        self.reached = bar.time + 60_000;
                        self.reached_clock = self.shared.clock.now().timestamp_millis();
                    }
                    self.book.on_minute(sym, &bar, out);
                }
                if let Some(f) = self.followed.get(&**sym) {
                    f.closes.notify_one();
                }
            }
            _ => {}
        }
    }

    fn on_inbox(&mut self, msg: Inbox) {
        match msg {
            Inbox::Levels(sym, report) => self.book.set_levels(&sym, report),
            Inbox::Atr(sym, tf, atr) => {
                if let Some(b) = self.book.symbol_mut(&sym) {
                    for w in b.alerts.iter_mut().filter(|w| w.rule.timeframe == tf) {
                        w.atr = atr;
                    }
                }
                self.atr.insert((sym, tf), atr);
            }
            Inbox::Volumes(sym, v) => self.book.seed_volumes(&sym, v),
        }
    }

    /// Loads the alerts again, keeping the in-memory state of those that did
    /// not change, and follows exactly their symbols.
    async fn reload(&mut self) {
        let loaded = self
            .shared
            .db
            .call(|db| Ok::<_, crate::store::StoreError>((db.fingerprint()?, db.alerts()?)))
            .await;
        let stored = match loaded {
            Ok((fingerprint, s)) => {
                self.fingerprint = fingerprint;
                s
            }
            Err(e) => {
                tracing::error!(error = %e, "the alerts could not be loaded");
                return;
            }
        };
        let mut old: HashMap<i64, Watched> = self
            .book
            .clear_alerts()
            .into_iter()
            .map(|w| (w.id, w))
            .collect();
        for s in stored.into_iter().filter(|s| s.active()) {
            let sym: Arc<str> = Arc::from(s.symbol.as_str());
            let w = match old.remove(&s.id) {
                Some(w) if w.updated_ms == s.updated_ms => w,
                _ => Watched {
                    id: s.id,
                    updated_ms: s.updated_ms,
                    created_ms: s.created_ms,
                    // From what the worker has seen of the symbol: a later
                    // backfilled minute may fire it, an earlier one not.
                    from_ms: self.book.covered_ms(&sym).unwrap_or(0),
                    atr: self
                        .atr
                        .get(&(sym.clone(), s.rule.timeframe))
                        .copied()
                        .flatten(),
                    level_price: None,
                    rule: s.rule,
                    level_label: s.level_label,
                    state: s.state,
                },
            };
            self.book.insert(sym, w);
        }
        self.book.prune();
        // Level lines for alerts just added to a followed symbol.
        let reports: Vec<(Arc<str>, Arc<LevelsReport>)> = self
            .book
            .symbols()
            .filter_map(|(s, b)| b.levels.clone().map(|r| (s.clone(), r)))
            .collect();
        for (s, r) in reports {
            self.book.set_levels(&s, r);
        }
        self.follow();
    }

    /// One subscription for every alert symbol's trades and minutes; level
    /// sheets, ATR and recent volumes for the symbols new to the book.
    fn follow(&mut self) {
        let symbols: HashSet<Arc<str>> = self.book.symbols().map(|(s, _)| s.clone()).collect();
        let current: HashSet<Arc<str>> = self
            .sub
            .as_ref()
            .map(|s| {
                s.topics()
                    .iter()
                    .map(|t| Arc::from(t.symbol.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        if symbols != current {
            let topics: Vec<Topic> = symbols
                .iter()
                .filter_map(|s| Symbol::parse(s).ok())
                .flat_map(|s| {
                    [
                        Topic::new(Stream::Trades, s.clone()),
                        Topic::new(Stream::Minutes, s),
                    ]
                })
                .collect();
            // Subscribe to the new set before the old one goes, so a symbol in
            // both is never unsubscribed upstream.
            let next = (!topics.is_empty()).then(|| self.shared.market.hub().subscribe_all(topics));
            // What the old subscription still holds is read before the new
            // one's events (a tick already covered is skipped).
            if let Some(mut old) = std::mem::replace(&mut self.sub, next) {
                while let Some(ev) = old.try_recv() {
                    self.backlog.push_back(ev);
                }
            }
            tracing::info!(symbols = symbols.len(), "alerts follow their symbols");
        }
        self.followed.retain(|s, _| symbols.contains(s));
        self.atr.retain(|(s, _), _| symbols.contains(s));
        for sym in &symbols {
            if !self.followed.contains_key(sym) {
                self.start_following(sym.clone());
            }
        }
        let wanted: HashSet<(Arc<str>, Timeframe)> = self
            .book
            .symbols()
            .flat_map(|(s, b)| b.alerts.iter().map(|w| (s.clone(), w.rule.timeframe)))
            .collect();
        for key in wanted {
            if !self.atr.contains_key(&key) {
                self.atr.insert(key.clone(), None);
                self.load_atr(key.0, key.1);
            }
        }
        self.loads.retain(|t| !t.is_finished());
    }

    fn start_following(&mut self, sym: Arc<str>) {
        let Ok(symbol) = Symbol::parse(&sym) else {
            return;
        };
        let closes = Arc::new(Notify::new());
        let live = LiveLevels::on_minute_closes(
            self.shared.levels.clone(),
            symbol.clone(),
            closes.clone(),
        );
        let mut rx = live.rx.clone();
        let (tx, s) = (self.inbox_tx.clone(), sym.clone());
        let forward = tokio::spawn(async move {
            loop {
                let report = rx.borrow_and_update().clone();
                match report {
                    Some(Ok(r)) if tx.send(Inbox::Levels(s.clone(), r.clone())).is_err() => return,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        tracing::debug!(symbol = %s, error = %e, "no levels for an alert's symbol")
                    }
                    None => {}
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
        self.followed.insert(
            sym.clone(),
            Followed {
                _levels: live,
                closes,
                forward,
            },
        );
        // The minutes before, for the relative volume.
        let (history, clock, tx) = (
            self.shared.market.history().clone(),
            self.shared.clock.clone(),
            self.inbox_tx.clone(),
        );
        self.loads.push(tokio::spawn(async move {
            let now = clock.now().timestamp_millis();
            let q = ChartQuery {
                symbol: symbol.to_string(),
                timeframe: "1m".into(),
                from_ms: Some(now - 40 * 60_000),
                to_ms: Some(now - 1),
            };
            if let Ok(d) = history.load(&q).await {
                let v: Vec<f64> = d
                    .bars
                    .iter()
                    .filter(|b| b.time + 60_000 <= now)
                    .map(|b| b.volume)
                    .collect();
                let _ = tx.send(Inbox::Volumes(sym, v));
            }
        }));
    }

    /// ATR(14) of `tf` for the default re-arm distance, loaded in the background.
    fn load_atr(&mut self, sym: Arc<str>, tf: Timeframe) {
        let (history, now, tx) = (
            self.shared.market.history().clone(),
            self.shared.clock.now().timestamp_millis(),
            self.inbox_tx.clone(),
        );
        self.loads.push(tokio::spawn(async move {
            let atr = atr_before(&history, &sym, tf, now).await;
            let _ = tx.send(Inbox::Atr(sym, tf, atr));
        }));
    }

    /// Replays the minute bars since the worker last ran: what fires is
    /// reported as missed while closed, at the minute it would have fired.
    ///
    /// An alert takes part from where the worker stopped watching (or from
    /// when it was set, if later). Times are the market data's: when the
    /// engine's clock and the data disagree (a past session replayed), an
    /// alert set while nothing watched starts from the live data instead.
    async fn replay_missed(&mut self) {
        let (last_data, last_clock) = match self.shared.db.call(|db| db.last_run()).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.save_states().await;
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not read when the alerts last ran");
                return;
            }
        };
        let now = self.shared.clock.now().timestamp_millis();
        // `last_clock` is the clock when `last_data` was seen: live data is
        // close to the clock (the delayed feed 15 minutes behind); a replayed
        // past session is days away from it.
        let aligned = (last_clock - last_data).abs() <= 30 * 60_000;
        let symbols: Vec<Arc<str>> = self.book.symbols().map(|(s, _)| s.clone()).collect();
        let mut out = Vec::new();
        for sym in symbols {
            let Some(b) = self.book.symbol_mut(&sym) else {
                continue;
            };
            let mut from = i64::MAX;
            for w in &mut b.alerts {
                let start = if w.created_ms <= last_clock {
                    Some(last_data)
                } else if aligned {
                    Some(w.created_ms)
                } else {
                    None
                };
                w.from_ms = start.unwrap_or(i64::MAX);
                from = from.min(w.from_ms);
            }
            let (from, to) = if aligned {
                if from < now - MAX_REPLAY_MS {
                    // Longer ago than is replayed: the last prices are stale.
                    self.forget_prices(&sym);
                }
                (from.max(now - MAX_REPLAY_MS), now)
            } else {
                (from, from.saturating_add(MAX_REPLAY_MS).min(now.max(from)))
            };
            if aligned && last_data > now {
                // The market's time went back (a replayed session started over).
                if let Some(b) = self.book.symbol_mut(&sym) {
                    for w in &mut b.alerts {
                        w.state.time_went_back();
                    }
                }
            }
            if from == i64::MAX || from >= to {
                self.reset_from(&sym);
                continue;
            }
            // A long replay keeps the lease.
            self.renew_lease().await;
            let q = ChartQuery {
                symbol: sym.to_string(),
                timeframe: "1m".into(),
                from_ms: Some(from - from.rem_euclid(60_000)),
                to_ms: Some(to - 1),
            };
            let bars = match self.shared.market.history().load(&q).await {
                Ok(d) => d.bars,
                Err(e) => {
                    tracing::warn!(symbol = %sym, error = %e, "the minutes missed while closed could not be loaded; alerts start from now");
                    self.reset_from(&sym);
                    self.forget_prices(&sym);
                    continue;
                }
            };
            // ATR as it was then, for the re-arm distances.
            let history = self.shared.market.history().clone();
            let tfs: HashSet<Timeframe> = self
                .book
                .symbol_mut(&sym)
                .map(|b| b.alerts.iter().map(|w| w.rule.timeframe).collect())
                .unwrap_or_default();
            for tf in tfs {
                let atr = atr_before(&history, &sym, tf, from).await;
                if let Some(b) = self.book.symbol_mut(&sym) {
                    for w in b.alerts.iter_mut().filter(|w| w.rule.timeframe == tf) {
                        w.atr = atr;
                    }
                }
            }
            let has_level_alerts = self
                .book
                .symbol_mut(&sym)
                .is_some_and(|b| b.alerts.iter().any(|w| w.rule.level.is_some()));
            // The minute it stopped in was partly watched: only its close counts.
            self.book.cover(&sym, from);
            let before = out.len();
            let mut n = 0;
            for bar in bars.iter().filter(|b| b.time + 60_000 <= to) {
                if has_level_alerts {
                    // The levels as they stood at that minute (VWAP, the opening range…).
                    if let Some(at) = chrono::DateTime::from_timestamp_millis(bar.time) {
                        if let Ok(r) = self.shared.levels.levels(&sym, Some(at)).await {
                            self.book.set_levels(&sym, Arc::new(r));
                        }
                    }
                }
                self.book.on_minute(&sym, bar, &mut out);
                // Replayed minutes are watched minutes: the next start begins after them.
                self.reached = self.reached.max(bar.time + 60_000);
                self.reached_clock = now;
                n += 1;
            }
            self.reset_from(&sym);
            tracing::info!(
                symbol = %sym,
                from = %super::rfc3339(from),
                first = %bars.first().map(|b| super::rfc3339(b.time)).unwrap_or_default(),
                last = %bars.last().map(|b| super::rfc3339(b.time)).unwrap_or_default(),
                minutes = n,
                fired = out.len() - before,
                "replayed the minutes missed while closed"
            );
        }
        if !out.is_empty() {
            self.record(out, true).await;
        }
        self.save_states().await;
    }

    /// The alerts of `sym` start afresh from the next price (nobody watched
    /// what came between).
    fn forget_prices(&mut self, sym: &str) {
        if let Some(b) = self.book.symbol_mut(sym) {
            for w in &mut b.alerts {
                w.state.forget_prices();
            }
        }
    }

    /// After a replay every alert of `sym` takes what comes next.
    fn reset_from(&mut self, sym: &str) {
        if let Some(b) = self.book.symbol_mut(sym) {
            for w in &mut b.alerts {
                w.from_ms = 0;
            }
        }
    }

    /// Writes each firing with its alert's new state, then tells the app and
    /// wakes the deliverer.
    async fn record(&mut self, firings: Vec<Firing>, missed: bool) {
        let now = chrono::Utc::now().timestamp_millis();
        let mut channels = vec![DeliveryChannel::InApp];
        if self.opts.os_notifications && self.shared.delivery.os_notifications {
            channels.push(DeliveryChannel::Os);
        }
        if self.shared.delivery.webhook_url.is_some() {
            channels.push(DeliveryChannel::Webhook);
        }
        if self.shared.delivery.email.is_some() {
            channels.push(DeliveryChannel::Email);
        }
        for f in firings {
            let Some(w) = self.book.alerts().find(|w| w.id == f.alert_id).cloned() else {
                continue;
            };
            // The levels as they stood when it fired: the live sheet, or for a
            // minute replayed on start, the sheet at that minute.
            let levels = if missed {
                match chrono::DateTime::from_timestamp_millis(f.fire.time_ms) {
                    Some(at) => self
                        .shared
                        .levels
                        .levels(&f.symbol, Some(at))
                        .await
                        .ok()
                        .map(Arc::new),
                    None => None,
                }
            } else {
                self.book
                    .symbol_mut(&f.symbol)
                    .and_then(|b| b.levels.clone())
            };
            let (context, message) = describe(&f, &w, levels.as_deref(), missed);
            let ev = NewEvent {
                alert_id: f.alert_id,
                symbol: f.symbol.to_string(),
                condition: w.rule.condition.as_str(),
                // A level's line to the cent, as the message shows it.
                trigger_price: f.fire.line.map(|l| (l * 100.0).round() / 100.0),
                price: f.fire.price,
                at_ms: f.fire.time_ms,
                message,
                context,
                missed,
            };
            let (state, updated, chans) = (w.state.clone(), f.updated_ms, channels.clone());
            let written = self
                .shared
                .db
                .call(
                    move |db| match db.record_fire(&ev, updated, &state, &chans, now)? {
                        Some(id) => Ok(db.events(0, Some(&[id]))?.pop()),
                        None => Ok::<_, crate::store::StoreError>(None),
                    },
                )
                .await;
            match written {
                Ok(Some(event)) => {
                    tracing::info!(
                        alert = event.alert_id,
                        event = event.id,
                        missed,
                        "{}",
                        event.message
                    );
                    let _ = self.shared.feed.send(AlertFeed::Fired { event });
                }
                Ok(None) => tracing::info!(
                    alert = f.alert_id,
                    "a firing of an alert changed meanwhile was dropped"
                ),
                // Not delivered either: it was not written.
                Err(e) => {
                    tracing::error!(alert = f.alert_id, error = %e, "a firing could not be written; it is not delivered")
                }
            }
        }
        self.shared.outbox.notify_one();
        // States that are done leave the book.
        let done: Vec<i64> = self
            .book
            .alerts()
            .filter(|w| !matches!(w.state.status(), AlertStatus::Armed | AlertStatus::Rearming))
            .map(|w| w.id)
            .collect();
        if !done.is_empty() {
            self.save_states().await;
            self.reload().await;
        }
        self.publish_live();
    }

    /// Saves every alert's state (its last price) and how far the worker has
    /// watched: the newest data it evaluated (the clock when it has none), and
    /// the clock.
    async fn save_states(&mut self) {
        let states: Vec<_> = self
            .book
            .alerts()
            .map(|w| (w.id, w.updated_ms, w.state.clone()))
            .collect();
        let reached = (self.reached > 0).then_some(self.reached);
        let clock = if self.reached > 0 {
            self.reached_clock
        } else {
            self.shared.clock.now().timestamp_millis()
        };
        if let Err(e) = self
            .shared
            .db
            .call(move |db| db.save_states(&states, reached, clock))
            .await
        {
            tracing::warn!(error = %e, "the alerts' states could not be saved");
        }
    }

    /// Renews the lease: true while this worker holds it.
    async fn renew_lease(&mut self) -> bool {
        let (shared, now) = (self.shared.clone(), chrono::Utc::now().timestamp_millis());
        match self
            .shared
            .db
            .call(move |db| db.try_lease(&shared.owner, now, super::LEASE_MS, &shared.stopped))
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "the alerts lease could not be renewed");
                // Keep going on a read error: the lease lasts 45 s.
                self.leased
            }
        }
    }

    /// Renews the lease (stopping or resuming the watch when it is lost or
    /// won back), and reloads when another process changed the alerts
    /// (`coach alerts add` while the app runs).
    async fn renew(&mut self) {
        let held = self.renew_lease().await;
        if !held {
            if self.leased {
                tracing::error!("another process took the alerts lease; this one stops watching until it can take it back");
                self.leased = false;
                self.sub = None;
                self.followed.clear();
                self.book = Book::new();
                self.publish_live();
            }
            return;
        }
        if !self.leased {
            tracing::info!("the alerts lease is back; watching again");
            self.leased = true;
            self.reload().await;
            self.replay_missed().await;
            return;
        }
        match self.shared.db.call(|db| db.fingerprint()).await {
            Ok(f) if f != self.fingerprint => {
                tracing::info!("the alerts were changed by another process; reloading");
                self.reload().await;
                let _ = self.shared.feed.send(AlertFeed::History);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the alerts could not be checked for changes"),
        }
    }

    /// Each alert's last price and line, for the list and the status card.
    fn publish_live(&self) {
        let mut live = HashMap::new();
        for (_, b) in self.book.symbols() {
            for w in &b.alerts {
                let line = w.line();
                live.insert(
                    w.id,
                    Live {
                        last_price: b.last_price,
                        line,
                        rearm_at: (w.state.status() == AlertStatus::Rearming)
                            .then(|| line.and_then(|l| rules::rearm_at(&w.rule, l, w.atr)))
                            .flatten(),
                    },
                );
            }
        }
        self.shared.live.send_if_modified(|cur| {
            if **cur == live {
                false
            } else {
                *cur = Arc::new(live);
                true
            }
        });
    }
}

/// ATR(14) of `tf`'s completed bars before `at_ms`.
async fn atr_before(
    history: &Arc<crate::market::history::BarHistory>,
    sym: &str,
    tf: Timeframe,
    at_ms: i64,
) -> Option<f64> {
    let period = tf
        .intraday_minutes()
        .map(|m| i64::from(m) * 60_000)
        .unwrap_or(86_400_000);
    // Enough calendar time for 30 bars across nights and weekends.
    let span = (period * 30).max(4 * 86_400_000)
        + if period >= 86_400_000 {
            30 * 86_400_000
        } else {
            0
        };
    let q = ChartQuery {
        symbol: sym.to_string(),
        timeframe: tf.as_str().into(),
        from_ms: Some(at_ms - span),
        to_ms: Some(at_ms - 1),
    };
    match history.load(&q).await {
        Ok(d) => {
            let bars: Vec<&Candle> = d.bars.iter().filter(|b| b.time + period <= at_ms).collect();
            let (h, l, c): (Vec<f64>, Vec<f64>, Vec<f64>) = (
                bars.iter().map(|b| b.high).collect(),
                bars.iter().map(|b| b.low).collect(),
                bars.iter().map(|b| b.close).collect(),
            );
            series::atr(&h, &l, &c, 14)
                .last()
                .copied()
                .filter(|a| a.is_finite())
        }
        Err(e) => {
            tracing::debug!(symbol = %sym, timeframe = %tf, error = %e, "no ATR for an alert; the re-arm distance is 0.1 %");
            None
        }
    }
}

/// The context of a firing and its message.
fn describe(
    f: &Firing,
    w: &Watched,
    levels: Option<&LevelsReport>,
    missed: bool,
) -> (AlertContext, String) {
    let price = f.fire.price;
    // The alert's level, or a level sitting on its fixed price.
    let level = levels.and_then(|r| match w.rule.level {
        Some(kind) => r
            .levels
            .iter()
            .find(|l| l.kind == kind && Some(&l.label) == w.level_label.as_ref()),
        None => f.fire.line.and_then(|line| {
            r.levels
                .iter()
                .filter(|l| (l.price - line).abs() <= line * 0.0005)
                .min_by(|a, b| (a.price - line).abs().total_cmp(&(b.price - line).abs()))
        }),
    });
    let up = match w.rule.condition {
        Condition::CrossesAbove | Condition::Above | Condition::MovesUp => true,
        Condition::CrossesBelow | Condition::Below | Condition::MovesDown => false,
        _ => f.fire.line.is_none_or(|l| price >= l),
    };
    let next_level = levels.and_then(|r| {
        r.levels
            .iter()
            .filter(|l| Some(&l.label) != level.map(|x| &x.label))
            .filter(|l| if up { l.price > price } else { l.price < price })
            .min_by(|a, b| (a.price - price).abs().total_cmp(&(b.price - price).abs()))
            .map(|l| NextLevel {
                label: l.label.clone(),
                price: l.price,
                distance: l.price - price,
            })
    });
    let context = AlertContext {
        reason: f.fire.reason.clone(),
        level_label: level.map(|l| l.label.clone()),
        provenance: level.map(|l| l.provenance.clone()),
        next_level,
        tests_today: level.map(|l| l.tests),
        relative_volume: f.relative_volume,
        from_bar: f.from_bar,
    };
    let mut m = format!("{} {}", f.symbol, f.fire.reason);
    match (level, w.rule.level) {
        (Some(l), Some(_)) => m.push_str(&format!(" ({})", l.label)),
        (Some(l), None) => m.push_str(&format!(" (near {} {})", l.label, f2(l.price))),
        _ => {}
    }
    m.push('.');
    if let (Some(l), Some(p)) = (level, &context.provenance) {
        let p = p.trim_end_matches('.');
        // Some provenances name their level already ("VWAP − 2σ: Σ(…)").
        let named = p.find(": ").is_some_and(|i| i <= 30);
        if named {
            m.push_str(&format!(" {p}."));
        } else {
            m.push_str(&format!(" {}: {p}.", l.label));
        }
    }
    if let Some(n) = &context.next_level {
        m.push_str(&format!(
            " Next level {} at {} ({}{}).",
            n.label,
            f2(n.price),
            if n.distance >= 0.0 { "+" } else { "−" },
            f2(n.distance.abs())
        ));
    }
    if let Some(t) = &context.tests_today {
        m.push_str(&format!(
            " Tested {} time{} today ({} rejected, {} broke).",
            t.touches,
            if t.touches == 1 { "" } else { "s" },
            t.rejections,
            t.breaks
        ));
    }
    if let Some(rv) = context.relative_volume {
        m.push_str(&format!(
            " Volume {rv:.1}× the 20-minute average{}.",
            if f.from_bar {
                ""
            } else {
                " (this minute so far)"
            }
        ));
    }
    if missed {
        m.push_str(" Missed while the app was closed.");
    } else if f.from_bar {
        m.push_str(" Read from the minute's bar: its trades were not seen live.");
    }
    (context, m)
}
