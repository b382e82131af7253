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

/// The rows checked and grouped into positions: one per underlying and
/// expiration; shares join their underlying's options when those are one
/// position (a covered call), else stand alone; at most 8 legs in one.
pub fn positions_from_rows(rows: &[ConfirmedRow]) -> Result<Vec<PositionInput>, String> {
    if rows.is_empty() {
        return Err("there are no positions to save".into());
    }
    let mut rows_by: Vec<(String, PositionLeg)> = Vec::new();
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
        rows_by.push((sym.to_string(), leg));
    }
    // One position per underlying and expiration (a spread, a straddle);
    // shares join their underlying's options when those are one position (a
    // covered call), else stand alone. Never more than 8 legs in one.
    let mut groups: Vec<(String, Option<String>, Vec<PositionLeg>)> = Vec::new();
    for (sym, leg) in rows_by.iter().filter(|(_, l)| l.kind != LegKind::Stock) {
        match groups
            .iter_mut()
            .find(|g| &g.0 == sym && g.1 == leg.expiry && g.2.len() < 8)
        {
            Some(g) => g.2.push(leg.clone()),
            None => groups.push((sym.clone(), leg.expiry.clone(), vec![leg.clone()])),
        }
    }
    for (sym, leg) in rows_by.iter().filter(|(_, l)| l.kind == LegKind::Stock) {
        let options: Vec<usize> = (0..groups.len())
            .filter(|&i| &groups[i].0 == sym && groups[i].1.is_some())
            .collect();
        let shares = (0..groups.len())
            .rev()
            .find(|&i| &groups[i].0 == sym && groups[i].1.is_none());
        match (options.as_slice(), shares) {
            ([one], _) if groups[*one].2.len() < 8 => groups[*one].2.push(leg.clone()),
            (_, Some(i)) if groups[i].2.len() < 8 => groups[i].2.push(leg.clone()),
            _ => groups.push((sym.clone(), None, vec![leg.clone()])),
        }
    }
    let out: Vec<PositionInput> = groups
        .into_iter()
        .map(|(sym, exp, legs)| PositionInput {
            name: match exp {
                Some(e) if legs.iter().all(|l| l.kind != LegKind::Stock) => {
                    format!("{sym} {e} (screenshot)")
                }
                _ => format!("{sym} (screenshot)"),
            },
            symbol: sym,
            legs,
        })
        .collect();
    for p in &out {
        crate::positions::validate(p).map_err(|e| format!("{}: {e}", p.symbol))?;
    }
    Ok(out)
}

/// A price as screens write it: 4.40, 441.20, 0.055.
fn price(p: f64) -> String {
    let cents = p * 100.0;
    if (cents - cents.round()).abs() < 1e-6 {
        format!("{p:.2}")
    } else {
        p.to_string()
    }
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
                format!("{} {u} shares at {}", quantity(r.quantity), price(r.price)),
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
                    price(r.price)
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
        let session_id = self
            .db
            .call(move |db| db.chat_message(message_id))
            .await?
            .ok_or_else(|| ChatError::Invalid(format!("there is no message {message_id}")))?
            .session_id;
        // Nothing else writes to the session meanwhile (an answer streaming,
        // a Continue that would save its older copy of the card).
        let Some((_claim, _)) = self.chats.claim(session_id) else {
            return Err(ChatError::Invalid(
                "an answer is streaming in this session: confirm when it has finished".into(),
            ));
        };
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
    // Immediate: another process (`coach`) writing meanwhile waits or fails
    // here, before anything was read.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(StoreError::from)?;
    let found: Option<(i64, String, String, String)> = tx
        .query_row(
            "SELECT session_id, role, status, cards FROM chat_messages WHERE id = ?1",
            [message_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(StoreError::from)?;
    let Some((session_id, role, status, cards)) = found else {
        return Err(ChatError::Invalid(format!(
            "there is no message {message_id}"
        )));
    };
    if role != "assistant" || status == "streaming" {
        return Err(ChatError::Invalid(format!(
            "message {message_id} is not a finished answer with a screenshot's positions"
        )));
    }
    let mut cards = Card::list_from_stored(&cards);
    let as_stored = cards.clone();
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
    // The same image read again (a second card for it): saved once.
    let image = x.image.sha256.clone();
    let others: Vec<(i64, String)> = {
        let mut stmt = tx
            .prepare("SELECT id, cards FROM chat_messages WHERE session_id = ?1 AND id != ?2")
            .map_err(StoreError::from)?;
        let rows = stmt
            .query_map(rusqlite::params![session_id, message_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(StoreError::from)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)?
    };
    let already = std::iter::once((message_id, as_stored))
        .chain(
            others
                .iter()
                .map(|(id, c)| (*id, Card::list_from_stored(c))),
        )
        .find_map(|(id, cs)| {
            cs.iter().find_map(|c| match &c.body {
                CardBody::ScreenshotExtraction(o)
                    if o.image.sha256 == image && o.confirmed.is_some() =>
                {
                    Some(id)
                }
                _ => None,
            })
        });
    if let Some(id) = already {
        return Err(ChatError::Invalid(format!(
            "the positions of this screenshot were already saved (from message {id}); edit them on the Options tab instead"
        )));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(u: &str, kind: PositionKind, strike: f64, exp: &str, q: f64) -> ConfirmedRow {
        ConfirmedRow {
            underlying: u.into(),
            kind,
            strike: (kind != PositionKind::Stock).then_some(strike),
            expiration: (kind != PositionKind::Stock).then(|| exp.to_string()),
            quantity: q,
            price: 1.5,
        }
    }

    fn shape(rows: &[ConfirmedRow]) -> Vec<(String, usize)> {
        positions_from_rows(rows)
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.legs.len()))
            .collect()
    }

    #[test]
    fn rows_group_by_underlying_and_expiration_with_shares_joining_one_group() {
        use PositionKind::*;
        // A covered call: the shares join the one option group.
        assert_eq!(
            shape(&[
                row("AAPL", Call, 230.0, "2024-08-16", -1.0),
                row("AAPL", Stock, 0.0, "", 100.0)
            ]),
            [("AAPL (screenshot)".to_string(), 2)]
        );
        // Two expirations: two positions, the shares alone.
        assert_eq!(
            shape(&[
                row("AAPL", Call, 230.0, "2024-08-16", 1.0),
                row("AAPL", Call, 240.0, "2024-09-20", -1.0),
                row("AAPL", Stock, 0.0, "", 100.0),
                row("SPY", Put, 540.0, "2024-07-19", -1.0),
            ]),
            [
                ("AAPL 2024-08-16 (screenshot)".to_string(), 1),
                ("AAPL 2024-09-20 (screenshot)".to_string(), 1),
                ("SPY 2024-07-19 (screenshot)".to_string(), 1),
                ("AAPL (screenshot)".to_string(), 1),
            ]
        );
        // Nine legs of one expiration: 8 + 1; nine stock rows: 8 + 1; a full
        // group leaves the shares to themselves.
        let nine: Vec<ConfirmedRow> = (0..9)
            .map(|i| row("SPY", Call, 500.0 + f64::from(i), "2024-07-19", 1.0))
            .collect();
        assert_eq!(shape(&nine).iter().map(|s| s.1).collect::<Vec<_>>(), [8, 1]);
        let shares: Vec<ConfirmedRow> = (0..9).map(|_| row("MSFT", Stock, 0.0, "", 10.0)).collect();
        assert_eq!(
            shape(&shares).iter().map(|s| s.1).collect::<Vec<_>>(),
            [8, 1]
        );
        let mut full: Vec<ConfirmedRow> = nine[..8].to_vec();
        full.push(row("SPY", Stock, 0.0, "", 100.0));
        assert_eq!(shape(&full).iter().map(|s| s.1).collect::<Vec<_>>(), [8, 1]);
    }

    #[test]
    fn the_confirmation_reads_as_the_user_would_search_it() {
        use PositionKind::*;
        let t = confirmation_text(&[
            row("AAPL", Call, 230.0, "2024-08-16", 2.0),
            ConfirmedRow {
                price: 441.2,
                ..row("MSFT", Stock, 0.0, "", 100.0)
            },
        ]);
        assert_eq!(
            t,
            "Confirmed the positions from my screenshot. AAPL calls: +2 AAPL 2024-08-16 230 call at 1.50. MSFT stock: +100 MSFT shares at 441.20."
        );
    }
}
