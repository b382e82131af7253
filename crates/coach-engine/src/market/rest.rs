//! Massive REST: the key travels in the Authorization header (and is re-sent
//! when following `next_url`, which Massive does not sign); 429 and 5xx are
//! retried with exponential backoff and jitter; answers are typed but tolerant
//! of missing optional fields.
//!
//! This is the one place that knows Massive's URLs and field names: the rest
//! of the engine calls the typed methods and reads the engine's own types. A
//! `next_url` is followed only on the configured origin (the key travels with
//! every request), never twice, and no answer is read past a size cap.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::NaiveDate;
use coach_core::options::OptionKind;
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
    #[error("Massive sent a next page on another host ({url}); it was not followed, so the API key stays with Massive")]
    ForeignUrl { url: String },
    #[error("Massive's answer from {url} is larger than {limit} bytes and was not read")]
    TooLarge { url: String, limit: usize },
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
}

/// The most a single answer may weigh: a page of 50,000 aggregates is about
/// 5 MB, so anything far larger is not an answer we asked for.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Pages followed at most for one request.
const MAX_PAGES: usize = 1000;

impl MassiveRest {
    pub fn new(config: &MarketConfig) -> MassiveRest {
        MassiveRest {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .connect_timeout(Duration::from_secs(5))
                .user_agent(concat!("ai-coach/", env!("CARGO_PKG_VERSION")))
                // A redirect would carry the key to wherever it points.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            base: config.rest_url.trim_end_matches('/').to_string(),
            key: config.api_key.clone(),
            max_attempts: 5,
        }
    }

    /// The absolute URL for a path under the base, or a `next_url` the server
    /// sent. The key goes with every request, so a `next_url` is followed only
    /// when its scheme, host and port are the configured base's.
    fn url_for(&self, path_or_url: &str) -> Result<String, RestError> {
        let full = if is_absolute(path_or_url) {
            path_or_url.to_string()
        } else if path_or_url.starts_with('/') && !path_or_url.starts_with("//") {
            format!("{}{}", self.base, path_or_url)
        } else {
            // "@evil.com/…" or ".evil.com/…" glued to the base would name another host.
            return Err(RestError::ForeignUrl {
                url: redact(path_or_url),
            });
        };
        let origin = |u: &str| {
            url::Url::parse(u)
                .ok()
                .filter(|u| u.username().is_empty() && u.password().is_none())
                .map(|u| {
                    (
                        u.scheme().to_string(),
                        u.host_str().map(str::to_string),
                        u.port_or_known_default(),
                    )
                })
        };
        match (origin(&full), origin(&self.base)) {
            (Some(next), Some(base)) if next == base => Ok(full),
            _ => Err(RestError::ForeignUrl { url: redact(&full) }),
        }
    }

    /// GET a path under the base URL (or a `next_url` on the same origin) and
    /// decode JSON, retrying 429 and 5xx with backoff.
    async fn get_json(&self, path_or_url: &str) -> Result<serde_json::Value, RestError> {
        let url = self.url_for(path_or_url)?;
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
                    let body = read_capped(resp, &url).await?;
                    return serde_json::from_slice(&body).map_err(|e| RestError::Decode {
                        url: redact(&url),
                        detail: e.to_string(),
                    });
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
                    let body = read_capped(resp, &url).await.unwrap_or_default();
                    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
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

    /// Every page of a paginated answer, following `next_url` on the same
    /// origin, stopping at a URL already fetched (a server that loops) or
    /// after `max_pages`.
    async fn pages(
        &self,
        first: String,
        max_pages: usize,
    ) -> Result<Vec<serde_json::Value>, RestError> {
        let mut url = first;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        while out.len() < max_pages {
            if !seen.insert(self.url_for(&url)?) {
                tracing::warn!(url = %redact(&url), "Massive sent a next_url already followed; paging stops");
                break;
            }
            let page = self.get_json(&url).await?;
            let next = page
                .get("next_url")
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            out.push(page);
            match next {
                // Massive's next_url is absolute; anything else is not followed
                // (glued to the base, "@host/…" would name another host).
                Some(n) if is_absolute(&n) => url = n,
                Some(n) => return Err(RestError::ForeignUrl { url: redact(&n) }),
                None => break,
            }
        }
        Ok(out)
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
        let url = format!(
            "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}?adjusted=true&sort=asc&limit=50000"
        );
        let mut out = Vec::new();
        for v in self.pages(url.clone(), MAX_PAGES).await? {
            let page: AggsPage = serde_json::from_value(v).map_err(|e| RestError::Decode {
                url: redact(&url),
                detail: e.to_string(),
            })?;
            out.extend(page.results);
        }
        Ok(out)
    }

    /// A stock's snapshot: last trade, today's bar, the previous close, the quote.
    pub async fn ticker_snapshot(&self, ticker: &str) -> Result<TickerSnapshot, RestError> {
        let url = format!("/v2/snapshot/locale/us/markets/stocks/tickers/{ticker}");
        let v = self.get_json(&url).await?;
        let t = v.get("ticker").ok_or_else(|| RestError::Decode {
            url: url.clone(),
            detail: "the answer has no ticker".into(),
        })?;
        Ok(TickerSnapshot::from_massive(t))
    }

    /// Listed, unexpired expirations of `underlying` on or after `from`.
    pub async fn option_expirations(
        &self,
        underlying: &str,
        from: NaiveDate,
        max_pages: usize,
    ) -> Result<BTreeSet<NaiveDate>, RestError> {
        let url = format!(
            "/v3/reference/options/contracts?underlying_ticker={underlying}&expired=false&expiration_date.gte={from}&order=asc&sort=expiration_date&limit=1000"
        );
        let mut dates = BTreeSet::new();
        for page in self.pages(url, max_pages).await? {
            for r in page["results"].as_array().into_iter().flatten() {
                if let Some(d) = r["expiration_date"]
                    .as_str()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                {
                    dates.insert(d);
                }
            }
        }
        Ok(dates)
    }

    /// One expiration's option chain snapshot, optionally only strikes in
    /// `[low, high]`, every page.
    pub async fn option_chain(
        &self,
        underlying: &str,
        expiration: NaiveDate,
        strikes: Option<(f64, f64)>,
        max_pages: usize,
    ) -> Result<Vec<ContractSnapshot>, RestError> {
        let range = strikes
            .map(|(lo, hi)| format!("&strike_price.gte={lo:.2}&strike_price.lte={hi:.2}"))
            .unwrap_or_default();
        let url = format!(
            "/v3/snapshot/options/{underlying}?expiration_date={expiration}{range}&limit=250"
        );
        Ok(self
            .pages(url, max_pages)
            .await?
            .iter()
            .flat_map(ContractSnapshot::page)
            .collect())
    }

    /// Where [`MassiveRest::market_status`] asks (for the System view).
    pub fn market_status_url(&self) -> String {
        format!("{}/v1/marketstatus/now", self.base)
    }

    /// Whether the market is open now, as the provider says.
    pub async fn market_status(&self) -> Result<MarketStatusNow, RestError> {
        let v = self.get_json("/v1/marketstatus/now").await?;
        Ok(MarketStatusNow {
            market: v
                .get("market")
                .and_then(|m| m.as_str())
                .unwrap_or("unknown")
                .to_string(),
        })
    }

    /// Whether the provider knows `ticker` (Massive answers an unknown
    /// ticker's aggregates with an empty OK; its snapshot says 404).
    pub async fn ticker_exists(&self, ticker: &str) -> Result<bool, RestError> {
        match self.ticker_snapshot(ticker).await {
            Err(RestError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
            Ok(_) => Ok(true),
        }
    }
}

/// `http://` or `https://`, in any case.
fn is_absolute(url: &str) -> bool {
    let head = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    head.starts_with("http://") || head.starts_with("https://")
}

/// A non-zero finite number at `path` (Massive sends 0 for "none yet").
fn positive(v: &serde_json::Value, path: &[&str]) -> Option<f64> {
    finite(v, path).filter(|x| *x != 0.0)
}

fn finite(v: &serde_json::Value, path: &[&str]) -> Option<f64> {
    let mut v = v;
    for p in path {
        v = v.get(p)?;
    }
    v.as_f64().filter(|x| x.is_finite())
}

/// A stock's snapshot in the engine's terms (absent where Massive sent 0 or nothing).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TickerSnapshot {
    pub last_trade: Option<f64>,
    pub minute_close: Option<f64>,
    pub day_open: Option<f64>,
    pub day_high: Option<f64>,
    pub day_low: Option<f64>,
    pub day_close: Option<f64>,
    pub day_volume: Option<f64>,
    pub day_vwap: Option<f64>,
    pub previous_close: Option<f64>,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    /// When the provider last updated it (unix ms).
    pub updated_ms: Option<i64>,
}

impl TickerSnapshot {
    fn from_massive(t: &serde_json::Value) -> TickerSnapshot {
        TickerSnapshot {
            last_trade: positive(t, &["lastTrade", "p"]),
            minute_close: positive(t, &["min", "c"]),
            day_open: positive(t, &["day", "o"]),
            day_high: positive(t, &["day", "h"]),
            day_low: positive(t, &["day", "l"]),
            day_close: positive(t, &["day", "c"]),
            day_volume: positive(t, &["day", "v"]),
            day_vwap: positive(t, &["day", "vw"]),
            previous_close: positive(t, &["prevDay", "c"]),
            bid: positive(t, &["lastQuote", "p"]),
            ask: positive(t, &["lastQuote", "P"]),
            // Nanoseconds on the wire.
            updated_ms: t
                .get("updated")
                .and_then(serde_json::Value::as_i64)
                .map(|ns| ns / 1_000_000),
        }
    }

    /// The latest price: the last trade, else the minute's or the day's close.
    pub fn price(&self) -> Option<f64> {
        self.last_trade.or(self.minute_close).or(self.day_close)
    }
}

/// One option contract of a chain snapshot, in the engine's terms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContractSnapshot {
    /// OCC ticker, e.g. `O:SPY240705C00550000`.
    pub ticker: String,
    pub kind: Option<OptionKind>,
    pub strike: Option<f64>,
    pub expiration: Option<NaiveDate>,
    pub shares_per_contract: Option<f64>,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub midpoint: Option<f64>,
    pub last: Option<f64>,
    pub day_volume: Option<f64>,
    /// Today's lowest and highest trade of the contract.
    pub day_low: Option<f64>,
    pub day_high: Option<f64>,
    pub open_interest: Option<f64>,
    pub implied_volatility: Option<f64>,
    pub delta: Option<f64>,
    pub gamma: Option<f64>,
    pub theta: Option<f64>,
    pub vega: Option<f64>,
    pub underlying_price: Option<f64>,
}

impl ContractSnapshot {
    /// The contracts of one page of Massive's option-chain snapshot.
    pub fn page(page: &serde_json::Value) -> Vec<ContractSnapshot> {
        page["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(ContractSnapshot::from_massive)
            .collect()
    }

    fn from_massive(r: &serde_json::Value) -> ContractSnapshot {
        let d = &r["details"];
        let g = &r["greeks"];
        ContractSnapshot {
            ticker: d["ticker"].as_str().unwrap_or_default().to_string(),
            kind: match d["contract_type"].as_str() {
                Some("call") => Some(OptionKind::Call),
                Some("put") => Some(OptionKind::Put),
                _ => None,
            },
            strike: finite(d, &["strike_price"]),
            expiration: d["expiration_date"]
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
            shares_per_contract: finite(d, &["shares_per_contract"]),
            bid: finite(r, &["last_quote", "bid"]),
            ask: finite(r, &["last_quote", "ask"]),
            midpoint: finite(r, &["last_quote", "midpoint"]),
            last: finite(r, &["last_trade", "price"]),
            day_volume: finite(r, &["day", "volume"]),
            day_low: positive(r, &["day", "low"]),
            day_high: positive(r, &["day", "high"]),
            open_interest: finite(r, &["open_interest"]),
            implied_volatility: finite(r, &["implied_volatility"]),
            delta: finite(g, &["delta"]),
            gamma: finite(g, &["gamma"]),
            theta: finite(g, &["theta"]),
            vega: finite(g, &["vega"]),
            underlying_price: finite(r, &["underlying_asset", "price"]),
        }
    }
}

/// The provider's word on the market right now.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketStatusNow {
    /// "open", "closed", "extended-hours", … as Massive says it.
    pub market: String,
}

/// Reads a body of at most [`MAX_BODY_BYTES`].
async fn read_capped(mut resp: reqwest::Response, url: &str) -> Result<Vec<u8>, RestError> {
    let too_large = || RestError::TooLarge {
        url: redact(url),
        limit: MAX_BODY_BYTES,
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(RestError::Unreachable {
                    url: redact(url),
                    detail: e.without_url().to_string(),
                })
            }
        }
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
            "/../../tests/fixtures/massive/aggs_range_AAPL_1day.json"
        ))
        .unwrap();
        let page: AggsPage = serde_json::from_str(&text).unwrap();
        assert_eq!(page.results.len(), 2);
        assert_eq!(page.results[0].t, 1112331600000);
        assert_eq!(page.results[0].vw, Some(1.469));
    }

    #[test]
    fn a_contracts_day_range_is_read_from_the_chain_snapshot() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/massive/snapshot_options_chain_AAPL.json"
        ))
        .unwrap();
        let page: serde_json::Value = serde_json::from_str(&text).unwrap();
        let first = &ContractSnapshot::page(&page)[0];
        assert_eq!((first.day_low, first.day_high), (Some(29.0), Some(32.25)));
    }

    /// A loopback server: every path answers `answer(port)` as JSON; every
    /// request's Authorization header is recorded.
    async fn serve(
        answer: impl Fn(u16) -> serde_json::Value + Clone + Send + Sync + 'static,
    ) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use axum::{http::HeaderMap, routing::get, Router};
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = seen.clone();
        let app = Router::new().fallback(get(move |h: HeaderMap| {
            let log = log.clone();
            let answer = answer.clone();
            async move {
                log.lock().unwrap().push(
                    h.get("authorization")
                        .map(|v| v.to_str().unwrap().to_string())
                        .unwrap_or_default(),
                );
                axum::Json(answer(port))
            }
        }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://127.0.0.1:{port}"), seen)
    }

    fn client(base: &str) -> MassiveRest {
        MassiveRest::new(&MarketConfig {
            mode: crate::config::MarketMode::MassiveRealtime,
            rest_url: base.to_string(),
            ws_url: String::new(),
            api_key: Some(Secret::new("SECRET-KEY")),
            stale_after_secs: 10,
        })
    }

    /// Aggregates from a server whose one page names `next` as the next
    /// one: the error, and the keys the server saw.
    async fn one_page_then(
        next: String,
    ) -> (RestError, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let (base, seen) = serve(move |_| {
            serde_json::json!({"results": [{"t": 1, "o": 1.0, "h": 1.0, "l": 1.0, "c": 1.0}], "next_url": next})
        })
        .await;
        let err = client(&base)
            .aggregates("AAPL", 1, "day", "2024-01-01", "2024-01-31")
            .await
            .unwrap_err();
        (err, seen)
    }

    #[tokio::test]
    async fn a_next_url_on_another_host_is_not_followed_and_gets_no_key() {
        let (elsewhere, elsewhere_seen) = serve(|_| serde_json::json!({"results": []})).await;
        let next = format!("{elsewhere}/v2/aggs/page2");
        let (err, base_seen) = one_page_then(next).await;
        assert!(
            matches!(err, RestError::ForeignUrl { .. }),
            "a next_url on another port is refused by name: {err}"
        );
        assert_eq!(
            base_seen.lock().unwrap().as_slice(),
            ["Bearer SECRET-KEY"],
            "the configured base got the key once"
        );
        assert!(
            elsewhere_seen.lock().unwrap().is_empty(),
            "the other host was never asked, so it never saw the key"
        );
    }

    #[tokio::test]
    async fn a_next_url_that_names_another_host_through_the_base_is_refused() {
        let (elsewhere, elsewhere_seen) = serve(|_| serde_json::json!({"results": []})).await;
        let port = elsewhere.rsplit(':').next().unwrap().to_string();
        for next in [
            // Glued to "http://127.0.0.1:PORT" this is userinfo, and the host is 127.0.0.2.
            format!("@127.0.0.2:{port}/v2/aggs/page2"),
            // A relative next_url is not Massive's form either.
            "/v2/aggs/page2".to_string(),
            format!("//127.0.0.2:{port}/v2/aggs/page2"),
            format!("http://user@127.0.0.1:{port}/v2/aggs/page2"),
        ] {
            let (err, _) = one_page_then(next.clone()).await;
            assert!(
                matches!(err, RestError::ForeignUrl { .. }),
                "{next:?} is refused, not glued to the base: {err}"
            );
        }
        assert!(
            elsewhere_seen.lock().unwrap().is_empty(),
            "no other host was asked, so none saw the key"
        );
    }

    /// `app` on a loopback port; its base URL.
    async fn serve_router(app: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        base
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed_with_the_key() {
        use axum::{http::HeaderMap, response::Redirect, routing::get, Router};
        let (elsewhere, elsewhere_seen) = serve(|_| serde_json::json!({"market": "open"})).await;
        let target = format!("{elsewhere}/v1/marketstatus/now");
        let base = serve_router(Router::new().fallback(get(move |_h: HeaderMap| {
            let target = target.clone();
            async move { Redirect::temporary(&target) }
        })))
        .await;
        let err = client(&base).market_status().await.unwrap_err();
        assert!(
            matches!(err, RestError::Http { status: 307, .. }),
            "a redirect is an answer, not an instruction to carry the key elsewhere: {err}"
        );
        assert!(
            elsewhere_seen.lock().unwrap().is_empty(),
            "the redirect target was never asked"
        );
    }

    #[tokio::test]
    async fn a_streamed_answer_over_the_size_cap_is_cut_off() {
        use axum::{body::Body, routing::get, Router};
        // No Content-Length: the cap must hold while reading, not only from the header.
        let base = serve_router(Router::new().fallback(get(|| async {
            let chunk = axum::body::Bytes::from(vec![b' '; 1 << 20]);
            let chunks = (0..40).map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
            Body::from_stream(futures_util::stream::iter(chunks))
        })))
        .await;
        let err = client(&base).market_status().await.unwrap_err();
        assert!(
            matches!(err, RestError::TooLarge { .. }),
            "a 40 MiB stream is refused once it passes 32 MiB: {err}"
        );
    }

    #[tokio::test]
    async fn a_next_url_that_loops_back_stops_paging() {
        let (base, seen) = serve(|port| {
            serde_json::json!({
                "results": [{"t": 1, "o": 1.0, "h": 1.0, "l": 1.0, "c": 1.0}],
                "next_url": format!("http://127.0.0.1:{port}/v2/aggs/ticker/AAPL/range/1/day/2024-01-01/2024-01-31?adjusted=true&sort=asc&limit=50000"),
            })
        })
        .await;
        let bars = client(&base)
            .aggregates("AAPL", 1, "day", "2024-01-01", "2024-01-31")
            .await
            .unwrap();
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "the next_url is the first page again, so it is not fetched twice"
        );
        assert_eq!(bars.len(), 1, "the one page's bar is kept");
    }

    #[tokio::test]
    async fn an_answer_over_the_size_cap_is_refused() {
        let (base, _) =
            serve(|_| serde_json::json!({"results": [], "padding": "x".repeat(MAX_BODY_BYTES)}))
                .await;
        let err = client(&base).market_status().await.unwrap_err();
        assert!(
            matches!(err, RestError::TooLarge { limit, .. } if limit == MAX_BODY_BYTES),
            "a body past the cap is not read: {err}"
        );
    }

    #[test]
    fn the_fixture_stock_snapshot_reads_in_engine_terms() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/massive/snapshot_stocks_ticker_AAPL.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let s = TickerSnapshot::from_massive(&v["ticker"]);
        let raw = &v["ticker"];
        assert_eq!(
            s.last_trade,
            raw["lastTrade"]["p"].as_f64(),
            "last trade price is lastTrade.p"
        );
        assert_eq!(
            s.previous_close,
            raw["prevDay"]["c"].as_f64(),
            "previous close is prevDay.c"
        );
        assert_eq!(
            s.day_high,
            raw["day"]["h"].as_f64().filter(|x| *x != 0.0),
            "today's high is day.h"
        );
        assert_eq!(s.price(), s.last_trade.or(s.minute_close).or(s.day_close));
    }

    #[test]
    fn the_fixture_option_chain_reads_in_engine_terms() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/massive/snapshot_options_chain_AAPL.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let contracts = ContractSnapshot::page(&v);
        let raw = &v["results"][0];
        assert_eq!(contracts.len(), v["results"].as_array().unwrap().len());
        let c = &contracts[0];
        assert_eq!(c.ticker, raw["details"]["ticker"].as_str().unwrap());
        assert_eq!(c.strike, raw["details"]["strike_price"].as_f64());
        assert_eq!(
            c.expiration.map(|d| d.to_string()).as_deref(),
            raw["details"]["expiration_date"].as_str(),
            "the expiration date is parsed, not copied as text"
        );
        assert_eq!(c.delta, raw["greeks"]["delta"].as_f64());
        assert_eq!(c.open_interest, raw["open_interest"].as_f64());
    }

    #[test]
    fn retry_waits_grow_and_stay_bounded() {
        assert!(retry_wait(1) <= Duration::from_millis(313));
        assert!(retry_wait(10) <= Duration::from_secs(10));
    }
}
