//! Pure computation for AI Coach: domain types and, as capabilities land, the
//! calendar, indicators, levels and options math. No IO, no async, no clock:
//! everything here is a function of its inputs, so it is fast to test, fuzz
//! and benchmark.

pub mod alerts;
pub mod analysis;
pub mod barcsv;
pub mod black;
pub mod calendar;
pub mod candles;
pub mod indicators;
pub mod journal;
pub mod levels;
pub mod market_data;
pub mod options;
pub mod screenshot;
pub mod strategy;
pub mod symbol;
pub mod timeframe;

pub use calendar::{CalendarError, MarketPhase, Session};
pub use symbol::{Symbol, SymbolError};
pub use timeframe::{Timeframe, TimeframeError};
