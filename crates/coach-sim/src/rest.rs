//! Massive REST endpoints, with the same JSON shapes as Massive's responses.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Timelike, Weekday};
use chrono_tz::America::New_York;
use serde_json::json;

use crate::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/marketstatus/now", get(market_status_now))
        .with_state(shared)
}

/// Massive accepts the key as `Authorization: Bearer KEY` or `?apiKey=KEY`.
fn presented_key<'a>(
    headers: &'a HeaderMap,
    query: &'a HashMap<String, String>,
) -> Option<&'a str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| query.get("apiKey").map(String::as_str))
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"status": "ERROR", "request_id": "sim", "error": message})),
    )
        .into_response()
}

/// Common gate for every REST call: injected 429s, then the key check.
async fn gate(
    shared: &Shared,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Option<Response> {
    {
        let mut faults = shared.faults.lock().await;
        if faults.rest_429_remaining > 0 {
            faults.rest_429_remaining -= 1;
            return Some(error(
                StatusCode::TOO_MANY_REQUESTS,
                "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue.",
            ));
        }
    }
    if !shared.key_ok(presented_key(headers, query)) {
        return Some(error(StatusCode::UNAUTHORIZED, "Unknown API Key"));
    }
    None
}

/// Which part of the trading day an instant falls in (weekends closed).
/// Exchange holidays arrive with the NYSE calendar in coach-core.
pub(crate) fn session_phase(now: chrono::DateTime<chrono::Utc>) -> &'static str {
    let et = now.with_timezone(&New_York);
    if matches!(et.weekday(), Weekday::Sat | Weekday::Sun) {
        return "closed";
    }
    let minute = et.hour() * 60 + et.minute();
    match minute {
        m if (4 * 60..9 * 60 + 30).contains(&m) => "early-hours",
        m if (9 * 60 + 30..16 * 60).contains(&m) => "open",
        m if (16 * 60..20 * 60).contains(&m) => "after-hours",
        _ => "closed",
    }
}

async fn market_status_now(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &headers, &query).await {
        return refused;
    }
    let now = shared.config.clock.now();
    let phase = session_phase(now);
    let market = match phase {
        "open" => "open",
        "closed" => "closed",
        _ => "extended-hours",
    };
    Json(json!({
        "market": market,
        "earlyHours": phase == "early-hours",
        "afterHours": phase == "after-hours",
        "serverTime": now.with_timezone(&New_York).to_rfc3339(),
        "exchanges": {"nyse": market, "nasdaq": market, "otc": market},
        "currencies": {"fx": "open", "crypto": "open"}
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn session_phases_follow_new_york_time_across_dst() {
        // 2024-07-03 14:00 UTC is 10:00 EDT; 2024-01-03 14:00 UTC is 09:00 EST.
        let summer = chrono::Utc.with_ymd_and_hms(2024, 7, 3, 14, 0, 0).unwrap();
        let winter = chrono::Utc.with_ymd_and_hms(2024, 1, 3, 14, 0, 0).unwrap();
        assert_eq!(
            session_phase(summer),
            "open",
            "10:00 EDT is inside the regular session"
        );
        assert_eq!(
            session_phase(winter),
            "early-hours",
            "09:00 EST is pre-market"
        );
        let saturday = chrono::Utc.with_ymd_and_hms(2024, 7, 6, 15, 0, 0).unwrap();
        assert_eq!(session_phase(saturday), "closed", "no session on Saturdays");
        let night = chrono::Utc.with_ymd_and_hms(2024, 7, 3, 3, 0, 0).unwrap();
        assert_eq!(
            session_phase(night),
            "closed",
            "23:00 EDT is after the 20:00 close of after-hours"
        );
    }
}
