//! Live candles for a set of symbols: minute and second aggregates from the
//! hub, folded by a CandleAggregator per symbol, emitted as updates of the
//! requested timeframes. Updates are never sent for a bar older than the last
//! one sent; late data goes to the chart cache instead.

use std::collections::HashMap;
use std::sync::Arc;

use coach_core::candles::{Candle, CandleAggregator, CandleUpdate};
use coach_core::{Symbol, Timeframe};
use tokio::sync::mpsc;

use super::charts::ChartService;
use super::hub::{Channel, MarketHub, RecvError, Topic};
use super::wire::{MarketEvent, Sym};
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

/// A running live stream; dropping it releases its subscriptions.
pub struct LiveCandles {
    pub rx: mpsc::Receiver<LiveItem>,
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
        charts: Option<Arc<ChartService>>,
        symbols: &[Symbol],
        timeframes: &[Timeframe],
    ) -> LiveCandles {
        let (tx, rx) = mpsc::channel(1024);
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
        let task = tokio::spawn(async move {
            let mut aggs: HashMap<Sym, CandleAggregator> = HashMap::new();
            let mut last_sent: HashMap<(Sym, Timeframe), CandleUpdate> = HashMap::new();
            let first = status.borrow_and_update().clone();
            let _ = tx.send(LiveItem::State(first)).await;
            loop {
                tokio::select! {
                    changed = status.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        let s = status.borrow_and_update().clone();
                        if tx.send(LiveItem::State(s)).await.is_err() {
                            return;
                        }
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
                        let MarketEvent::Aggregate { sym, minute, open, high, low, close, volume, vwap, start, .. } = &*ev else { continue };
                        let candle = Candle { time: *start, open: *open, high: *high, low: *low, close: *close, volume: *volume, vwap: *vwap, extended: false };
                        let agg = aggs.entry(sym.clone()).or_default();
                        let applied = if *minute { agg.on_minute_bar(&candle) } else { agg.on_partial(*start, &candle) };
                        if let Err(late) = applied {
                            if *minute {
                                if let (Some(charts), Ok(symbol)) = (&charts, Symbol::parse(sym)) {
                                    let _ = charts.record_final(&symbol, Timeframe::M1, late.candle);
                                }
                            }
                            continue;
                        }
                        let Ok(symbol) = Symbol::parse(sym) else { continue };
                        for tf in &timeframes {
                            let closed = agg.take_closed(*tf);
                            let current = agg.current(*tf);
                            for update in closed.into_iter().chain(current) {
                            let key = (sym.clone(), *tf);
                            // Never an update for a bar older than the last one sent.
                            let send = match last_sent.get(&key) {
                                Some(prev) => update.candle.time > prev.candle.time || (update.candle.time == prev.candle.time && update != *prev),
                                None => true,
                            };
                            if !send {
                                continue;
                            }
                            last_sent.insert(key, update);
                            if update.is_final {
                                if let Some(charts) = &charts {
                                    let _ = charts.record_final(&symbol, *tf, update.candle);
                                }
                            }
                            if tx.send(LiveItem::Candle { symbol: symbol.clone(), update }).await.is_err() {
                                return;
                            }
                            }
                        }
                    }
                }
            }
        });
        LiveCandles { rx, task }
    }
}
