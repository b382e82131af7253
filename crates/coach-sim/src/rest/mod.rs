//! Massive REST endpoints, with the same JSON shapes as Massive's responses
//! (see tests/fixtures/massive): aggregates with pagination, previous close,
//! ticker snapshot, options chain and contracts, market status now/upcoming.
//! Every Massive route sits behind one [`gate`] (injected 429s, the key check);
//! the `/_sim` routes that steer the simulator itself do not.

mod aggregates;
mod gate;
mod market_status;
mod options;
mod sim_control;
mod snapshots;

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use chrono::NaiveDate;
use coach_core::calendar;
use serde_json::json;

use crate::model::MarketModel;
use crate::Shared;

/// The routes Massive has, each answered as Massive would once past the gate.
fn massive_routes() -> Vec<(&'static str, MethodRouter<Arc<Shared>>)> {
    vec![
        ("/v1/marketstatus/now", get(market_status::now)),
        ("/v1/marketstatus/upcoming", get(market_status::upcoming)),
        (
            "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}",
            get(aggregates::aggregates),
        ),
        (
            "/v2/aggs/ticker/{ticker}/prev",
            get(aggregates::previous_close),
        ),
        (
            "/v2/snapshot/locale/us/markets/stocks/tickers/{ticker}",
            get(snapshots::ticker_snapshot),
        ),
        ("/v3/snapshot/options/{underlying}", get(options::chain)),
        ("/v3/reference/options/contracts", get(options::contracts)),
    ]
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let gate = middleware::from_fn_with_state(shared.clone(), gate::gate);
    // On each method router, whose `route_layer` leaves its 405 out (the
    // router's own would gate it too): a wrong method stays axum's plain 405
    // and uses up no injected 429.
    let massive = massive_routes()
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler.route_layer(gate.clone()))
        });
    let sim_control = Router::new()
        .route("/_sim/status", get(sim_control::status))
        .route("/_sim/faults/{fault}", post(sim_control::inject_fault));
    massive.merge(sim_control).with_state(shared)
}

fn error(status: StatusCode, label: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"status": label, "request_id": "sim", "error": message, "message": message})),
    )
        .into_response()
}

/// Massive's absolute `next_url`: the same query with `cursor` set, sorted,
/// without the key (the client adds its own again).
fn next_url(
    shared: &Shared,
    path: &str,
    query: &HashMap<String, String>,
    cursor: impl Display,
) -> String {
    let mut q: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "cursor" && k.as_str() != "apiKey")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    q.push(("cursor".into(), cursor.to_string()));
    q.sort();
    let qs: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{}{path}?{}", shared.base_url, qs.join("&"))
}

/// The last session strictly before `date` (Massive's "previous day").
fn session_before(model: &MarketModel, date: NaiveDate) -> Option<calendar::Session> {
    model
        .sessions_between(
            date - chrono::Duration::days(10),
            date - chrono::Duration::days(1),
        )
        .pop()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::{SimClock, SimConfig, SimHandle};

    /// A URL for a route pattern, each `{param}` filled with a value its
    /// handler accepts, so that past the gate every route answers 200.
    fn example(pattern: &str) -> String {
        let path: Vec<&str> = pattern
            .split('/')
            .map(|segment| match segment {
                "{ticker}" | "{underlying}" => "SPY",
                "{multiplier}" => "1",
                "{timespan}" => "minute",
                "{from}" | "{to}" => "2024-07-02",
                other => {
                    assert!(!other.starts_with('{'), "no example for {other} yet");
                    other
                }
            })
            .collect();
        // The contracts reference needs its underlying; the others ignore it.
        format!("{}?underlying_ticker=SPY&limit=2", path.join("/"))
    }

    async fn keyed_sim() -> SimHandle {
        let at = chrono::DateTime::parse_from_rfc3339("2024-07-02T15:00:00Z")
            .unwrap()
            .to_utc();
        SimHandle::start(SimConfig {
            required_key: Some("k1".into()),
            clock: SimClock::Fixed(at),
            ..Default::default()
        })
        .await
        .unwrap()
    }

    async fn answer(req: reqwest::RequestBuilder) -> (u16, Value) {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The routes come from the table the router is built from, so a route
    /// added there is checked here without touching the test.
    #[tokio::test]
    async fn every_massive_route_is_behind_the_gate_and_the_sim_routes_are_not() {
        let sim = keyed_sim().await;
        let http = reqwest::Client::new();
        let urls: Vec<String> = massive_routes()
            .iter()
            .map(|(pattern, _)| format!("{}{}", sim.rest_url(), example(pattern)))
            .collect();
        let unknown_key = json!({"status": "ERROR", "request_id": "sim",
            "error": "Unknown API Key", "message": "Unknown API Key"});
        for url in &urls {
            let missing = answer(http.get(url)).await;
            assert_eq!(missing, (401, unknown_key.clone()), "no key: {url}");
            let wrong = answer(http.get(url).bearer_auth("k2")).await;
            assert_eq!(wrong, (401, unknown_key.clone()), "wrong key: {url}");
        }

        // One injected 429 per route: each call uses up exactly one, key or not.
        sim.fail_rest_with_429(urls.len() as u32).await;
        let too_many = json!({"status": "ERROR", "request_id": "sim",
            "error": "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue.",
            "message": "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue."});
        for url in &urls {
            let limited = answer(http.get(url).bearer_auth("k1")).await;
            assert_eq!(limited, (429, too_many.clone()), "injected 429: {url}");
        }
        for url in &urls {
            let (status, _) = answer(http.get(url).bearer_auth("k1")).await;
            assert_eq!(
                status, 200,
                "the 429s are used up and the key is right: {url}"
            );
        }

        let refused_first = format!(
            "{}/v2/aggs/ticker/SPY/range/1/fortnight/2024-07-02/2024-07-02",
            sim.rest_url()
        );
        assert_eq!(
            answer(http.get(&refused_first)).await.0,
            401,
            "the key is checked before the handler looks at the request"
        );

        sim.fail_rest_with_429(1).await;
        let wrong_method = http.post(&urls[0]).bearer_auth("k1").send().await.unwrap();
        assert_eq!(wrong_method.status(), 405, "a wrong method is not gated");
        let status = answer(http.get(format!("{}/_sim/status", sim.rest_url()))).await;
        assert_eq!(status.0, 200, "the simulator's own status needs no key");
        let fault = answer(http.post(format!("{}/_sim/faults/auth-ok", sim.rest_url()))).await;
        assert_eq!(fault.0, 200, "fault injection needs no key");
        assert_eq!(
            answer(http.get(&urls[0]).bearer_auth("k1")).await.0,
            429,
            "neither the wrong method nor the /_sim calls used up the injected 429"
        );
    }
}
