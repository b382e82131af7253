//! Market data: the one shared connection to Massive (or the demo market),
//! REST history, live candles and the chart cache.

pub mod charts;
pub mod hub;
mod link;
pub mod live;
pub mod reconcile;
pub mod rest;
pub mod wire;

pub use hub::{Channel, MarketHub, Subscription, Topic};
pub use link::{backoff, ConnectionState, ConnectionStatus};
