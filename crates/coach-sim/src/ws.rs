//! The Massive WebSocket protocol: `connected` on open, `auth`, per-topic
//! `subscribe`/`unsubscribe` acknowledgements, frames as JSON arrays of events,
//! and the real status messages (`auth_failed`, `max_connections`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;

use crate::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{cluster}", get(upgrade))
        .with_state(shared)
}

async fn upgrade(
    ws: WebSocketUpgrade,
    Path(cluster): Path<String>,
    State(shared): State<Arc<Shared>>,
) -> Response {
    ws.on_upgrade(move |socket| serve(socket, cluster, shared))
}

#[derive(Debug, Deserialize)]
struct Action {
    action: String,
    #[serde(default)]
    params: String,
}

fn status(status: &str, message: &str) -> Message {
    Message::Text(
        json!([{"ev": "status", "status": status, "message": message}])
            .to_string()
            .into(),
    )
}

async fn serve(socket: WebSocket, cluster: String, shared: Arc<Shared>) {
    let (mut tx, mut rx) = socket.split();
    // Taking a connection slot pushes the previous holder off, as Massive does.
    shared.connection_epoch.send_modify(|e| *e += 1);
    let my_epoch = *shared.connection_epoch.borrow();
    let mut connections = shared.connection_epoch.subscribe();
    let mut drops = shared.drop_epoch.subscribe();
    drops.mark_unchanged();

    if tx
        .send(status("connected", "Connected Successfully"))
        .await
        .is_err()
    {
        return;
    }
    let mut authed = false;
    let mut topics: BTreeSet<String> = BTreeSet::new();
    loop {
        tokio::select! {
            changed = drops.changed() => {
                // Fault injection: an abrupt drop, no close frame, as a network failure looks.
                let _ = changed;
                tracing::info!(%cluster, "demo market: dropping connection (fault injection)");
                return;
            }
            changed = connections.changed() => {
                if changed.is_err() || *connections.borrow() != my_epoch {
                    let _ = tx.send(status("max_connections", "Maximum number of websocket connections exceeded. You have reached the connection limit for your account. Please contact support at https://massive.com/contact to increase your limit.")).await;
                    let _ = tx.send(Message::Close(None)).await;
                    return;
                }
            }
            msg = rx.next() => {
                let Some(Ok(msg)) = msg else { return };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => return,
                    _ => continue,
                };
                let Ok(action) = serde_json::from_str::<Action>(&text) else {
                    let _ = tx.send(status("error", "invalid message")).await;
                    continue;
                };
                let reply = match action.action.as_str() {
                    "auth" => {
                        let fail = shared.faults.lock().await.fail_auth;
                        if fail || !shared.key_ok(Some(action.params.as_str())) {
                            let _ = tx.send(status("auth_failed", "authentication failed")).await;
                            let _ = tx.send(Message::Close(None)).await;
                            return;
                        }
                        authed = true;
                        vec![status("auth_success", "authenticated")]
                    }
                    "subscribe" | "unsubscribe" if !authed => {
                        vec![status("error", "not authorized")]
                    }
                    "subscribe" => params(&action.params)
                        .map(|topic| {
                            topics.insert(topic.to_string());
                            status("success", &format!("subscribed to: {topic}"))
                        })
                        .collect(),
                    "unsubscribe" => params(&action.params)
                        .map(|topic| {
                            topics.remove(topic);
                            status("success", &format!("unsubscribed to: {topic}"))
                        })
                        .collect(),
                    other => vec![status("error", &format!("unknown action: {other}"))],
                };
                for m in reply {
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn params(p: &str) -> impl Iterator<Item = &str> {
    p.split(',').map(str::trim).filter(|t| !t.is_empty())
}
