//! The `get_indicators` tool.

use coach_core::indicators::{IndicatorSet, Spec};
use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use crate::chat::cards::{IndicatorValues, IndicatorsCard};

use super::*;

pub(super) struct GetIndicators;

use super::ChartArgs as Args;

impl Tool for GetIndicators {
    const NAME: &'static str = "get_indicators";
    const DESCRIPTION: &'static str = "The latest technical indicators (RSI 14, MACD 12/26/9, SMA 20/50, EMA 20, ATR 14, Bollinger 20/2, VWAP) for a symbol at a timeframe (default 1d), as of the last completed bar.";
    type Args = Args;

    fn parameters() -> Value {
        Args::schema()
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(indicators(kit, call_id, args))
    }
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

async fn indicators(kit: &Toolbox, call_id: &str, args: Args) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args.symbol.as_deref())?;
    let tf = timeframe_arg(args.timeframe.as_ref(), Timeframe::D1)?;
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
    // The keys are the indicator set's; a key the card does not name is a
    // bug caught here (and by this tool's tests), not a silently empty row.
    let values: IndicatorValues = serde_json::from_value(Value::Object(values))
        .map_err(|e| format!("indicator values do not fit the card: {e}"))?;
    let body = IndicatorsCard {
        symbol: sym.to_string(),
        timeframe: tf,
        bar: bar_time(last.time, tf),
        rsi_zone: values.rsi_14.map(|r| {
            if r >= 70.0 {
                "overbought (70 or above)"
            } else if r <= 30.0 {
                "oversold (30 or below)"
            } else {
                "neutral (between 30 and 70)"
            }
            .to_string()
        }),
        close: price(last.close),
        bars_used: candles.len() as u32,
        values,
    };
    Ok(answer(
        CardBody::Indicators(body),
        format!("{sym} indicators · {tf}"),
        Some(&sym),
        Some(tf),
        call_id,
    ))
}
