//! The worker's book: every active alert, by symbol, with its state, and the
//! evaluation of each trade and minute bar the hub delivers. No I/O: the
//! worker feeds it and persists what fires, and the benchmark drives it alone.
//!
//! Trades are the ticks. A minute bar is evaluated as a path (open, then the
//! low and high in the order the bar's direction suggests, then the close)
//! only when no trade of that minute was seen — a minute backfilled after a
//! dropped socket, replayed on start, or a feed without trades — so nothing
//! is evaluated twice. A bar partly seen by trades adds only its close.
//! Bar-close rules are judged on the minute that closes a bar of their timeframe.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use coach_core::alerts::{self, AlertRule, AlertState, Fire, Inputs, Trigger};
use coach_core::candles::Candle;
use coach_core::levels::LevelsReport;
use coach_core::{calendar, Timeframe};

use crate::market::hub::FastMap;

/// Minutes of volume the relative volume is measured against.
const VOLUME_LOOKBACK: usize = 20;

/// One alert in the book.
#[derive(Debug, Clone)]
pub struct Watched {
    pub id: i64,
    /// The stored row's version: a firing is written only for this one.
    pub updated_ms: i64,
    /// When it was set, on the engine's clock.
    pub created_ms: i64,
    /// The market data's time from which it may fire: what the worker had
    /// seen of its symbol when the alert joined the book (0: all it sees).
    pub from_ms: i64,
    pub rule: AlertRule,
    pub level_label: Option<String>,
    pub state: AlertState,
    /// ATR(14) of the rule's timeframe, for the default re-arm distance.
    pub atr: Option<f64>,
    /// The level's price now (level alerts).
    pub level_price: Option<f64>,
}

impl Watched {
    fn inputs(&self) -> Inputs {
        Inputs {
            level_price: self.level_price,
            atr: self.atr,
        }
    }

    /// The line now: the level's price or the rule's.
    pub fn line(&self) -> Option<f64> {
        match self.rule.level {
            Some(_) => self.level_price,
            None => self.rule.price,
        }
    }
}

/// Something fired.
#[derive(Debug, Clone)]
pub struct Firing {
    pub symbol: Arc<str>,
    pub alert_id: i64,
    pub fire: Fire,
    pub updated_ms: i64,
    /// Seen on a minute bar rather than a trade.
    pub from_bar: bool,
    /// The bar's volume (so far, for a trade) against the 20 minutes before.
    pub relative_volume: Option<f64>,
}

/// One symbol's alerts and what the book knows of its market.
#[derive(Debug, Default)]
pub struct SymbolBook {
    symbol: Arc<str>,
    pub alerts: Vec<Watched>,
    /// Trades and bars before this time were evaluated already.
    covered_ms: i64,
    /// The minute trades are arriving in, and its volume so far.
    minute_start: i64,
    minute_volume: f64,
    volumes: VecDeque<f64>,
    pub last_price: Option<f64>,
    pub levels: Option<Arc<LevelsReport>>,
}

/// `volume` against the average of `recent` minutes (at least five of them).
fn relative_volume(recent: &VecDeque<f64>, volume: f64) -> Option<f64> {
    if recent.len() < 5 {
        return None;
    }
    let avg = recent.iter().sum::<f64>() / recent.len() as f64;
    Some(if avg > 0.0 { volume / avg } else { 0.0 })
}

/// Every active alert, by symbol.
#[derive(Debug, Default)]
pub struct Book {
    symbols: FastMap<Arc<str>, SymbolBook>,
}

/// Whether the minute ending at `end_ms` closes a bar of `tf`.
pub fn closes_bar(tf: Timeframe, end_ms: i64) -> bool {
    match tf.intraday_minutes() {
        Some(m) => end_ms.rem_euclid(i64::from(m) * 60_000) == 0,
        None => DateTime::<Utc>::from_timestamp_millis(end_ms)
            .and_then(|t| {
                calendar::session_containing(t - chrono::Duration::milliseconds(1))
                    .ok()
                    .flatten()
            })
            .is_some_and(|s| s.close.timestamp_millis() == end_ms),
    }
}

impl Book {
    pub fn new() -> Book {
        Book::default()
    }

    /// Adds an alert (its symbol's market state is kept if already known).
    pub fn insert(&mut self, symbol: Arc<str>, w: Watched) {
        self.symbols
            .entry(symbol.clone())
            .or_insert_with(|| SymbolBook {
                symbol,
                ..SymbolBook::default()
            })
            .alerts
            .push(w);
    }

    /// Removes every alert, keeping what is known of each symbol's market
    /// (its last price and covered time), so a reload never re-evaluates a tick.
    pub fn clear_alerts(&mut self) -> Vec<Watched> {
        self.symbols
            .values_mut()
            .flat_map(|b| std::mem::take(&mut b.alerts))
            .collect()
    }

    /// Drops symbols with no alerts left.
    pub fn prune(&mut self) {
        self.symbols.retain(|_, b| !b.alerts.is_empty());
    }

    pub fn symbols(&self) -> impl Iterator<Item = (&Arc<str>, &SymbolBook)> {
        self.symbols.iter()
    }

    pub fn symbol_mut(&mut self, symbol: &str) -> Option<&mut SymbolBook> {
        self.symbols.get_mut(symbol)
    }

    pub fn alerts(&self) -> impl Iterator<Item = &Watched> {
        self.symbols.values().flat_map(|b| b.alerts.iter())
    }

    pub fn alerts_mut(&mut self) -> impl Iterator<Item = &mut Watched> {
        self.symbols.values_mut().flat_map(|b| b.alerts.iter_mut())
    }

    /// New levels for `symbol`: the lines of its level alerts move.
    pub fn set_levels(&mut self, symbol: &str, report: Arc<LevelsReport>) {
        let Some(b) = self.symbols.get_mut(symbol) else {
            return;
        };
        for w in &mut b.alerts {
            if let Some(kind) = w.rule.level {
                w.level_price = report
                    .levels
                    .iter()
                    .find(|l| l.kind == kind && Some(&l.label) == w.level_label.as_ref())
                    .map(|l| l.price);
            }
        }
        b.levels = Some(report);
    }

    /// One trade.
    #[inline]
    pub fn on_trade(&mut self, symbol: &str, t: i64, price: f64, size: f64, out: &mut Vec<Firing>) {
        let Some(b) = self.symbols.get_mut(symbol) else {
            return;
        };
        let sym = &b.symbol;
        if t < b.covered_ms {
            return;
        }
        b.covered_ms = t;
        let minute = t - t.rem_euclid(60_000);
        if minute != b.minute_start {
            b.minute_start = minute;
            b.minute_volume = 0.0;
        }
        b.minute_volume += size;
        b.last_price = Some(price);
        let mut rv = None;
        for w in &mut b.alerts {
            if w.from_ms > t {
                continue;
            }
            let inputs = w.inputs();
            if let Some(fire) = alerts::on_tick(&w.rule, &mut w.state, t, price, &inputs) {
                let rv = *rv.get_or_insert_with(|| relative_volume(&b.volumes, b.minute_volume));
                out.push(Firing {
                    symbol: sym.clone(),
                    alert_id: w.id,
                    fire,
                    updated_ms: w.updated_ms,
                    from_bar: false,
                    relative_volume: rv,
                });
            }
        }
    }

    /// One completed minute bar (live, backfilled or replayed).
    pub fn on_minute(&mut self, symbol: &str, bar: &Candle, out: &mut Vec<Firing>) {
        let Some(b) = self.symbols.get_mut(symbol) else {
            return;
        };
        let sym = &b.symbol;
        let end = bar.time + 60_000;
        let rv = relative_volume(&b.volumes, bar.volume);
        // The prices of the bar not seen as trades.
        let path: Vec<(i64, f64)> = if b.covered_ms >= end {
            vec![]
        } else if b.covered_ms > bar.time {
            vec![(end - 1, bar.close)]
        } else {
            let (first, second) = if bar.close >= bar.open {
                (bar.low, bar.high)
            } else {
                (bar.high, bar.low)
            };
            vec![
                (bar.time, bar.open),
                (bar.time, first),
                (bar.time, second),
                (end - 1, bar.close),
            ]
        };
        for w in &mut b.alerts {
            // Bars that ended before it watches are not its; the one it
            // started in counts by its close only.
            if w.from_ms >= end {
                continue;
            }
            let inputs = w.inputs();
            let own = if w.from_ms > bar.time {
                &path[path.len().saturating_sub(1)..]
            } else {
                &path[..]
            };
            let (alert_id, updated_ms) = (w.id, w.updated_ms);
            let firing = |fire| Firing {
                symbol: sym.clone(),
                alert_id,
                fire,
                updated_ms,
                from_bar: true,
                relative_volume: rv,
            };
            for &(t, p) in own {
                if let Some(fire) = alerts::on_tick(&w.rule, &mut w.state, t, p, &inputs) {
                    out.push(firing(fire));
                }
            }
            if w.rule.trigger == Trigger::OncePerBarClose && closes_bar(w.rule.timeframe, end) {
                if let Some(fire) =
                    alerts::on_bar_close(&w.rule, &mut w.state, end, bar.close, &inputs)
                {
                    out.push(firing(fire));
                }
            }
        }
        if !path.is_empty() {
            b.last_price = Some(bar.close);
        }
        b.covered_ms = b.covered_ms.max(end);
        b.volumes.push_back(bar.volume);
        if b.volumes.len() > VOLUME_LOOKBACK {
            b.volumes.pop_front();
        }
    }

    /// Where a symbol's evaluation stands (for a replay to start after).
    pub fn covered_ms(&self, symbol: &str) -> Option<i64> {
        self.symbols.get(symbol).map(|b| b.covered_ms)
    }

    /// Marks a symbol evaluated up to `ms` (e.g. by a replay).
    pub fn cover(&mut self, symbol: &str, ms: i64) {
        if let Some(b) = self.symbols.get_mut(symbol) {
            b.covered_ms = b.covered_ms.max(ms);
        }
    }

    /// Takes the minute volumes before live data (for the relative volume).
    pub fn seed_volumes(&mut self, symbol: &str, volumes: impl IntoIterator<Item = f64>) {
        if let Some(b) = self.symbols.get_mut(symbol) {
            for v in volumes {
                b.volumes.push_back(v);
                if b.volumes.len() > VOLUME_LOOKBACK {
                    b.volumes.pop_front();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coach_core::alerts::{Condition, Trigger};

    fn rule(condition: Condition, price: f64, trigger: Trigger) -> AlertRule {
        AlertRule {
            condition,
            price: Some(price),
            price2: None,
            level: None,
            trigger,
            timeframe: Timeframe::M1,
            cooldown_secs: 0,
            rearm: Some(alerts::Rearm::Points(0.5)),
            expires_ms: None,
        }
    }

    fn watched(id: i64, rule: AlertRule) -> Watched {
        Watched {
            id,
            updated_ms: 0,
            created_ms: 0,
            from_ms: 0,
            rule,
            level_label: None,
            state: AlertState::default(),
            atr: None,
            level_price: None,
        }
    }

    fn bar(time: i64, o: f64, h: f64, l: f64, c: f64) -> Candle {
        Candle {
            time,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 1000.0,
            vwap: None,
            extended: false,
        }
    }

    #[test]
    fn a_bar_fires_only_when_its_minute_was_not_seen_as_trades() {
        let mut book = Book::new();
        book.insert(
            "SPY".into(),
            watched(1, rule(Condition::CrossesAbove, 100.0, Trigger::Every)),
        );
        let mut out = vec![];
        book.on_trade("SPY", 60_000, 99.5, 10.0, &mut out);
        book.on_trade("SPY", 61_000, 100.2, 10.0, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].fire.time_ms, out[0].fire.price), (61_000, 100.2));
        // The minute's bar reaches lower and higher than the trades: seen already.
        book.on_minute("SPY", &bar(60_000, 99.5, 100.9, 99.0, 100.2), &mut out);
        assert_eq!(
            out.len(),
            1,
            "the bar of a minute seen as trades adds no firing"
        );
        // A backfilled minute nobody saw: down to re-arm, then up through the line.
        book.on_minute("SPY", &bar(120_000, 100.1, 100.6, 99.2, 100.5), &mut out);
        assert_eq!(out.len(), 2);
        assert!(out[1].from_bar);
        assert_eq!((out[1].fire.time_ms, out[1].fire.price), (120_000, 100.6));
        // A trade older than what was covered is not evaluated again.
        book.on_trade("SPY", 150_000, 99.0, 1.0, &mut out);
        book.on_trade("SPY", 190_000, 99.0, 1.0, &mut out);
        book.on_trade("SPY", 191_000, 100.0, 1.0, &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].fire.time_ms, 191_000);
    }

    #[test]
    fn a_bar_close_rule_is_judged_on_the_minute_that_closes_its_bar() {
        let mut book = Book::new();
        let mut r = rule(Condition::Above, 100.0, Trigger::OncePerBarClose);
        r.timeframe = Timeframe::M5;
        book.insert("SPY".into(), watched(7, r));
        let mut out = vec![];
        // 09:31..09:34 close above; only the minute ending on the 5-minute boundary counts.
        let t0: i64 = 1_700_000_100_000; // a 5-minute boundary
        for i in 0..4 {
            book.on_minute(
                "SPY",
                &bar(t0 + i * 60_000, 100.5, 101.0, 100.2, 100.8),
                &mut out,
            );
        }
        assert!(out.is_empty());
        book.on_minute(
            "SPY",
            &bar(t0 + 240_000, 100.5, 101.0, 100.2, 100.7),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].fire.time_ms, t0 + 300_000);
        assert_eq!(out[0].fire.price, 100.7);
    }

    #[test]
    fn relative_volume_compares_with_the_minutes_before() {
        let mut book = Book::new();
        book.insert(
            "SPY".into(),
            watched(1, rule(Condition::CrossesAbove, 100.0, Trigger::Once)),
        );
        book.seed_volumes("SPY", [100.0; 20]);
        let mut out = vec![];
        book.on_trade("SPY", 1_000, 99.0, 50.0, &mut out);
        book.on_trade("SPY", 2_000, 101.0, 250.0, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].relative_volume, Some(3.0));
    }
}
