//! Periodic REST reconciliation, for integrity only: the live path is the
//! socket. Every few minutes, while a session is on, the recent bars stored
//! for each symbol with live subscribers are compared with the provider's
//! history and corrected where they differ.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coach_core::{calendar, Symbol, Timeframe};

use super::history::{BarHistory, ChartError, ReconcileReport};
use crate::clock::Clock;

/// How far back each pass looks.
pub const WINDOW_MS: i64 = 2 * 3_600_000;

/// The intraday timeframes the live path stores final bars for.
const TIMEFRAMES: [Timeframe; 4] = [Timeframe::M1, Timeframe::M5, Timeframe::M15, Timeframe::H1];

/// Totals since start, for the connection details and `coach doctor`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReconcileTotals {
    pub passes: u64,
    pub bars_checked: u64,
    pub bars_corrected: u64,
    pub bars_added: u64,
    pub failures: u64,
    /// Unix ms of the last pass.
    pub last_pass_ms: Option<i64>,
}

/// One pass over every live symbol. Errors are per symbol and timeframe; one
/// failing does not stop the others.
pub async fn reconcile_recent(
    charts: &BarHistory,
    symbols: &[Symbol],
    now_ms: i64,
) -> Vec<Result<ReconcileReport, (Symbol, Timeframe, ChartError)>> {
    let from = now_ms - WINDOW_MS;
    let mut out = Vec::new();
    for symbol in symbols {
        for tf in TIMEFRAMES {
            // Minutes always; larger bars only where the live path stored some.
            if tf != Timeframe::M1 && !charts.has_bars(symbol, tf, from, now_ms).await {
                continue;
            }
            out.push(
                charts
                    .reconcile(symbol, tf, from, now_ms)
                    .await
                    .map_err(|e| (symbol.clone(), tf, e)),
            );
        }
    }
    out
}

/// Whether bars can have changed lately: a session is on now, or ended
/// within the last pass interval (one more pass covers its tail).
fn worth_a_pass(now: chrono::DateTime<chrono::Utc>, every: Duration) -> bool {
    let tail = chrono::Duration::from_std(every).unwrap_or_default() + chrono::Duration::minutes(5);
    matches!(calendar::session_containing(now), Ok(Some(_)))
        || matches!(calendar::session_containing(now - tail), Ok(Some(_)))
}

/// The background task; aborted when dropped.
pub struct Reconciler {
    totals: Arc<Mutex<ReconcileTotals>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reconciler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Reconciler {
    /// Runs a pass every `every` (wall time) over the symbols followed live
    /// (see [`super::MarketHub::live_symbols_source`]).
    pub fn start(
        charts: Arc<BarHistory>,
        live_symbols: impl Fn() -> Vec<Symbol> + Send + Sync + 'static,
        clock: Arc<dyn Clock>,
        every: Duration,
    ) -> Reconciler {
        let totals = Arc::new(Mutex::new(ReconcileTotals::default()));
        let t = totals.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate; nothing is stored yet
            loop {
                tick.tick().await;
                let now = clock.now();
                if !worth_a_pass(now, every) {
                    continue;
                }
                let results =
                    reconcile_recent(&charts, &live_symbols(), now.timestamp_millis()).await;
                let mut totals = t.lock().unwrap_or_else(|p| p.into_inner());
                totals.passes += 1;
                totals.last_pass_ms = Some(now.timestamp_millis());
                for r in results {
                    match r {
                        Ok(r) => {
                            totals.bars_checked += r.checked as u64;
                            totals.bars_corrected += r.corrected.len() as u64;
                            totals.bars_added += r.added as u64;
                        }
                        Err((symbol, tf, e)) => {
                            totals.failures += 1;
                            tracing::warn!(%symbol, timeframe = %tf, error = %e, "reconciliation failed; the next pass retries");
                        }
                    }
                }
            }
        });
        Reconciler { totals, task }
    }

    pub fn totals(&self) -> ReconcileTotals {
        self.totals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
