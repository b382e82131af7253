//! The `show_chart` tool.

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::chat::cards::ChartCard;

use super::*;

pub(super) struct ShowChart;

use super::ChartArgs as Args;

impl Tool for ShowChart {
    const NAME: &'static str = "show_chart";
    const DESCRIPTION: &'static str =
        "Open the chart of a symbol at a timeframe in the app, and get its last bar.";
    type Args = Args;

    fn parameters() -> Value {
        Args::schema()
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(show_chart(kit, call_id, args))
    }
}

async fn show_chart(kit: &Toolbox, call_id: &str, args: Args) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args.symbol.as_deref())?;
    let tf = timeframe_arg(args.timeframe.as_ref(), Timeframe::M5)?;
    let data = bars(kit, &sym, tf).await?;
    let last = data
        .bars
        .last()
        .ok_or_else(|| format!("no {tf} bars for {sym}"))?;
    let body = ChartCard {
        symbol: sym.to_string(),
        timeframe: tf,
        opened: true,
        bars: data.bars.len() as u32,
        last_bar: bar_time(last.time, tf),
        last_open: price(last.open),
        last_high: price(last.high),
        last_low: price(last.low),
        last_close: price(last.close),
    };
    Ok(answer(
        CardBody::Chart(body),
        format!("{sym} · {tf} chart"),
        Some(&sym),
        Some(tf),
        call_id,
    ))
}
