//! The options chain snapshot and the contracts reference, both paged.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use coach_core::calendar;
use serde_json::{json, Value};

use super::{error, next_url, session_before};
use crate::model::MarketModel;
use crate::Shared;

/// The underlying's last traded price as of now: the last completed minute's
/// close, else the previous session's close.
fn underlying_price(model: &MarketModel, ticker: &str, now: DateTime<Utc>) -> Option<f64> {
    let session = crate::model::session_on_or_before(model, now)?;
    let now_ms = now.timestamp_millis();
    let minutes = model.minute_bars(ticker, session.date)?;
    minutes
        .iter()
        .rev()
        .find(|b| b.t + 60_000 <= now_ms)
        .map(|b| b.c)
        .or_else(|| {
            session_before(model, session.date)
                .and_then(|s| model.daily_bar(ticker, s.date))
                .map(|b| b.c)
        })
}

/// Every listed contract of `underlying` matching the Massive query filters,
/// in Massive's order (expiration, calls before puts, strike).
fn listed_contracts(
    underlying: &str,
    spot: f64,
    today: NaiveDate,
    query: &HashMap<String, String>,
) -> Vec<crate::options::Contract> {
    let exp_filter = query
        .get("expiration_date")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let kind = query.get("contract_type").map(String::as_str);
    let num = |k: &str| query.get(k).and_then(|v| v.parse::<f64>().ok());
    let (gte, lte) = (num("strike_price.gte"), num("strike_price.lte"));
    let exact = num("strike_price");
    let _ = underlying;
    let strikes = crate::options::strikes(spot);
    let mut out = Vec::new();
    for exp in crate::options::expirations(today) {
        if exp_filter.is_some_and(|f| f != exp) {
            continue;
        }
        for call in [true, false] {
            if (kind == Some("call") && !call) || (kind == Some("put") && call) {
                continue;
            }
            for &k in &strikes {
                if gte.is_some_and(|g| k < g)
                    || lte.is_some_and(|l| k > l)
                    || exact.is_some_and(|e| (k - e).abs() > 1e-9)
                {
                    continue;
                }
                out.push(crate::options::Contract {
                    call,
                    strike: k,
                    expiration: exp,
                });
            }
        }
    }
    out
}

/// A page of `items` from the `cursor` offset, with Massive's absolute `next_url`.
fn page<T>(
    shared: &Shared,
    path: &str,
    query: &HashMap<String, String>,
    items: Vec<T>,
    default_limit: usize,
    max_limit: usize,
) -> (Vec<T>, Option<String>) {
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(default_limit)
        .clamp(1, max_limit);
    let offset = query
        .get("cursor")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0);
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let next = (offset + limit < total).then(|| next_url(shared, path, query, offset + limit));
    (page, next)
}

pub(super) async fn chain(
    State(shared): State<Arc<Shared>>,
    Path(underlying): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let underlying = underlying.to_ascii_uppercase();
    let Some(spec) = MarketModel::spec(&underlying) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "Ticker not found.");
    };
    let now = shared.config.clock.now();
    let Some(spot) = underlying_price(&shared.model, &underlying, now) else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No data for this ticker yet.",
        );
    };
    let today = now.with_timezone(&New_York).date_naive();
    let contracts = listed_contracts(&underlying, spot, today, &query);
    let (items, next) = page(
        &shared,
        &format!("/v3/snapshot/options/{underlying}"),
        &query,
        contracts,
        10,
        250,
    );
    let updated_ns = now.timestamp_millis() * 1_000_000;
    let results: Vec<Value> = items
        .iter()
        .map(|c| {
            let close = calendar::session(c.expiration)
                .ok()
                .flatten()
                .map(|s| s.close)
                .unwrap_or(now);
            let years = ((close - now).num_seconds() as f64 / (365.0 * 86_400.0))
                .max(1.0 / (365.0 * 24.0 * 60.0));
            crate::options::snapshot_json(
                &underlying,
                c,
                spot,
                spec.annual_vol,
                years,
                shared.config.seed,
                updated_ns,
            )
        })
        .collect();
    let mut body = json!({"results": results, "status": "OK", "request_id": "sim"});
    if let Some(n) = next {
        body["next_url"] = json!(n);
    }
    Json(body).into_response()
}

pub(super) async fn contracts(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(underlying) = query
        .get("underlying_ticker")
        .map(|u| u.to_ascii_uppercase())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "ERROR",
            "underlying_ticker is required by the demo market",
        );
    };
    let now = shared.config.clock.now();
    let Some(spot) = underlying_price(&shared.model, &underlying, now) else {
        return Json(json!({"results": [], "status": "OK", "request_id": "sim"})).into_response();
    };
    let today = now.with_timezone(&New_York).date_naive();
    let contracts = listed_contracts(&underlying, spot, today, &query);
    let (items, next) = page(
        &shared,
        "/v3/reference/options/contracts",
        &query,
        contracts,
        10,
        1000,
    );
    let results: Vec<Value> = items
        .iter()
        .map(|c| crate::options::reference_json(&underlying, c))
        .collect();
    let mut body = json!({"results": results, "status": "OK", "request_id": "sim"});
    if let Some(n) = next {
        body["next_url"] = json!(n);
    }
    Json(body).into_response()
}
