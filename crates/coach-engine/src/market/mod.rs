//! Market data: the one shared connection to Massive (or the demo market),
//! REST history, live candles and the chart cache; [`Market`] is the component
//! that owns them.

pub mod history;
pub mod hub;
mod link;
pub mod live;
pub mod reconcile;
pub mod rest;
pub mod wire;

pub use hub::{Channel, MarketHub, Subscription, Topic};
pub use link::{backoff, ConnectionState, ConnectionStatus};

use std::sync::Arc;

use coach_core::{Symbol, Timeframe};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::MarketConfig;
use history::{BarHistory, ChartError, ReconcileReport};
use reconcile::{reconcile_recent, ReconcileTotals, Reconciler};
use rest::MassiveRest;

/// The market data component: the one shared socket (the hub), the typed
/// REST client, bar history and the periodic reconciliation of what was
/// recorded live against the provider's history.
pub struct Market {
    config: MarketConfig,
    clock: Arc<dyn Clock>,
    rest: MassiveRest,
    history: Arc<BarHistory>,
    reconciler: Option<Reconciler>,
    // Declared last: the socket task ends after everything that reads it.
    hub: MarketHub,
}

impl Market {
    /// Connects (or, with `lazy`, connects on the first subscription) and
    /// starts reconciling every `reconcile_every` (none when `None`).
    pub fn start(
        config: MarketConfig,
        clock: Arc<dyn Clock>,
        history: Arc<BarHistory>,
        rest: MassiveRest,
        lazy: bool,
        reconcile_every: Option<std::time::Duration>,
    ) -> Market {
        let hub = MarketHub::start(config.clone(), rest.clone(), clock.clone(), lazy);
        let reconciler = reconcile_every.map(|every| {
            Reconciler::start(
                history.clone(),
                hub.live_symbols_source(),
                clock.clone(),
                every,
            )
        });
        Market {
            config,
            clock,
            rest,
            history,
            reconciler,
            hub,
        }
    }

    pub fn config(&self) -> &MarketConfig {
        &self.config
    }

    /// The market's clock (the simulator's on the demo market).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The one shared market connection.
    pub fn hub(&self) -> &MarketHub {
        &self.hub
    }

    /// The market's REST API (Massive or the demo market), typed.
    pub fn rest(&self) -> &MassiveRest {
        &self.rest
    }

    /// Bar history: the chart cache in front of the provider's REST history.
    pub fn history(&self) -> &Arc<BarHistory> {
        &self.history
    }

    /// Changes of the market connection state.
    pub fn watch_connection(&self) -> watch::Receiver<ConnectionStatus> {
        self.hub.status()
    }

    /// Live candles for symbols in the given timeframes.
    pub fn live_candles(&self, symbols: &[Symbol], timeframes: &[Timeframe]) -> live::LiveCandles {
        live::LiveCandles::start(&self.hub, Some(self.history.clone()), symbols, timeframes)
    }

    /// One reconciliation pass now over `symbols` (the last two hours), as the
    /// periodic task does for the symbols followed live.
    pub async fn reconcile_now(
        &self,
        symbols: &[Symbol],
    ) -> Vec<Result<ReconcileReport, (Symbol, Timeframe, ChartError)>> {
        reconcile_recent(&self.history, symbols, self.clock.now().timestamp_millis()).await
    }

    /// What the periodic reconciliation has done since start (None when off).
    pub fn reconcile_totals(&self) -> Option<ReconcileTotals> {
        self.reconciler.as_ref().map(Reconciler::totals)
    }
}
