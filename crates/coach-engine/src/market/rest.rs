//! Massive REST: the key travels in the Authorization header (and is re-sent
//! when following `next_url`, which Massive does not sign); 429 and 5xx are
//! retried with exponential backoff and jitter; answers are typed but tolerant
//! of missing optional fields.

use std::time::Duration;

use serde::Deserialize;

use crate::config::MarketConfig;
use crate::secrets::Secret;

/// An HTTP client for Massive's REST API (or the demo market's).
#[derive(Clone)]
pub struct MassiveRest {
    http: reqwest::Client,
    base: String,
    key: Option<Secret>,
    max_attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("Massive did not answer at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error(
        "Massive rejected the API key (HTTP {status}): check it in Settings or MASSIVE_API_KEY"
    )]
    Unauthorized { status: u16 },
    #[error("Massive is rate limiting this key (HTTP 429) and did not recover after {attempts} tries; try again shortly")]
    RateLimited { attempts: u32 },
    #[error("unknown symbol {0}")]
    NotFound(String),
    #[error("Massive answered HTTP {status} for {url}: {message}")]
    Http {
        url: String,
        status: u16,
        message: String,
    },
    #[error("Massive's answer from {url} could not be read: {detail}")]
    Decode { url: String, detail: String },
}

/// One aggregate bar as Massive sends it (`t` = start, unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct RestBar {
    pub t: i64,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    #[serde(default)]
    pub v: f64,
    #[serde(default)]
    pub vw: Option<f64>,
    #[serde(default)]
    pub n: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct AggsPage {
    #[serde(default)]
    results: Vec<RestBar>,
    #[serde(default)]
    next_url: Option<String>,
}

impl MassiveRest {
    pub fn new(config: &MarketConfig) -> MassiveRest {
        MassiveRest {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .connect_timeout(Duration::from_secs(5))
                .user_agent(concat!("ai-coach/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
            base: config.rest_url.trim_end_matches('/').to_string(),
            key: config.api_key.clone(),
            max_attempts: 5,
        }
    }

    /// GET a path under the base URL (or an absolute `next_url`) and decode JSON,
    /// retrying 429 and 5xx with backoff.
    pub async fn get_json(&self, path_or_url: &str) -> Result<serde_json::Value, RestError> {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{}", self.base, path_or_url)
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.http.get(&url);
            if let Some(k) = &self.key {
                req = req.bearer_auth(k.expose());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if attempt < self.max_attempts && (e.is_connect() || e.is_timeout()) => {
                    tokio::time::sleep(retry_wait(attempt)).await;
                    continue;
                }
                Err(e) => {
                    return Err(RestError::Unreachable {
                        url: redact(&url),
                        detail: e.without_url().to_string(),
                    })
                }
            };
            let status = resp.status().as_u16();
            match status {
                200..=299 => {
                    return resp.json().await.map_err(|e| RestError::Decode {
                        url: redact(&url),
                        detail: e.without_url().to_string(),
                    })
                }
                401 | 403 => return Err(RestError::Unauthorized { status }),
                429 | 500..=599 if attempt < self.max_attempts => {
                    let wait = retry_after(&resp).unwrap_or_else(|| retry_wait(attempt));
                    tracing::info!(
                        status,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "Massive asked us to retry"
                    );
                    tokio::time::sleep(wait).await;
                }
                429 => return Err(RestError::RateLimited { attempts: attempt }),
                _ => {
                    let body: serde_json::Value = resp.json().await.unwrap_or_default();
                    let message = body
                        .get("error")
                        .or_else(|| body.get("message"))
                        .and_then(|v| v.as_str())
                        .unwrap_or("no message")
                        .to_string();
                    if status == 404 {
                        return Err(RestError::NotFound(message));
                    }
                    return Err(RestError::Http {
                        url: redact(&url),
                        status,
                        message,
                    });
                }
            }
        }
    }

    /// Aggregate bars, following `next_url` pages. `from`/`to` are dates
    /// (`YYYY-MM-DD`) or unix milliseconds, as Massive takes them.
    pub async fn aggregates(
        &self,
        ticker: &str,
        multiplier: u32,
        timespan: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<RestBar>, RestError> {
        let mut url = format!(
            "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}?adjusted=true&sort=asc&limit=50000"
        );
        let mut out = Vec::new();
        for _page in 0..1000 {
            let v = self.get_json(&url).await?;
            let page: AggsPage = serde_json::from_value(v).map_err(|e| RestError::Decode {
                url: redact(&url),
                detail: e.to_string(),
            })?;
            out.extend(page.results);
            match page.next_url {
                Some(next) if !next.is_empty() => url = next,
                _ => break,
            }
        }
        Ok(out)
    }
}

/// 0.25 s doubling, ±25 % jitter, capped at 8 s.
fn retry_wait(attempt: u32) -> Duration {
    let base = (0.25 * 2f64.powi(attempt.saturating_sub(1).min(5) as i32)).min(8.0);
    Duration::from_secs_f64(base * (0.75 + 0.5 * rand::random::<f64>()))
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let secs: f64 = resp
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_secs_f64(secs.clamp(0.0, 30.0)))
}

/// URLs never carry the key from us (it is a header), but a `next_url` could
/// carry one from the server: strip `apiKey=` before a URL reaches a message.
fn redact(url: &str) -> String {
    match url.find("apiKey=") {
        Some(i) => {
            let end = url[i..].find('&').map(|j| i + j).unwrap_or(url.len());
            format!("{}apiKey=***{}", &url[..i], &url[end..])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_urls_are_redacted() {
        assert_eq!(
            redact("https://x/a?apiKey=SECRET&cursor=1"),
            "https://x/a?apiKey=***&cursor=1"
        );
        assert_eq!(
            redact("https://x/a?cursor=1&apiKey=SECRET"),
            "https://x/a?cursor=1&apiKey=***"
        );
    }

    #[test]
    fn the_fixture_aggregates_decode() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/reference/massive/aggs_range_AAPL_1day.json"
        ))
        .unwrap();
        let page: AggsPage = serde_json::from_str(&text).unwrap();
        assert_eq!(page.results.len(), 2);
        assert_eq!(page.results[0].t, 1112331600000);
        assert_eq!(page.results[0].vw, Some(1.469));
    }

    #[test]
    fn retry_waits_grow_and_stay_bounded() {
        assert!(retry_wait(1) <= Duration::from_millis(313));
        assert!(retry_wait(10) <= Duration::from_secs(10));
    }
}
