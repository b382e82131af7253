//! The live chart: one open chart per UI slot.
//!
//! Opening a chart loads its bars through the chart cache (latest request
//! wins per slot), computes the indicators over them with the same
//! [`IndicatorSet`] the coach uses, and then streams [`ChartEvent`]s: the
//! forming bar patched from the socket with its indicator values, bars missed
//! in between filled from history, key levels as they change, connection
//! changes. With live updates off (the `AI_COACH_CHART_LIVE_UPDATES` rollback
//! path) the stream refreshes over REST every [`REST_REFRESH`] instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coach_core::candles::Candle;
use coach_core::indicators::{IndicatorSet, Spec};
use coach_core::levels::LevelsReport;
use coach_core::{Symbol, Timeframe};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error_code::{Coded, ErrorCode};
use crate::levels::Levels;
use crate::market::history::{BarHistory, ChartError, ChartQuery, ChartSource};
use crate::market::live::LiveItem;
use crate::market::{ConnectionStatus, Market};

/// What the chart draws unless asked otherwise: EMA 20, SMA 50, VWAP with
/// bands, Bollinger 20/2, RSI 14, MACD 12/26/9.
pub const DEFAULT_INDICATORS: [&str; 6] = [
    "ema:20",
    "sma:50",
    "vwap:bands",
    "bbands:20:2",
    "rsi:14",
    "macd:12:26:9",
];

/// The most bars a chart is opened with: the newest ones, their indicator
/// values computed over all the history loaded (so warm-up is exact).
pub const MAX_VIEW_BARS: usize = 1200;

/// How often the chart refreshes over REST when live updates are off.
pub const REST_REFRESH: Duration = Duration::from_secs(15);

/// The chart a UI slot asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChartOpen {
    pub symbol: String,
    /// 1m, 5m, 15m, 1h or 1d.
    pub timeframe: String,
    /// Indicator specs (`ema:20`, `vwap:bands`, `macd:12:26:9`); empty means [`DEFAULT_INDICATORS`].
    pub indicators: Vec<String>,
}

/// The first answer: the bars and every indicator's values over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChartView {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    pub bars: Vec<Candle>,
    pub source: ChartSource,
    /// The request's generation in its slot; every event of its stream carries it.
    #[ts(type = "number")]
    pub generation: u64,
    /// Output names, in the order of each row of values.
    pub indicator_keys: Vec<String>,
    /// One column per key, aligned with `bars` (`null` while warming up).
    pub indicators: Vec<Vec<Option<f64>>>,
    /// Older bars that were loaded to warm the indicators up but not sent.
    pub older_bars: u32,
    /// True: the forming bar is patched from the socket. False: REST refresh every `refresh_secs`.
    pub live_updates: bool,
    pub refresh_secs: u32,
}

/// What an open chart's stream sends after the first answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChartEvent {
    /// The forming bar changed (or closed, `final`); `indicators` is its row.
    Bar {
        #[ts(type = "number")]
        generation: u64,
        bar: Candle,
        #[serde(rename = "final")]
        is_final: bool,
        indicators: Vec<Option<f64>>,
        /// Wall-clock ms when the engine's chart stream received the update
        /// (for tick-to-chart latency).
        received_ms: f64,
    },
    /// Completed bars the stream had not shown (a gap filled from history, or
    /// a REST refresh), oldest first, with their indicator rows.
    Fill {
        #[ts(type = "number")]
        generation: u64,
        bars: Vec<Candle>,
        indicators: Vec<Vec<Option<f64>>>,
    },
    Levels {
        #[ts(type = "number")]
        generation: u64,
        report: LevelsReport,
    },
    LevelsFailed {
        #[ts(type = "number")]
        generation: u64,
        message: String,
    },
    Connection {
        #[ts(type = "number")]
        generation: u64,
        status: ConnectionStatus,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ChartOpenError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("{0}")]
    Indicator(#[from] coach_core::indicators::SpecError),
}

impl Coded for ChartOpenError {
    /// `superseded` (a newer request replaced this one: ignore it),
    /// `not_found`, `invalid_input`, `unavailable` (the provider or the
    /// network; retrying may help), `database`.
    fn code(&self) -> ErrorCode {
        match self {
            ChartOpenError::Indicator(_) => ErrorCode::InvalidInput,
            ChartOpenError::Chart(e) => e.code(),
        }
    }
}

impl Coded for ChartError {
    fn code(&self) -> ErrorCode {
        use crate::market::rest::RestError;
        match self {
            ChartError::Superseded => ErrorCode::Superseded,
            ChartError::Symbol(_) | ChartError::Timeframe(_) | ChartError::Range { .. } => {
                ErrorCode::InvalidInput
            }
            ChartError::Provider(RestError::NotFound(_)) => ErrorCode::NotFound,
            ChartError::Provider(_) => ErrorCode::Unavailable,
            ChartError::Store(_) => ErrorCode::Database,
            ChartError::Crashed(_) => ErrorCode::Internal,
        }
    }
}

/// Where an event goes; returns false once nobody listens (the stream then ends).
pub trait ChartSink: Fn(ChartEvent) -> bool + Send + Sync + 'static {}
impl<F: Fn(ChartEvent) -> bool + Send + Sync + 'static> ChartSink for F {}

/// The charts component: the open charts, by slot (a newer chart in a slot
/// stops the older stream), each fed by the market and its levels.
pub struct Charts {
    slots: Mutex<HashMap<String, (u64, tokio::task::JoinHandle<()>)>>,
    rest_refresh: Mutex<Duration>,
    market: Arc<Market>,
    levels: Levels,
    live_updates: bool,
}

impl Charts {
    /// `live_updates`: patch the forming bar from the socket (else refresh
    /// over REST every [`REST_REFRESH`]).
    pub fn new(market: Arc<Market>, levels: Levels, live_updates: bool) -> Charts {
        Charts {
            slots: Mutex::default(),
            rest_refresh: Mutex::new(REST_REFRESH),
            market,
            levels,
            live_updates,
        }
    }

    /// The REST refresh period for charts opened from now on with live updates off
    /// ([`REST_REFRESH`] unless a test shortens it).
    pub fn set_rest_refresh(&self, every: Duration) {
        *self.rest_refresh.lock().unwrap_or_else(|p| p.into_inner()) = every;
    }

    fn rest_refresh(&self) -> Duration {
        *self.rest_refresh.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Installs the stream of generation `generation` unless a newer one is already there.
    fn install(&self, slot: &str, generation: u64, task: tokio::task::JoinHandle<()>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        match slots.get(slot) {
            Some((g, _)) if *g > generation => task.abort(),
            _ => {
                if let Some((_, old)) = slots.insert(slot.to_string(), (generation, task)) {
                    old.abort();
                }
            }
        }
    }

    /// Stops the stream of `slot`; false when none was open.
    pub fn close(&self, slot: &str) -> bool {
        let removed = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(slot);
        if let Some((_, task)) = &removed {
            task.abort();
        }
        removed.is_some()
    }

    /// Slots with a running stream.
    pub fn open_slots(&self) -> Vec<String> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<String> = slots
            .iter()
            .filter(|(_, (_, t))| !t.is_finished())
            .map(|(k, _)| k.clone())
            .collect();
        out.sort();
        out
    }
}

impl Drop for Charts {
    fn drop(&mut self) {
        for (_, (_, task)) in self
            .slots
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
        {
            task.abort();
        }
    }
}

/// One bar's length (a day for daily bars).
fn period_ms(tf: Timeframe) -> i64 {
    tf.intraday_minutes()
        .map_or(86_400_000, |m| i64::from(m) * 60_000)
}

fn now_ms_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

impl Charts {
    /// Whether charts patch the forming bar from the socket (the
    /// `AI_COACH_CHART_LIVE_UPDATES` flag: the environment wins over the setting).
    pub fn live_updates(&self) -> bool {
        self.live_updates
    }

    /// Opens (or replaces) the chart in `slot` and starts its stream into `sink`.
    /// A newer open of the same slot makes this one fail with `Superseded`.
    pub async fn open(
        &self,
        slot: &str,
        req: ChartOpen,
        sink: impl ChartSink,
    ) -> Result<ChartView, ChartOpenError> {
        let names: Vec<&str> = if req.indicators.is_empty() {
            DEFAULT_INDICATORS.to_vec()
        } else {
            req.indicators.iter().map(String::as_str).collect()
        };
        let specs = names
            .iter()
            .map(|s| s.parse::<Spec>())
            .collect::<Result<Vec<Spec>, _>>()?;
        let data = self
            .market
            .history()
            .request(
                slot,
                ChartQuery {
                    symbol: req.symbol,
                    timeframe: req.timeframe,
                    from_ms: None,
                    to_ms: None,
                },
            )
            .await?;
        let (symbol, tf) = (data.symbol.clone(), data.timeframe);
        let mut set = IndicatorSet::new(&specs);
        let keys = set.keys().to_vec();
        let mut columns: Vec<Vec<Option<f64>>> =
            vec![Vec::with_capacity(data.bars.len()); keys.len()];
        let mut row = Vec::with_capacity(keys.len());
        // A provider may include the bar still forming: it is shown, but only
        // peeked, so the live updates that follow can still change it.
        let period = period_ms(tf);
        let now = self.market.history().now_ms();
        let mut last_time = None;
        for b in &data.bars {
            if b.time + period > now {
                set.peek(b, &mut row);
            } else {
                set.push(b, &mut row);
                last_time = Some(b.time);
            }
            for (c, v) in columns.iter_mut().zip(&row) {
                c.push(*v);
            }
        }
        // Only the newest bars cross to the UI; the indicators saw them all.
        let older = data.bars.len().saturating_sub(MAX_VIEW_BARS);
        let mut bars = data.bars;
        bars.drain(..older);
        for c in &mut columns {
            c.drain(..older);
        }
        let live_updates = self.live_updates;
        let stream = Stream {
            generation: data.generation,
            symbol: symbol.clone(),
            tf,
            set,
            last_time,
            fill_checked: None,
            charts: self.market.history().clone(),
            sink: Box::new(sink),
        };
        let levels = self.levels.clone();
        let refresh = self.rest_refresh();
        let task = if live_updates {
            // One stream for the chart and its levels: the chart's timeframe, and the
            // minute closes that trigger a levels recomputation.
            let tfs: &[Timeframe] = if tf == Timeframe::M1 {
                &[Timeframe::M1]
            } else {
                &[tf, Timeframe::M1]
            };
            let candles = self.market.live_candles(std::slice::from_ref(&symbol), tfs);
            let closes = Arc::new(tokio::sync::Notify::new());
            let live_levels =
                crate::levels::LiveLevels::on_minute_closes(levels, symbol.clone(), closes.clone());
            tokio::spawn(stream.live(candles, live_levels, closes))
        } else {
            let status = self.market.watch_connection();
            tokio::spawn(stream.polled(levels, status, refresh))
        };
        self.install(slot, data.generation, task);
        Ok(ChartView {
            symbol: data.symbol,
            timeframe: data.timeframe,
            bars,
            source: data.source,
            generation: data.generation,
            indicator_keys: keys,
            indicators: columns,
            older_bars: older as u32,
            live_updates,
            refresh_secs: refresh.as_secs().max(1) as u32,
        })
    }
}

/// One chart's stream state.
struct Stream {
    generation: u64,
    symbol: Symbol,
    tf: Timeframe,
    /// Committed over every completed bar the chart has.
    set: IndicatorSet,
    /// The newest completed bar the chart has.
    last_time: Option<i64>,
    /// The bar time a gap before which was already looked up (once per bar, not per tick).
    fill_checked: Option<i64>,
    charts: Arc<BarHistory>,
    sink: Box<dyn Fn(ChartEvent) -> bool + Send + Sync>,
}

impl Stream {
    fn send(&self, ev: ChartEvent) -> bool {
        (self.sink)(ev)
    }

    fn send_levels(&self, r: Option<Result<Arc<LevelsReport>, String>>) -> bool {
        match r {
            None => true,
            Some(Ok(report)) => self.send(ChartEvent::Levels {
                generation: self.generation,
                report: (*report).clone(),
            }),
            Some(Err(message)) => self.send(ChartEvent::LevelsFailed {
                generation: self.generation,
                message,
            }),
        }
    }

    /// Completed bars after the last one the chart has and before `before`,
    /// from the chart cache, committed and sent as a fill.
    async fn fill(&mut self, before: Option<i64>) -> bool {
        let Some(last) = self.last_time else {
            return true;
        };
        let to = before.map(|t| t - 1);
        if to.is_some_and(|to| to <= last) {
            return true;
        }
        let q = ChartQuery {
            symbol: self.symbol.to_string(),
            timeframe: self.tf.to_string(),
            from_ms: Some(last + 1),
            // An explicit end (clamped to now) asks for exactly that range, never a cached tail.
            to_ms: Some(to.unwrap_or(i64::MAX)),
        };
        let bars = match self.charts.load(&q).await {
            Ok(d) => d.bars,
            Err(e) => {
                tracing::warn!(error = %e, symbol = %self.symbol, "could not fill the chart from history; the next refresh retries");
                return true;
            }
        };
        let bars: Vec<Candle> = bars
            .into_iter()
            .filter(|b| b.time > last && before.is_none_or(|t| b.time < t))
            .collect();
        if bars.is_empty() {
            return true;
        }
        let mut rows = Vec::with_capacity(bars.len());
        let mut row = Vec::new();
        let (period, now) = (period_ms(self.tf), self.charts.now_ms());
        for b in &bars {
            if b.time + period > now {
                // Still forming (a REST refresh can return it): shown, not committed.
                self.set.peek(b, &mut row);
            } else {
                self.set.push(b, &mut row);
                self.last_time = Some(b.time);
            }
            rows.push(row.clone());
        }
        self.send(ChartEvent::Fill {
            generation: self.generation,
            bars,
            indicators: rows,
        })
    }

    /// The forming (or just closed) bar from the socket.
    async fn on_update(&mut self, c: Candle, is_final: bool, received_ms: f64) -> bool {
        if self.last_time.is_some_and(|t| c.time <= t) {
            return true; // the chart has this completed bar already
        }
        // More than one bar period since the last completed bar: something in
        // between may be missing (nights and holidays come back empty).
        if self
            .last_time
            .is_some_and(|t| c.time - t > period_ms(self.tf))
            && self.fill_checked != Some(c.time)
        {
            self.fill_checked = Some(c.time);
            if !self.fill(Some(c.time)).await {
                return false;
            }
        }
        let mut row = Vec::new();
        if is_final {
            self.set.push(&c, &mut row);
            self.last_time = Some(c.time);
        } else {
            self.set.peek(&c, &mut row);
        }
        self.send(ChartEvent::Bar {
            generation: self.generation,
            bar: c,
            is_final,
            indicators: row,
            received_ms,
        })
    }

    async fn live(
        mut self,
        mut candles: crate::market::live::LiveCandles,
        mut levels: crate::levels::LiveLevels,
        minute_closed: Arc<tokio::sync::Notify>,
    ) {
        let mut levels_open = true;
        loop {
            tokio::select! {
                item = candles.recv() => {
                    let received_ms = now_ms_f64();
                    let ok = match item {
                        None => return,
                        Some(LiveItem::State(status)) => self.send(ChartEvent::Connection {
                            generation: self.generation,
                            status,
                        }),
                        Some(LiveItem::Candle { update, .. }) => {
                            if update.is_final && update.timeframe == Timeframe::M1 {
                                minute_closed.notify_one();
                            }
                            if update.timeframe == self.tf {
                                self.on_update(update.candle, update.is_final, received_ms).await
                            } else {
                                true
                            }
                        }
                    };
                    if !ok {
                        return;
                    }
                }
                changed = levels.rx.changed(), if levels_open => {
                    if changed.is_err() {
                        // Levels stopped; the prices go on.
                        levels_open = false;
                        continue;
                    }
                    let r = levels.rx.borrow_and_update().clone();
                    if !self.send_levels(r) {
                        return;
                    }
                }
            }
        }
    }

    async fn polled(
        mut self,
        levels: Levels,
        mut status: tokio::sync::watch::Receiver<ConnectionStatus>,
        every: Duration,
    ) {
        let mut tick = tokio::time::interval(every);
        let first = status.borrow_and_update().clone();
        if !self.send(ChartEvent::Connection {
            generation: self.generation,
            status: first,
        }) {
            return;
        }
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let r = levels
                        .levels(self.symbol.as_str(), None)
                        .await
                        .map(Arc::new)
                        .map_err(|e| e.to_string());
                    if !self.fill(None).await || !self.send_levels(Some(r)) {
                        return;
                    }
                }
                changed = status.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let s = status.borrow_and_update().clone();
                    if !self.send(ChartEvent::Connection { generation: self.generation, status: s }) {
                        return;
                    }
                }
            }
        }
    }
}
