//! The state of the upstream market connection, and the reconnect backoff.
//!
//! Protocol (Massive): the server greets with a `connected` status, the client
//! sends `{"action":"auth","params":KEY}`, the server answers `auth_success` or
//! `auth_failed`. An auth failure is terminal until the key changes; a drop is
//! retried with exponential backoff and jitter (see [`super::hub`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The state of the market connection, as the status bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    Connecting,
    /// Authenticated on a real-time feed (or the demo market).
    Live,
    /// Authenticated on the 15-minute delayed feed.
    Delayed,
    /// Connected, but no data for longer than the stale threshold while the market is open.
    Stale,
    Reconnecting,
    /// Will not recover by itself (bad key); `detail` says what to do.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConnectionStatus {
    pub state: ConnectionState,
    /// Human words for the state: why it failed, when the next attempt is.
    pub detail: Option<String>,
    /// When the state began, unix milliseconds.
    #[ts(type = "number")]
    pub since_ms: i64,
    /// Reconnect attempts since the last successful connection.
    pub attempt: u32,
}

/// Backoff before reconnect attempt `attempt` (1-based): 0.5 s doubling to a
/// 30 s cap, with ±20 % jitter so that many clients do not reconnect in step.
pub fn backoff(attempt: u32, jitter_unit: f64) -> Duration {
    let base = 0.5_f64 * 2f64.powi(attempt.saturating_sub(1).min(10) as i32);
    let capped = base.min(30.0);
    let jitter = 1.0 + 0.4 * (jitter_unit.clamp(0.0, 1.0) - 0.5);
    Duration::from_secs_f64(capped * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_bounded_jitter() {
        assert_eq!(
            backoff(1, 0.5),
            Duration::from_millis(500),
            "no jitter at the midpoint"
        );
        assert_eq!(backoff(2, 0.5), Duration::from_secs(1));
        assert_eq!(backoff(20, 0.5), Duration::from_secs(30), "capped at 30 s");
        let lo = backoff(3, 0.0).as_secs_f64();
        let hi = backoff(3, 1.0).as_secs_f64();
        assert!(
            (lo - 1.6).abs() < 1e-9 && (hi - 2.4).abs() < 1e-9,
            "±20 % around 2 s: {lo}..{hi}"
        );
    }
}
