//! Key levels for a symbol at a moment, from the chart cache: the daily bars
//! before the session and its minute bars so far, handed to
//! [`coach_core::levels::compute`]. For the live moment, today's tests are
//! merged with (and saved to) SQLite so a restart does not reset them.

use chrono::{DateTime, Utc};
use coach_core::calendar;
use coach_core::candles::Candle;
use coach_core::levels::{self, LevelInputs, LevelTests, LevelsError, LevelsReport};
use coach_core::Symbol;

use crate::market::charts::{ChartError, ChartQuery};
use crate::store::StoreError;
use crate::Engine;

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

fn bar(b: &crate::market::charts::ChartBar) -> Candle {
    Candle {
        time: b.time,
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
        vwap: b.vwap,
        extended: b.extended,
    }
}

impl Engine {
    /// The key levels of `symbol` at `at` (default: now on the market's clock).
    pub async fn levels(
        &self,
        symbol: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<LevelsReport, LevelsFailure> {
        let symbol = Symbol::parse(symbol)?;
        let now = self.clock().now();
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
            .charts()
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
            .map(bar)
            .collect();
        let keep = daily.len().saturating_sub(levels::DAILY_LOOKBACK);
        daily.drain(..keep);
        let at_ms = at.timestamp_millis();
        let minutes: Vec<Candle> = if at > session.pre_open {
            self.charts()
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
                .map(bar)
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
            self.merge_level_tests(&mut report, now.timestamp_millis())?;
        }
        Ok(report)
    }

    /// Keeps the larger of today's recount and the saved record, then saves.
    fn merge_level_tests(&self, report: &mut LevelsReport, now_ms: i64) -> Result<(), StoreError> {
        let session = report.session.to_string();
        let saved = self.db().level_tests(&report.symbol, &session)?;
        let mut rows = Vec::with_capacity(report.levels.len());
        for lv in &mut report.levels {
            if let Some((_, _, t, r, b)) = saved
                .iter()
                .find(|(k, l, ..)| *k == lv.kind && *l == lv.label)
            {
                lv.tests = lv.tests.max(LevelTests {
                    touches: *t,
                    rejections: *r,
                    breaks: *b,
                });
            }
            rows.push((
                lv.kind.clone(),
                lv.label.clone(),
                lv.tests.touches,
                lv.tests.rejections,
                lv.tests.breaks,
            ));
        }
        self.db()
            .save_level_tests(&report.symbol, &session, &rows, now_ms)
    }
}
