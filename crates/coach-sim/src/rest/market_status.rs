//! Market status now and upcoming (holidays and early closes).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use coach_core::calendar::{self, MarketPhase};
use serde_json::{json, Value};

use crate::Shared;

pub(super) async fn now(State(shared): State<Arc<Shared>>) -> Response {
    let now = shared.config.clock.now();
    let phase = calendar::phase_at(now).unwrap_or(MarketPhase::Closed);
    let market = match phase {
        MarketPhase::Regular => "open",
        MarketPhase::Closed => "closed",
        _ => "extended-hours",
    };
    Json(json!({
        "market": market,
        "earlyHours": phase == MarketPhase::PreMarket,
        "afterHours": phase == MarketPhase::AfterHours,
        "serverTime": now.with_timezone(&New_York).to_rfc3339(),
        "exchanges": {"nyse": market, "nasdaq": market, "otc": market},
        "currencies": {"fx": "open", "crypto": "open"}
    }))
    .into_response()
}

pub(super) async fn upcoming(State(shared): State<Arc<Shared>>) -> Response {
    let today = shared
        .config
        .clock
        .now()
        .with_timezone(&New_York)
        .date_naive();
    let mut out = Vec::new();
    for d in today.iter_days().skip(1).take(366) {
        let fmt_t = |t: DateTime<Utc>| t.with_timezone(&New_York).to_rfc3339();
        let entry = match (calendar::session(d), calendar::holiday_name(d)) {
            (Ok(Some(s)), _) if s.early_close => Some((
                "early-close",
                calendar::holiday_name(d).unwrap_or("Early close"),
                Some((fmt_t(s.open), fmt_t(s.close))),
            )),
            (Ok(None), Some(name)) => Some(("closed", name, None)),
            _ => None,
        };
        if let Some((status, name, times)) = entry {
            for exchange in ["NYSE", "NASDAQ"] {
                let mut v = json!({"exchange": exchange, "name": name, "date": d.to_string(), "status": status});
                if let Some((open, close)) = &times {
                    v["open"] = json!(open);
                    v["close"] = json!(close);
                }
                out.push(v);
            }
        }
    }
    Json(Value::Array(out)).into_response()
}
