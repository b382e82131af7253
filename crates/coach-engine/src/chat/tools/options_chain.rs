//! The `get_options_chain` tool.

use chrono_tz::America::New_York;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::chat::cards::{ExpectedMoveLine, OptionsChainCard, QuoteLine, StrikeLine};

use super::*;

pub(super) struct GetOptionsChain;

/// Arguments as the model sends them; validated by the handler, which names what is wrong.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Args {
    symbol: Option<String>,
    /// A date, a weekday name, today or tomorrow.
    expiration: Option<String>,
}

impl Tool for GetOptionsChain {
    const NAME: &'static str = "get_options_chain";
    const DESCRIPTION: &'static str = "One expiration of a symbol's options chain near the money: bid/ask, IV and delta for calls and puts around the spot, the at-the-money straddle and the expected move to expiration, and the listed expirations. The expiration may be a date (YYYY-MM-DD), a weekday name (the next one) or today/tomorrow; an unlisted date takes the first listed expiration after it. Default: the nearest.";
    type Args = Args;

    fn parameters() -> Value {
        json!({"type": "object", "properties": {"symbol": symbol_schema(), "expiration": {"type": "string"}}, "required": ["symbol"]})
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(options_chain(kit, call_id, args))
    }
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

async fn options_chain(kit: &Toolbox, call_id: &str, args: Args) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args.symbol.as_deref())?;
    let today = kit.clock().now().with_timezone(&New_York).date_naive();
    let wanted = match args.expiration.as_deref() {
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
        q.as_ref().map(|q| QuoteLine {
            bid: q.bid.map(price),
            ask: q.ask.map(price),
            mid: q.mid.map(price),
            iv_pct: q.iv.map(|v| round(v * 100.0, 1)),
            delta: q.delta.map(|d| round(d, 2)),
            volume: q.volume,
            open_interest: q.open_interest,
        })
    };
    let atm = chain
        .rows
        .iter()
        .position(|r| Some(r.strike) == chain.atm_strike)
        .unwrap_or(0);
    let lo = atm.saturating_sub(CHAIN_STRIKES_EACH_SIDE);
    let hi = (atm + CHAIN_STRIKES_EACH_SIDE + 1).min(chain.rows.len());
    let near: Vec<StrikeLine> = chain.rows[lo..hi]
        .iter()
        .map(|r| StrikeLine {
            strike: price(r.strike),
            call: side(&r.call),
            put: side(&r.put),
        })
        .collect();
    let atm_iv = chain.rows.get(atm).and_then(|r| {
        let ivs: Vec<f64> = [&r.call, &r.put]
            .into_iter()
            .flatten()
            .filter_map(|q| q.iv)
            .collect();
        (!ivs.is_empty()).then(|| ivs.iter().sum::<f64>() / ivs.len() as f64)
    });
    let body = OptionsChainCard {
        symbol: chain.symbol.clone(),
        expiration: chain.expiration.clone(),
        requested_expiration: wanted.map(|w| w.to_string()),
        days_to_expiry: (exp - today).num_days(),
        spot: price(chain.spot),
        atm_strike: chain.atm_strike.map(price),
        atm_iv_pct: atm_iv.map(|v| round(v * 100.0, 1)),
        expected_move: chain.expected_move.as_ref().map(|m| ExpectedMoveLine {
            straddle_strike: price(m.strike),
            straddle: price(m.straddle),
            pct: round(m.fraction * 100.0, 2),
            low: price(m.low),
            high: price(m.high),
        }),
        near_the_money: near,
        contracts: chain.contracts,
        iv_greeks_computed_locally: chain.computed,
        expirations: chain.expirations.iter().take(8).cloned().collect(),
        assumptions: "European BSM, risk-free rate 4.5%, no dividend yield where IV/Greeks were computed locally".into(),
    };
    Ok(answer(
        CardBody::OptionsChain(body),
        format!("{sym} options · {}", chain.expiration),
        Some(&sym),
        Some(Timeframe::D1),
        call_id,
    ))
}
