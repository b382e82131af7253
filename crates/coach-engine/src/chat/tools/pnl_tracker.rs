//! The `get_pnl_tracker` tool: today's and this week's realized P&L from the
//! journal and the open trades marked at the market, with a P&L Tracker card
//! that the UI keeps live from the socket.

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use super::*;

pub(super) struct GetPnlTracker;

/// No arguments; anything sent is ignored.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Args {}

impl Tool for GetPnlTracker {
    const NAME: &'static str = "get_pnl_tracker";
    const DESCRIPTION: &'static str = "The trader's P&L right now from their journal: realized P&L today and this week (net of fees) with the last ten days, and each open trade's unrealized P&L marked at the market (stock at its last price, options at the chain's mid).";
    type Args = Args;

    fn parameters() -> Value {
        json!({"type": "object", "properties": {}})
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        _args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let view = kit.pnl.snapshot().await.map_err(|e| e.to_string())?;
            Ok(answer(
                CardBody::PnlTracker(view),
                "P&L tracker".into(),
                None,
                None,
                call_id,
            ))
        })
    }
}
