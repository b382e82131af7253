//! Confirming what was read from a screenshot: the user's click (never the
//! model) saves the rows as they edited them. One transaction saves the
//! positions, marks the extraction card confirmed and appends the turn that
//! says so (the user's confirmation and the coach's receipt), so a reload,
//! History, search and follow-up questions all see the same positions, and a
//! second click cannot save them twice.

use coach_core::screenshot::PositionKind;
use coach_core::strategy::LegKind;
use coach_core::Symbol;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::cards::{ConfirmedRow, ScreenshotConfirmation, ScreenshotSavedCard};
use super::store::{insert_message, NewMessage};
use super::*;
use crate::positions::{PositionInput, PositionLeg, SavedPosition};

/// What a confirmation saved and wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ScreenshotConfirmed {
    pub positions: Vec<SavedPosition>,
    /// The extraction card, now confirmed.
    pub card: Card,
    /// The two messages appended to the session: the user's confirmation
    /// and the coach's receipt.
    pub messages: Vec<ChatMessage>,
}

/// The rows checked and grouped into one position per underlying (its calls,
/// puts and shares together, as the broker shows them).
pub fn positions_from_rows(rows: &[ConfirmedRow]) -> Result<Vec<PositionInput>, String> {
    if rows.is_empty() {
        return Err("there are no positions to save".into());
    }
    let mut out: Vec<PositionInput> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let n = i + 1;
        let name = if r.underlying.trim().is_empty() {
            "?".to_string()
        } else {
            r.underlying.trim().to_ascii_uppercase()
        };
        let at = |m: &str| format!("row {n} ({name}): {m}");
        let sym = Symbol::parse(r.underlying.trim())
            .map_err(|e| at(&format!("the ticker is not valid ({e})")))?;
        if !(r.quantity.is_finite() && r.quantity != 0.0) {
            return Err(at(
                "the quantity must be a non-zero number (negative for short)",
            ));
        }
        if !(r.price.is_finite() && r.price >= 0.0) {
            return Err(at("the average price must be zero or more"));
        }
        let kind = match r.kind {
            PositionKind::Call => LegKind::Call,
            PositionKind::Put => LegKind::Put,
            PositionKind::Stock => LegKind::Stock,
        };
        let (strike, expiry) = if kind == LegKind::Stock {
            (None, None)
        } else {
            let k = r
                .strike
                .filter(|k| k.is_finite() && *k > 0.0)
                .ok_or_else(|| at("an option needs a strike above zero"))?;
            let e = r
                .expiration
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .ok_or_else(|| at("an option needs an expiration"))?;
            chrono::NaiveDate::parse_from_str(e, "%Y-%m-%d")
                .map_err(|_| at(&format!("the expiration {e:?} is not a date (YYYY-MM-DD)")))?;
            (Some(k), Some(e.to_string()))
        };
        let leg = PositionLeg {
            kind,
            strike,
            expiry,
            quantity: r.quantity,
            entry_price: r.price,
        };
        match out.iter_mut().find(|p| p.symbol == sym.as_str()) {
            Some(p) => p.legs.push(leg),
            None => out.push(PositionInput {
                name: format!("{sym} (screenshot)"),
                symbol: sym.to_string(),
                legs: vec![leg],
            }),
        }
    }
    for p in &out {
        crate::positions::validate(p).map_err(|e| format!("{}: {e}", p.symbol))?;
    }
    Ok(out)
}

fn quantity(q: f64) -> String {
    if q > 0.0 {
        format!("+{q}")
    } else {
        format!("{q}")
    }
}

/// The user's confirmation in words: searchable ("AAPL calls from my
/// screenshot") and what a follow-up question refers to.
pub fn confirmation_text(rows: &[ConfirmedRow]) -> String {
    let mut groups: Vec<(String, &'static str, Vec<String>)> = Vec::new();
    for r in rows {
        let u = r.underlying.trim().to_ascii_uppercase();
        let (kinds, line) = match r.kind {
            PositionKind::Stock => (
                "stock",
                format!("{} {u} shares at {}", quantity(r.quantity), r.price),
            ),
            k => (
                if k == PositionKind::Call {
                    "calls"
                } else {
                    "puts"
                },
                format!(
                    "{} {u} {} {} {} at {}",
                    quantity(r.quantity),
                    r.expiration.as_deref().unwrap_or("?"),
                    r.strike.map(|s| s.to_string()).unwrap_or_default(),
                    if k == PositionKind::Call {
                        "call"
                    } else {
                        "put"
                    },
                    r.price
                ),
            ),
        };
        match groups.iter_mut().find(|g| g.0 == u && g.1 == kinds) {
            Some(g) => g.2.push(line),
            None => groups.push((u, kinds, vec![line])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(u, k, lines)| format!("{u} {k}: {}", lines.join("; ")))
        .collect();
    format!(
        "Confirmed the positions from my screenshot. {}.",
        parts.join(". ")
    )
}

impl Coach {
    /// Saves the rows of the extraction card `tool_call_id` in answer
    /// `message_id` as the user confirmed them (after any edits).
    pub async fn screenshot_confirm(
        &self,
        message_id: i64,
        tool_call_id: String,
        rows: Vec<ConfirmedRow>,
    ) -> Result<ScreenshotConfirmed, ChatError> {
        let inputs = positions_from_rows(&rows).map_err(ChatError::Invalid)?;
        let now = chrono::Utc::now().timestamp_millis();
        self.db
            .call(move |db| confirm(db, message_id, &tool_call_id, rows, inputs, now))
            .await
    }
}

fn confirm(
    db: &crate::store::ChatTables,
    message_id: i64,
    tool_call_id: &str,
    rows: Vec<ConfirmedRow>,
    inputs: Vec<PositionInput>,
    now: i64,
) -> Result<ScreenshotConfirmed, ChatError> {
    let mut conn = db.write();
    let tx = conn.transaction().map_err(StoreError::from)?;
    let found: Option<(i64, String, String, String)> = tx
        .query_row(
            "SELECT session_id, role, status, cards FROM chat_messages WHERE id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(StoreError::from)?;
    let Some((session_id, role, status, cards)) = found else {
        return Err(ChatError::NoMessage(message_id));
    };
    if role != "assistant" || status == "streaming" {
        return Err(ChatError::Invalid(format!(
            "message {message_id} is not a finished answer with a screenshot's positions"
        )));
    }
    let mut cards = Card::list_from_stored(&cards);
    let Some(card) = cards.iter_mut().find(|c| c.tool_call_id == tool_call_id) else {
        return Err(ChatError::Invalid(format!(
            "message {message_id} has no card {tool_call_id}"
        )));
    };
    let CardBody::ScreenshotExtraction(x) = &mut card.body else {
        return Err(ChatError::Invalid(format!(
            "card {tool_call_id} is not a screenshot's positions"
        )));
    };
    if x.confirmed.is_some() {
        return Err(ChatError::Invalid(
            "these positions were already confirmed and saved".into(),
        ));
    }
    let mut saved = Vec::new();
    for p in &inputs {
        let id = crate::positions::insert_position(&tx, p, now)?;
        saved.push(SavedPosition {
            id,
            name: p.name.clone(),
            symbol: p.symbol.clone(),
            legs: p.legs.clone(),
            created_ms: now,
        });
    }
    let user_text = confirmation_text(&rows);
    let user_id = insert_message(
        &tx,
        &NewMessage {
            session_id,
            role: Role::User,
            content: &user_text,
            status: MessageStatus::Complete,
            images: &[],
            cards: &[],
        },
        now,
    )?;
    let names: Vec<String> = saved
        .iter()
        .map(|p| {
            format!(
                "**{}** (#{}, {} leg{})",
                p.symbol,
                p.id,
                p.legs.len(),
                if p.legs.len() == 1 { "" } else { "s" }
            )
        })
        .collect();
    let receipt = format!(
        "Saved {} position{} from your screenshot: {}. They are in your positions on the Options tab. Ask about them, for example \"what is my max loss on those?\"",
        saved.len(),
        if saved.len() == 1 { "" } else { "s" },
        names.join(", ")
    );
    let saved_card = Card {
        body: CardBody::ScreenshotSaved(ScreenshotSavedCard {
            positions: saved.clone(),
            from_message_id: message_id,
        }),
        title: "Saved from the screenshot".into(),
        symbol: None,
        timeframe: None,
        tool_call_id: format!("confirm_{tool_call_id}"),
    };
    let receipt_id = insert_message(
        &tx,
        &NewMessage {
            session_id,
            role: Role::Assistant,
            content: &receipt,
            status: MessageStatus::Complete,
            images: &[],
            cards: std::slice::from_ref(&saved_card),
        },
        now,
    )?;
    x.confirmed = Some(ScreenshotConfirmation {
        rows,
        position_ids: saved.iter().map(|p| p.id).collect(),
        at_ms: now,
        message_id: receipt_id,
    });
    let card = card.clone();
    tx.execute(
        "UPDATE chat_messages SET cards = ?2 WHERE id = ?1",
        rusqlite::params![message_id, Card::list_to_stored(&cards)],
    )
    .map_err(StoreError::from)?;
    tx.commit().map_err(StoreError::from)?;
    drop(conn);
    let messages = [user_id, receipt_id]
        .into_iter()
        .filter_map(|id| db.chat_message(id).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ScreenshotConfirmed {
        positions: saved,
        card,
        messages,
    })
}
