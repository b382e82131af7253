//! Aggregates (bars of any span, paged with `next_url`) and the previous close.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use coach_core::calendar::midnight_ny;
use serde_json::{json, Value};

use super::{error, next_url, session_before};
use crate::model::{aggregate, Bar, MarketModel};
use crate::Shared;

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
enum Span {
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
fn bars_for(
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

pub(super) async fn aggregates(
    State(shared): State<Arc<Shared>>,
    Path((ticker, multiplier, timespan, from, to)): Path<(String, String, String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
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
        let path = format!("/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}");
        body["next_url"] = json!(next_url(&shared, &path, &query, cursor));
    }
    Json(body).into_response()
}

pub(super) async fn previous_close(
    State(shared): State<Arc<Shared>>,
    Path(ticker): Path<String>,
) -> Response {
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

#[cfg(test)]
mod tests {
    use chrono::DateTime;

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
