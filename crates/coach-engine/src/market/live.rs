//! Live candles for a set of symbols: minute and second aggregates from the
//! hub, folded by a CandleAggregator per symbol, emitted as updates of the
//! requested timeframes. Updates are never sent for a bar older than the last
//! one sent; late data goes to the chart cache instead. The consumer reads
//! through a latest-value queue: a slow one gets the newest state of each bar,
//! never blocks the stream, and loses no final bar.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use coach_core::candles::{CandleAggregator, CandleUpdate};
use coach_core::{Symbol, Timeframe};
use tokio::sync::Notify;

use super::history::BarHistory;
use super::hub::{Channel, MarketHub, RecvError, Topic};
use super::wire::{MarketData, Sym};
use super::ConnectionStatus;

/// One item of a live stream.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveItem {
    Candle {
        symbol: Symbol,
        update: CandleUpdate,
    },
    State(ConnectionStatus),
}

/// How many items wait for a consumer at most. Partial updates of the same bar
/// coalesce, so only finals and state changes queue; past this many the
/// oldest go (and are counted), the producer never waits.
const OUTBOX_CAPACITY: usize = 8192;

/// Latest-value queue between the stream task and a consumer that may be slow
/// (a webview, a terminal): a newer partial update of a bar replaces the one
/// still waiting, in place; finals and state changes are kept in order.
#[derive(Default)]
struct Outbox {
    items: VecDeque<LiveItem>,
    /// Sequence number of `items[0]`.
    head: u64,
    /// Where the waiting partial update of each series sits.
    partial_at: HashMap<(Symbol, Timeframe), u64>,
    dropped: u64,
    closed: bool,
}

impl Outbox {
    fn push(&mut self, item: LiveItem) {
        if let LiveItem::Candle { symbol, update } = &item {
            let key = (symbol.clone(), update.timeframe);
            if let Some(&seq) = self.partial_at.get(&key) {
                if let Some(slot) = seq
                    .checked_sub(self.head)
                    .and_then(|i| self.items.get_mut(i as usize))
                {
                    if matches!(slot, LiveItem::Candle { update: u, .. } if !u.is_final && u.candle.time == update.candle.time)
                    {
                        if update.is_final {
                            self.partial_at.remove(&key);
                        }
                        *slot = item;
                        return;
                    }
                }
                self.partial_at.remove(&key);
            }
            if !update.is_final {
                self.partial_at
                    .insert(key, self.head + self.items.len() as u64);
            }
        }
        self.items.push_back(item);
        if self.items.len() > OUTBOX_CAPACITY {
            self.pop();
            self.dropped += 1;
        }
    }

    fn pop(&mut self) -> Option<LiveItem> {
        let item = self.items.pop_front()?;
        if let LiveItem::Candle { symbol, update } = &item {
            let key = (symbol.clone(), update.timeframe);
            if self.partial_at.get(&key) == Some(&self.head) {
                self.partial_at.remove(&key);
            }
        }
        self.head += 1;
        Some(item)
    }
}

struct Outlet {
    outbox: Mutex<Outbox>,
    ready: Notify,
}

impl Outlet {
    fn push(&self, item: LiveItem) {
        self.outbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(item);
        self.ready.notify_one();
    }

    fn close(&self) {
        self.outbox.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        self.ready.notify_one();
    }
}

/// A running live stream; dropping it releases its subscriptions.
pub struct LiveCandles {
    outlet: Arc<Outlet>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LiveCandles {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LiveCandles {
    pub fn start(
        hub: &MarketHub,
        charts: Option<Arc<BarHistory>>,
        symbols: &[Symbol],
        timeframes: &[Timeframe],
    ) -> LiveCandles {
        let outlet = Arc::new(Outlet {
            outbox: Mutex::new(Outbox::default()),
            ready: Notify::new(),
        });
        let tx = outlet.clone();
        let topics: Vec<Topic> = symbols
            .iter()
            .flat_map(|s| {
                [
                    Topic::new(Channel::Minutes, s.clone()),
                    Topic::new(Channel::Seconds, s.clone()),
                ]
            })
            .collect();
        // One subscription for all topics keeps the server's order: a minute's
        // bar arrives before the next minute's seconds.
        let mut sub = hub.subscribe_all(topics);
        let mut status = hub.status();
        let timeframes = timeframes.to_vec();
        let seed_symbols = symbols.to_vec();
        let task = tokio::spawn(async move {
            let _closes = CloseOnDrop(tx.clone());
            let mut fold = Fold {
                charts,
                timeframes,
                aggs: HashMap::new(),
                last_sent: HashMap::new(),
                untrusted_before: HashMap::new(),
            };
            let first = status.borrow_and_update().clone();
            tx.push(LiveItem::State(first));
            // Bars already under way (today's bar, this hour's) need the minutes
            // before the subscription; events wait in the subscription meanwhile.
            fold.seed(&seed_symbols).await;
            loop {
                tokio::select! {
                    changed = status.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        let s = status.borrow_and_update().clone();
                        tx.push(LiveItem::State(s));
                    }
                    ev = sub.recv() => {
                        let ev = match ev {
                            Ok(ev) => ev,
                            Err(RecvError::Lagged(n)) => {
                                tracing::warn!(missed = n, "live candles fell behind; the next minute bar resynchronises them");
                                continue;
                            }
                            Err(RecvError::Closed) => return,
                        };
                        fold.on_event(&ev, &tx).await;
                    }
                }
            }
        });
        LiveCandles { outlet, task }
    }

    /// The next item; `None` once the stream has ended.
    pub async fn recv(&mut self) -> Option<LiveItem> {
        loop {
            {
                let mut q = self.outlet.outbox.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(item) = q.pop() {
                    return Some(item);
                }
                if q.closed {
                    return None;
                }
            }
            self.outlet.ready.notified().await;
        }
    }

    /// The next item if one is waiting.
    pub fn try_recv(&mut self) -> Option<LiveItem> {
        self.outlet
            .outbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
    }

    /// Items lost because the consumer fell more than the queue's capacity behind.
    pub fn dropped(&self) -> u64 {
        self.outlet
            .outbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .dropped
    }
}

/// The stream's state: one aggregator per symbol and the last update sent per series.
struct Fold {
    charts: Option<Arc<BarHistory>>,
    timeframes: Vec<Timeframe>,
    aggs: HashMap<Sym, CandleAggregator>,
    last_sent: HashMap<(Sym, Timeframe), CandleUpdate>,
    /// Symbols whose seeding failed: bars that began before this time were
    /// built from part of their minutes and are not stored as history.
    untrusted_before: HashMap<Sym, i64>,
}

impl Fold {
    /// Folds today's completed minute bars (from the chart cache, REST when
    /// needed) into each symbol's aggregator, so the first live bar of a
    /// larger timeframe starts from its true open, high, low and volume.
    async fn seed(&mut self, symbols: &[Symbol]) {
        let Some(charts) = self.charts.clone() else {
            return;
        };
        let now = charts.now_ms();
        let Some(today) = chrono::DateTime::from_timestamp_millis(now)
            .map(|t| t.with_timezone(&chrono_tz::America::New_York).date_naive())
        else {
            return;
        };
        for symbol in symbols {
            let sym: Sym = Arc::from(symbol.as_str());
            let q = super::history::ChartQuery {
                symbol: symbol.to_string(),
                timeframe: "1m".into(),
                from_ms: Some(coach_core::calendar::midnight_ny(today)),
                to_ms: Some(now),
            };
            match charts.load(&q).await {
                Ok(d) => {
                    let agg = self.aggs.entry(sym).or_default();
                    for b in d.bars.iter().filter(|b| b.time + 60_000 <= now) {
                        let _ = agg.on_minute_bar(b);
                    }
                    // Seeded bars are history, not news: nothing is sent for them.
                    for tf in Timeframe::ALL {
                        agg.take_closed(tf);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, %symbol, "could not load today's minutes; the first live bar of larger timeframes starts at the subscription");
                    self.untrusted_before.insert(sym, now);
                }
            }
        }
    }

    async fn on_event(&mut self, ev: &MarketData, out: &Outlet) {
        let (
            MarketData::Aggregate {
                sym, minute, start, ..
            },
            Some(candle),
        ) = (ev, ev.candle())
        else {
            return;
        };
        let agg = self.aggs.entry(sym.clone()).or_default();
        let applied = if *minute {
            agg.on_minute_bar(&candle)
        } else {
            agg.on_partial(*start, &candle)
        };
        if let Err(late) = applied {
            // Too late for the live chart; history gets it.
            if *minute {
                if let (Some(charts), Ok(symbol)) = (&self.charts, Symbol::parse(sym)) {
                    let _ = charts
                        .record_final(&symbol, Timeframe::M1, late.candle)
                        .await;
                }
            }
            return;
        }
        let Ok(symbol) = Symbol::parse(sym) else {
            return;
        };
        // Worked out first, then stored and sent: a final bar is in history
        // before anyone is told it closed.
        let mut updates = Vec::new();
        for tf in &self.timeframes {
            let closed = agg.take_closed(*tf);
            let current = agg.current(*tf);
            for update in closed.into_iter().chain(current) {
                let key = (sym.clone(), *tf);
                // Never an update for a bar older than the last one sent.
                let send = match self.last_sent.get(&key) {
                    Some(prev) => {
                        update.candle.time > prev.candle.time
                            || (update.candle.time == prev.candle.time && update != *prev)
                    }
                    None => true,
                };
                if !send {
                    continue;
                }
                self.last_sent.insert(key, update);
                let trusted = *tf == Timeframe::M1
                    || self
                        .untrusted_before
                        .get(sym)
                        .is_none_or(|t| update.candle.time >= *t);
                updates.push((*tf, update, update.is_final && trusted));
            }
        }
        for (tf, update, record) in updates {
            if let (true, Some(charts)) = (record, &self.charts) {
                let _ = charts.record_final(&symbol, tf, update.candle).await;
            }
            out.push(LiveItem::Candle {
                symbol: symbol.clone(),
                update,
            });
        }
    }
}

/// Marks the outlet closed however the stream task ends.
struct CloseOnDrop(Arc<Outlet>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{ConnectionState, ConnectionStatus};
    use coach_core::candles::Candle;

    fn bar(tf: Timeframe, minute: i64, close: f64, is_final: bool) -> LiveItem {
        LiveItem::Candle {
            symbol: Symbol::parse("SPY").unwrap(),
            update: CandleUpdate {
                timeframe: tf,
                candle: Candle {
                    time: minute * 60_000,
                    open: 1.0,
                    high: close.max(1.0),
                    low: close.min(1.0),
                    close,
                    volume: 1.0,
                    vwap: None,
                    extended: false,
                },
                is_final,
            },
        }
    }

    fn state(s: ConnectionState) -> LiveItem {
        LiveItem::State(ConnectionStatus {
            state: s,
            detail: None,
            since_ms: 0,
            attempt: 0,
        })
    }

    #[test]
    fn a_slow_consumer_gets_the_latest_partial_and_every_final_in_order() {
        let mut q = Outbox::default();
        q.push(bar(Timeframe::M1, 0, 1.1, false));
        q.push(bar(Timeframe::M1, 0, 1.2, false));
        q.push(state(ConnectionState::Stale));
        q.push(bar(Timeframe::M5, 0, 1.2, false));
        q.push(bar(Timeframe::M1, 0, 1.3, true));
        q.push(bar(Timeframe::M1, 1, 1.4, false));
        q.push(bar(Timeframe::M1, 1, 1.5, false));
        q.push(bar(Timeframe::M5, 0, 1.5, false));
        assert_eq!(q.items.len(), 4, "partials of the same bar coalesced");
        assert_eq!(q.pop(), Some(bar(Timeframe::M1, 0, 1.3, true)));
        assert_eq!(q.pop(), Some(state(ConnectionState::Stale)));
        // After pops the positions still line up.
        q.push(bar(Timeframe::M5, 0, 1.6, false));
        q.push(bar(Timeframe::M1, 1, 1.7, false));
        assert_eq!(q.pop(), Some(bar(Timeframe::M5, 0, 1.6, false)));
        assert_eq!(q.pop(), Some(bar(Timeframe::M1, 1, 1.7, false)));
        assert_eq!(q.pop(), None);
        // A partial of the next bar never replaces the previous bar's final.
        q.push(bar(Timeframe::M1, 1, 1.8, true));
        q.push(bar(Timeframe::M1, 2, 1.9, false));
        assert_eq!(q.pop(), Some(bar(Timeframe::M1, 1, 1.8, true)));
        assert_eq!(q.pop(), Some(bar(Timeframe::M1, 2, 1.9, false)));
        assert_eq!(q.dropped, 0);
    }

    #[test]
    fn the_queue_is_bounded_and_counts_what_it_dropped() {
        let mut q = Outbox::default();
        for m in 0..(OUTBOX_CAPACITY as i64 + 10) {
            q.push(bar(Timeframe::M1, m, 1.0, true));
            q.push(bar(Timeframe::M1, m + 1, 1.0, false));
        }
        assert_eq!(q.items.len(), OUTBOX_CAPACITY);
        assert!(q.dropped > 0);
        let mut last = i64::MIN;
        while let Some(LiveItem::Candle { update, .. }) = q.pop() {
            assert!(update.candle.time >= last, "what is left is still in order");
            last = update.candle.time;
        }
    }
}
