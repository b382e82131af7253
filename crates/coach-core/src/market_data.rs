//! Market data as the engine's subscribers see it: trades, quotes and
//! second/minute aggregates, whatever provider they came from. The provider's
//! wire format (and its status messages) stays in the engine's adapter.

use std::sync::Arc;

use crate::candles::Candle;

/// A ticker as the feed spells it, shared between events (interned).
pub type Sym = Arc<str>;

/// One market event, as the hub hands it to subscribers.
#[derive(Debug, Clone, PartialEq)]
pub enum MarketData {
    Trade {
        sym: Sym,
        price: f64,
        size: f64,
        /// Unix ms.
        t: i64,
    },
    Quote {
        sym: Sym,
        bid: f64,
        ask: f64,
        t: i64,
    },
    /// A second or minute aggregate; `start`/`end` in unix ms.
    Aggregate {
        sym: Sym,
        minute: bool,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
        vwap: Option<f64>,
        start: i64,
        end: i64,
        /// Filled in from history after a gap rather than received live.
        backfill: bool,
    },
}

impl MarketData {
    /// An aggregate as a candle (`extended` is decided by the aggregator).
    pub fn candle(&self) -> Option<Candle> {
        match self {
            MarketData::Aggregate {
                open,
                high,
                low,
                close,
                volume,
                vwap,
                start,
                ..
            } => Some(Candle {
                time: *start,
                open: *open,
                high: *high,
                low: *low,
                close: *close,
                volume: *volume,
                vwap: *vwap,
                extended: false,
            }),
            _ => None,
        }
    }

    pub fn symbol(&self) -> &str {
        match self {
            MarketData::Trade { sym, .. }
            | MarketData::Quote { sym, .. }
            | MarketData::Aggregate { sym, .. } => sym,
        }
    }
}
