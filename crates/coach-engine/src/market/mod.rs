//! Market data: the one shared connection to Massive (or the demo market).
//!
//! This module owns the upstream WebSocket and publishes its state. The
//! subscription hub, candle aggregation and chart cache build on it.

mod link;
pub mod rest;

pub use link::{ConnectionState, ConnectionStatus, MarketLink};
