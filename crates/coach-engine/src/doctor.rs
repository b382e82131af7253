//! `coach doctor` and the app's System view: what is configured and whether
//! each configured endpoint answers. Secret values are never included, only
//! whether each is set and where it came from.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use ts_rs::TS;

use crate::config::{AiConfig, MarketConfig};
use crate::market::{ConnectionState, ConnectionStatus};
use crate::secrets::SecretBackendKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DoctorReport {
    pub version: String,
    pub data_dir: String,
    pub log_dir: Option<String>,
    pub database: DatabaseReport,
    pub market_mode: String,
    pub ai_mode: String,
    pub secret_backend: SecretBackendKind,
    pub secret_backend_warning: Option<String>,
    /// Whether each secret is set, and where from. Never its value.
    pub secrets: Vec<crate::secrets::SecretInfo>,
    pub endpoints: Vec<EndpointReport>,
    pub settings_issues: Vec<crate::config::SettingsIssue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DatabaseReport {
    pub path: String,
    /// `None` when the database could not be opened (see `error`).
    pub schema_version: Option<u32>,
    pub supported_schema_version: u32,
    pub journal_mode: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EndpointReport {
    pub name: String,
    pub url: String,
    pub ok: bool,
    pub detail: String,
    #[ts(type = "number | null")]
    pub latency_ms: Option<u64>,
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(8);

/// Checks every endpoint the configuration uses, concurrently.
pub async fn check_endpoints(
    market: &MarketConfig,
    ai: &AiConfig,
    link: watch::Receiver<ConnectionStatus>,
) -> Vec<EndpointReport> {
    let (rest, ws, model) = tokio::join!(check_rest(market), check_ws(market, link), check_ai(ai));
    [Some(rest), Some(ws), model]
        .into_iter()
        .flatten()
        .collect()
}

async fn timed<F, T>(fut: F) -> (Result<T, String>, u64)
where
    F: std::future::Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    let r = match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    };
    (r, start.elapsed().as_millis() as u64)
}

async fn check_rest(market: &MarketConfig) -> EndpointReport {
    let rest = crate::market::rest::MassiveRest::new(market);
    let url = rest.market_status_url();
    let (r, ms) = timed(async {
        let status = rest.market_status().await.map_err(|e| e.to_string())?;
        Ok(format!("market is {}", status.market))
    })
    .await;
    report("Market REST", url, r, ms)
}

/// The WebSocket is checked through the engine's own connection, never a
/// second socket: Massive allows one connection per key, and a second one
/// would push the app's live connection off (`max_connections`).
async fn check_ws(
    market: &MarketConfig,
    mut link: watch::Receiver<ConnectionStatus>,
) -> EndpointReport {
    let url = format!("{}/stocks", market.ws_url.trim_end_matches('/'));
    let (r, ms) = timed(async move {
        loop {
            let status = link.borrow_and_update().clone();
            match status.state {
                ConnectionState::Live | ConnectionState::Delayed | ConnectionState::Stale => {
                    return Ok("authenticated (on the engine's one market connection)".to_string())
                }
                ConnectionState::Failed => {
                    return Err(status
                        .detail
                        .unwrap_or_else(|| "the connection failed".into()))
                }
                // Reconnecting: wait for the next attempt's outcome (or the time-out).
                ConnectionState::Connecting | ConnectionState::Reconnecting => {}
            }
            if link.changed().await.is_err() {
                return Err("the market connection stopped".into());
            }
        }
    })
    .await;
    report("Market WebSocket", url, r, ms)
}

async fn check_ai(ai: &AiConfig) -> Option<EndpointReport> {
    let AiConfig::Model {
        base_url, api_key, ..
    } = ai
    else {
        return None;
    };
    let mut cfg = async_openai::config::OpenAIConfig::new().with_api_base(base_url);
    if let Some(k) = api_key {
        cfg = cfg.with_api_key(k.expose());
    }
    let client = async_openai::Client::with_config(cfg);
    let (r, ms) = timed(async {
        let models = client.models().list().await.map_err(|e| e.to_string())?;
        Ok(format!("{} models available", models.data.len()))
    })
    .await;
    Some(report(
        "Language model",
        format!("{base_url}/models"),
        r,
        ms,
    ))
}

fn report(name: &str, url: String, r: Result<String, String>, ms: u64) -> EndpointReport {
    let (ok, detail) = match r {
        Ok(d) => (true, d),
        Err(d) => (false, d),
    };
    EndpointReport {
        name: name.to_string(),
        url,
        ok,
        detail,
        latency_ms: Some(ms),
    }
}
