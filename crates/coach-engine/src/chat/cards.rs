//! Cards: what a tool answered, drawn inline in the answer. Each card type
//! has its own payload type, which is also exactly the JSON the model was
//! given (the tool serialises the payload for the model and hands the same
//! value to the card), so the card shows the numbers the answer speaks of and
//! renaming a field breaks the UI's type check, not the card.
//!
//! On the wire a card is `{card_type, data, title, symbol, timeframe,
//! tool_call_id}`: `card_type` names the payload in `data`. A stored card
//! whose payload no longer fits its type (written by another version) loads
//! as `unreadable`, keeping its JSON, instead of losing the message.

use coach_core::levels::LevelKind;
use coach_core::{Symbol, Timeframe};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// Something the UI draws inline in an answer; clicking a card with a
/// `symbol` opens it at `timeframe` in the center panel.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Card {
    #[serde(flatten)]
    pub body: CardBody,
    pub title: String,
    pub symbol: Option<Symbol>,
    pub timeframe: Option<Timeframe>,
    /// The tool call that produced it.
    pub tool_call_id: String,
}

/// A card's payload, told apart by `card_type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "card_type", content = "data", rename_all = "snake_case")]
pub enum CardBody {
    Quote(QuoteCard),
    KeyLevels(KeyLevelsCard),
    Indicators(IndicatorsCard),
    Chart(ChartCard),
    MarketStatus(MarketStatusCard),
    OptionsChain(OptionsChainCard),
    Position(PositionCard),
    Journal(JournalCard),
    PnlTracker(crate::pnl_tracker::PnlTrackerView),
    /// An alert the coach proposes: saved only when the user clicks Confirm.
    AlertProposal(AlertProposalCard),
    /// The active alerts with their distance to trigger (kept live by the UI).
    AlertStatus(AlertStatusCard),
    /// Positions read from an attached screenshot: editable, saved only
    /// when the user clicks Confirm.
    ScreenshotExtraction(ScreenshotExtractionCard),
    /// The positions the user confirmed from a screenshot, as saved.
    ScreenshotSaved(ScreenshotSavedCard),
    /// A stored card that does not fit its type any more.
    Unreadable(UnreadableCard),
}

impl CardBody {
    /// The payload as the model is given it.
    pub fn to_json(&self) -> Value {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        match v {
            Value::Object(mut m) => m.remove("data").unwrap_or(Value::Null),
            other => other,
        }
    }

    /// The `card_type` it is sent with.
    pub fn card_type(&self) -> &'static str {
        match self {
            CardBody::Quote(_) => "quote",
            CardBody::KeyLevels(_) => "key_levels",
            CardBody::Indicators(_) => "indicators",
            CardBody::Chart(_) => "chart",
            CardBody::MarketStatus(_) => "market_status",
            CardBody::OptionsChain(_) => "options_chain",
            CardBody::Position(_) => "position",
            CardBody::Journal(_) => "journal",
            CardBody::PnlTracker(_) => "pnl_tracker",
            CardBody::AlertProposal(_) => "alert_proposal",
            CardBody::AlertStatus(_) => "alert_status",
            CardBody::ScreenshotExtraction(_) => "screenshot_extraction",
            CardBody::ScreenshotSaved(_) => "screenshot_saved",
            CardBody::Unreadable(_) => "unreadable",
        }
    }
}

/// An alert proposed by the coach. Nothing is saved: the card's Confirm
/// saves `proposal` (with `origin` naming this tool call), Cancel drops it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertProposalCard {
    pub proposal: crate::alerts::AlertInput,
    /// "Alert when SPY crosses above 512.40 (PDH), once, on 1m".
    pub summary: String,
    pub last_price: Option<f64>,
    /// The line now (a level's current price).
    pub line: Option<f64>,
    /// Always false from the tool: the model cannot save an alert.
    pub saved: bool,
    pub note: String,
}

/// The alerts as listed when the coach looked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertStatusCard {
    pub alerts: Vec<crate::alerts::AlertView>,
    /// Whether the alerts worker runs in this process (its distances are live).
    pub live: bool,
}

/// What was read from a screenshot. Nothing is saved: the card's Confirm
/// saves the rows as the user edited them; until then `confirmed` is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScreenshotExtractionCard {
    pub image: crate::screenshots::StoredImage,
    /// "ocr" (Tesseract, on this device) or "vision" (the model).
    pub reader: String,
    /// For people: "Read on this device by Tesseract OCR".
    pub reader_label: String,
    /// tastytrade, thinkorswim, ibkr, robinhood, webull or unknown.
    pub broker: String,
    pub positions: Vec<coach_core::screenshot::ExtractedPosition>,
    pub warnings: Vec<String>,
    pub totals: Option<coach_core::screenshot::Totals>,
    /// Fields below this confidence are highlighted for checking.
    pub low_confidence: f32,
    /// What the user confirmed and where it was saved.
    pub confirmed: Option<ScreenshotConfirmation>,
    pub note: String,
}

/// One position as the user confirmed it (after any edits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConfirmedRow {
    pub underlying: String,
    pub kind: coach_core::screenshot::PositionKind,
    /// None for stock.
    pub strike: Option<f64>,
    /// YYYY-MM-DD; none for stock.
    pub expiration: Option<String>,
    /// Signed: negative for short.
    pub quantity: f64,
    /// Average price per share.
    pub price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScreenshotConfirmation {
    pub rows: Vec<ConfirmedRow>,
    #[ts(type = "number[]")]
    pub position_ids: Vec<i64>,
    #[ts(type = "number")]
    pub at_ms: i64,
    /// The message that says what was saved.
    #[ts(type = "number")]
    pub message_id: i64,
}

/// The positions saved from a screenshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScreenshotSavedCard {
    pub positions: Vec<crate::positions::SavedPosition>,
    /// The answer whose extraction card was confirmed.
    #[ts(type = "number")]
    pub from_message_id: i64,
}

/// What a stored card held when it no longer fits its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UnreadableCard {
    /// The `card_type` it was stored with.
    pub stored_type: String,
    /// Its `data` as stored.
    #[ts(type = "unknown")]
    pub stored: Value,
    /// Why it does not fit.
    pub reason: String,
    /// The whole card as stored: written back unchanged, so a version that
    /// can read it still finds it.
    #[serde(skip)]
    #[ts(skip)]
    pub original: Value,
}

impl Card {
    /// A card from its stored JSON; one that does not fit (another version
    /// wrote it, a field is missing or of another type) is kept as
    /// [`CardBody::Unreadable`] with its JSON, never dropped.
    pub fn from_stored(v: Value) -> Card {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let unreadable = |reason: String| Card {
            body: CardBody::Unreadable(UnreadableCard {
                stored_type: text("card_type").unwrap_or_default(),
                stored: v.get("data").cloned().unwrap_or(Value::Null),
                reason,
                original: v.clone(),
            }),
            title: text("title").unwrap_or_default(),
            symbol: text("symbol").and_then(|x| Symbol::parse(&x).ok()),
            timeframe: text("timeframe").and_then(|x| x.parse().ok()),
            tool_call_id: text("tool_call_id").unwrap_or_default(),
        };
        let Some(card_type) = text("card_type") else {
            return unreadable("no card_type".into());
        };
        let tagged = serde_json::json!({"card_type": card_type, "data": v.get("data").cloned().unwrap_or(Value::Null)});
        let body = match CardBody::deserialize(&tagged) {
            Ok(b) => b,
            Err(e) => return unreadable(e.to_string()),
        };
        let symbol = match v.get("symbol") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match Symbol::parse(s) {
                Ok(sym) => Some(sym),
                Err(e) => return unreadable(format!("symbol: {e}")),
            },
            Some(other) => return unreadable(format!("symbol is not a string: {other}")),
        };
        let timeframe = match v.get("timeframe") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match s.parse::<Timeframe>() {
                Ok(tf) => Some(tf),
                Err(e) => return unreadable(format!("timeframe: {e}")),
            },
            Some(other) => return unreadable(format!("timeframe is not a string: {other}")),
        };
        match (text("title"), text("tool_call_id")) {
            (Some(title), Some(tool_call_id)) => Card {
                body,
                title,
                symbol,
                timeframe,
                tool_call_id,
            },
            _ => unreadable("title or tool_call_id missing".into()),
        }
    }

    /// The JSON to store: the card as sent, or an unreadable card exactly as
    /// it was stored.
    pub fn to_stored(&self) -> Value {
        match &self.body {
            CardBody::Unreadable(u) if !u.original.is_null() => u.original.clone(),
            _ => serde_json::to_value(self).unwrap_or(Value::Null),
        }
    }

    /// Stored cards (a JSON array) one by one: one that does not read does
    /// not take the others with it.
    pub fn list_from_stored(text: &str) -> Vec<Card> {
        match serde_json::from_str::<Vec<Value>>(text) {
            Ok(items) => items.into_iter().map(Card::from_stored).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "stored cards are not a JSON array; left out");
                Vec::new()
            }
        }
    }

    /// The cards to store, as a JSON array.
    pub fn list_to_stored(cards: &[Card]) -> String {
        Value::Array(cards.iter().map(Card::to_stored).collect()).to_string()
    }
}

impl<'de> Deserialize<'de> for Card {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Card, D::Error> {
        Ok(Card::from_stored(Value::deserialize(d)?))
    }
}

/// A number the card shows; a value that was not finite was written as
/// `null` (as the model got it) and reads back as NaN, drawn as "—".
fn num<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// `get_quote`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QuoteCard {
    pub symbol: String,
    #[serde(deserialize_with = "num")]
    pub price: f64,
    pub previous_close: Option<f64>,
    pub change: Option<f64>,
    pub change_pct: Option<f64>,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub day_open: Option<f64>,
    pub day_high: Option<f64>,
    pub day_low: Option<f64>,
    pub day_volume: Option<f64>,
    pub day_vwap: Option<f64>,
    /// New York time of the last update, for people.
    pub as_of: String,
    /// "Demo market", "Massive (live)", …
    pub source: String,
}

/// `get_key_levels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct KeyLevelsCard {
    pub symbol: String,
    /// The session date (YYYY-MM-DD).
    pub session: String,
    pub as_of: String,
    #[serde(deserialize_with = "num")]
    pub price: f64,
    pub atr_14_daily: Option<f64>,
    pub resistance_nearest_first: Vec<LevelLine>,
    pub support_nearest_first: Vec<LevelLine>,
    pub total_levels: u32,
}

/// One level of the key-levels card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LevelLine {
    pub label: String,
    pub kind: LevelKind,
    #[serde(deserialize_with = "num")]
    pub price: f64,
    /// Signed points from the price (positive above).
    #[serde(deserialize_with = "num")]
    pub distance: f64,
    #[serde(deserialize_with = "num")]
    pub distance_pct: f64,
    pub distance_atr: Option<f64>,
    pub strength: u32,
    pub touches_today: u32,
    pub rejections_today: u32,
    pub breaks_today: u32,
}

/// `get_indicators`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct IndicatorsCard {
    pub symbol: String,
    pub timeframe: Timeframe,
    /// The last completed bar, for people.
    pub bar: String,
    pub rsi_zone: Option<String>,
    #[serde(deserialize_with = "num")]
    pub close: f64,
    pub bars_used: u32,
    pub values: IndicatorValues,
}

/// The snapshot indicators at the last bar (`null` without enough bars), in
/// the order of [`super::tools::SNAPSHOT_INDICATORS`]'s output keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct IndicatorValues {
    pub rsi_14: Option<f64>,
    pub macd_12_26_9: Option<f64>,
    pub macd_signal_12_26_9: Option<f64>,
    pub macd_hist_12_26_9: Option<f64>,
    pub sma_20: Option<f64>,
    pub sma_50: Option<f64>,
    pub ema_20: Option<f64>,
    pub atr_14: Option<f64>,
    pub bb_upper_20_2: Option<f64>,
    pub bb_middle_20_2: Option<f64>,
    pub bb_lower_20_2: Option<f64>,
    pub vwap: Option<f64>,
}

/// `show_chart`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChartCard {
    pub symbol: String,
    pub timeframe: Timeframe,
    pub opened: bool,
    pub bars: u32,
    pub last_bar: String,
    #[serde(deserialize_with = "num")]
    pub last_open: f64,
    #[serde(deserialize_with = "num")]
    pub last_high: f64,
    #[serde(deserialize_with = "num")]
    pub last_low: f64,
    #[serde(deserialize_with = "num")]
    pub last_close: f64,
}

/// The market's phase as the coach names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionPhase {
    Closed,
    PreMarket,
    Regular,
    AfterHours,
}

/// `get_market_status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MarketStatusCard {
    pub now: String,
    pub phase: SessionPhase,
    pub is_open: bool,
    pub today_is_trading_day: bool,
    pub today_holiday: Option<String>,
    pub today_open: Option<String>,
    pub today_close: Option<String>,
    pub today_early_close: Option<bool>,
    #[ts(type = "number | null")]
    pub minutes_to_close: Option<i64>,
    pub next_open: String,
    /// "Demo market", "Massive (live)", …
    pub market_data: String,
}

/// `get_options_chain`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OptionsChainCard {
    pub symbol: String,
    pub expiration: String,
    pub requested_expiration: Option<String>,
    #[ts(type = "number")]
    pub days_to_expiry: i64,
    #[serde(deserialize_with = "num")]
    pub spot: f64,
    pub atm_strike: Option<f64>,
    pub atm_iv_pct: Option<f64>,
    pub expected_move: Option<ExpectedMoveLine>,
    pub near_the_money: Vec<StrikeLine>,
    pub contracts: u32,
    pub iv_greeks_computed_locally: u32,
    pub expirations: Vec<String>,
    pub assumptions: String,
}

/// The at-the-money straddle and the range it implies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExpectedMoveLine {
    #[serde(deserialize_with = "num")]
    pub straddle_strike: f64,
    #[serde(deserialize_with = "num")]
    pub straddle: f64,
    #[serde(deserialize_with = "num")]
    pub pct: f64,
    #[serde(deserialize_with = "num")]
    pub low: f64,
    #[serde(deserialize_with = "num")]
    pub high: f64,
}

/// One strike near the money.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StrikeLine {
    #[serde(deserialize_with = "num")]
    pub strike: f64,
    pub call: Option<QuoteLine>,
    pub put: Option<QuoteLine>,
}

/// One side of a strike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QuoteLine {
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub mid: Option<f64>,
    pub iv_pct: Option<f64>,
    pub delta: Option<f64>,
    pub volume: Option<f64>,
    pub open_interest: Option<f64>,
}

/// `get_trade_history`: the journal's figures over a filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct JournalCard {
    /// "2024-07-01 to 2024-07-31", "all time", …
    pub period: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub underlying: Option<String>,
    pub asset: Option<String>,
    pub strategy: Option<String>,
    pub trades: u32,
    pub wins: u32,
    pub losses: u32,
    pub breakeven: u32,
    pub win_rate_pct: Option<f64>,
    pub profit_factor: Option<f64>,
    pub expectancy: Option<f64>,
    #[serde(deserialize_with = "num")]
    pub net_pnl: f64,
    #[serde(deserialize_with = "num")]
    pub fees: f64,
    #[serde(deserialize_with = "num")]
    pub max_drawdown: f64,
    pub avg_win: Option<f64>,
    pub avg_loss: Option<f64>,
    pub largest_win: Option<f64>,
    pub largest_loss: Option<f64>,
    /// Trades still open in the filter (not in the figures).
    pub open_trades: u32,
    pub by: Option<String>,
    pub groups: Vec<GroupLine>,
    /// Most recent first.
    pub recent: Vec<TradeLine>,
    /// Computed from the trades, each naming its sample size.
    pub patterns: Vec<String>,
    pub display_tz: String,
}

/// One group of a journal breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GroupLine {
    pub name: String,
    pub trades: u32,
    pub win_rate_pct: Option<f64>,
    #[serde(deserialize_with = "num")]
    pub net_pnl: f64,
}

/// One trade in a journal card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TradeLine {
    #[ts(type = "number")]
    pub id: i64,
    pub symbol: String,
    pub strategy: String,
    pub side: String,
    pub status: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub realized_pnl: Option<f64>,
}

/// `analyze_position`: valued against the market, or the P&L at expiry from
/// the entry prices alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum PositionCard {
    Market(MarketPositionCard),
    Payoff(PayoffCard),
}

/// Written where a gain or loss has no bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Unbounded {
    Unbounded,
}

/// A gain or loss: dollars, or unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum Money {
    Value(f64),
    Unbounded(Unbounded),
}

impl From<Option<f64>> for Money {
    fn from(v: Option<f64>) -> Money {
        v.map(Money::Value)
            .unwrap_or(Money::Unbounded(Unbounded::Unbounded))
    }
}

/// A gain or loss at expiry and the price where it happens, or unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum Extreme {
    At { value: f64, at_price: f64 },
    Unbounded(Unbounded),
}

/// A position valued against the market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MarketPositionCard {
    pub symbol: String,
    #[serde(deserialize_with = "num")]
    pub spot: f64,
    pub expiry: Option<String>,
    #[serde(deserialize_with = "num")]
    pub days_to_expiry: f64,
    pub breakevens: Vec<f64>,
    pub max_gain: Money,
    pub max_loss: Money,
    #[serde(deserialize_with = "num")]
    pub net_debit: f64,
    #[serde(deserialize_with = "num")]
    pub pnl_now: f64,
    pub greeks: GreeksLine,
    pub probability_of_profit_pct: Option<f64>,
    pub leg_ivs_pct: Vec<Option<f64>>,
    pub assumptions: String,
}

/// Position Greeks (dollars per point, per day, per vol point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GreeksLine {
    #[serde(deserialize_with = "num")]
    pub delta: f64,
    #[serde(deserialize_with = "num")]
    pub gamma: f64,
    #[serde(deserialize_with = "num")]
    pub theta: f64,
    #[serde(deserialize_with = "num")]
    pub vega: f64,
}

/// The P&L at expiry of one expiration, from entry prices alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PayoffCard {
    pub breakevens: Vec<f64>,
    pub max_gain: Extreme,
    pub max_loss: Extreme,
    #[serde(deserialize_with = "num")]
    pub net_debit: f64,
    pub legs: u32,
    pub assumptions: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote() -> CardBody {
        CardBody::Quote(QuoteCard {
            symbol: "SPY".into(),
            price: 512.4,
            previous_close: Some(510.0),
            change: Some(2.4),
            change_pct: Some(0.47),
            bid: None,
            ask: None,
            day_open: None,
            day_high: None,
            day_low: None,
            day_volume: None,
            day_vwap: None,
            as_of: "Tue Jul 2 11:00 ET".into(),
            source: "Demo market".into(),
        })
    }

    #[test]
    fn a_card_is_its_type_and_payload_beside_the_common_fields() {
        let card = Card {
            body: quote(),
            title: "SPY quote".into(),
            symbol: Some(Symbol::parse("SPY").unwrap()),
            timeframe: Some(Timeframe::M5),
            tool_call_id: "call_1".into(),
        };
        let v = serde_json::to_value(&card).unwrap();
        assert_eq!(v["card_type"], "quote");
        assert_eq!(v["data"]["price"], 512.4);
        assert_eq!(v["data"], card.body.to_json(), "data is what the model got");
        assert_eq!(v["timeframe"], "5m");
        let back: Card = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, card);
        // A number that was not finite went out as null and reads back as NaN.
        let mut nan = v;
        nan["data"]["price"] = serde_json::Value::Null;
        let CardBody::Quote(q) = Card::from_stored(nan).body else {
            panic!("still a quote card")
        };
        assert!(q.price.is_nan());
    }

    #[test]
    fn a_stored_card_that_no_longer_fits_loads_as_unreadable_with_its_json() {
        let stored = serde_json::json!({"card_type": "quote", "title": "SPY quote",
            "symbol": "SPY", "timeframe": "5m", "tool_call_id": "c", "data": {"price": "n/a"}});
        let card: Card = serde_json::from_value(stored).unwrap();
        let CardBody::Unreadable(u) = &card.body else {
            panic!("{card:?}")
        };
        assert_eq!(u.stored_type, "quote");
        assert_eq!(u.stored["price"], "n/a");
        assert!(!u.reason.is_empty());
        assert_eq!(card.title, "SPY quote", "the common fields are kept");
        assert_eq!(
            card.to_stored(),
            serde_json::json!({"card_type": "quote", "title": "SPY quote",
                "symbol": "SPY", "timeframe": "5m", "tool_call_id": "c", "data": {"price": "n/a"}}),
            "written back exactly as stored"
        );
        // One card that does not read does not take the others with it.
        let good = serde_json::to_value(Card::from_stored(
            serde_json::json!({"card_type": "market_status"}),
        ))
        .unwrap();
        let list = Card::list_from_stored(&serde_json::json!([{"data": 1}, good]).to_string());
        assert_eq!(list.len(), 2);
        assert!(list.iter().all(|c| c.body.card_type() == "unreadable"));
        let unknown = serde_json::json!({"card_type": "heatmap", "title": "t", "data": {}});
        let card: Card = serde_json::from_value(unknown).unwrap();
        assert_eq!(card.body.card_type(), "unreadable");
    }

    #[test]
    fn gains_are_dollars_or_unbounded_and_payoff_extremes_carry_their_price() {
        assert_eq!(
            serde_json::to_value(Money::from(None)).unwrap(),
            "unbounded"
        );
        assert_eq!(
            serde_json::to_value(Money::from(Some(-120.5))).unwrap(),
            -120.5
        );
        let e = Extreme::At {
            value: 800.0,
            at_price: 110.0,
        };
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            serde_json::json!({"value": 800.0, "at_price": 110.0})
        );
        let payoff: PositionCard = serde_json::from_value(serde_json::json!({
            "breakevens": [102.0], "max_gain": "unbounded", "max_loss": {"value": -200.0, "at_price": 100.0},
            "net_debit": 200.0, "legs": 1, "assumptions": "a"}))
        .unwrap();
        assert!(matches!(payoff, PositionCard::Payoff(_)), "{payoff:?}");
    }
}
