//! The coach's tools: the same Engine the UI uses, answering in JSON for the
//! model and, where useful, a card for the UI. Numbers are rounded to what a
//! trader reads (prices to the cent) so that the model quotes them as given
//! and the grounding check can match them.

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use coach_core::calendar::{self, MarketPhase};
use coach_core::indicators::{IndicatorSet, Spec};
use coach_core::strategy::{self, Extreme, Leg, LegKind};
use coach_core::{Symbol, Timeframe};
use serde_json::{json, Value};

use super::types::Card;
use crate::market::history::ChartQuery;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::MarketConfig;
use crate::levels::Levels;
use crate::market::Market;
use crate::options_chain::OptionsDesk;
use crate::positions::Positions;

/// Tools the model may call, in the OpenAI `tools` format.
pub fn definitions() -> Value {
    let symbol = json!({"type": "string", "description": "Ticker symbol, e.g. SPY"});
    let timeframe = json!({"type": "string", "enum": ["1m", "5m", "15m", "1h", "1d"]});
    let f = |name: &str, description: &str, parameters: Value| json!({"type": "function", "function": {"name": name, "description": description, "parameters": parameters}});
    json!([
        f("get_quote", "Last price, change on the day, bid/ask and today's range for a symbol.",
          json!({"type": "object", "properties": {"symbol": symbol}, "required": ["symbol"]})),
        f("get_market_status", "Whether the US stock market is open now (pre-market, regular, after hours, closed), today's session times and the next open.",
          json!({"type": "object", "properties": {}})),
        f("show_chart", "Open the chart of a symbol at a timeframe in the app, and get its last bar.",
          json!({"type": "object", "properties": {"symbol": symbol, "timeframe": timeframe}, "required": ["symbol"]})),
        f("get_key_levels", "Today's key support and resistance levels for a symbol (prior day high/low/close, pivots, opening range, VWAP, premarket), each with distance from the price and how often it was tested today.",
          json!({"type": "object", "properties": {"symbol": symbol}, "required": ["symbol"]})),
        f("get_indicators", "The latest technical indicators (RSI 14, MACD 12/26/9, SMA 20/50, EMA 20, ATR 14, Bollinger 20/2, VWAP) for a symbol at a timeframe (default 1d), as of the last completed bar.",
          json!({"type": "object", "properties": {"symbol": symbol, "timeframe": timeframe}, "required": ["symbol"]})),
                f("get_options_chain", "One expiration of a symbol's options chain near the money: bid/ask, IV and delta for calls and puts around the spot, the at-the-money straddle and the expected move to expiration, and the listed expirations. The expiration may be a date (YYYY-MM-DD), a weekday name (the next one) or today/tomorrow; an unlisted date takes the first listed expiration after it. Default: the nearest.",
          json!({"type": "object", "properties": {"symbol": symbol, "expiration": {"type": "string"}}, "required": ["symbol"]})),
        f("analyze_position", "Analyse an options/stock position. With a symbol and each option leg's expiry, it is valued against the market: spot and each leg's IV from its expiration's chain, P&L now, Greeks, probability of profit, and the profile at the (first) expiration — calendars and diagonals included, their later legs valued by Black-Scholes with the time left. Without a symbol: the P&L at expiry of one expiration from the entry prices alone. Always: breakevens, max gain and max loss (or unbounded), net debit. Quantities are signed: + bought, - sold.",
          json!({"type": "object", "properties": {"symbol": symbol, "legs": {"type": "array", "items": {"type": "object", "properties": {
              "kind": {"type": "string", "enum": ["call", "put", "stock"]},
              "strike": {"type": "number"},
              "expiry": {"type": "string", "description": "YYYY-MM-DD (options, with a symbol)"},
              "quantity": {"type": "number"},
              "entry_price": {"type": "number", "description": "Per share"}
          }, "required": ["kind", "quantity", "entry_price"]}}}, "required": ["legs"]})),
    ])
}

/// The names of every tool.
pub const NAMES: [&str; 7] = [
    "get_quote",
    "get_market_status",
    "show_chart",
    "get_key_levels",
    "get_indicators",
    "get_options_chain",
    "analyze_position",
];

/// What a tool produced.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    pub ok: bool,
    pub result: Value,
    pub card: Option<Card>,
}

impl ToolOutput {
    fn error(message: impl Into<String>) -> ToolOutput {
        ToolOutput {
            ok: false,
            result: json!({"error": message.into()}),
            card: None,
        }
    }
}

/// Rounds a price to cents (4 decimals under one dollar).
pub fn price(x: f64) -> f64 {
    if x.abs() < 1.0 {
        round(x, 4)
    } else {
        round(x, 2)
    }
}

pub fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

fn ny(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&New_York)
                .format("%a %b %-d %H:%M ET")
                .to_string()
        })
        .unwrap_or_default()
}

/// A bar's start for people: the session date for daily bars, else the New York time.
fn bar_time(ms: i64, tf: Timeframe) -> String {
    if tf == Timeframe::D1 {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .map(|t| {
                t.with_timezone(&New_York)
                    .format("%a %b %-d %Y")
                    .to_string()
            })
            .unwrap_or_default()
    } else {
        ny(ms)
    }
}

fn symbol_arg(args: &Value) -> Result<Symbol, String> {
    let s = args
        .get("symbol")
        .and_then(Value::as_str)
        .ok_or("the argument \"symbol\" (a ticker such as SPY) is missing")?;
    Symbol::parse(s).map_err(|e| e.to_string())
}

fn timeframe_arg(args: &Value, default: Timeframe) -> Result<Timeframe, String> {
    match args.get("timeframe") {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => s.parse::<Timeframe>().map_err(|e| e.to_string()),
        Some(other) => Err(format!(
            "\"timeframe\" must be one of 1m, 5m, 15m, 1h, 1d (got {other})"
        )),
    }
}

/// What the tools reach: the components they answer from, handed to the
/// coach at construction.
pub struct Toolbox {
    market: Arc<Market>,
    levels: Levels,
    options: Arc<OptionsDesk>,
    positions: Arc<Positions>,
}

impl Toolbox {
    pub fn new(
        market: Arc<Market>,
        levels: Levels,
        options: Arc<OptionsDesk>,
        positions: Arc<Positions>,
    ) -> Toolbox {
        Toolbox {
            market,
            levels,
            options,
            positions,
        }
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        self.market.clock()
    }

    pub(crate) fn market_config(&self) -> &MarketConfig {
        self.market.config()
    }
}

/// Runs tool `name` with `args` (already parsed). Never panics; failures are
/// `ok: false` with an error the model can read.
pub async fn run(kit: &Toolbox, call_id: &str, name: &str, args: &Value) -> ToolOutput {
    if !args.is_object() {
        return ToolOutput::error(format!(
            "the arguments of {name} must be a JSON object, got {args}"
        ));
    }
    let r = match name {
        "get_quote" => quote(kit, call_id, args).await,
        "get_market_status" => market_status(kit, call_id),
        "show_chart" => show_chart(kit, call_id, args).await,
        "get_key_levels" => key_levels(kit, call_id, args).await,
        "get_indicators" => indicators(kit, call_id, args).await,
        "get_options_chain" => options_chain(kit, call_id, args).await,
        // Against the market only with a symbol and every option leg's
        // expiry; a symbol given for context alone keeps the payoff answer.
        "analyze_position" if market_position(args) => {
            analyze_against_market(kit, call_id, args).await
        }
        "analyze_position" => analyze_position(call_id, args),
        other => Err(format!(
            "there is no tool called {other:?}; the tools are {}",
            NAMES.join(", ")
        )),
    };
    r.unwrap_or_else(ToolOutput::error)
}

fn card(
    kind: &str,
    title: String,
    symbol: Option<&Symbol>,
    tf: Option<Timeframe>,
    call_id: &str,
    data: &Value,
) -> Option<Card> {
    Some(Card {
        card_type: kind.to_string(),
        title,
        symbol: symbol.map(|s| s.to_string()),
        timeframe: tf.map(|t| t.to_string()),
        tool_call_id: call_id.to_string(),
        data: data.clone(),
    })
}

async fn quote(kit: &Toolbox, call_id: &str, args: &Value) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args)?;
    let snap = kit
        .market
        .rest()
        .ticker_snapshot(sym.as_str())
        .await
        .map_err(|e| format!("no quote for {sym}: {e}"))?;
    let last = snap
        .price()
        .ok_or_else(|| format!("no trades for {sym} yet"))?;
    let prev = snap.previous_close;
    let updated_ms = snap
        .updated_ms
        .unwrap_or_else(|| kit.clock().now().timestamp_millis());
    let result = json!({
        "symbol": sym.to_string(),
        "price": price(last),
        "previous_close": prev.map(price),
        "change": prev.map(|p| price(last - p)),
        "change_pct": prev.map(|p| round((last - p) / p * 100.0, 2)),
        "bid": snap.bid.map(price),
        "ask": snap.ask.map(price),
        "day_open": snap.day_open.map(price),
        "day_high": snap.day_high.map(price),
        "day_low": snap.day_low.map(price),
        "day_volume": snap.day_volume.map(|v| v.round()),
        "day_vwap": snap.day_vwap.map(price),
        "as_of": ny(updated_ms),
        "source": kit.market_config().mode.label(),
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "quote",
            format!("{sym} quote"),
            Some(&sym),
            Some(Timeframe::M5),
            call_id,
            &result,
        ),
        result,
    })
}

fn market_status(kit: &Toolbox, call_id: &str) -> Result<ToolOutput, String> {
    let now = kit.clock().now();
    let phase = calendar::phase_at(now).map_err(|e| e.to_string())?;
    let today = now.with_timezone(&New_York).date_naive();
    let session = calendar::session(today).map_err(|e| e.to_string())?;
    let next = calendar::next_session(today).map_err(|e| e.to_string())?;
    let upcoming = match (phase, session) {
        (MarketPhase::Closed, Some(s)) if now < s.pre_open => s,
        (MarketPhase::PreMarket, Some(s)) => s,
        _ => next,
    };
    let hhmm = |t: DateTime<Utc>| t.with_timezone(&New_York).format("%H:%M ET").to_string();
    let result = json!({
        "now": now.with_timezone(&New_York).format("%a %b %-d %Y %H:%M ET").to_string(),
        "phase": match phase {
            MarketPhase::Closed => "closed",
            MarketPhase::PreMarket => "pre_market",
            MarketPhase::Regular => "regular",
            MarketPhase::AfterHours => "after_hours",
        },
        "is_open": phase == MarketPhase::Regular,
        "today_is_trading_day": session.is_some(),
        "today_holiday": calendar::holiday_name(today),
        "today_open": session.map(|s| hhmm(s.open)),
        "today_close": session.map(|s| hhmm(s.close)),
        "today_early_close": session.map(|s| s.early_close),
        "minutes_to_close": match (phase, session) {
            (MarketPhase::Regular, Some(s)) => Some((s.close - now).num_minutes()),
            _ => None,
        },
        "next_open": if phase == MarketPhase::Regular || phase == MarketPhase::AfterHours {
            ny(next.open.timestamp_millis())
        } else {
            ny(upcoming.open.timestamp_millis())
        },
        "market_data": kit.market_config().mode.label(),
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "market_status",
            "Market status".into(),
            None,
            None,
            call_id,
            &result,
        ),
        result,
    })
}

/// The chart cache's bars of `sym` at `tf` up to now (the chart's look-back).
async fn bars(
    kit: &Toolbox,
    sym: &Symbol,
    tf: Timeframe,
) -> Result<crate::market::history::ChartData, String> {
    kit.market
        .history()
        .load(&ChartQuery {
            symbol: sym.to_string(),
            timeframe: tf.to_string(),
            from_ms: None,
            to_ms: None,
        })
        .await
        .map_err(|e| format!("no {tf} bars for {sym}: {e}"))
}

async fn show_chart(kit: &Toolbox, call_id: &str, args: &Value) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args)?;
    let tf = timeframe_arg(args, Timeframe::M5)?;
    let data = bars(kit, &sym, tf).await?;
    let last = data
        .bars
        .last()
        .ok_or_else(|| format!("no {tf} bars for {sym}"))?;
    let result = json!({
        "symbol": sym.to_string(),
        "timeframe": tf.to_string(),
        "opened": true,
        "bars": data.bars.len(),
        "last_bar": bar_time(last.time, tf),
        "last_open": price(last.open),
        "last_high": price(last.high),
        "last_low": price(last.low),
        "last_close": price(last.close),
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "chart",
            format!("{sym} · {tf} chart"),
            Some(&sym),
            Some(tf),
            call_id,
            &result,
        ),
        result,
    })
}

/// How many levels above and below the price go to the model.
const LEVELS_EACH_SIDE: usize = 6;

async fn key_levels(kit: &Toolbox, call_id: &str, args: &Value) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args)?;
    let report = kit
        .levels
        .levels(sym.as_str(), None)
        .await
        .map_err(|e| format!("no levels for {sym}: {e}"))?;
    let level = |l: &coach_core::levels::Level| {
        json!({
            "label": l.label,
            "kind": l.kind,
            "price": price(l.price),
            "distance": round(l.distance_pts, 2),
            "distance_pct": round(l.distance_pct, 2),
            "distance_atr": l.distance_atr.map(|x| round(x, 2)),
            "strength": l.strength,
            "touches_today": l.tests.touches,
            "rejections_today": l.tests.rejections,
            "breaks_today": l.tests.breaks,
        })
    };
    // Highest first in the report: above the price come first.
    let above: Vec<Value> = report
        .levels
        .iter()
        .filter(|l| l.price > report.price)
        .rev()
        .take(LEVELS_EACH_SIDE)
        .map(level)
        .collect();
    let below: Vec<Value> = report
        .levels
        .iter()
        .filter(|l| l.price <= report.price)
        .take(LEVELS_EACH_SIDE)
        .map(level)
        .collect();
    let result = json!({
        "symbol": report.symbol,
        "session": report.session.to_string(),
        "as_of": ny(report.at_ms),
        "price": price(report.price),
        "atr_14_daily": report.atr.map(price),
        "resistance_nearest_first": above,
        "support_nearest_first": below,
        "total_levels": report.levels.len(),
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "key_levels",
            format!("{sym} key levels"),
            Some(&sym),
            Some(Timeframe::M5),
            call_id,
            &result,
        ),
        result,
    })
}

pub const SNAPSHOT_INDICATORS: [&str; 8] = [
    "rsi:14",
    "macd:12:26:9",
    "sma:20",
    "sma:50",
    "ema:20",
    "atr:14",
    "bbands:20:2",
    "vwap",
];

async fn indicators(kit: &Toolbox, call_id: &str, args: &Value) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args)?;
    let tf = timeframe_arg(args, Timeframe::D1)?;
    let data = bars(kit, &sym, tf).await?;
    let specs: Vec<Spec> = SNAPSHOT_INDICATORS
        .iter()
        .map(|s| s.parse::<Spec>())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let candles: Vec<coach_core::candles::Candle> = data.bars.to_vec();
    let last = candles
        .last()
        .ok_or_else(|| format!("no {tf} bars for {sym}"))?;
    let set = IndicatorSet::new(&specs);
    let keys = set.keys().to_vec();
    let rows = IndicatorSet::run(&specs, &candles);
    let row = rows.last().cloned().unwrap_or_default();
    let mut values = serde_json::Map::new();
    for (k, v) in keys.iter().zip(row) {
        let v = v.map(|x| {
            if k.starts_with("rsi") {
                round(x, 1)
            } else if k.starts_with("macd") {
                round(x, 3)
            } else {
                price(x)
            }
        });
        values.insert(k.clone(), json!(v));
    }
    let rsi = values.get("rsi_14").and_then(Value::as_f64);
    let result = json!({
        "symbol": sym.to_string(),
        "timeframe": tf.to_string(),
        "bar": bar_time(last.time, tf),
        "rsi_zone": rsi.map(|r| if r >= 70.0 { "overbought (70 or above)" } else if r <= 30.0 { "oversold (30 or below)" } else { "neutral (between 30 and 70)" }),
        "close": price(last.close),
        "bars_used": candles.len(),
        "values": values,
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "indicators",
            format!("{sym} indicators · {tf}"),
            Some(&sym),
            Some(tf),
            call_id,
            &result,
        ),
        result,
    })
}

fn analyze_position(call_id: &str, args: &Value) -> Result<ToolOutput, String> {
    let legs_v = args
        .get("legs")
        .and_then(Value::as_array)
        .ok_or("the argument \"legs\" (a list of legs) is missing")?;
    let mut legs = Vec::new();
    for (i, l) in legs_v.iter().enumerate() {
        let n = i + 1;
        let kind = match l.get("kind").and_then(Value::as_str) {
            Some("call") => LegKind::Call,
            Some("put") => LegKind::Put,
            Some("stock") => LegKind::Stock,
            other => {
                return Err(format!(
                    "leg {n}: kind must be call, put or stock (got {other:?})"
                ))
            }
        };
        let field = |k: &str| l.get(k).and_then(Value::as_f64);
        let quantity = field("quantity").ok_or(format!("leg {n}: quantity is missing"))?;
        let entry_price = field("entry_price").ok_or(format!("leg {n}: entry_price is missing"))?;
        let strike = match kind {
            LegKind::Stock => 0.0,
            _ => field("strike").ok_or(format!("leg {n}: an option needs a strike"))?,
        };
        legs.push(Leg {
            kind,
            strike,
            quantity,
            entry_price,
            multiplier: if kind == LegKind::Stock { 1.0 } else { 100.0 },
        });
    }
    let p = strategy::expiry_profile(&legs).map_err(|e| e.to_string())?;
    let extreme = |e: &Extreme| match e {
        Extreme::Finite { value, at } => json!({"value": round(*value, 2), "at_price": price(*at)}),
        Extreme::Unbounded => json!("unbounded"),
    };
    let result = json!({
        "breakevens": p.breakevens.iter().map(|&b| price(b)).collect::<Vec<_>>(),
        "max_gain": extreme(&p.max_gain),
        "max_loss": extreme(&p.max_loss),
        "net_debit": round(p.net_debit, 2),
        "legs": legs.len(),
        "assumptions": "P&L at expiry, 100 shares per contract, one expiration",
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "position",
            "Position at expiry".into(),
            None,
            None,
            call_id,
            &result,
        ),
        result,
    })
}

fn market_position(args: &Value) -> bool {
    let symbol = args
        .get("symbol")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty());
    let legs = args.get("legs").and_then(Value::as_array);
    symbol
        && legs.is_some_and(|legs| {
            legs.iter().all(|l| {
                l.get("kind").and_then(Value::as_str) == Some("stock")
                    || l.get("expiry").and_then(Value::as_str).is_some()
            })
        })
}

/// A position valued against the market: the positions component's own analysis (the
/// Options tab's), with each leg's IV from its expiration's chain.
async fn analyze_against_market(
    kit: &Toolbox,
    call_id: &str,
    args: &Value,
) -> Result<ToolOutput, String> {
    use crate::positions::{PositionInput, PositionLeg, WhatIf};
    let symbol = args
        .get("symbol")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let legs_v = args
        .get("legs")
        .and_then(Value::as_array)
        .ok_or("the argument \"legs\" (a list of legs) is missing")?;
    let legs = legs_v
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let kind = l.get("kind").and_then(Value::as_str).unwrap_or_default();
            let kind = crate::positions::leg_kind(kind).ok_or_else(|| {
                format!(
                    "leg {}: kind must be call, put or stock (got {kind:?})",
                    i + 1
                )
            })?;
            Ok::<_, String>(PositionLeg {
                kind,
                strike: l.get("strike").and_then(Value::as_f64),
                expiry: l.get("expiry").and_then(Value::as_str).map(str::to_string),
                quantity: l
                    .get("quantity")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NAN),
                entry_price: l
                    .get("entry_price")
                    .and_then(Value::as_f64)
                    .unwrap_or(f64::NAN),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let input = PositionInput {
        name: format!("{symbol} position"),
        symbol: symbol.to_string(),
        legs,
    };
    let a = kit
        .positions
        .analyze_legs(0, &input, &WhatIf::default())
        .await
        .map_err(|e| e.to_string())?;
    let money = |v: Option<f64>| match v {
        Some(v) => json!(round(v, 2)),
        None => json!("unbounded"),
    };
    let result = json!({
        "symbol": a.symbol,
        "spot": price(a.spot),
        "expiry": a.expiry,
        "days_to_expiry": round(a.days_to_expiry, 1),
        "breakevens": a.breakevens.iter().map(|&b| price(b)).collect::<Vec<_>>(),
        "max_gain": money(a.max_gain),
        "max_loss": money(a.max_loss),
        "net_debit": round(a.net_debit, 2),
        "pnl_now": round(a.pnl_now, 2),
        "greeks": {
            "delta": round(a.greeks.delta, 2),
            "gamma": round(a.greeks.gamma, 4),
            "theta": round(a.greeks.theta, 2),
            "vega": round(a.greeks.vega, 2),
        },
        "probability_of_profit_pct": a.probability_of_profit.map(|p| round(100.0 * p, 1)),
        "leg_ivs_pct": a.leg_ivs.iter().map(|v| v.map(|v| round(100.0 * v, 1))).collect::<Vec<_>>(),
        "assumptions": a.assumptions,
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "position",
            format!("{} position", a.symbol),
            Symbol::parse(&a.symbol).ok().as_ref(),
            None,
            call_id,
            &result,
        ),
        result,
    })
}

/// A requested expiration: a date, a weekday name (the next such day, today
/// included), "today" or "tomorrow".
pub fn expiration_arg(text: &str, today: chrono::NaiveDate) -> Result<chrono::NaiveDate, String> {
    use chrono::Datelike;
    let t = text.trim().to_ascii_lowercase();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
        return Ok(d);
    }
    match t.as_str() {
        "today" | "0dte" => return Ok(today),
        "tomorrow" => return Ok(today + chrono::Duration::days(1)),
        _ => {}
    }
    let days = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let want = days
        .iter()
        .position(|d| d.starts_with(&t) && t.len() >= 3)
        .ok_or_else(|| {
            format!("\"{text}\" is not an expiration: use YYYY-MM-DD, a weekday, today or tomorrow")
        })?;
    let ahead = (want as i64 - today.weekday().num_days_from_monday() as i64).rem_euclid(7);
    Ok(today + chrono::Duration::days(ahead))
}

/// Strikes on each side of the money sent to the model.
const CHAIN_STRIKES_EACH_SIDE: usize = 5;

async fn options_chain(kit: &Toolbox, call_id: &str, args: &Value) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args)?;
    let today = kit.clock().now().with_timezone(&New_York).date_naive();
    let wanted = match args.get("expiration").and_then(Value::as_str) {
        None => None,
        Some(t) => Some(expiration_arg(t, today)?),
    };
    // An unlisted date takes the first listed expiration on or after it.
    let listed = kit
        .options
        .expirations(sym.as_str())
        .await
        .map_err(|e| e.to_string())?;
    let exp = match wanted {
        None => listed[0],
        Some(w) => *listed
            .iter()
            .find(|d| **d >= w)
            .ok_or_else(|| format!("{sym} has no expiration on or after {w}"))?,
    };
    let chain = kit
        .options
        .chain(sym.as_str(), Some(exp))
        .await
        .map_err(|e| e.to_string())?;
    let side = |q: &Option<crate::options_chain::OptionQuote>| {
        q.as_ref().map(|q| {
            json!({
                "bid": q.bid.map(price), "ask": q.ask.map(price), "mid": q.mid.map(price),
                "iv_pct": q.iv.map(|v| round(v * 100.0, 1)), "delta": q.delta.map(|d| round(d, 2)),
                "volume": q.volume, "open_interest": q.open_interest,
            })
        })
    };
    let atm = chain
        .rows
        .iter()
        .position(|r| Some(r.strike) == chain.atm_strike)
        .unwrap_or(0);
    let lo = atm.saturating_sub(CHAIN_STRIKES_EACH_SIDE);
    let hi = (atm + CHAIN_STRIKES_EACH_SIDE + 1).min(chain.rows.len());
    let near: Vec<Value> = chain.rows[lo..hi]
        .iter()
        .map(|r| json!({"strike": price(r.strike), "call": side(&r.call), "put": side(&r.put)}))
        .collect();
    let atm_iv = chain.rows.get(atm).and_then(|r| {
        let ivs: Vec<f64> = [&r.call, &r.put]
            .into_iter()
            .flatten()
            .filter_map(|q| q.iv)
            .collect();
        (!ivs.is_empty()).then(|| ivs.iter().sum::<f64>() / ivs.len() as f64)
    });
    let result = json!({
        "symbol": chain.symbol,
        "expiration": chain.expiration,
        "requested_expiration": wanted.map(|w| w.to_string()),
        "days_to_expiry": (exp - today).num_days(),
        "spot": price(chain.spot),
        "atm_strike": chain.atm_strike.map(price),
        "atm_iv_pct": atm_iv.map(|v| round(v * 100.0, 1)),
        "expected_move": chain.expected_move.as_ref().map(|m| json!({
            "straddle_strike": price(m.strike),
            "straddle": price(m.straddle),
            "pct": round(m.fraction * 100.0, 2),
            "low": price(m.low),
            "high": price(m.high),
        })),
        "near_the_money": near,
        "contracts": chain.contracts,
        "iv_greeks_computed_locally": chain.computed,
        "expirations": chain.expirations.iter().take(8).collect::<Vec<_>>(),
        "assumptions": "European BSM, risk-free rate 4.5%, no dividend yield where IV/Greeks were computed locally",
    });
    Ok(ToolOutput {
        ok: true,
        card: card(
            "options_chain",
            format!("{sym} options · {}", chain.expiration),
            Some(&sym),
            Some(Timeframe::D1),
            call_id,
            &result,
        ),
        result,
    })
}
