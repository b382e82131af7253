//! The `get_key_levels` tool.

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::chat::cards::{KeyLevelsCard, LevelLine};

use super::*;

pub(super) struct GetKeyLevels;

use super::SymbolArgs as Args;

impl Tool for GetKeyLevels {
    const NAME: &'static str = "get_key_levels";
    const DESCRIPTION: &'static str = "Today's key support and resistance levels for a symbol (prior day high/low/close, pivots, opening range, VWAP, premarket), each with distance from the price and how often it was tested today.";
    type Args = Args;

    fn parameters() -> Value {
        Args::schema()
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(key_levels(kit, call_id, args))
    }
}

/// How many levels above and below the price go to the model.
const LEVELS_EACH_SIDE: usize = 6;

async fn key_levels(kit: &Toolbox, call_id: &str, args: Args) -> Result<ToolOutput, String> {
    let sym = symbol_arg(args.symbol.as_deref())?;
    let report = kit
        .levels
        .levels(sym.as_str(), None)
        .await
        .map_err(|e| format!("no levels for {sym}: {e}"))?;
    let level = |l: &coach_core::levels::Level| LevelLine {
        label: l.label.clone(),
        kind: l.kind,
        price: price(l.price),
        distance: round(l.distance_pts, 2),
        distance_pct: round(l.distance_pct, 2),
        distance_atr: l.distance_atr.map(|x| round(x, 2)),
        strength: l.strength,
        touches_today: l.tests.touches,
        rejections_today: l.tests.rejections,
        breaks_today: l.tests.breaks,
    };
    // Highest first in the report: above the price come first.
    let above: Vec<LevelLine> = report
        .levels
        .iter()
        .filter(|l| l.price > report.price)
        .rev()
        .take(LEVELS_EACH_SIDE)
        .map(level)
        .collect();
    let below: Vec<LevelLine> = report
        .levels
        .iter()
        .filter(|l| l.price <= report.price)
        .take(LEVELS_EACH_SIDE)
        .map(level)
        .collect();
    let body = KeyLevelsCard {
        symbol: report.symbol.clone(),
        session: report.session.to_string(),
        as_of: ny(report.at_ms),
        price: price(report.price),
        atr_14_daily: report.atr.map(price),
        resistance_nearest_first: above,
        support_nearest_first: below,
        total_levels: report.levels.len() as u32,
    };
    Ok(answer(
        CardBody::KeyLevels(body),
        format!("{sym} key levels"),
        Some(&sym),
        Some(Timeframe::M5),
        call_id,
    ))
}
