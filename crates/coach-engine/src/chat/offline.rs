//! The offline coach: a deterministic intent router that maps common requests
//! to the same tools the model uses, and answers in plain templated language
//! over their results. No language model is involved, and every answer says so.

use serde_json::{json, Value};

use super::turn::{status, Ending, Turn};
use super::{ChatMessage, DynSink, Phase};

/// A tool to call, decided from the words of the request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCall {
    pub name: &'static str,
    pub arguments: Value,
}

/// Words that look like tickers but are not.
const NOT_TICKERS: &[&str] = &[
    "A", "I", "AM", "AN", "AND", "ARE", "AT", "BE", "BY", "CAN", "DO", "FOR", "GET", "HI", "HOW",
    "IN", "IS", "IT", "ME", "MY", "NOW", "OF", "ON", "OR", "SHOW", "THE", "TO", "UP", "WHAT",
    "WITH", "RSI", "MACD", "SMA", "EMA", "ATR", "VWAP", "OK", "PM", "ET", "US", "DAY", "OPEN",
    "NEXT", "THIS", "LAST", "ANY", "ALL", "PUT", "PUTS", "CALL", "CALLS", "ME", "PLEASE", "LEVEL",
    "CHART", "QUOTE", "PRICE", "WEEK", "HOUR", "MIN", "MINUTE", "DAILY", "TODAY", "IV",
];

/// The ticker in `text`: `$spy`, an upper-case word, or a known demo symbol
/// in any case.
pub fn symbol_in(text: &str) -> Option<String> {
    let known: Vec<&str> = coach_sim::SYMBOLS.iter().map(|s| s.symbol).collect();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '$' || c == '.'))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    for w in &words {
        if let Some(t) = w.strip_prefix('$') {
            if !t.is_empty()
                && t.len() <= 6
                && t.chars().all(|c| c.is_ascii_alphabetic() || c == '.')
            {
                return Some(t.to_ascii_uppercase());
            }
        }
    }
    for w in &words {
        let up = w.to_ascii_uppercase();
        if known.contains(&up.as_str()) && !NOT_TICKERS.contains(&up.as_str()) {
            return Some(up);
        }
    }
    words
        .iter()
        .find(|w| {
            (1..=5).contains(&w.len())
                && w.chars().all(|c| c.is_ascii_uppercase())
                && !NOT_TICKERS.contains(w)
        })
        .map(|w| w.to_string())
}

/// A timeframe named in `text` ("5m", "5 min", "hourly", "daily").
pub fn timeframe_in(text: &str) -> Option<&'static str> {
    let t = text.to_ascii_lowercase();
    let compact: String = t
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    for (needles, tf) in [
        (&["15m", "15min", "fifteenminute"][..], "15m"),
        (&["5m", "5min", "fiveminute"][..], "5m"),
        (&["1m", "1min", "oneminute"][..], "1m"),
        (&["1h", "60m", "hourly", "1hour", "onehour"][..], "1h"),
        (&["1d", "daily", "1day"][..], "1d"),
    ] {
        for n in needles {
            let mut from = 0;
            while let Some(p) = compact[from..].find(n) {
                let at = from + p;
                let before_ok = at == 0 || !compact.as_bytes()[at - 1].is_ascii_digit();
                if before_ok {
                    return Some(tf);
                }
                from = at + 1;
            }
        }
    }
    None
}

/// An expiration named in lower-case `t`: a date, a weekday, today/tomorrow/0dte.
fn expiration_in(t: &str) -> Option<String> {
    for w in t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d").is_ok() {
            return Some(w.to_string());
        }
        if [
            "today",
            "tomorrow",
            "0dte",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
        ]
        .contains(&w)
        {
            return Some(w.to_string());
        }
    }
    None
}

/// The journal filter named in lower-case `t`: a period, the symbol, options or stock.
fn journal_args(t: &str, symbol: Option<&str>) -> Value {
    let mut args = json!({});
    for (words, period) in [
        (&["last month", "previous month"][..], "last_month"),
        (&["this month"][..], "this_month"),
        (&["last week", "previous week"][..], "last_week"),
        (&["this week"][..], "this_week"),
        (&["today"][..], "today"),
        (&["this year", "ytd", "year to date"][..], "this_year"),
    ] {
        if has_any(t, words) {
            args["period"] = json!(period);
            break;
        }
    }
    if let Some(s) = symbol {
        args["underlying"] = json!(s);
    }
    if has_any(t, &["option", " calls", " puts"]) {
        args["asset"] = json!("option");
    } else if has_any(t, &["stock", "shares"]) {
        args["asset"] = json!("stock");
    }
    args
}

/// `set_alert`'s arguments from lower-case `t`: the direction, then a level
/// named in words or the first price.
fn alert_args(t: &str, symbol: Value) -> Value {
    let condition = if has_any(
        t,
        &[
            "crosses above",
            "above",
            "over ",
            "breaks out",
            "rises to",
            "reaches",
            "hits",
        ],
    ) {
        "crosses_above"
    } else if has_any(
        t,
        &[
            "crosses below",
            "below",
            "under ",
            "breaks down",
            "drops to",
            "falls to",
        ],
    ) {
        "crosses_below"
    } else {
        "crosses"
    };
    let mut args = json!({"symbol": symbol, "condition": condition});
    let level = [
        (
            &[
                "prior day high",
                "previous day high",
                "yesterday's high",
                "pdh",
            ][..],
            "prior_day_high",
        ),
        (
            &[
                "prior day low",
                "previous day low",
                "yesterday's low",
                "pdl",
            ][..],
            "prior_day_low",
        ),
        (&["vwap"][..], "vwap"),
        (&["or15 high", "opening range high"][..], "or15_high"),
        (&["or15 low", "opening range low"][..], "or15_low"),
    ]
    .into_iter()
    .find(|(words, _)| has_any(t, words))
    .map(|(_, k)| k);
    match level {
        Some(k) => args["level"] = json!(k),
        None => {
            if let Some(p) = t
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '$'))
                .map(|w| w.trim_start_matches('$').trim_end_matches('.'))
                .filter_map(|w| w.parse::<f64>().ok())
                .find(|p| *p > 0.0)
            {
                args["price"] = json!(p);
            }
        }
    }
    args
}

fn has_any(t: &str, words: &[&str]) -> bool {
    words.iter().any(|w| t.contains(w))
}

/// What the request asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Calls(Vec<PlannedCall>),
    /// A symbol is needed and none was named.
    NeedSymbol(&'static str),

    Help,
    /// An attached image was read: its description is the answer.
    Read(String),
}

/// A question about the positions the user confirmed from a screenshot
/// ("what is my max loss on those?"): each saved position is analysed.
pub fn screenshot_follow_up(prompt: &str, history: &[ChatMessage]) -> Option<Vec<PlannedCall>> {
    let t = prompt.to_ascii_lowercase();
    let refers = has_any(
        &t,
        &[
            "those",
            "these",
            "them",
            "screenshot",
            "my positions",
            "the positions",
        ],
    );
    let asks = has_any(
        &t,
        &[
            "max loss",
            "maximum loss",
            "max gain",
            "max profit",
            "risk",
            "breakeven",
            "break-even",
            "break even",
            "p&l",
            "pnl",
            "lose",
            "analy",
            "greeks",
            "delta",
            "theta",
            "worth",
        ],
    );
    if !(refers && asks) {
        return None;
    }
    let saved = history.iter().rev().find_map(|m| {
        m.cards.iter().rev().find_map(|c| match &c.body {
            super::CardBody::ScreenshotSaved(s) => Some(s.positions.clone()),
            _ => None,
        })
    })?;
    // "Risk on these SPY levels" is about SPY, not the screenshot (P&L, DTE
    // and the like are not tickers).
    const NOT_SYMBOLS: &[&str] = &["P", "PL", "PNL", "DTE", "ITM", "OTM", "ATM", "IV"];
    if let Some(sym) = symbol_in(prompt) {
        if sym.len() > 1
            && !NOT_SYMBOLS.contains(&sym.as_str())
            && !saved.iter().any(|p| p.symbol == sym)
        {
            return None;
        }
    }
    let calls: Vec<PlannedCall> = saved
        .iter()
        .map(|p| PlannedCall {
            name: "analyze_position",
            arguments: json!({"symbol": p.symbol, "legs": p.legs}),
        })
        .collect();
    (!calls.is_empty()).then_some(calls)
}

pub fn plan(prompt: &str) -> Plan {
    let t = prompt.to_ascii_lowercase();
    let symbol = symbol_in(prompt);
    let tf = timeframe_in(prompt);
    let mut calls = Vec::new();
    let sym = |what: &'static str| -> Result<Value, Plan> {
        symbol
            .as_ref()
            .map(|s| json!(s))
            .ok_or(Plan::NeedSymbol(what))
    };
    let wants_status = has_any(
        &t,
        &[
            "market open",
            "market closed",
            "market status",
            "is the market",
            "market hours",
            "when does the market",
            "when will the market",
        ],
    );
    if wants_status {
        calls.push(PlannedCall {
            name: "get_market_status",
            arguments: json!({}),
        });
    }
    // Alerts: listing them, or proposing one (never saved here: the card's
    // Confirm saves it).
    if has_any(&t, &["alert"]) {
        if has_any(
            &t,
            &[
                "my alerts",
                "list",
                "which alerts",
                "what alerts",
                "show alerts",
                "alert status",
                "active alerts",
            ],
        ) {
            return Plan::Calls(vec![PlannedCall {
                name: "list_alerts",
                arguments: json!({}),
            }]);
        }
        let Ok(sym) = sym("an alert") else {
            return Plan::NeedSymbol("an alert");
        };
        return Plan::Calls(vec![PlannedCall {
            name: "set_alert",
            arguments: alert_args(&t, sym),
        }]);
    }
    // The trader's own trades, before anything that reads "options" as the chain.
    if has_any(
        &t,
        &[
            "my trade",
            "my journal",
            "did my",
            "how did i",
            "did i do",
            "my p&l",
            "my pnl",
            "my win rate",
            "my performance",
            "my results",
            "my options trades",
        ],
    ) {
        return Plan::Calls(vec![PlannedCall {
            name: "get_trade_history",
            arguments: journal_args(&t, symbol.as_deref()),
        }]);
    }
    if has_any(
        &t,
        &[
            "option",
            "chain",
            "expiration",
            "expiry",
            " calls",
            " puts",
            "strike",
            "straddle",
            "expected move",
        ],
    ) {
        let Some(sym) = &symbol else {
            return Plan::NeedSymbol("options");
        };
        let mut args = json!({ "symbol": sym });
        if let Some(e) = expiration_in(&t) {
            args["expiration"] = json!(e);
        }
        return Plan::Calls(vec![PlannedCall {
            name: "get_options_chain",
            arguments: args,
        }]);
    }
    let wants_levels = has_any(&t, &["level", "support", "resistance", "pivot"]);
    let wants_ind = has_any(
        &t,
        &[
            "rsi",
            "macd",
            "sma",
            "ema",
            "moving average",
            "atr",
            "bollinger",
            "indicator",
            "vwap",
            "overbought",
            "oversold",
        ],
    );
    let wants_chart =
        has_any(&t, &["show", "chart", "open ", "pull up", "display"]) && !wants_status;
    let wants_quote = has_any(
        &t,
        &[
            "price",
            "quote",
            "trading at",
            "how is",
            "how's",
            "doing",
            "last",
        ],
    );
    let step = |name: &'static str,
                what: &'static str,
                extra: Option<&str>|
     -> Result<PlannedCall, Plan> {
        let mut args = json!({"symbol": sym(what)?});
        if let Some(tf) = extra {
            args["timeframe"] = json!(tf);
        }
        Ok(PlannedCall {
            name,
            arguments: args,
        })
    };
    let mut push = |r: Result<PlannedCall, Plan>| -> Option<Plan> {
        match r {
            Ok(c) => {
                calls.push(c);
                None
            }
            Err(p) => Some(p),
        }
    };
    if wants_chart {
        if let Some(p) = push(step("show_chart", "a chart", Some(tf.unwrap_or("5m")))) {
            return p;
        }
    }
    if wants_levels {
        if let Some(p) = push(step("get_key_levels", "key levels", None)) {
            return p;
        }
    }
    if wants_ind {
        if let Some(p) = push(step(
            "get_indicators",
            "indicators",
            Some(tf.unwrap_or("1d")),
        )) {
            return p;
        }
    }
    let nothing_yet = !(wants_chart || wants_levels || wants_ind || wants_status);
    if wants_quote || (nothing_yet && symbol.is_some()) {
        if let Some(p) = push(step("get_quote", "a quote", None)) {
            return p;
        }
    }
    if calls.is_empty() {
        Plan::Help
    } else {
        Plan::Calls(calls)
    }
}

pub const FOOTER: &str = "\n\n_Offline coach: no language model is in use. This answer is a template over numbers the app computed._";

pub fn help_text() -> String {
    "I'm the offline coach, so I understand a few kinds of request. Try:\n\n\
     - **levels for SPY**: today's key support and resistance\n\
     - **show NVDA 5m**: open a chart\n\
     - **what is RSI on QQQ**: the indicator snapshot (add 5m or 1h for intraday)\n\
     - **SPY price**: a quote\n\
     - **is the market open?**: the session and its hours\n\
     - **how did my SPY options do last month?**: your journal's figures"
        .to_string()
}

fn f2(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{x:.2}"),
        None => "n/a".into(),
    }
}

fn signed(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x >= 0.0 => format!("+{x:.2}"),
        Some(x) => format!("{x:.2}"),
        None => "n/a".into(),
    }
}

fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The sentence(s) for one tool result.
pub fn describe(name: &str, r: &Value) -> String {
    if let Some(e) = r.get("error").and_then(Value::as_str) {
        return format!("I could not run {name}: {e}.");
    }
    let s = r.get("symbol").and_then(Value::as_str).unwrap_or("");
    match name {
        "get_quote" => {
            let change = r["change"].as_f64();
            let dir = match change {
                Some(c) if c > 0.0 => "up",
                Some(c) if c < 0.0 => "down",
                _ => "unchanged",
            };
            let mut out = format!("**{s}** last traded at **{}**", f2(&r["price"]));
            if let Some(c) = change {
                out += &format!(
                    ", {dir} {:.2} ({:.2}%) from the previous close of {}",
                    c.abs(),
                    r["change_pct"].as_f64().unwrap_or(0.0).abs(),
                    f2(&r["previous_close"])
                );
            }
            out += ".";
            if r["day_high"].is_number() {
                out += &format!(
                    " Today: open {}, high {}, low {}",
                    f2(&r["day_open"]),
                    f2(&r["day_high"]),
                    f2(&r["day_low"])
                );
                if let Some(v) = r["day_volume"].as_f64() {
                    out += &format!(", volume {}", thousands(v));
                }
                out += ".";
            }
            out += &format!(
                " ({}, as of {})",
                r["source"].as_str().unwrap_or(""),
                r["as_of"].as_str().unwrap_or("")
            );
            out
        }
        "get_key_levels" => {
            let line = |l: &Value| {
                format!(
                    "- {} **{}** ({} away, {}%; tested {} time(s) today)",
                    l["label"].as_str().unwrap_or(""),
                    f2(&l["price"]),
                    signed(&l["distance"]),
                    signed(&l["distance_pct"]),
                    l["touches_today"].as_u64().unwrap_or(0)
                )
            };
            let list = |k: &str| -> String {
                let v = r[k].as_array().cloned().unwrap_or_default();
                if v.is_empty() {
                    "- none".into()
                } else {
                    v.iter().take(3).map(line).collect::<Vec<_>>().join("\n")
                }
            };
            format!(
                "**{s}** is at **{}** ({}). Nearest resistance:\n{}\n\nNearest support:\n{}",
                f2(&r["price"]),
                r["as_of"].as_str().unwrap_or(""),
                list("resistance_nearest_first"),
                list("support_nearest_first")
            )
        }
        "get_indicators" => {
            let v = &r["values"];
            let mut out = format!(
                "**{s}** on the {} timeframe, last completed bar {} (close {}):",
                r["timeframe"].as_str().unwrap_or(""),
                r["bar"].as_str().unwrap_or(""),
                f2(&r["close"])
            );
            if let Some(rsi) = v["rsi_14"].as_f64() {
                let zone = r["rsi_zone"].as_str().unwrap_or("");
                out += &format!("\n- RSI(14) **{rsi:.1}** ({zone})");
            }
            if v["macd_12_26_9"].is_number() {
                out += &format!(
                    "\n- MACD {:.3}, signal {:.3}, histogram {:.3}",
                    v["macd_12_26_9"].as_f64().unwrap_or(0.0),
                    v["macd_signal_12_26_9"].as_f64().unwrap_or(0.0),
                    v["macd_hist_12_26_9"].as_f64().unwrap_or(0.0)
                );
            }
            for (k, label) in [
                ("sma_20", "SMA(20)"),
                ("sma_50", "SMA(50)"),
                ("ema_20", "EMA(20)"),
                ("atr_14", "ATR(14)"),
            ] {
                if v[k].is_number() {
                    out += &format!("\n- {label} {}", f2(&v[k]));
                }
            }
            out
        }
        "show_chart" => format!(
            "Opened the **{s} {}** chart. The last bar ({}) closed at **{}** (high {}, low {}).",
            r["timeframe"].as_str().unwrap_or(""),
            r["last_bar"].as_str().unwrap_or(""),
            f2(&r["last_close"]),
            f2(&r["last_high"]),
            f2(&r["last_low"])
        ),
        "get_trade_history" => {
            let what = [
                r["underlying"].as_str().unwrap_or(""),
                match r["asset"].as_str() {
                    Some("option") => "options",
                    Some("stock") => "stock",
                    _ => "",
                },
            ]
            .iter()
            .filter(|w| !w.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
            let what = if what.is_empty() {
                "all".to_string()
            } else {
                what
            };
            let n = r["trades"].as_u64().unwrap_or(0);
            if n == 0 {
                return format!(
                    "Your journal has no closed {what} trades for {}. Import your broker's export in the Journal tab to see them here.",
                    r["period"].as_str().unwrap_or("that period")
                );
            }
            let mut out = format!(
                "Your **{what}** trades, {}: **{n}** closed, net **{}** after {} in fees. Won {} of {} ({}% win rate), profit factor {}, expectancy {} per trade, max drawdown {}.",
                r["period"].as_str().unwrap_or(""),
                signed(&r["net_pnl"]),
                f2(&r["fees"]),
                r["wins"].as_u64().unwrap_or(0),
                n,
                r["win_rate_pct"].as_f64().map_or("n/a".into(), |w| format!("{w:.1}")),
                r["profit_factor"].as_f64().map_or("n/a (no losses)".into(), |p| format!("{p:.2}")),
                signed(&r["expectancy"]),
                f2(&r["max_drawdown"])
            );
            if r["largest_loss"].is_number() {
                out += &format!(
                    " Largest win {}, largest loss {}.",
                    signed(&r["largest_win"]),
                    signed(&r["largest_loss"])
                );
            }
            for p in r["patterns"].as_array().into_iter().flatten().take(3) {
                if let Some(p) = p.as_str() {
                    out += &format!("\n\n- {p}");
                }
            }
            out
        }
        "get_options_chain" => {
            let mut out = format!(
                "**{s}** options expiring **{}** ({} day(s) away), spot {}",
                r["expiration"].as_str().unwrap_or(""),
                r["days_to_expiry"].as_i64().unwrap_or(0),
                f2(&r["spot"])
            );
            if let (Some(req), Some(exp)) =
                (r["requested_expiration"].as_str(), r["expiration"].as_str())
            {
                if req != exp {
                    out += &format!(" (nothing expires on {req}; this is the next expiration)");
                }
            }
            out += ".";
            let m = &r["expected_move"];
            if m.is_object() {
                out += &format!(
                    " The {} straddle costs **{}**: an expected move of ±{}% ({} – {}).",
                    f2(&m["straddle_strike"]),
                    f2(&m["straddle"]),
                    f2(&m["pct"]),
                    f2(&m["low"]),
                    f2(&m["high"])
                );
            }
            if let Some(iv) = r["atm_iv_pct"].as_f64() {
                out += &format!(" At-the-money IV {iv:.1}%.");
            }
            out += "\n\nNear the money (bid/ask, IV, delta):";
            let q = |v: &Value| {
                if v.is_object() {
                    format!(
                        "{}/{} IV {}% Δ {}",
                        f2(&v["bid"]),
                        f2(&v["ask"]),
                        v["iv_pct"]
                            .as_f64()
                            .map_or("n/a".into(), |x| format!("{x:.1}")),
                        v["delta"]
                            .as_f64()
                            .map_or("n/a".into(), |x| format!("{x:.2}"))
                    )
                } else {
                    "none".into()
                }
            };
            // The two strikes on each side of the money (the card shows more).
            let rows = r["near_the_money"].as_array().cloned().unwrap_or_default();
            let atm = rows
                .iter()
                .position(|row| row["strike"] == r["atm_strike"])
                .unwrap_or(rows.len() / 2);
            for row in &rows[atm.saturating_sub(2)..(atm + 3).min(rows.len())] {
                out += &format!(
                    "\n- **{}** call {} · put {}",
                    f2(&row["strike"]),
                    q(&row["call"]),
                    q(&row["put"])
                );
            }
            out
        }
        "get_market_status" => {
            let phase = r["phase"].as_str().unwrap_or("");
            let mut out = match phase {
                "regular" => format!(
                    "The market is **open** (regular session) and closes at {}",
                    r["today_close"].as_str().unwrap_or("")
                ),
                "pre_market" => {
                    "It is **pre-market**; the regular session has not opened yet".to_string()
                }
                "after_hours" => {
                    "It is **after hours**; the regular session has closed".to_string()
                }
                _ => "The market is **closed**".to_string(),
            };
            if let Some(m) = r["minutes_to_close"].as_i64() {
                out += &format!(", {m} minutes from now");
            }
            out += &format!(
                ". Next open: {}. (Now: {}.)",
                r["next_open"].as_str().unwrap_or(""),
                r["now"].as_str().unwrap_or("")
            );
            out
        }
        "set_alert" => format!(
            "{}. I have **not** saved it: click **Confirm** on the card to set it, or **Cancel**.{}",
            r["summary"].as_str().unwrap_or("An alert"),
            match (r["last_price"].as_f64(), r["line"].as_f64()) {
                (Some(p), Some(l)) => format!(
                    " {} is at {:.2}, {:.2} from the line.",
                    r["proposal"]["symbol"].as_str().unwrap_or(""),
                    p,
                    (l - p).abs()
                ),
                _ => String::new(),
            }
        ),
        "list_alerts" => {
            let alerts = r["alerts"].as_array().cloned().unwrap_or_default();
            if alerts.is_empty() {
                return "You have no alerts. Set one in the Alerts tab, from a level on the chart, or ask me (\"alert me when SPY crosses above 600\").".into();
            }
            let mut out = format!("You have **{}** alert{}:", alerts.len(), if alerts.len() == 1 { "" } else { "s" });
            for a in alerts.iter().take(10) {
                out += &format!(
                    "\n- #{} **{}** {} {} — {} ({})",
                    a["id"],
                    a["symbol"].as_str().unwrap_or(""),
                    a["condition"].as_str().unwrap_or("").replace('_', " "),
                    a["level_label"].as_str().map(str::to_string).or_else(|| a["price"].as_f64().map(|p| format!("{p:.2}"))).unwrap_or_default(),
                    a["state"].as_str().unwrap_or(""),
                    a["status_text"].as_str().unwrap_or("")
                );
            }
            out
        }
        "analyze_screenshot" => describe_screenshot(r),
        "analyze_position" => {
            let money = |v: &Value| match v.as_f64() {
                Some(x) => format!("${}", thousands(x)),
                None => "unbounded".to_string(),
            };
            let bes: Vec<String> = r["breakevens"]
                .as_array()
                .map(|a| a.iter().map(f2).collect())
                .unwrap_or_default();
            let mut out = format!(
                "**{}** position: max loss **{}**, max gain **{}**",
                r["symbol"].as_str().unwrap_or("The"),
                money(&r["max_loss"]),
                money(&r["max_gain"]),
            );
            if !bes.is_empty() {
                out.push_str(&format!(", breakeven {}", bes.join(" and ")));
            }
            if r["pnl_now"].is_number() {
                out.push_str(&format!(
                    ". P&L now {} with {} at {}",
                    signed(&r["pnl_now"]),
                    r["symbol"].as_str().unwrap_or(""),
                    f2(&r["spot"])
                ));
            }
            out.push('.');
            out
        }
        _ => String::new(),
    }
}

/// What was read from a screenshot, for people.
fn describe_screenshot(r: &Value) -> String {
    let positions = r["positions"].as_array().cloned().unwrap_or_default();
    let low = r["low_confidence"].as_f64().unwrap_or(0.6);
    let n = positions.len();
    let broker = match r["broker"].as_str() {
        Some("unknown") | None => "a positions table".to_string(),
        Some(b) => format!("a {b} positions screen"),
    };
    let mut out = format!(
        "I read **{n} position{}** from your screenshot ({broker}; {}).",
        if n == 1 { "" } else { "s" },
        {
            let label = r["reader_label"].as_str().unwrap_or("Read by OCR");
            let mut c = label.chars();
            c.next()
                .map(|f| f.to_lowercase().chain(c).collect::<String>())
                .unwrap_or_default()
        }
    );
    let field = |p: &Value, k: &str| -> String {
        match &p[k] {
            Value::Null => "?".into(),
            Value::Number(x) if k == "quantity" => {
                let q = x.as_f64().unwrap_or(0.0);
                if q > 0.0 {
                    format!("+{q}")
                } else {
                    format!("{q}")
                }
            }
            Value::Number(_) => f2(&p[k]),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let mut unsure = 0;
    for p in &positions {
        let kind = p["kind"].as_str().unwrap_or("?");
        let line = if kind == "stock" {
            format!(
                "- **{}** stock, {} shares at {}",
                field(p, "underlying"),
                field(p, "quantity"),
                field(p, "price")
            )
        } else {
            format!(
                "- **{}** {} {} {}, {} contracts at {}",
                field(p, "underlying"),
                field(p, "expiration"),
                field(p, "strike"),
                kind,
                field(p, "quantity"),
                field(p, "price")
            )
        };
        out.push('\n');
        out.push_str(&line);
        if let Some(c) = p["confidence"].as_object() {
            unsure += c
                .values()
                .filter(|v| v.as_f64().is_some_and(|x| x < low))
                .count();
        }
        for c in p["checks"].as_array().into_iter().flatten() {
            if c["passed"] == Value::Bool(false) {
                out.push_str(&format!(
                    "\n  - ⚠ {}",
                    c["reason"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    if unsure > 0 {
        out.push_str(&format!(
            "\n\n**{unsure} field{}** read with low confidence {} highlighted on the card: check {}.",
            if unsure == 1 { "" } else { "s" },
            if unsure == 1 { "is" } else { "are" },
            if unsure == 1 { "it" } else { "them" }
        ));
    }
    for w in r["warnings"].as_array().into_iter().flatten() {
        if let Some(w) = w.as_str() {
            out.push_str(&format!("\n- {w}"));
        }
    }
    if n > 0 {
        out.push_str("\n\nEdit anything that is wrong, then click **Confirm** to save these positions. Nothing is saved until you do.");
    }
    out
}

/// The offline coach answering a turn: the same tools, templated text.
impl super::Coach {
    pub(super) async fn offline_answer(
        &self,
        turn: &mut Turn,
        history: &[ChatMessage],
        resuming: bool,
        sink: DynSink<'_>,
    ) -> Ending {
        turn.rounds = 1;
        sink(status(Phase::Thinking, None));
        // An attached screenshot was read before this: what it says is the answer.
        let read: Vec<String> = turn
            .tools
            .iter()
            .filter(|t| t.name == "analyze_screenshot")
            .map(|t| match (&t.result, t.ok) {
                (Some(r), Some(true)) => describe("analyze_screenshot", r),
                (Some(r), _) => format!(
                    "I could not read the screenshot: {}",
                    r["error"].as_str().unwrap_or("the reader failed")
                ),
                (None, _) => String::new(),
            })
            .filter(|s| !s.is_empty())
            .collect();
        let plan = if !read.is_empty() {
            Plan::Read(read.join("\n\n"))
        } else {
            match screenshot_follow_up(&turn.prompt, history) {
                Some(calls) => Plan::Calls(calls),
                None => plan(&turn.prompt),
            }
        };
        let mut text = match plan {
            Plan::Read(text) => text,
            Plan::Help => help_text(),
            Plan::NeedSymbol(what) => {
                format!("Which symbol? For {what}, name a ticker, for example \"{what} for SPY\".")
            }
            Plan::Calls(calls) => {
                // A continued answer reuses the calls that finished; the rest run now.
                turn.tools.retain(|t| t.result.is_some());
                turn.tools_base = turn.tools.len();
                let mut results: Vec<Option<(String, Value)>> = calls
                    .iter()
                    .map(|c| {
                        turn.tools
                            .iter()
                            .find(|t| t.name == c.name && t.arguments == c.arguments)
                            .map(|t| (t.name.clone(), t.result.clone().unwrap_or(Value::Null)))
                    })
                    .collect();
                let missing: Vec<usize> =
                    (0..calls.len()).filter(|&i| results[i].is_none()).collect();
                let ids: Vec<(String, String, String)> = missing
                    .iter()
                    .map(|&i| {
                        (
                            format!("offline_{}_{}", turn.message_id, turn.tools.len() + i + 1),
                            calls[i].name.to_string(),
                            calls[i].arguments.to_string(),
                        )
                    })
                    .collect();
                let ran = self.run_tools(ids, turn.round_base, turn, sink).await;
                for (&i, (_, v)) in missing.iter().zip(ran) {
                    results[i] = Some((calls[i].name.to_string(), v));
                }
                sink(status(Phase::Analyzing, None));
                let parts: Vec<String> = results
                    .iter()
                    .flatten()
                    .map(|(name, r)| describe(name, r))
                    .filter(|s| !s.is_empty())
                    .collect();
                parts.join("\n\n")
            }
        };
        text.push_str(FOOTER);
        // Resuming: send what the stored text lacks.
        let rest = if resuming {
            match text.strip_prefix(turn.content.as_str()) {
                Some(r) => r.to_string(),
                None => format!("\n\n{text}"),
            }
        } else {
            text
        };
        sink(status(Phase::Writing, None));
        // Word by word, as a model would stream.
        let mut piece = String::new();
        for ch in rest.chars() {
            piece.push(ch);
            if ch == ' ' || ch == '\n' {
                self.emit_token(turn, &piece, sink).await;
                piece.clear();
                tokio::task::yield_now().await;
            }
        }
        self.emit_token(turn, &piece, sink).await;
        Ending::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Plan) -> Vec<&'static str> {
        match p {
            Plan::Calls(c) => c.iter().map(|c| c.name).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn questions_about_my_own_trades_go_to_the_journal_not_the_chain() {
        let p = plan("how did my SPY options do last month?");
        let Plan::Calls(calls) = &p else {
            panic!("{p:?}")
        };
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].name, "get_trade_history");
        assert_eq!(
            calls[0].arguments,
            json!({"period": "last_month", "underlying": "SPY", "asset": "option"})
        );
        assert_eq!(
            names(&plan("what's my win rate this week")),
            vec!["get_trade_history"]
        );
        assert_eq!(
            names(&plan("SPY options for friday")),
            vec!["get_options_chain"]
        );
    }

    #[test]
    fn common_requests_route_to_tools() {
        assert_eq!(names(&plan("levels for SPY")), vec!["get_key_levels"]);
        assert_eq!(
            names(&plan("levels for spy")),
            vec!["get_key_levels"],
            "a known symbol in lower case"
        );
        let p = plan("show NVDA 5m");
        assert_eq!(
            p,
            Plan::Calls(vec![PlannedCall {
                name: "show_chart",
                arguments: json!({"symbol": "NVDA", "timeframe": "5m"})
            }])
        );
        let p = plan("what is RSI on QQQ");
        assert_eq!(
            p,
            Plan::Calls(vec![PlannedCall {
                name: "get_indicators",
                arguments: json!({"symbol": "QQQ", "timeframe": "1d"})
            }])
        );
        assert_eq!(
            names(&plan("is the market open?")),
            vec!["get_market_status"]
        );
        assert_eq!(
            names(&plan("$tsla")),
            vec!["get_quote"],
            "a bare ticker is a quote"
        );
        assert_eq!(
            names(&plan("SPY levels and RSI on the 15 min")),
            vec!["get_key_levels", "get_indicators"]
        );
        assert_eq!(
            plan("SPY options for Friday"),
            Plan::Calls(vec![PlannedCall {
                name: "get_options_chain",
                arguments: json!({"symbol": "SPY", "expiration": "friday"})
            }])
        );
        assert_eq!(
            plan("QQQ expected move 2024-07-19"),
            Plan::Calls(vec![PlannedCall {
                name: "get_options_chain",
                arguments: json!({"symbol": "QQQ", "expiration": "2024-07-19"})
            }])
        );
        assert_eq!(plan("what are the levels?"), Plan::NeedSymbol("key levels"));
        assert_eq!(plan("hello there"), Plan::Help);
    }

    #[test]
    fn timeframes_are_read_in_several_spellings() {
        assert_eq!(timeframe_in("SPY 15 min chart"), Some("15m"));
        assert_eq!(timeframe_in("hourly"), Some("1h"));
        assert_eq!(timeframe_in("5-minute"), Some("5m"));
        assert_eq!(timeframe_in("NVDA 5m"), Some("5m"));
        assert_eq!(
            timeframe_in("the 15m"),
            Some("15m"),
            "15m is not read as 5m"
        );
        assert_eq!(timeframe_in("levels"), None);
    }
}
