//! Massive REST: requests carry the key in the Authorization header.

use std::time::Duration;

use crate::config::MarketConfig;

/// An HTTP client for Massive's REST API (or the demo market's).
#[derive(Clone)]
pub struct MassiveRest {
    http: reqwest::Client,
    base: String,
    key: Option<crate::secrets::Secret>,
}

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("Massive did not answer at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error(
        "Massive rejected the API key (HTTP {status}): check it in Settings or MASSIVE_API_KEY"
    )]
    Unauthorized { status: u16 },
    #[error("Massive is rate limiting this key (HTTP 429); try again shortly")]
    RateLimited,
    #[error("Massive answered HTTP {status} for {url}: {message}")]
    Http {
        url: String,
        status: u16,
        message: String,
    },
    #[error("Massive's answer from {url} could not be read: {detail}")]
    Decode { url: String, detail: String },
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
        }
    }

    /// GET a path under the base URL and decode JSON.
    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, RestError> {
        let url = format!("{}{}", self.base, path);
        let mut req = self.http.get(&url);
        if let Some(k) = &self.key {
            req = req.bearer_auth(k.expose());
        }
        let resp = req.send().await.map_err(|e| RestError::Unreachable {
            url: url.clone(),
            // reqwest errors name the URL, which never carries the key (it is a header).
            detail: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => resp.json().await.map_err(|e| RestError::Decode {
                url,
                detail: e.to_string(),
            }),
            401 | 403 => Err(RestError::Unauthorized { status }),
            429 => Err(RestError::RateLimited),
            _ => {
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                let message = body
                    .get("error")
                    .or_else(|| body.get("message"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("no message")
                    .to_string();
                Err(RestError::Http {
                    url,
                    status,
                    message,
                })
            }
        }
    }
}
