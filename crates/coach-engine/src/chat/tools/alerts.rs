//! `set_alert` and `list_alerts`. A model can be steered by text it reads (a
//! screenshot, a provider's headline), so `set_alert` never saves anything:
//! it checks the alert and answers with a proposal card whose Confirm — the
//! user's click — saves it.

use coach_core::alerts::{Condition, Rearm, Trigger};
use coach_core::levels::LevelKind;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use super::*;
use crate::alerts::AlertInput;
use crate::chat::cards::{AlertProposalCard, AlertStatusCard};

pub(super) struct SetAlert;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SetAlertArgs {
    symbol: Option<String>,
    condition: Option<String>,
    price: Option<f64>,
    price2: Option<f64>,
    level: Option<String>,
    level_label: Option<String>,
    trigger: Option<String>,
    timeframe: Option<Value>,
    cooldown_secs: Option<u32>,
    rearm_points: Option<f64>,
    expires_at: Option<String>,
    note: Option<String>,
}

impl Tool for SetAlert {
    const NAME: &'static str = "set_alert";
    const DESCRIPTION: &'static str = "Proposes a price alert for the trader to confirm. It does NOT save the alert: the app shows a card with Confirm and Cancel and only the trader's click saves it, so tell them to confirm it. Use a fixed price, or a key level that moves with the market (level kinds as get_key_levels names them, e.g. prior_day_high, vwap, or15_high).";
    type Args = SetAlertArgs;

    fn parameters() -> Value {
        let kinds: Vec<&str> = LevelKind::ALL.iter().map(|k| k.as_str()).collect();
        json!({"type": "object", "properties": {
            "symbol": symbol_schema(),
            "condition": {"type": "string", "enum": Condition::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()},
            "price": {"type": "number", "description": "The line; a channel's low; the percentage of a move (moves_up/moves_down)."},
            "price2": {"type": "number", "description": "A channel's high (enters/exits)."},
            "level": {"type": "string", "enum": kinds, "description": "A key level instead of a fixed price."},
            "level_label": {"type": "string", "description": "Which level of that kind, by its label (e.g. \"PDH\")."},
            "trigger": {"type": "string", "enum": ["once", "once_per_bar", "once_per_bar_close", "every"]},
            "timeframe": timeframe_schema(),
            "cooldown_secs": {"type": "integer", "minimum": 0},
            "rearm_points": {"type": "number", "description": "Distance price must move away before a crossing alert can fire again (default: a quarter ATR)."},
            "expires_at": {"type": "string", "description": "RFC 3339; omit for no expiry."},
            "note": {"type": "string"}
        }, "required": ["symbol", "condition"]})
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        a: SetAlertArgs,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let symbol = symbol_arg(a.symbol.as_deref())?;
            let condition: Condition = a
                .condition
                .as_deref()
                .ok_or("the argument \"condition\" is missing")?
                .parse()?;
            let level = match a.level.as_deref() {
                None => None,
                Some(k) => Some(
                    LevelKind::ALL
                        .into_iter()
                        .find(|x| x.as_str() == k)
                        .ok_or_else(|| format!("{k:?} is not a level kind"))?,
                ),
            };
            let trigger: Trigger = match a.trigger.as_deref() {
                None => Trigger::Once,
                Some(t) => t.parse()?,
            };
            let input = AlertInput {
                symbol: symbol.to_string(),
                condition,
                price: a.price,
                price2: a.price2,
                level,
                level_label: a.level_label,
                trigger,
                timeframe: timeframe_arg(a.timeframe.as_ref(), Timeframe::M1)?,
                cooldown_secs: a.cooldown_secs.unwrap_or(0),
                rearm: a.rearm_points.map(Rearm::Points),
                expires_at: a.expires_at,
                note: a.note.unwrap_or_default(),
                origin: Some(format!("proposal:{call_id}")),
            };
            let (proposal, summary, last_price, line) =
                kit.alerts.preview(input).await.map_err(|e| e.to_string())?;
            let card = AlertProposalCard {
                proposal,
                summary: summary.clone(),
                last_price: last_price.map(price),
                line: line.map(price),
                saved: false,
                note: "Not saved yet: the trader must click Confirm on the card.".into(),
            };
            Ok(answer(
                CardBody::AlertProposal(card),
                format!("Proposed alert · {symbol}"),
                Some(&symbol),
                None,
                call_id,
            ))
        })
    }
}

pub(super) struct ListAlerts;

#[derive(Debug, Default, Deserialize)]
pub(super) struct NoArgs {}

impl Tool for ListAlerts {
    const NAME: &'static str = "list_alerts";
    const DESCRIPTION: &'static str = "The trader's alerts: each one's rule, state (armed, fired, re-arming, expired, paused), last price and distance to trigger.";
    type Args = NoArgs;

    fn parameters() -> Value {
        json!({"type": "object", "properties": {}})
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        _args: NoArgs,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let mut alerts = kit.alerts.list().await.map_err(|e| e.to_string())?;
            for a in &mut alerts {
                a.last_price = a.last_price.map(price);
                a.line = a.line.map(price);
                a.distance = a.distance.map(price);
                a.distance_pct = a.distance_pct.map(|d| round(d, 2));
            }
            Ok(answer(
                CardBody::AlertStatus(AlertStatusCard {
                    alerts,
                    live: kit.alerts.running(),
                }),
                "Alerts".into(),
                None,
                None,
                call_id,
            ))
        })
    }
}
