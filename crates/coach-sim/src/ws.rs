//! The Massive WebSocket protocol: `connected` on open, `auth`, per-topic
//! `subscribe`/`unsubscribe` acknowledgements, frames as JSON arrays of events
//! (T trades, Q quotes, A second aggregates, AM minute aggregates), and the
//! real status messages (`auth_failed`, `max_connections`, `slow_consumer`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{TimeZone, Utc};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::{Bar, MarketModel, Trade};
use crate::{Shared, SocketFault};

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

/// Streaming position per symbol: everything up to `cursor_ms` has been sent.
#[derive(Default)]
struct Streams {
    topics: BTreeSet<String>,
    cursors: HashMap<String, i64>,
    /// The current day's minutes per symbol (date ordinal, bars).
    days: HashMap<String, (i64, Arc<Vec<Bar>>)>,
}

async fn serve(socket: WebSocket, cluster: String, shared: Arc<Shared>) {
    let (mut tx, mut rx) = socket.split();
    // Taking a connection slot pushes the previous holder off, as Massive does.
    shared.connection_epoch.send_modify(|e| *e += 1);
    let my_epoch = *shared.connection_epoch.borrow();
    let mut connections = shared.connection_epoch.subscribe();
    let mut faults = shared.socket_faults.subscribe();

    if tx
        .send(status("connected", "Connected Successfully"))
        .await
        .is_err()
    {
        return;
    }
    let mut authed = false;
    let mut streams = Streams::default();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            fault = faults.recv() => {
                match fault {
                    Ok(SocketFault::Drop) | Err(_) => {
                        tracing::info!(%cluster, "demo market: dropping connection (fault injection)");
                        return;
                    }
                    Ok(SocketFault::MalformedFrame) => {
                        if tx.send(Message::Text("[{\"ev\":\"AM\",\"sym\":".into())).await.is_err() {
                            return;
                        }
                    }
                    Ok(SocketFault::SlowConsumer) => {
                        let _ = tx.send(status("slow_consumer", "Slow consumer: the client is not keeping up; disconnecting")).await;
                        let _ = tx.send(Message::Close(None)).await;
                        return;
                    }
                }
            }
            changed = connections.changed() => {
                if changed.is_err() || *connections.borrow() != my_epoch {
                    let _ = tx.send(status("max_connections", "Maximum number of websocket connections exceeded. You have reached the connection limit for your account. Please contact support at https://massive.com/contact to increase your limit.")).await;
                    let _ = tx.send(Message::Close(None)).await;
                    return;
                }
            }
            _ = tick.tick(), if authed && !streams.topics.is_empty() => {
                let now = shared.config.clock.now().timestamp_millis();
                let stalled = shared.faults.lock().await.stall_until_ms.is_some_and(|u| u > now);
                if stalled {
                    continue;
                }
                let events = streams.advance(&shared.model, now);
                if !events.is_empty() && tx.send(Message::Text(Value::Array(events).to_string().into())).await.is_err() {
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
                    "subscribe" => {
                        let now = shared.config.clock.now().timestamp_millis();
                        params(&action.params)
                            .map(|topic| {
                                streams.subscribe(topic, now);
                                status("success", &format!("subscribed to: {topic}"))
                            })
                            .collect()
                    }
                    "unsubscribe" => params(&action.params)
                        .map(|topic| {
                            streams.unsubscribe(topic);
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

fn symbol_of(topic: &str) -> Option<(&str, &str)> {
    topic.split_once('.')
}

impl Streams {
    fn subscribe(&mut self, topic: &str, now: i64) {
        if let Some((_, sym)) = symbol_of(topic) {
            self.cursors.entry(sym.to_string()).or_insert(now);
        }
        self.topics.insert(topic.to_string());
    }

    fn unsubscribe(&mut self, topic: &str) {
        self.topics.remove(topic);
        if let Some((_, sym)) = symbol_of(topic) {
            if !self
                .topics
                .iter()
                .any(|t| symbol_of(t).map(|(_, s)| s) == Some(sym))
            {
                self.cursors.remove(sym);
                self.days.remove(sym);
            }
        }
    }

    fn wants(&self, ev: &str, sym: &str) -> bool {
        self.topics.contains(&format!("{ev}.{sym}")) || self.topics.contains(&format!("{ev}.*"))
    }

    /// Every event in (cursor, now] for every subscribed symbol, in time order per symbol.
    fn advance(&mut self, model: &MarketModel, now: i64) -> Vec<Value> {
        let mut out = Vec::new();
        let symbols: Vec<String> = self.cursors.keys().cloned().collect();
        for sym in symbols {
            let from = self.cursors[&sym];
            // A long jump (a replay starting, a suspended laptop) is not replayed event by event.
            let from = from.max(now - 3_600_000);
            if now <= from {
                continue;
            }
            let mut minute = from.div_euclid(60_000) * 60_000;
            while minute <= now {
                if let Some((bar, day)) = self.bar_at(model, &sym, minute) {
                    self.minute_events(model, &sym, &bar, &day, from, now, &mut out);
                }
                minute += 60_000;
            }
            self.cursors.insert(sym, now);
        }
        out
    }

    /// The minute bar starting at `t` and all of that day's bars, if the market trades then.
    fn bar_at(&mut self, model: &MarketModel, sym: &str, t: i64) -> Option<(Bar, Arc<Vec<Bar>>)> {
        let at = Utc.timestamp_millis_opt(t).single()?;
        let date = at.with_timezone(&chrono_tz::America::New_York).date_naive();
        let ord = chrono::Datelike::num_days_from_ce(&date) as i64;
        let day = match self.days.get(sym) {
            Some((o, bars)) if *o == ord => bars.clone(),
            _ => {
                let bars = model.minute_bars(sym, date)?;
                self.days.insert(sym.to_string(), (ord, bars.clone()));
                bars
            }
        };
        let first = day.first()?.t;
        let i = usize::try_from((t - first).div_euclid(60_000)).ok()?;
        let bar = *day.get(i)?;
        (bar.t == t).then_some((bar, day))
    }

    #[allow(clippy::too_many_arguments)]
    fn minute_events(
        &self,
        model: &MarketModel,
        sym: &str,
        bar: &Bar,
        day: &[Bar],
        from: i64,
        now: i64,
        out: &mut Vec<Value>,
    ) {
        let trades = model.trades(sym, bar);
        let (want_t, want_q, want_a, want_am) = (
            self.wants("T", sym),
            self.wants("Q", sym),
            self.wants("A", sym),
            self.wants("AM", sym),
        );
        let day_stats = |until: i64| day_stats(day, until);
        for tr in trades.iter().filter(|t| t.t > from && t.t <= now) {
            if want_t {
                out.push(json!({"ev": "T", "sym": sym, "x": 4, "i": tr.seq.to_string(), "z": 3, "p": tr.p, "s": tr.s, "c": [], "t": tr.t, "q": tr.seq}));
            }
            if want_q {
                let half = (tr.p * 0.00005).max(0.005);
                out.push(json!({"ev": "Q", "sym": sym, "bx": 4, "bp": ((tr.p - half) * 100.0).floor() / 100.0, "bs": 3, "ax": 7, "ap": ((tr.p + half) * 100.0).ceil() / 100.0, "as": 4, "c": 0, "i": [], "t": tr.t, "q": tr.seq, "z": 3}));
            }
        }
        if want_a {
            let mut s = bar.t;
            while s < bar.t + 60_000 {
                let end = s + 1000;
                if end > from && end <= now {
                    let in_second: Vec<&Trade> =
                        trades.iter().filter(|t| t.t >= s && t.t < end).collect();
                    if let Some(ev) = agg_event("A", sym, &in_second, s, end, day_stats(end)) {
                        out.push(ev);
                    }
                }
                s = end;
            }
        }
        let end = bar.t + 60_000;
        if want_am && end > from && end <= now {
            let (av, op, a) = day_stats(end);
            out.push(json!({
                "ev": "AM", "sym": sym, "v": bar.v, "av": av, "op": op, "vw": bar.vw,
                "o": bar.o, "c": bar.c, "h": bar.h, "l": bar.l, "a": a,
                "z": (bar.v / bar.n.max(1) as f64).round(), "s": bar.t, "e": end
            }));
        }
    }
}

/// Accumulated volume, official open and day VWAP of the bars that ended by `until`.
fn day_stats(day: &[Bar], until: i64) -> (f64, f64, f64) {
    let done = day.iter().filter(|b| b.t + 60_000 <= until);
    let (mut v, mut pv) = (0.0, 0.0);
    for b in done {
        v += b.v;
        pv += b.vw * b.v;
    }
    let op = day
        .iter()
        .find(|b| !b.extended)
        .map(|b| b.o)
        .unwrap_or_default();
    let a = if v > 0.0 {
        (pv / v * 10_000.0).round() / 10_000.0
    } else {
        op
    };
    (v, op, a)
}

fn agg_event(
    ev: &str,
    sym: &str,
    trades: &[&Trade],
    s: i64,
    e: i64,
    stats: (f64, f64, f64),
) -> Option<Value> {
    let first = trades.first()?;
    let last = trades.last()?;
    let v: f64 = trades.iter().map(|t| t.s).sum();
    let vw = trades.iter().map(|t| t.p * t.s).sum::<f64>() / v;
    let (av, op, a) = stats;
    Some(json!({
        "ev": ev, "sym": sym, "v": v, "av": av, "op": op, "vw": (vw * 10_000.0).round() / 10_000.0,
        "o": first.p, "c": last.p,
        "h": trades.iter().map(|t| t.p).fold(f64::MIN, f64::max),
        "l": trades.iter().map(|t| t.p).fold(f64::MAX, f64::min),
        "a": a, "z": (v / trades.len() as f64).round(), "s": s, "e": e
    }))
}
