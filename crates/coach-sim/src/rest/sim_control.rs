//! Not part of Massive: the routes that steer the simulator itself, open
//! without a key so that QA can reach them from `curl`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use coach_core::calendar::{self, MarketPhase};
use serde_json::json;

use super::error;
use crate::Shared;

/// Not part of Massive: where the demo market is in time, for the app's label.
pub(super) async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let now = shared.config.clock.now();
    Json(json!({
        "now": now.to_rfc3339(),
        "now_ms": now.timestamp_millis(),
        "simulated": shared.config.clock.is_simulated(),
        "seed": shared.config.seed,
        "phase": calendar::phase_at(now).unwrap_or(MarketPhase::Closed),
    }))
    .into_response()
}

/// Not part of Massive: fault injection for QA against a stand-alone `coach sim serve`
/// (`curl -X POST http://127.0.0.1:PORT/_sim/faults/drop`). Faults: drop, malformed,
/// slow-consumer, auth-fail, auth-ok, rest-429 (`?n=3`), stall (`?seconds=60`).
pub(super) async fn inject_fault(
    State(shared): State<Arc<Shared>>,
    Path(fault): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let num = |k: &str, d: i64| {
        query
            .get(k)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(d)
    };
    match fault.as_str() {
        "drop" => {
            let _ = shared.socket_faults.send(crate::SocketFault::Drop);
        }
        "malformed" => {
            let _ = shared
                .socket_faults
                .send(crate::SocketFault::MalformedFrame);
        }
        "slow-consumer" => {
            let _ = shared.socket_faults.send(crate::SocketFault::SlowConsumer);
        }
        "auth-fail" => shared.faults.lock().await.fail_auth = true,
        "auth-ok" => shared.faults.lock().await.fail_auth = false,
        "rest-429" => {
            shared.faults.lock().await.rest_429_remaining = num("n", 1).clamp(0, 1000) as u32
        }
        "stall" => {
            let until = shared.config.clock.now().timestamp_millis()
                + num("seconds", 60).clamp(0, 86_400) * 1000;
            shared.faults.lock().await.stall_until_ms = Some(until);
        }
        other => {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                &format!("unknown fault {other:?}"),
            )
        }
    }
    tracing::info!(fault = %fault, "demo market: fault injected");
    Json(json!({"status": "OK", "fault": fault})).into_response()
}
