//! Bar history (the chart cache): memory, then SQLite, then the provider's REST history.
//!
//! A request for (symbol, timeframe, range) is answered from cache when the
//! range was fetched before, and refreshed from the provider in the background
//! when it reaches into the recent past. Every request through
//! [`BarHistory::request`] belongs to a slot (one chart panel) and carries a
//! generation: a newer request in the same slot cancels the older fetch, and
//! an older answer is never delivered (latest request wins).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use coach_core::calendar;
use coach_core::candles::Candle;
use coach_core::{Symbol, Timeframe};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::rest::{MassiveRest, RestBar, RestError};
use crate::clock::Clock;
use crate::store::{BarTables, StoreError};

/// What the chart asks for. Times are unix milliseconds; missing bounds mean
/// "up to now" and "the timeframe's usual look-back".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChartQuery {
    pub symbol: String,
    /// 1m, 5m, 15m, 1h or 1d.
    pub timeframe: String,
    #[ts(type = "number | null")]
    pub from_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub to_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartSource {
    Memory,
    Database,
    Network,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChartData {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
    pub bars: Vec<Candle>,
    pub source: ChartSource,
    /// The request's generation within its slot (0 for slot-less loads).
    #[ts(type = "number")]
    pub generation: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(transparent)]
    Symbol(#[from] coach_core::SymbolError),
    #[error(transparent)]
    Timeframe(#[from] coach_core::TimeframeError),
    #[error("the chart range starts after it ends ({from} > {to})")]
    Range { from: i64, to: i64 },
    #[error(transparent)]
    Provider(#[from] RestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a newer chart request replaced this one")]
    Superseded,
    #[error("the chart could not be loaded (internal error: {0})")]
    Crashed(String),
}

/// A request "up to now" is answered from cache when the cached span ends at
/// most this long ago (the rest comes from a background refresh and the live stream).
pub const RECENT_TAIL_MS: i64 = 10 * 60_000;

/// How far back a chart looks when the request does not say.
pub fn default_lookback_ms(tf: Timeframe) -> i64 {
    let day = 86_400_000;
    match tf {
        Timeframe::M1 => 3 * day,
        Timeframe::M5 => 10 * day,
        Timeframe::M15 => 30 * day,
        Timeframe::H1 => 120 * day,
        Timeframe::D1 => 800 * day,
    }
}

fn rest_span(tf: Timeframe) -> (u32, &'static str) {
    match tf {
        Timeframe::M1 => (1, "minute"),
        Timeframe::M5 => (5, "minute"),
        Timeframe::M15 => (15, "minute"),
        Timeframe::H1 => (1, "hour"),
        Timeframe::D1 => (1, "day"),
    }
}

/// Whether an intraday bar starting at `t` lies outside the regular session.
fn is_extended(tf: Timeframe, t: i64) -> bool {
    if tf == Timeframe::D1 {
        return false;
    }
    let Some(at) = chrono::DateTime::from_timestamp_millis(t) else {
        return false;
    };
    let len = tf.intraday_minutes().unwrap_or(1) as i64 * 60_000;
    // A bar is regular when any of it overlaps the regular session.
    match calendar::session_containing(at).ok().flatten() {
        Some(s) => t + len <= s.open.timestamp_millis() || t >= s.close.timestamp_millis(),
        None => true,
    }
}

/// A provider bar as a candle of `tf`, flagged when outside the regular session.
pub fn to_candle(tf: Timeframe, b: &RestBar) -> Candle {
    Candle {
        time: b.t,
        open: b.o,
        high: b.h,
        low: b.l,
        close: b.c,
        volume: b.v,
        vwap: b.vw,
        extended: is_extended(tf, b.t),
    }
}

#[derive(Clone)]
struct Series {
    from: i64,
    to: i64,
    bars: Arc<Vec<Candle>>,
}

type SeriesKey = (Symbol, Timeframe);

pub struct BarHistory {
    rest: MassiveRest,
    db: BarTables,
    clock: Arc<dyn Clock>,
    memory: Mutex<HashMap<SeriesKey, Series>>,
    slots: Mutex<HashMap<String, (u64, Option<tokio::task::AbortHandle>)>>,
}

impl BarHistory {
    pub fn new(rest: MassiveRest, db: BarTables, clock: Arc<dyn Clock>) -> Arc<BarHistory> {
        Arc::new(BarHistory {
            rest,
            db,
            clock,
            memory: Mutex::new(HashMap::new()),
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// Now on the market's clock (unix ms).
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Resolves a query's symbol, timeframe and range.
    pub fn resolve(&self, q: &ChartQuery) -> Result<(Symbol, Timeframe, i64, i64), ChartError> {
        let symbol = Symbol::parse(&q.symbol)?;
        let tf: Timeframe = q.timeframe.parse()?;
        let now = self.clock.now().timestamp_millis();
        let to = q.to_ms.unwrap_or(now).min(now);
        let from = q.from_ms.unwrap_or(to - default_lookback_ms(tf));
        if from > to {
            return Err(ChartError::Range { from, to });
        }
        Ok((symbol, tf, from, to))
    }

    /// Answers from memory or SQLite when the range was fetched before (and
    /// refreshes recent ranges in the background); otherwise fetches.
    pub async fn load(self: &Arc<Self>, q: &ChartQuery) -> Result<ChartData, ChartError> {
        let (symbol, tf, from, to) = self.resolve(q)?;
        let data = |bars: &[Candle], source| ChartData {
            symbol: symbol.clone(),
            timeframe: tf,
            from_ms: from,
            to_ms: to,
            bars: bars
                .iter()
                .filter(|b| b.time >= from && b.time <= to)
                .copied()
                .collect(),
            source,
            generation: 0,
        };
        let key = (symbol.clone(), tf);
        let cached = self
            .memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        // "Up to now" is answered from a span that ends in the last few minutes;
        // the tail is fetched in the background and the live stream fills it.
        let open_ended = q.to_ms.is_none();
        let covers = move |cf: i64, ct: i64| {
            cf <= from && (ct >= to || (open_ended && to - ct <= RECENT_TAIL_MS))
        };
        if let Some(s) = cached.filter(|s| covers(s.from, s.to)) {
            self.refresh_if_recent(&symbol, tf, to, s.to);
            return Ok(data(&s.bars, ChartSource::Memory));
        }
        let sym = symbol.to_string();
        let stored = self
            .db
            .call(move |db| match db.coverage(&sym, tf.as_str())? {
                Some((cf, ct)) if covers(cf, ct) => {
                    Ok::<_, StoreError>(Some((cf, ct, db.bars_between(&sym, tf.as_str(), cf, ct)?)))
                }
                _ => Ok(None),
            })
            .await?;
        if let Some((cf, ct, bars)) = stored {
            let out = data(&bars, ChartSource::Database);
            self.remember(key, cf, ct, bars);
            self.refresh_if_recent(&symbol, tf, to, ct);
            return Ok(out);
        }
        let bars = self.fetch(&symbol, tf, from, to).await?;
        Ok(data(&bars, ChartSource::Network))
    }

    /// Latest-request-wins loading for one chart `slot`: a newer request cancels
    /// this one's fetch, and this one then answers `Superseded`.
    pub async fn request(
        self: &Arc<Self>,
        slot: &str,
        q: ChartQuery,
    ) -> Result<ChartData, ChartError> {
        let generation = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let entry = slots.entry(slot.to_string()).or_insert((0, None));
            entry.0 += 1;
            if let Some(prev) = entry.1.take() {
                prev.abort();
            }
            entry.0
        };
        let me = self.clone();
        let task = tokio::spawn(async move { me.load(&q).await });
        {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = slots.get_mut(slot) {
                if entry.0 == generation {
                    entry.1 = Some(task.abort_handle());
                } else {
                    task.abort();
                }
            }
        }
        let result = match task.await {
            Ok(r) => r,
            Err(e) if e.is_cancelled() => return Err(ChartError::Superseded),
            Err(e) => {
                tracing::error!(error = %e, "a chart load crashed");
                return Err(ChartError::Crashed(e.to_string()));
            }
        };
        let current = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(slot)
            .map(|e| e.0);
        if current != Some(generation) {
            return Err(ChartError::Superseded);
        }
        result.map(|mut d| {
            d.generation = generation;
            d
        })
    }

    async fn fetch(
        &self,
        symbol: &Symbol,
        tf: Timeframe,
        from: i64,
        to: i64,
    ) -> Result<Vec<Candle>, ChartError> {
        let bars = self.provider_bars(symbol, tf, from, to).await?;
        let now = self.clock.now().timestamp_millis();
        let sym = symbol.to_string();
        let (cf, ct, all, bars) = self
            .db
            .call(move |db| {
                db.upsert_bars(&sym, tf.as_str(), &bars)?;
                // Extend the covered span when the new one touches it; otherwise start over.
                let (cf, ct) = match db.coverage(&sym, tf.as_str())? {
                    Some((cf, ct)) if cf <= to && ct >= from => (cf.min(from), ct.max(to)),
                    _ => (from, to),
                };
                db.set_coverage(&sym, tf.as_str(), cf, ct, now)?;
                let all = if (cf, ct) == (from, to) {
                    bars.clone()
                } else {
                    db.bars_between(&sym, tf.as_str(), cf, ct)?
                };
                Ok::<_, StoreError>((cf, ct, all, bars))
            })
            .await?;
        self.remember((symbol.clone(), tf), cf, ct, all);
        Ok(bars)
    }

    /// The provider's bars for a range; an unknown symbol is an error.
    async fn provider_bars(
        &self,
        symbol: &Symbol,
        tf: Timeframe,
        from: i64,
        to: i64,
    ) -> Result<Vec<Candle>, ChartError> {
        let (mult, span) = rest_span(tf);
        let raw = self
            .rest
            .aggregates(
                symbol.as_str(),
                mult,
                span,
                &from.to_string(),
                &to.to_string(),
            )
            .await?;
        if raw.is_empty() {
            self.ensure_known(symbol).await?;
        }
        Ok(raw.iter().map(|b| to_candle(tf, b)).collect())
    }

    /// Massive answers an unknown ticker's aggregates with an empty OK; the
    /// snapshot tells "no bars in this range" from "no such symbol".
    async fn ensure_known(&self, symbol: &Symbol) -> Result<(), ChartError> {
        match self.rest.ticker_exists(symbol.as_str()).await {
            Ok(false) => Err(ChartError::Provider(RestError::NotFound(
                symbol.to_string(),
            ))),
            _ => Ok(()),
        }
    }

    fn remember(&self, key: SeriesKey, from: i64, to: i64, bars: Vec<Candle>) {
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                key,
                Series {
                    from,
                    to,
                    bars: Arc::new(bars),
                },
            );
    }

    /// A range that ends in the last day may have new bars: fetch what came
    /// after the cached span, in the background.
    fn refresh_if_recent(
        self: &Arc<Self>,
        symbol: &Symbol,
        tf: Timeframe,
        to: i64,
        cached_to: i64,
    ) {
        let now = self.clock.now().timestamp_millis();
        // Old ranges do not change; a span fetched seconds ago has nothing new yet.
        if now - to > 86_400_000 || now - cached_to < 5_000 {
            return;
        }
        let me = self.clone();
        let symbol = symbol.clone();
        tokio::spawn(async move {
            if let Err(e) = me.fetch(&symbol, tf, cached_to, now).await {
                tracing::debug!(error = %e, %symbol, "background chart refresh failed; the cached bars stay");
            }
        });
    }

    /// Puts bars finalised live into the cache (REST reconciliation is for integrity only).
    pub async fn record_final(
        &self,
        symbol: &Symbol,
        tf: Timeframe,
        bar: Candle,
    ) -> Result<(), ChartError> {
        self.store_bars(symbol, tf, vec![bar]).await
    }

    /// Whether SQLite holds any bars of this series in `[from, to]`.
    pub async fn has_bars(&self, symbol: &Symbol, tf: Timeframe, from: i64, to: i64) -> bool {
        let sym = symbol.to_string();
        self.db
            .call(move |db| db.has_bars(&sym, tf.as_str(), from, to))
            .await
            .unwrap_or(false)
    }

    /// Writes bars to SQLite and into the in-memory series that covers them.
    async fn store_bars(
        &self,
        symbol: &Symbol,
        tf: Timeframe,
        new: Vec<Candle>,
    ) -> Result<(), ChartError> {
        if new.is_empty() {
            return Ok(());
        }
        let sym = symbol.to_string();
        let new = self
            .db
            .call(move |db| db.upsert_bars(&sym, tf.as_str(), &new).map(|()| new))
            .await?;
        let mut mem = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = mem.get_mut(&(symbol.clone(), tf)) {
            let mut bars = (*s.bars).clone();
            // The span only grows over bars that join it: a live bar after a hole
            // must not mark the hole as fetched.
            let joins = tf
                .intraday_minutes()
                .map_or(86_400_000 * 4, |m| i64::from(m) * 60_000);
            for bar in new.iter().filter(|b| b.time >= s.from) {
                match bars.binary_search_by_key(&bar.time, |b| b.time) {
                    Ok(i) => bars[i] = *bar,
                    Err(i) => bars.insert(i, *bar),
                }
                if bar.time <= s.to + joins {
                    s.to = s.to.max(bar.time);
                }
            }
            s.bars = Arc::new(bars);
        }
        Ok(())
    }

    /// Integrity check of what the live path stored: the provider's completed
    /// bars in `[from, to]` are compared with the cached ones; a cached bar that
    /// differs is replaced and a missing one added (the provider's history is
    /// the record; late trades can change a bar after the socket sent it).
    /// Bars still forming at `to` are left alone.
    pub async fn reconcile(
        &self,
        symbol: &Symbol,
        tf: Timeframe,
        from: i64,
        to: i64,
    ) -> Result<ReconcileReport, ChartError> {
        if from > to {
            return Err(ChartError::Range { from, to });
        }
        let len = tf.intraday_minutes().map(|m| m as i64 * 60_000);
        let mut provider = self.provider_bars(symbol, tf, from, to).await?;
        provider.retain(|b| b.time >= from && len.is_none_or(|len| b.time + len <= to));
        let sym = symbol.to_string();
        let cached: HashMap<i64, Candle> = self
            .db
            .call(move |db| db.bars_between(&sym, tf.as_str(), from, to))
            .await?
            .into_iter()
            .map(|b| (b.time, b))
            .collect();
        let mut report = ReconcileReport {
            symbol: symbol.to_string(),
            timeframe: tf.to_string(),
            from_ms: from,
            to_ms: to,
            checked: provider.len(),
            corrected: Vec::new(),
            added: 0,
        };
        let mut changes = Vec::new();
        for bar in &provider {
            match cached.get(&bar.time) {
                Some(mine) if same_bar(mine, bar) => {}
                Some(mine) => {
                    report.corrected.push(BarCorrection {
                        time: bar.time,
                        cached: (*mine),
                        provider: (*bar),
                    });
                    changes.push(*bar);
                }
                None => {
                    report.added += 1;
                    changes.push(*bar);
                }
            }
        }
        self.store_bars(symbol, tf, changes).await?;
        if !report.corrected.is_empty() {
            tracing::warn!(
                %symbol,
                timeframe = %tf,
                corrected = report.corrected.len(),
                first = report.corrected[0].time,
                "reconciliation replaced cached bars that differ from the provider's history"
            );
        }
        Ok(report)
    }
}

/// Equal as a trader would see it: prices and volume to 1e-9 relative (bars
/// folded live from minutes and bars summed by the provider may differ in the
/// last bit), VWAP to 1e-6 and only when both sides have one.
fn same_bar(a: &Candle, b: &Candle) -> bool {
    let close = |x: f64, y: f64, rel: f64| (x - y).abs() <= rel * x.abs().max(y.abs()).max(1.0);
    a.time == b.time
        && a.extended == b.extended
        && close(a.open, b.open, 1e-9)
        && close(a.high, b.high, 1e-9)
        && close(a.low, b.low, 1e-9)
        && close(a.close, b.close, 1e-9)
        && close(a.volume, b.volume, 1e-9)
        && match (a.vwap, b.vwap) {
            (Some(x), Some(y)) => close(x, y, 1e-6),
            _ => true,
        }
}

/// One bar the live path stored differently from the provider's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarCorrection {
    pub time: i64,
    pub cached: Candle,
    pub provider: Candle,
}

/// What one reconciliation pass found for a symbol and timeframe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub symbol: String,
    pub timeframe: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// Completed provider bars compared.
    pub checked: usize,
    /// Cached bars replaced because they differed.
    pub corrected: Vec<BarCorrection>,
    /// Provider bars the cache did not have.
    pub added: usize,
}
