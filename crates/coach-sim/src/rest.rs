//! Massive REST endpoints, with the same JSON shapes as Massive's responses
//! (see shared/reference/massive): aggregates with pagination, previous close,
//! ticker snapshot, market status now/upcoming.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use coach_core::calendar::{self, MarketPhase};
use serde_json::{json, Value};

use crate::model::{aggregate, Bar, MarketModel};
use crate::Shared;
use coach_core::calendar::midnight_ny;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/marketstatus/now", get(market_status_now))
        .route("/v1/marketstatus/upcoming", get(market_status_upcoming))
        .route(
            "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}",
            get(aggregates),
        )
        .route("/v2/aggs/ticker/{ticker}/prev", get(previous_close))
        .route(
            "/v2/snapshot/locale/us/markets/stocks/tickers/{ticker}",
            get(ticker_snapshot),
        )
        .route("/v3/snapshot/options/{underlying}", get(options_chain))
        .route("/v3/reference/options/contracts", get(options_contracts))
        .route("/_sim/status", get(sim_status))
        .route("/_sim/faults/{fault}", axum::routing::post(inject_fault))
        .with_state(shared)
}

/// Not part of Massive: where the demo market is in time, for the app's label.
async fn sim_status(State(shared): State<Arc<Shared>>) -> Response {
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
async fn inject_fault(
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

fn error(status: StatusCode, label: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"status": label, "request_id": "sim", "error": message, "message": message})),
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
                "ERROR",
                "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue.",
            ));
        }
    }
    if !shared.key_ok(presented_key(headers, query)) {
        return Some(error(StatusCode::UNAUTHORIZED, "ERROR", "Unknown API Key"));
    }
    None
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

async fn market_status_upcoming(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &headers, &query).await {
        return refused;
    }
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

/// A date (`YYYY-MM-DD`, New York calendar day) or unix milliseconds.
fn parse_bound(s: &str, end: bool) -> Option<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    if end {
        Some(midnight_ny(d.succ_opt()?) - 1)
    } else {
        Some(midnight_ny(d))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Span {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

fn parse_span(s: &str) -> Option<Span> {
    Some(match s {
        "second" => Span::Second,
        "minute" => Span::Minute,
        "hour" => Span::Hour,
        "day" => Span::Day,
        "week" => Span::Week,
        "month" => Span::Month,
        "quarter" => Span::Quarter,
        "year" => Span::Year,
        _ => return None,
    })
}

/// Completed bars of `span × multiplier` that start in `[from, to]`, as of `now`.
pub(crate) fn bars_for(
    model: &MarketModel,
    ticker: &str,
    span: Span,
    multiplier: i64,
    from: i64,
    to: i64,
    now: i64,
) -> Vec<Bar> {
    let ny = |ms: i64| {
        Utc.timestamp_millis_opt(ms)
            .single()
            .unwrap_or_default()
            .with_timezone(&New_York)
            .date_naive()
    };
    let (d0, d1) = (ny(from), ny(to.min(now)));
    let sessions = model.sessions_between(d0, d1);
    match span {
        Span::Second | Span::Minute | Span::Hour => {
            let unit = match span {
                Span::Second => 1_000,
                Span::Minute => 60_000,
                _ => 3_600_000,
            } * multiplier;
            let mut base: Vec<Bar> = Vec::new();
            for s in &sessions {
                let Some(minutes) = model.minute_bars(ticker, s.date) else {
                    continue;
                };
                for m in minutes.iter() {
                    if m.t + 60_000 < from - unit || m.t > to {
                        continue;
                    }
                    if span == Span::Second {
                        base.extend(second_bars(model, ticker, m));
                    } else {
                        base.push(*m);
                    }
                }
            }
            bucket(
                &base,
                |b| b.t.div_euclid(unit) * unit,
                |start| start + unit,
                from,
                to,
                now,
            )
        }
        _ => {
            let daily: Vec<Bar> = sessions
                .iter()
                .filter(|s| s.close.timestamp_millis() <= now)
                .filter_map(|s| model.daily_bar(ticker, s.date))
                .collect();
            let period_start = |b: &Bar| -> i64 {
                let d = ny(b.t);
                let first = match span {
                    Span::Week => {
                        d - chrono::Duration::days(d.weekday().num_days_from_sunday() as i64)
                    }
                    Span::Month => d.with_day(1).unwrap_or(d),
                    Span::Quarter => {
                        NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).unwrap_or(d)
                    }
                    Span::Year => NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
                    _ => d,
                };
                midnight_ny(first)
            };
            if span == Span::Day {
                // N-day bars group N consecutive sessions.
                return daily
                    .chunks(multiplier.max(1) as usize)
                    .filter_map(aggregate)
                    .filter(|b| b.t >= from && b.t <= to)
                    .collect();
            }
            let mut out: Vec<Bar> = Vec::new();
            let mut group: Vec<Bar> = Vec::new();
            let mut key = i64::MIN;
            for b in daily {
                let k = period_start(&b);
                if k != key && !group.is_empty() {
                    out.extend(aggregate(&group).map(|mut a| {
                        a.t = key;
                        a
                    }));
                    group.clear();
                }
                key = k;
                group.push(b);
            }
            out.extend(aggregate(&group).map(|mut a| {
                a.t = key;
                a
            }));
            // Multiples of weeks/months/...: group N periods.
            out.chunks(multiplier.max(1) as usize)
                .filter_map(aggregate)
                .filter(|b| b.t >= from && b.t <= to)
                .collect()
        }
    }
}

/// Groups bars by bucket start, keeping only buckets that have ended by `now`.
fn bucket(
    bars: &[Bar],
    start_of: impl Fn(&Bar) -> i64,
    end_of: impl Fn(i64) -> i64,
    from: i64,
    to: i64,
    now: i64,
) -> Vec<Bar> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bars.len() {
        let start = start_of(&bars[i]);
        let mut j = i;
        while j < bars.len() && start_of(&bars[j]) == start {
            j += 1;
        }
        if start >= from && start <= to && end_of(start) <= now {
            if let Some(mut a) = aggregate(&bars[i..j]) {
                a.t = start;
                out.push(a);
            }
        }
        i = j;
    }
    out
}

/// One-second bars built from a minute's trades.
fn second_bars(model: &MarketModel, ticker: &str, minute: &Bar) -> Vec<Bar> {
    let trades = model.trades(ticker, minute);
    let mut out: Vec<Bar> = Vec::new();
    for t in trades {
        let start = t.t.div_euclid(1000) * 1000;
        match out.last_mut() {
            Some(b) if b.t == start => {
                b.h = b.h.max(t.p);
                b.l = b.l.min(t.p);
                b.c = t.p;
                b.vw = (b.vw * b.v + t.p * t.s) / (b.v + t.s);
                b.v += t.s;
                b.n += 1;
            }
            _ => out.push(Bar {
                t: start,
                o: t.p,
                h: t.p,
                l: t.p,
                c: t.p,
                v: t.s,
                vw: t.p,
                n: 1,
                extended: minute.extended,
            }),
        }
    }
    out
}

fn bar_json(b: &Bar) -> Value {
    json!({"v": b.v, "vw": b.vw, "o": b.o, "c": b.c, "h": b.h, "l": b.l, "t": b.t, "n": b.n})
}

async fn aggregates(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((ticker, multiplier, timespan, from, to)): Path<(String, String, String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &headers, &query).await {
        return refused;
    }
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, "ERROR", m);
    let Some(span) = parse_span(&timespan) else {
        return bad(
            "Invalid timespan: use second, minute, hour, day, week, month, quarter or year",
        );
    };
    let Some(multiplier) = multiplier
        .parse::<i64>()
        .ok()
        .filter(|m| (1..=10_000).contains(m))
    else {
        return bad("Invalid multiplier");
    };
    let (Some(mut from_ms), Some(to_ms)) = (parse_bound(&from, false), parse_bound(&to, true))
    else {
        return bad("Could not parse the from/to dates: use YYYY-MM-DD or unix milliseconds");
    };
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(5000)
        .clamp(1, 50_000);
    let desc = query.get("sort").map(String::as_str) == Some("desc");
    // The cursor of a next_url page is where that page starts (asc) or ends (desc).
    let mut to_cursor = to_ms;
    if let Some(c) = query.get("cursor").and_then(|c| c.parse::<i64>().ok()) {
        if desc {
            to_cursor = c;
        } else {
            from_ms = c;
        }
    }
    let now = shared.config.clock.now().timestamp_millis();
    let ticker = ticker.to_ascii_uppercase();
    let mut bars = bars_for(
        &shared.model,
        &ticker,
        span,
        multiplier,
        from_ms,
        to_cursor,
        now,
    );
    if desc {
        bars.reverse();
    }
    let next = (bars.len() > limit).then(|| bars[limit].t);
    bars.truncate(limit);
    let results: Vec<Value> = bars.iter().map(bar_json).collect();
    let mut body = json!({
        "ticker": ticker,
        "queryCount": results.len(),
        "resultsCount": results.len(),
        "adjusted": query.get("adjusted").map(String::as_str) != Some("false"),
        "status": "OK",
        "request_id": "sim",
        "count": results.len(),
    });
    if !results.is_empty() {
        body["results"] = Value::Array(results);
    }
    if let Some(cursor) = next {
        let mut q: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "cursor" && k.as_str() != "apiKey")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        q.push(("cursor".into(), cursor.to_string()));
        q.sort();
        let qs: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        body["next_url"] = json!(format!(
            "{}/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}?{}",
            shared.base_url,
            qs.join("&")
        ));
    }
    Json(body).into_response()
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

async fn previous_close(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(ticker): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &headers, &query).await {
        return refused;
    }
    let ticker = ticker.to_ascii_uppercase();
    let now = shared.config.clock.now();
    let today = now.with_timezone(&New_York).date_naive();
    let prev = session_before(&shared.model, today);
    let bar = prev.and_then(|s| shared.model.daily_bar(&ticker, s.date));
    let results: Vec<Value> = bar
        .iter()
        .map(|b| {
            let mut v = bar_json(b);
            v["T"] = json!(ticker);
            v
        })
        .collect();
    Json(json!({
        "ticker": ticker, "queryCount": results.len(), "resultsCount": results.len(),
        "adjusted": true, "results": results, "status": "OK", "request_id": "sim", "count": results.len()
    }))
    .into_response()
}

async fn ticker_snapshot(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(ticker): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &headers, &query).await {
        return refused;
    }
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
    let next = (offset + limit < total).then(|| {
        let mut q: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "cursor" && k.as_str() != "apiKey")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        q.push(("cursor".into(), (offset + limit).to_string()));
        q.sort();
        let qs: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}{path}?{}", shared.base_url, qs.join("&"))
    });
    (page, next)
}

async fn options_chain(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(underlying): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &headers, &query).await {
        return refused;
    }
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

async fn options_contracts(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&shared, &headers, &query).await {
        return refused;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn five_minute_bars_aggregate_the_minutes_and_only_completed_buckets_are_served() {
        let m = MarketModel::new(1);
        let from = ms("2024-07-02T13:30:00Z");
        let to = ms("2024-07-02T14:29:59Z");
        let now = ms("2024-07-02T14:12:00Z");
        let ones = bars_for(&m, "SPY", Span::Minute, 1, from, to, now);
        let fives = bars_for(&m, "SPY", Span::Minute, 5, from, to, now);
        assert_eq!(ones.len(), 42, "13:30..14:11 are the 42 completed minutes");
        assert_eq!(
            fives.len(),
            8,
            "14:10 is still open at 14:12, so 8 five-minute bars"
        );
        let first = aggregate(&ones[..5]).unwrap();
        assert_eq!(
            (fives[0].o, fives[0].h, fives[0].l, fives[0].c, fives[0].v),
            (first.o, first.h, first.l, first.c, first.v)
        );
    }

    #[test]
    fn weekly_and_monthly_bars_start_on_their_period() {
        let m = MarketModel::new(1);
        let now = ms("2024-08-01T00:00:00Z");
        let weeks = bars_for(
            &m,
            "SPY",
            Span::Week,
            1,
            ms("2024-07-01T04:00:00Z"),
            ms("2024-07-31T04:00:00Z"),
            now,
        );
        let first = Utc
            .timestamp_millis_opt(weeks[0].t)
            .unwrap()
            .with_timezone(&New_York);
        assert_eq!(
            first.weekday(),
            chrono::Weekday::Sun,
            "Massive's weeks start on Sunday"
        );
        let months = bars_for(
            &m,
            "SPY",
            Span::Month,
            1,
            ms("2024-01-01T05:00:00Z"),
            ms("2024-06-30T04:00:00Z"),
            now,
        );
        assert_eq!(months.len(), 6);
        let jan: Vec<Bar> = m
            .sessions_between(
                NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(),
            )
            .iter()
            .filter_map(|s| m.daily_bar("SPY", s.date))
            .collect();
        assert_eq!(
            months[0].v,
            jan.iter().map(|b| b.v).sum::<f64>(),
            "January's volume is its sessions' volume"
        );
    }

    #[test]
    fn second_bars_come_from_the_trades() {
        let m = MarketModel::new(1);
        let secs = bars_for(
            &m,
            "AAPL",
            Span::Second,
            1,
            ms("2024-07-02T13:30:00Z"),
            ms("2024-07-02T13:30:59Z"),
            ms("2024-07-03T00:00:00Z"),
        );
        let minute = bars_for(
            &m,
            "AAPL",
            Span::Minute,
            1,
            ms("2024-07-02T13:30:00Z"),
            ms("2024-07-02T13:30:59Z"),
            ms("2024-07-03T00:00:00Z"),
        );
        assert_eq!(
            secs.iter().map(|b| b.v).sum::<f64>(),
            minute[0].v,
            "the seconds of a minute add up to it"
        );
        assert_eq!(secs[0].o, minute[0].o);
        assert_eq!(secs.last().unwrap().c, minute[0].c);
    }
}
