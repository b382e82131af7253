//! The stock ticker snapshot: today so far, the previous day, the last trade and quote.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{error, session_before};
use crate::model::{aggregate, Bar, MarketModel};
use crate::Shared;

pub(super) async fn ticker_snapshot(
    State(shared): State<Arc<Shared>>,
    Path(ticker): Path<String>,
) -> Response {
    let ticker = ticker.to_ascii_uppercase();
    if MarketModel::spec(&ticker).is_none() {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "Ticker not found.");
    }
    let now = shared.config.clock.now();
    let now_ms = now.timestamp_millis();
    let Some(session) = crate::model::session_on_or_before(&shared.model, now) else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No data for this ticker yet.",
        );
    };
    let minutes = shared
        .model
        .minute_bars(&ticker, session.date)
        .unwrap_or_default();
    let done: Vec<Bar> = minutes
        .iter()
        .filter(|b| b.t + 60_000 <= now_ms)
        .copied()
        .collect();
    let regular: Vec<Bar> = done.iter().filter(|b| !b.extended).copied().collect();
    let prev = session_before(&shared.model, session.date)
        .and_then(|s| shared.model.daily_bar(&ticker, s.date));
    let day = aggregate(&regular);
    let last_min = done.last().copied();
    let last_trade = last_min.and_then(|m| shared.model.trades(&ticker, &m).last().copied());
    let ohlcv = |b: Option<Bar>| match b {
        Some(b) => json!({"o": b.o, "h": b.h, "l": b.l, "c": b.c, "v": b.v, "vw": b.vw}),
        None => json!({"o": 0, "h": 0, "l": 0, "c": 0, "v": 0, "vw": 0}),
    };
    let last_price = last_trade.map(|t| t.p).or(prev.map(|p| p.c)).unwrap_or(0.0);
    let prev_close = prev.map(|p| p.c).unwrap_or(last_price);
    let change = ((last_price - prev_close) * 100.0).round() / 100.0;
    let updated_ns = last_trade
        .map(|t| t.t * 1_000_000)
        .unwrap_or(now_ms * 1_000_000);
    let spread = (last_price * 0.0001).max(0.01);
    let accumulated: f64 = done.iter().map(|b| b.v).sum();
    let min = last_min.map(|m| {
        json!({"av": accumulated, "o": m.o, "h": m.h, "l": m.l, "c": m.c, "v": m.v, "vw": m.vw, "t": m.t, "n": m.n})
    });
    Json(json!({
        "request_id": "sim",
        "status": "OK",
        "ticker": {
            "ticker": ticker,
            "day": ohlcv(day),
            "prevDay": ohlcv(prev),
            "min": min.unwrap_or(json!({})),
            "lastTrade": last_trade.map(|t| json!({"c": null, "i": t.seq.to_string(), "p": t.p, "s": t.s, "t": t.t * 1_000_000, "x": 4})).unwrap_or(json!({})),
            "lastQuote": {"P": ((last_price + spread / 2.0) * 100.0).ceil() / 100.0, "S": 5, "p": ((last_price - spread / 2.0) * 100.0).floor() / 100.0, "s": 4, "t": updated_ns},
            "fmv": last_price,
            "todaysChange": change,
            "todaysChangePerc": if prev_close > 0.0 { ((last_price / prev_close - 1.0) * 100_000.0).round() / 1000.0 } else { 0.0 },
            "updated": updated_ns
        }
    }))
    .into_response()
}
