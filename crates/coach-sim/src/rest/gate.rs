//! The gate every Massive route passes first: injected 429s, then the key.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{QueryRejection, RawPathParamsRejection};
use axum::extract::{Query, RawPathParams, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error;
use crate::Shared;

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

/// Middleware for every Massive route.
pub(super) async fn gate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    path: Result<RawPathParams, RawPathParamsRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    request: Request,
    next: Next,
) -> Response {
    // A request the handler's extractors refuse gets their 400 (path first,
    // then query) before the key is looked at, and uses up no injected 429.
    if path.is_err() {
        return next.run(request).await;
    }
    let query = match query {
        Ok(Query(query)) => query,
        Err(rejection) => return rejection.into_response(),
    };
    {
        let mut faults = shared.faults.lock().await;
        if faults.rest_429_remaining > 0 {
            faults.rest_429_remaining -= 1;
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "ERROR",
                "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue.",
            );
        }
    }
    if !shared.key_ok(presented_key(&headers, &query)) {
        return error(StatusCode::UNAUTHORIZED, "ERROR", "Unknown API Key");
    }
    if request.uri().path().starts_with("/v2/aggs/") {
        let mut hold = shared.hold_aggregates.subscribe();
        if *hold.borrow_and_update() {
            shared.held_requests.send_modify(|n| *n += 1);
            let _ = hold.wait_for(|h| !*h).await;
            shared.held_requests.send_modify(|n| *n -= 1);
        }
    }
    next.run(request).await
}
