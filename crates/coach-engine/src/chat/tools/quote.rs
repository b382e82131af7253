//! The `get_quote` tool.

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::chat::cards::QuoteCard;

use super::*;

pub(super) struct GetQuote;

use super::SymbolArgs as Args;

impl Tool for GetQuote {
    const NAME: &'static str = "get_quote";
    const DESCRIPTION: &'static str =
        "Last price, change on the day, bid/ask and today's range for a symbol.";
    type Args = Args;

    fn parameters() -> Value {
        Args::schema()
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(quote(kit, call_id, args))
    }
}

async fn quote(kit: &Toolbox, call_id: &str, args: Args) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args.symbol.as_deref())?;
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
    let body = QuoteCard {
        symbol: sym.to_string(),
        price: price(last),
        previous_close: prev.map(price),
        change: prev.map(|p| price(last - p)),
        change_pct: prev.map(|p| round((last - p) / p * 100.0, 2)),
        bid: snap.bid.map(price),
        ask: snap.ask.map(price),
        day_open: snap.day_open.map(price),
        day_high: snap.day_high.map(price),
        day_low: snap.day_low.map(price),
        day_volume: snap.day_volume.map(|v| v.round()),
        day_vwap: snap.day_vwap.map(price),
        as_of: ny(updated_ms),
        source: kit.market_config().mode.label().to_string(),
    };
    Ok(answer(
        CardBody::Quote(body),
        format!("{sym} quote"),
        Some(&sym),
        Some(Timeframe::M5),
        call_id,
    ))
}
