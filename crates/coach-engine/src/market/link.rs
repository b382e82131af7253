//! The upstream market WebSocket: connect, authenticate, stay connected.
//!
//! Protocol (Massive): the server greets with a `connected` status, the client
//! sends `{"action":"auth","params":KEY}`, the server answers `auth_success` or
//! `auth_failed`. Every frame is a JSON array of events. A bad frame is logged
//! and skipped, never fatal. After a drop the link reconnects with exponential
//! backoff and jitter; an auth failure is terminal until the key changes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use ts_rs::TS;

use crate::config::{MarketConfig, MarketMode};

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

impl ConnectionStatus {
    fn now(state: ConnectionState, detail: Option<String>, attempt: u32) -> ConnectionStatus {
        ConnectionStatus {
            state,
            detail,
            since_ms: chrono::Utc::now().timestamp_millis(),
            attempt,
        }
    }
}

/// Backoff before reconnect attempt `attempt` (1-based): 0.5 s doubling to a
/// 30 s cap, with ±20 % jitter so that many clients do not reconnect in step.
pub fn backoff(attempt: u32, jitter_unit: f64) -> Duration {
    let base = 0.5_f64 * 2f64.powi(attempt.saturating_sub(1).min(10) as i32);
    let capped = base.min(30.0);
    let jitter = 1.0 + 0.4 * (jitter_unit.clamp(0.0, 1.0) - 0.5);
    Duration::from_secs_f64(capped * jitter)
}

/// The running connection task. Dropping it closes the socket.
pub struct MarketLink {
    status: watch::Receiver<ConnectionStatus>,
    task: tokio::task::JoinHandle<()>,
}

impl MarketLink {
    /// Starts connecting in the background; watch [`MarketLink::status`].
    pub fn start(config: MarketConfig) -> MarketLink {
        let (tx, rx) = watch::channel(ConnectionStatus::now(ConnectionState::Connecting, None, 0));
        let task = tokio::spawn(run(config, tx));
        MarketLink { status: rx, task }
    }

    pub fn status(&self) -> watch::Receiver<ConnectionStatus> {
        self.status.clone()
    }
}

impl Drop for MarketLink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum SessionEnd {
    /// The socket dropped or errored; try again.
    Dropped(String),
    /// Authentication failed; retrying would fail the same way.
    AuthFailed,
}

async fn run(config: MarketConfig, tx: watch::Sender<ConnectionStatus>) {
    let url = format!("{}/stocks", config.ws_url.trim_end_matches('/'));
    let mut attempt: u32 = 0;
    loop {
        match session(&config, &url, &tx, &mut attempt).await {
            SessionEnd::AuthFailed => {
                let _ = tx.send(ConnectionStatus::now(
                    ConnectionState::Failed,
                    Some(match config.mode {
                        MarketMode::Demo => "the demo market refused the connection".to_string(),
                        _ => {
                            "Massive rejected the API key: check it in Settings or MASSIVE_API_KEY"
                                .to_string()
                        }
                    }),
                    attempt,
                ));
                return;
            }
            SessionEnd::Dropped(why) => {
                attempt += 1;
                let wait = backoff(attempt, rand::random::<f64>());
                tracing::warn!(%why, attempt, wait_ms = wait.as_millis() as u64, "market connection lost; reconnecting");
                let _ = tx.send(ConnectionStatus::now(
                    ConnectionState::Reconnecting,
                    Some(format!("{why}; retrying in {:.1} s", wait.as_secs_f64())),
                    attempt,
                ));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

async fn session(
    config: &MarketConfig,
    url: &str,
    tx: &watch::Sender<ConnectionStatus>,
    attempt: &mut u32,
) -> SessionEnd {
    let (mut ws, _) = match tokio_tungstenite::connect_async(url).await {
        Ok(ok) => ok,
        Err(e) => return SessionEnd::Dropped(format!("could not connect to {url}: {e}")),
    };
    // Massive expects the key as the auth param; the demo market accepts any.
    let key = config
        .api_key
        .as_ref()
        .map(|k| k.expose().to_string())
        .unwrap_or_else(|| "demo".to_string());
    let auth = serde_json::json!({"action": "auth", "params": key}).to_string();
    if let Err(e) = ws.send(Message::Text(auth.into())).await {
        return SessionEnd::Dropped(format!("could not authenticate: {e}"));
    }
    while let Some(msg) = ws.next().await {
        let text = match msg {
            Ok(Message::Text(t)) => t,
            Ok(Message::Close(_)) => {
                return SessionEnd::Dropped("the server closed the connection".into())
            }
            Ok(_) => continue,
            Err(e) => return SessionEnd::Dropped(format!("connection error: {e}")),
        };
        let events: Vec<serde_json::Value> = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, len = text.len(), "skipping a malformed market frame");
                continue;
            }
        };
        for ev in events {
            if ev.get("ev").and_then(|v| v.as_str()) != Some("status") {
                continue;
            }
            match ev
                .get("status")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
            {
                "auth_success" => {
                    *attempt = 0;
                    let state = match config.mode {
                        MarketMode::MassiveDelayed => ConnectionState::Delayed,
                        _ => ConnectionState::Live,
                    };
                    tracing::info!(?state, "market connection authenticated");
                    let _ = tx.send(ConnectionStatus::now(state, None, 0));
                }
                "auth_failed" => return SessionEnd::AuthFailed,
                "max_connections" => {
                    return SessionEnd::Dropped(
                        "another connection with this key took over (max_connections)".into(),
                    )
                }
                other => tracing::debug!(status = other, "market status message"),
            }
        }
    }
    SessionEnd::Dropped("the connection ended".into())
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
