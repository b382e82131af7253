//! The `get_market_status` tool.

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use coach_core::calendar::{self, MarketPhase};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::chat::cards::{MarketStatusCard, SessionPhase};

use super::*;

pub(super) struct GetMarketStatus;

/// No arguments; anything sent is ignored.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Args {}

impl Tool for GetMarketStatus {
    const NAME: &'static str = "get_market_status";
    const DESCRIPTION: &'static str = "Whether the US stock market is open now (pre-market, regular, after hours, closed), today's session times and the next open.";
    type Args = Args;

    fn parameters() -> Value {
        json!({"type": "object", "properties": {}})
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(market_status(kit, call_id, args))
    }
}

async fn market_status(kit: &Toolbox, call_id: &str, _args: Args) -> Result<ToolOutput, String> {
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
    let body = MarketStatusCard {
        now: now
            .with_timezone(&New_York)
            .format("%a %b %-d %Y %H:%M ET")
            .to_string(),
        phase: match phase {
            MarketPhase::Closed => SessionPhase::Closed,
            MarketPhase::PreMarket => SessionPhase::PreMarket,
            MarketPhase::Regular => SessionPhase::Regular,
            MarketPhase::AfterHours => SessionPhase::AfterHours,
        },
        is_open: phase == MarketPhase::Regular,
        today_is_trading_day: session.is_some(),
        today_holiday: calendar::holiday_name(today).map(str::to_string),
        today_open: session.map(|s| hhmm(s.open)),
        today_close: session.map(|s| hhmm(s.close)),
        today_early_close: session.map(|s| s.early_close),
        minutes_to_close: match (phase, session) {
            (MarketPhase::Regular, Some(s)) => Some((s.close - now).num_minutes()),
            _ => None,
        },
        next_open: if phase == MarketPhase::Regular || phase == MarketPhase::AfterHours {
            ny(next.open.timestamp_millis())
        } else {
            ny(upcoming.open.timestamp_millis())
        },
        market_data: kit.market_config().mode.label().to_string(),
    };
    Ok(answer(
        CardBody::MarketStatus(body),
        "Market status".into(),
        None,
        None,
        call_id,
    ))
}
