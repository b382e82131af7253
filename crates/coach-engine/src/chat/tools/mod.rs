//! The coach's tools: the same Engine the UI uses, answering in JSON for the
//! model and, where useful, a card for the UI. Numbers are rounded to what a
//! trader reads (prices to the cent) so that the model quotes them as given
//! and the grounding check can match them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use coach_core::{Symbol, Timeframe};
use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::cards::{Card, CardBody};
use crate::market::history::ChartQuery;

use crate::alerts::Alerts;
use crate::clock::Clock;
use crate::config::MarketConfig;
use crate::journal::Journal;
use crate::levels::Levels;
use crate::market::Market;
use crate::options_chain::OptionsDesk;
use crate::pnl_tracker::PnlTracker;
use crate::positions::Positions;
use crate::screenshots::Screenshots;

mod alerts;
mod analyze_position;
mod indicators;
mod key_levels;
mod market_status;
mod options_chain;
mod pnl_tracker;
mod quote;
pub(crate) mod screenshot;
mod show_chart;
mod trade_history;

pub use indicators::SNAPSHOT_INDICATORS;
pub use options_chain::expiration_arg;
pub use trade_history::period_days;

/// One tool, defined in one file: its name, what the model is told, the JSON
/// schema of its arguments, the argument type they are read into (unknown
/// fields ignored; the handler validates and names what is wrong) and the
/// handler. Adding a tool is a file with one of these and a line in
/// [`registry`].
trait Tool {
    const NAME: &'static str;
    const DESCRIPTION: &'static str;
    type Args: serde::de::DeserializeOwned;

    fn parameters() -> Value;

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Self::Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>>;
}

type Handler = for<'a> fn(&'a Toolbox, &'a str, Value) -> BoxFuture<'a, Result<ToolOutput, String>>;

/// A registered tool, its types erased.
struct Registered {
    name: &'static str,
    description: &'static str,
    parameters: fn() -> Value,
    run: Handler,
}

fn register<T: Tool>() -> Registered {
    Registered {
        name: T::NAME,
        description: T::DESCRIPTION,
        parameters: T::parameters,
        run: run_typed::<T>,
    }
}

fn run_typed<'a, T: Tool>(
    kit: &'a Toolbox,
    call_id: &'a str,
    args: Value,
) -> BoxFuture<'a, Result<ToolOutput, String>> {
    match serde_json::from_value::<T::Args>(args) {
        Ok(args) => T::run(kit, call_id, args),
        Err(e) => Box::pin(std::future::ready(Err(format!(
            "the arguments of {} do not fit its schema: {e}",
            T::NAME
        )))),
    }
}

/// Every tool the coach has, in the order the model is told of them.
fn registry() -> [Registered; 12] {
    [
        register::<quote::GetQuote>(),
        register::<market_status::GetMarketStatus>(),
        register::<show_chart::ShowChart>(),
        register::<key_levels::GetKeyLevels>(),
        register::<indicators::GetIndicators>(),
        register::<options_chain::GetOptionsChain>(),
        register::<analyze_position::AnalyzePosition>(),
        register::<trade_history::GetTradeHistory>(),
        register::<pnl_tracker::GetPnlTracker>(),
        register::<alerts::SetAlert>(),
        register::<alerts::ListAlerts>(),
        register::<screenshot::AnalyzeScreenshot>(),
    ]
}

/// Tools the model may call, in the OpenAI `tools` format.
pub fn definitions() -> Value {
    Value::Array(
        registry()
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": (t.parameters)(),
                }})
            })
            .collect(),
    )
}

/// The names of every tool.
pub fn names() -> Vec<&'static str> {
    registry().iter().map(|t| t.name).collect()
}

/// A tool's arguments when they are a symbol: as the model sends them,
/// validated by the handler, which names what is wrong.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SymbolArgs {
    symbol: Option<String>,
}

/// A symbol and a timeframe (any JSON: a wrong type gets the list of
/// timeframes back, not a parse error).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ChartArgs {
    symbol: Option<String>,
    timeframe: Option<Value>,
}

impl SymbolArgs {
    fn schema() -> Value {
        json!({"type": "object", "properties": {"symbol": symbol_schema()}, "required": ["symbol"]})
    }
}

impl ChartArgs {
    fn schema() -> Value {
        json!({"type": "object", "properties": {"symbol": symbol_schema(), "timeframe": timeframe_schema()}, "required": ["symbol"]})
    }
}

fn symbol_schema() -> Value {
    json!({"type": "string", "description": "Ticker symbol, e.g. SPY"})
}

fn timeframe_schema() -> Value {
    json!({"type": "string", "enum": ["1m", "5m", "15m", "1h", "1d"]})
}

/// What a tool produced.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    pub ok: bool,
    pub result: Value,
    pub card: Option<Card>,
}

impl ToolOutput {
    fn error(message: impl Into<String>) -> ToolOutput {
        ToolOutput {
            ok: false,
            result: json!({"error": message.into()}),
            card: None,
        }
    }
}

/// Rounds a price to cents (4 decimals under one dollar).
pub fn price(x: f64) -> f64 {
    if x.abs() < 1.0 {
        round(x, 4)
    } else {
        round(x, 2)
    }
}

pub fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

fn ny(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&New_York)
                .format("%a %b %-d %H:%M ET")
                .to_string()
        })
        .unwrap_or_default()
}

/// A bar's start for people: the session date for daily bars, else the New York time.
fn bar_time(ms: i64, tf: Timeframe) -> String {
    if tf == Timeframe::D1 {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .map(|t| {
                t.with_timezone(&New_York)
                    .format("%a %b %-d %Y")
                    .to_string()
            })
            .unwrap_or_default()
    } else {
        ny(ms)
    }
}

fn symbol_arg(symbol: Option<&str>) -> Result<Symbol, String> {
    let s = symbol.ok_or("the argument \"symbol\" (a ticker such as SPY) is missing")?;
    Symbol::parse(s).map_err(|e| e.to_string())
}

fn timeframe_arg(timeframe: Option<&Value>, default: Timeframe) -> Result<Timeframe, String> {
    match timeframe {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => s.parse::<Timeframe>().map_err(|e| e.to_string()),
        Some(other) => Err(format!(
            "\"timeframe\" must be one of 1m, 5m, 15m, 1h, 1d (got {other})"
        )),
    }
}

/// What the tools reach: the components they answer from, handed to the
/// coach at construction.
pub struct Toolbox {
    market: Arc<Market>,
    levels: Levels,
    options: Arc<OptionsDesk>,
    positions: Arc<Positions>,
    journal: Arc<Journal>,
    pnl: Arc<PnlTracker>,
    alerts: Arc<Alerts>,
    screenshots: Arc<Screenshots>,
    /// The model's name, or "Offline coach".
    ai_label: String,
}

impl Toolbox {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        market: Arc<Market>,
        levels: Levels,
        options: Arc<OptionsDesk>,
        positions: Arc<Positions>,
        journal: Arc<Journal>,
        pnl: Arc<PnlTracker>,
        alerts: Arc<Alerts>,
        screenshots: Arc<Screenshots>,
        ai_label: String,
    ) -> Toolbox {
        Toolbox {
            alerts,
            screenshots,
            ai_label,
            market,
            levels,
            options,
            positions,
            journal,
            pnl,
        }
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        self.market.clock()
    }

    pub(crate) fn market_config(&self) -> &MarketConfig {
        self.market.config()
    }

    pub(crate) fn ai_label(&self) -> &str {
        &self.ai_label
    }

    pub(crate) fn screenshots(&self) -> &Arc<Screenshots> {
        &self.screenshots
    }
}

/// [`run`], telling `progress` each step of a screenshot's reading as it
/// starts (other tools have no steps).
pub async fn run_with_progress(
    kit: &Toolbox,
    call_id: &str,
    name: &str,
    args: &Value,
    progress: &(dyn Fn(crate::screenshots::Step) + Send + Sync),
) -> ToolOutput {
    if name != <screenshot::AnalyzeScreenshot as Tool>::NAME {
        return run(kit, call_id, name, args).await;
    }
    let image = args.get("image").and_then(Value::as_str);
    match image {
        Some(sha) => screenshot::analyze(kit, call_id, sha, progress)
            .await
            .unwrap_or_else(ToolOutput::error),
        None => run(kit, call_id, name, args).await,
    }
}

/// Runs tool `name` with `args` (already parsed). Never panics; failures are
/// `ok: false` with an error the model can read.
pub async fn run(kit: &Toolbox, call_id: &str, name: &str, args: &Value) -> ToolOutput {
    if !args.is_object() {
        return ToolOutput::error(format!(
            "the arguments of {name} must be a JSON object, got {args}"
        ));
    }
    let r = match registry().into_iter().find(|t| t.name == name) {
        Some(tool) => (tool.run)(kit, call_id, args.clone()).await,
        None => Err(format!(
            "there is no tool called {name:?}; the tools are {}",
            names().join(", ")
        )),
    };
    r.unwrap_or_else(ToolOutput::error)
}

/// A tool's answer: `body` is both the JSON the model reads and the card's payload.
fn answer(
    body: CardBody,
    title: String,
    symbol: Option<&Symbol>,
    tf: Option<Timeframe>,
    call_id: &str,
) -> ToolOutput {
    ToolOutput {
        ok: true,
        result: body.to_json(),
        card: Some(Card {
            body,
            title,
            symbol: symbol.cloned(),
            timeframe: tf,
            tool_call_id: call_id.to_string(),
        }),
    }
}

/// The chart cache's bars of `sym` at `tf` up to now (the chart's look-back).
async fn bars(
    kit: &Toolbox,
    sym: &Symbol,
    tf: Timeframe,
) -> Result<crate::market::history::ChartData, String> {
    kit.market
        .history()
        .load(&ChartQuery {
            symbol: sym.to_string(),
            timeframe: tf.to_string(),
            from_ms: None,
            to_ms: None,
        })
        .await
        .map_err(|e| format!("no {tf} bars for {sym}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_registered_once_with_an_object_schema() {
        let names = names();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            names.len(),
            "no two tools share a name: {names:?}"
        );
        let defs = definitions();
        let defs = defs.as_array().unwrap();
        assert_eq!(defs.len(), names.len(), "the model is told of every tool");
        for d in defs {
            let f = &d["function"];
            assert_eq!(f["parameters"]["type"], "object", "{f}");
            for required in f["parameters"]["required"].as_array().into_iter().flatten() {
                assert!(
                    f["parameters"]["properties"]
                        .get(required.as_str().unwrap())
                        .is_some(),
                    "a required argument is described: {f}"
                );
            }
        }
    }
}
