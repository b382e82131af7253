//! The `analyze_position` tool: with a symbol and every option leg's expiry,
//! the Options tab's analysis against the market; otherwise the P&L at expiry
//! from the entry prices alone.

use coach_core::strategy::{self, Extreme, Leg, LegKind};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::chat::cards::{
    Extreme as CardExtreme, GreeksLine, MarketPositionCard, Money, PayoffCard, PositionCard,
    Unbounded,
};

use super::*;

pub(super) struct AnalyzePosition;

/// Arguments as the model sends them; validated by the handler, which names what is wrong.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Args {
    symbol: Option<String>,
    legs: Option<Vec<LegArgs>>,
}

/// One leg as the model sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LegArgs {
    kind: Option<String>,
    strike: Option<f64>,
    /// YYYY-MM-DD.
    expiry: Option<String>,
    quantity: Option<f64>,
    entry_price: Option<f64>,
}

impl Args {
    fn legs(&self) -> Result<&[LegArgs], String> {
        self.legs
            .as_deref()
            .ok_or_else(|| "the argument \"legs\" (a list of legs) is missing".to_string())
    }

    /// Against the market only with a symbol and every option leg's expiry; a
    /// symbol given for context alone keeps the payoff answer.
    fn against_market(&self) -> bool {
        self.symbol.as_deref().is_some_and(|s| !s.trim().is_empty())
            && self.legs.as_deref().is_some_and(|legs| {
                legs.iter()
                    .all(|l| l.kind.as_deref() == Some("stock") || l.expiry.is_some())
            })
    }
}

impl LegArgs {
    fn kind(&self, n: usize) -> Result<LegKind, String> {
        self.kind
            .as_deref()
            .and_then(crate::positions::leg_kind)
            .ok_or_else(|| {
                format!(
                    "leg {n}: kind must be call, put or stock (got {:?})",
                    self.kind
                )
            })
    }
}

impl Tool for AnalyzePosition {
    const NAME: &'static str = "analyze_position";
    const DESCRIPTION: &'static str = "Analyse an options/stock position. With a symbol and each option leg's expiry, it is valued against the market: spot and each leg's IV from its expiration's chain, P&L now, Greeks, probability of profit, and the profile at the (first) expiration — calendars and diagonals included, their later legs valued by Black-Scholes with the time left. Without a symbol: the P&L at expiry of one expiration from the entry prices alone. Always: breakevens, max gain and max loss (or unbounded), net debit. Quantities are signed: + bought, - sold.";
    type Args = Args;

    fn parameters() -> Value {
        json!({"type": "object", "properties": {"symbol": symbol_schema(), "legs": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["call", "put", "stock"]},
            "strike": {"type": "number"},
            "expiry": {"type": "string", "description": "YYYY-MM-DD (options, with a symbol)"},
            "quantity": {"type": "number"},
            "entry_price": {"type": "number", "description": "Per share"}
        }, "required": ["kind", "quantity", "entry_price"]}}}, "required": ["legs"]})
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            if args.against_market() {
                against_market(kit, call_id, &args).await
            } else {
                payoff(call_id, &args)
            }
        })
    }
}

fn payoff(call_id: &str, args: &Args) -> Result<ToolOutput, String> {
    let mut legs = Vec::new();
    for (i, l) in args.legs()?.iter().enumerate() {
        let n = i + 1;
        let kind = l.kind(n)?;
        let quantity = l.quantity.ok_or(format!("leg {n}: quantity is missing"))?;
        let entry_price = l
            .entry_price
            .ok_or(format!("leg {n}: entry_price is missing"))?;
        let strike = match kind {
            LegKind::Stock => 0.0,
            _ => l
                .strike
                .ok_or(format!("leg {n}: an option needs a strike"))?,
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
        Extreme::Finite { value, at } => CardExtreme::At {
            value: round(*value, 2),
            at_price: price(*at),
        },
        Extreme::Unbounded => CardExtreme::Unbounded(Unbounded::Unbounded),
    };
    let body = PayoffCard {
        breakevens: p.breakevens.iter().map(|&b| price(b)).collect(),
        max_gain: extreme(&p.max_gain),
        max_loss: extreme(&p.max_loss),
        net_debit: round(p.net_debit, 2),
        legs: legs.len() as u32,
        assumptions: "P&L at expiry, 100 shares per contract, one expiration".into(),
    };
    Ok(answer(
        CardBody::Position(PositionCard::Payoff(body)),
        "Position at expiry".into(),
        None,
        None,
        call_id,
    ))
}

/// A position valued against the market: the positions component's own analysis (the
/// Options tab's), with each leg's IV from its expiration's chain.
async fn against_market(kit: &Toolbox, call_id: &str, args: &Args) -> Result<ToolOutput, String> {
    use crate::positions::{PositionInput, PositionLeg, WhatIf};
    let symbol = args.symbol.as_deref().unwrap_or_default();
    let legs = args
        .legs()?
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok::<_, String>(PositionLeg {
                kind: l.kind(i + 1)?,
                strike: l.strike,
                expiry: l.expiry.clone(),
                // Missing numbers are refused by the analysis, naming the leg.
                quantity: l.quantity.unwrap_or(f64::NAN),
                entry_price: l.entry_price.unwrap_or(f64::NAN),
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
    let money = |v: Option<f64>| Money::from(v.map(|v| round(v, 2)));
    let body = MarketPositionCard {
        symbol: a.symbol.clone(),
        spot: price(a.spot),
        expiry: a.expiry.clone(),
        days_to_expiry: round(a.days_to_expiry, 1),
        breakevens: a.breakevens.iter().map(|&b| price(b)).collect(),
        max_gain: money(a.max_gain),
        max_loss: money(a.max_loss),
        net_debit: round(a.net_debit, 2),
        pnl_now: round(a.pnl_now, 2),
        greeks: GreeksLine {
            delta: round(a.greeks.delta, 2),
            gamma: round(a.greeks.gamma, 4),
            theta: round(a.greeks.theta, 2),
            vega: round(a.greeks.vega, 2),
        },
        probability_of_profit_pct: a.probability_of_profit.map(|p| round(100.0 * p, 1)),
        leg_ivs_pct: a
            .leg_ivs
            .iter()
            .map(|v| v.map(|v| round(100.0 * v, 1)))
            .collect(),
        assumptions: a.assumptions.clone(),
    };
    Ok(answer(
        CardBody::Position(PositionCard::Market(body)),
        format!("{} position", a.symbol),
        Symbol::parse(&a.symbol).ok().as_ref(),
        None,
        call_id,
    ))
}
