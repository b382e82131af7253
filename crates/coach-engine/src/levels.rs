//! Key levels for a symbol at a moment, from the chart cache: the daily bars
//! before the session and its minute bars so far, handed to
//! [`coach_core::levels::compute`]. For the live moment, today's tests are
//! merged with (and saved to) SQLite so a restart does not reset them.

use chrono::{DateTime, Utc};
use coach_core::calendar;
use coach_core::candles::Candle;
use coach_core::levels::{self, LevelInputs, LevelTests, LevelsError, LevelsReport};
use coach_core::Symbol;

use std::sync::Arc;

use tokio::sync::{watch, Notify};

use crate::clock::Clock;
use crate::market::history::{BarHistory, ChartError, ChartQuery};
use crate::market::live::{LiveCandles, LiveItem};
use crate::store::{LevelTestTables, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LevelsFailure {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Levels(#[from] LevelsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Symbol(#[from] coach_core::SymbolError),
    #[error("{at} is in the future (the market's clock says {now})")]
    Future { at: String, now: String },
    #[error(transparent)]
    Calendar(#[from] calendar::CalendarError),
}

/// The levels component: the level sheet of a symbol at a moment, and kept
/// live. Cheap to clone into a live task.
#[derive(Clone)]
pub struct Levels {
    history: Arc<BarHistory>,
    db: LevelTestTables,
    clock: Arc<dyn Clock>,
}

impl Levels {
    pub fn new(history: Arc<BarHistory>, db: LevelTestTables, clock: Arc<dyn Clock>) -> Levels {
        Levels { history, db, clock }
    }

    /// Levels of `symbol` kept current from `candles` (the symbol's minute
    /// bars, e.g. `market.live_candles(&[symbol], &[Timeframe::M1])`):
    /// recomputed whenever a minute bar closes (opening ranges complete, VWAP
    /// moves, tests count).
    pub fn live(&self, symbol: &Symbol, candles: LiveCandles) -> LiveLevels {
        LiveLevels::start(self.clone(), symbol.clone(), candles)
    }
}

/// The latest levels of one symbol; dropping it stops the updates.
pub struct LiveLevels {
    pub rx: watch::Receiver<Option<Result<Arc<LevelsReport>, String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for LiveLevels {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl LiveLevels {
    /// Levels recomputed after each minute bar `candles` closes.
    fn start(service: Levels, symbol: Symbol, mut candles: LiveCandles) -> LiveLevels {
        let closes = Arc::new(Notify::new());
        let mut live = LiveLevels::on_minute_closes(service, symbol, closes.clone());
        live.tasks.push(tokio::spawn(async move {
            while let Some(item) = candles.recv().await {
                if let LiveItem::Candle { update, .. } = item {
                    if update.is_final && update.timeframe == coach_core::Timeframe::M1 {
                        closes.notify_one();
                    }
                }
            }
        }));
        live
    }

    /// Levels computed now and again each time `closes` is notified (a minute
    /// bar closed) — for a stream that already follows the symbol's minutes.
    /// Closes that come during a computation make one more, not one each.
    pub fn on_minute_closes(service: Levels, symbol: Symbol, closes: Arc<Notify>) -> LiveLevels {
        let (tx, rx) = watch::channel(None);
        let task = tokio::spawn(async move {
            loop {
                let r = service.levels(symbol.as_str(), None).await;
                tx.send_replace(Some(r.map(Arc::new).map_err(|e| e.to_string())));
                closes.notified().await;
            }
        });
        LiveLevels {
            rx,
            tasks: vec![task],
        }
    }
}

impl Levels {
    /// The key levels of `symbol` at `at` (default: now on the market's clock).
    pub async fn levels(
        &self,
        symbol: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<LevelsReport, LevelsFailure> {
        let symbol = Symbol::parse(symbol)?;
        let now = self.clock.now();
        let live = at.is_none();
        let at = at.unwrap_or(now);
        if at > now {
            return Err(LevelsFailure::Future {
                at: at.to_rfc3339(),
                now: now.to_rfc3339(),
            });
        }
        let session = levels::session_for(at)?;
        let midnight = calendar::midnight_ny(session.date);
        // About 80 sessions of daily history.
        let daily = self
            .history
            .load(&ChartQuery {
                symbol: symbol.to_string(),
                timeframe: "1d".into(),
                from_ms: Some(midnight - 125 * 86_400_000),
                to_ms: Some(midnight - 1),
            })
            .await?;
        let mut daily: Vec<Candle> = daily
            .bars
            .iter()
            .filter(|b| b.time < midnight)
            .copied()
            .collect();
        let keep = daily.len().saturating_sub(levels::DAILY_LOOKBACK);
        daily.drain(..keep);
        let at_ms = at.timestamp_millis();
        let minutes: Vec<Candle> = if at > session.pre_open {
            self.history
                .load(&ChartQuery {
                    symbol: symbol.to_string(),
                    timeframe: "1m".into(),
                    from_ms: Some(session.pre_open.timestamp_millis()),
                    to_ms: Some(at_ms - 1),
                })
                .await?
                .bars
                .iter()
                // Completed minutes only.
                .filter(|b| b.time + 60_000 <= at_ms)
                .copied()
                .collect()
        } else {
            Vec::new()
        };
        let mut report = levels::compute(&LevelInputs {
            symbol: symbol.as_str(),
            at,
            session,
            daily: &daily,
            minutes: &minutes,
        })?;
        if live {
            self.merge_level_tests(&mut report, now.timestamp_millis())
                .await?;
        }
        Ok(report)
    }

    /// Keeps the larger of today's recount and the saved record, then saves.
    async fn merge_level_tests(
        &self,
        report: &mut LevelsReport,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let session = report.session.to_string();
        let (symbol, day) = (report.symbol.clone(), session.clone());
        let saved = self
            .db
            .call(move |db| db.level_tests(&symbol, &day))
            .await?;
        let mut rows = Vec::with_capacity(report.levels.len());
        for lv in &mut report.levels {
            if let Some((_, _, t, r, b)) = saved
                .iter()
                .find(|(k, l, ..)| k == lv.kind.as_str() && *l == lv.label)
            {
                lv.tests = lv.tests.max(LevelTests {
                    touches: *t,
                    rejections: *r,
                    breaks: *b,
                });
            }
            rows.push((
                lv.kind.as_str().to_string(),
                lv.label.clone(),
                lv.tests.touches,
                lv.tests.rejections,
                lv.tests.breaks,
            ));
        }
        let symbol = report.symbol.clone();
        self.db
            .call(move |db| db.save_level_tests(&symbol, &session, &rows, now_ms))
            .await
    }
}
