//! Sessions and messages in SQLite, with FTS5 search over the text.

use rusqlite::{params, OptionalExtension, Row};
use serde_json::Value;

use super::cards::Card;
use super::types::{
    ChatMessage, MessageStatus, Role, SearchHit, SessionDetail, SessionSummary, SnippetPart,
    ToolRecord, Unverified,
};
use crate::screenshots::StoredImage;
use crate::store::{ChatTables, StoreError};

/// Marks around matches in FTS5 snippets (private-use characters, never typed).
const HIT_OPEN: char = '\u{E000}';
const HIT_CLOSE: char = '\u{E001}';

/// What is written for an assistant message while and after it streams.
#[derive(Debug, Clone)]
pub struct AssistantUpdate<'a> {
    pub content: &'a str,
    pub status: MessageStatus,
    pub tools: &'a [ToolRecord],
    pub cards: &'a [Card],
    pub unverified: &'a [Unverified],
    pub meta: &'a Value,
}

/// A message to append.
pub(crate) struct NewMessage<'a> {
    pub session_id: i64,
    pub role: Role,
    pub content: &'a str,
    pub status: MessageStatus,
    pub images: &'a [StoredImage],
    pub cards: &'a [Card],
}

/// Appends a message inside `tx` (the session must exist); its session's
/// `updated_ms` moves too. Returns the message's id.
pub(crate) fn insert_message(
    tx: &rusqlite::Transaction<'_>,
    m: &NewMessage<'_>,
    now_ms: i64,
) -> Result<i64, StoreError> {
    let exists: Option<i64> = tx
        .query_row(
            "SELECT id FROM chat_sessions WHERE id = ?1",
            [m.session_id],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::Sql(rusqlite::Error::QueryReturnedNoRows));
    }
    tx.execute(
        "INSERT INTO chat_messages (session_id, seq, role, content, status, images, cards, created_ms, updated_ms)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM chat_messages WHERE session_id = ?1),
                 ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            m.session_id,
            m.role.as_str(),
            m.content,
            m.status.as_str(),
            serde_json::to_string(m.images).unwrap_or_else(|_| "[]".into()),
            Card::list_to_stored(m.cards),
            now_ms
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE chat_sessions SET updated_ms = ?2 WHERE id = ?1",
        params![m.session_id, now_ms],
    )?;
    Ok(id)
}

fn summary(r: &Row<'_>) -> rusqlite::Result<SessionSummary> {
    Ok(SessionSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        created_ms: r.get(2)?,
        updated_ms: r.get(3)?,
        message_count: r.get(4)?,
    })
}

const SUMMARY_SQL: &str = "SELECT s.id, s.title, s.created_ms, s.updated_ms,
        (SELECT COUNT(*) FROM chat_messages m WHERE m.session_id = s.id)
     FROM chat_sessions s";

fn json_col<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

fn message(r: &Row<'_>) -> rusqlite::Result<ChatMessage> {
    let role: String = r.get(3)?;
    let status: String = r.get(5)?;
    let meta: String = r.get(9)?;
    Ok(ChatMessage {
        id: r.get(0)?,
        session_id: r.get(1)?,
        seq: r.get(2)?,
        role: Role::parse(&role),
        content: r.get(4)?,
        images: json_col(&r.get::<_, String>(12)?),
        status: MessageStatus::parse(&status),
        tools: json_col(&r.get::<_, String>(6)?),
        cards: Card::list_from_stored(&r.get::<_, String>(7)?),
        unverified: json_col(&r.get::<_, String>(8)?),
        meta: serde_json::from_str(&meta).unwrap_or(Value::Null),
        created_ms: r.get(10)?,
        updated_ms: r.get(11)?,
    })
}

const MESSAGE_SQL: &str = "SELECT id, session_id, seq, role, content, status, tools, cards,
        unverified, meta, created_ms, updated_ms, images FROM chat_messages";

/// Splits an FTS5 snippet with [`HIT_OPEN`]/[`HIT_CLOSE`] marks into parts.
fn snippet_parts(s: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut hit = false;
    for ch in s.chars() {
        if ch == HIT_OPEN || ch == HIT_CLOSE {
            if !cur.is_empty() {
                parts.push(SnippetPart {
                    text: std::mem::take(&mut cur),
                    hit,
                });
            }
            hit = ch == HIT_OPEN;
        } else {
            cur.push(ch);
        }
    }
    if !cur.is_empty() {
        parts.push(SnippetPart { text: cur, hit });
    }
    parts
}

/// The user's words as an FTS5 query: every word must appear (the last may be
/// a prefix, as the user types). Quotes keep operators and punctuation literal.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '.' && c != '_')
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut q = words.join(" ");
    q.push('*');
    Some(q)
}

impl ChatTables {
    pub fn chat_create_session(&self, title: &str, now_ms: i64) -> Result<i64, StoreError> {
        let conn = self.write();
        conn.execute(
            "INSERT INTO chat_sessions (title, created_ms, updated_ms) VALUES (?1, ?2, ?2)",
            params![title, now_ms],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Appends a message; returns its id. The session's `updated_ms` moves too.
    pub fn chat_insert_message(
        &self,
        session_id: i64,
        role: Role,
        content: &str,
        status: MessageStatus,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let id = insert_message(
            &tx,
            &NewMessage {
                session_id,
                role,
                content,
                status,
                images: &[],
                cards: &[],
            },
            now_ms,
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// A turn's start in one transaction: the user's message (with the images
    /// it attached) and the empty answer that streams into it.
    pub fn chat_insert_turn(
        &self,
        session_id: i64,
        prompt: &str,
        images: &[StoredImage],
        now_ms: i64,
    ) -> Result<(i64, i64), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let u = insert_message(
            &tx,
            &NewMessage {
                session_id,
                role: Role::User,
                content: prompt,
                status: MessageStatus::Complete,
                images,
                cards: &[],
            },
            now_ms,
        )?;
        let a = insert_message(
            &tx,
            &NewMessage {
                session_id,
                role: Role::Assistant,
                content: "",
                status: MessageStatus::Streaming,
                images: &[],
                cards: &[],
            },
            now_ms,
        )?;
        tx.commit()?;
        Ok((u, a))
    }

    pub fn chat_update_assistant(
        &self,
        message_id: i64,
        u: &AssistantUpdate<'_>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.chat_update_assistant_if(message_id, u, now_ms, || true)
            .map(|_| ())
    }

    /// [`ChatTables::chat_update_assistant`] when `current()` still holds once
    /// the write connection is ours: a save overtaken by a newer one of the
    /// same answer is skipped, so an older snapshot never lands last. Returns
    /// whether it wrote.
    pub fn chat_update_assistant_if(
        &self,
        message_id: i64,
        u: &AssistantUpdate<'_>,
        now_ms: i64,
        current: impl FnOnce() -> bool,
    ) -> Result<bool, StoreError> {
        let conn = self.write();
        if !current() {
            return Ok(false);
        }
        conn.execute(
            "UPDATE chat_messages SET content = ?2, status = ?3, tools = ?4, cards = ?5,
                 unverified = ?6, meta = ?7, updated_ms = ?8 WHERE id = ?1",
            params![
                message_id,
                u.content,
                u.status.as_str(),
                serde_json::to_string(u.tools).unwrap_or_else(|_| "[]".into()),
                Card::list_to_stored(u.cards),
                serde_json::to_string(u.unverified).unwrap_or_else(|_| "[]".into()),
                u.meta.to_string(),
                now_ms
            ],
        )?;
        conn.execute(
            "UPDATE chat_sessions SET updated_ms = ?2
             WHERE id = (SELECT session_id FROM chat_messages WHERE id = ?1)",
            params![message_id, now_ms],
        )?;
        Ok(true)
    }

    /// Messages left `streaming` by a process that stopped mid-answer become
    /// `interrupted` (their text is kept). Returns how many.
    pub fn chat_close_orphans(&self, now_ms: i64) -> Result<usize, StoreError> {
        Ok(self.write().execute(
            "UPDATE chat_messages SET status = 'interrupted', updated_ms = ?1 WHERE status = 'streaming'",
            [now_ms],
        )?)
    }

    pub fn chat_sessions(&self, limit: u32) -> Result<Vec<SessionSummary>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "{SUMMARY_SQL} ORDER BY s.updated_ms DESC, s.id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], summary)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn chat_session(&self, id: i64) -> Result<Option<SessionDetail>, StoreError> {
        let conn = self.read();
        let session = conn
            .query_row(&format!("{SUMMARY_SQL} WHERE s.id = ?1"), [id], summary)
            .optional()?;
        let Some(session) = session else {
            return Ok(None);
        };
        let mut stmt =
            conn.prepare_cached(&format!("{MESSAGE_SQL} WHERE session_id = ?1 ORDER BY seq"))?;
        let messages = stmt
            .query_map([id], message)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(SessionDetail { session, messages }))
    }

    pub fn chat_message(&self, id: i64) -> Result<Option<ChatMessage>, StoreError> {
        Ok(self
            .read()
            .query_row(&format!("{MESSAGE_SQL} WHERE id = ?1"), [id], message)
            .optional()?)
    }

    pub fn chat_rename_session(&self, id: i64, title: &str) -> Result<bool, StoreError> {
        Ok(self.write().execute(
            "UPDATE chat_sessions SET title = ?2 WHERE id = ?1",
            params![id, title],
        )? == 1)
    }

    /// Deletes a session and its messages (and their search entries) together.
    pub fn chat_delete_session(&self, id: i64) -> Result<bool, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM chat_messages WHERE session_id = ?1", [id])?;
        let n = tx.execute("DELETE FROM chat_sessions WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// Adds whole sessions (as `coach sessions show --json` prints them) in one
    /// transaction: everything or nothing. Returns the new session ids.
    pub fn chat_import_sessions(&self, ds: &[SessionDetail]) -> Result<Vec<i64>, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let mut ids = Vec::new();
        for d in ds {
            tx.execute(
                "INSERT INTO chat_sessions (title, created_ms, updated_ms) VALUES (?1, ?2, ?3)",
                params![d.session.title, d.session.created_ms, d.session.updated_ms],
            )?;
            let sid = tx.last_insert_rowid();
            {
                let mut stmt = tx.prepare_cached(
                "INSERT INTO chat_messages (session_id, seq, role, content, status, tools, cards,
                     unverified, meta, created_ms, updated_ms, images)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
                for (i, m) in d.messages.iter().enumerate() {
                    // An answer cannot be imported as still streaming.
                    let status = match m.status {
                        MessageStatus::Streaming => MessageStatus::Interrupted,
                        s => s,
                    };
                    stmt.execute(params![
                        sid,
                        i as i64 + 1,
                        m.role.as_str(),
                        m.content,
                        status.as_str(),
                        serde_json::to_string(&m.tools).unwrap_or_else(|_| "[]".into()),
                        Card::list_to_stored(&m.cards),
                        serde_json::to_string(&m.unverified).unwrap_or_else(|_| "[]".into()),
                        m.meta.to_string(),
                        m.created_ms,
                        m.updated_ms,
                        serde_json::to_string(&m.images).unwrap_or_else(|_| "[]".into())
                    ])?;
                }
            }
            ids.push(sid);
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Full-text search across all sessions, best match first.
    pub fn chat_search(&self, text: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        let Some(q) = fts_query(text) else {
            return Ok(vec![]);
        };
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT m.session_id, s.title, m.id, m.role,
                    snippet(chat_fts, 0, ?2, ?3, '…', 12), m.updated_ms
             FROM chat_fts
             JOIN chat_messages m ON m.id = chat_fts.rowid
             JOIN chat_sessions s ON s.id = m.session_id
             WHERE chat_fts MATCH ?1
             ORDER BY bm25(chat_fts), m.updated_ms DESC
             LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![q, HIT_OPEN.to_string(), HIT_CLOSE.to_string(), limit],
            |r| {
                let role: String = r.get(3)?;
                let snippet: String = r.get(4)?;
                Ok(SearchHit {
                    session_id: r.get(0)?,
                    session_title: r.get(1)?,
                    message_id: r.get(2)?,
                    role: Role::parse(&role),
                    snippet: snippet_parts(&snippet),
                    updated_ms: r.get(5)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, ChatTables) {
        let dir = tempfile::tempdir().unwrap();
        let db = std::sync::Arc::new(crate::store::Db::open(&dir.path().join("coach.db")).unwrap());
        (dir, db.chat())
    }

    #[test]
    fn messages_round_trip_with_tools_cards_and_status() {
        let (_d, db) = db();
        let s = db.chat_create_session("SPY levels", 1_000).unwrap();
        let u = db
            .chat_insert_message(
                s,
                Role::User,
                "levels for SPY",
                MessageStatus::Complete,
                1_001,
            )
            .unwrap();
        let a = db
            .chat_insert_message(s, Role::Assistant, "", MessageStatus::Streaming, 1_002)
            .unwrap();
        let tools = vec![ToolRecord {
            id: "call_1".into(),
            name: "get_key_levels".into(),
            arguments: serde_json::json!({"symbol": "SPY"}),
            raw_arguments: r#"{"symbol":"SPY"}"#.into(),
            result: Some(serde_json::json!({"price": 512.4})),
            ok: Some(true),
            ms: Some(3.5),
            round: 0,
        }];
        let cards = vec![Card {
            body: crate::chat::CardBody::Chart(crate::chat::cards::ChartCard {
                symbol: "SPY".into(),
                timeframe: coach_core::Timeframe::M5,
                opened: true,
                bars: 78,
                last_bar: "Tue Jul 2 10:55 ET".into(),
                last_open: 512.1,
                last_high: 512.6,
                last_low: 511.9,
                last_close: 512.4,
            }),
            title: "SPY · 5m chart".into(),
            symbol: Some(coach_core::Symbol::parse("SPY").unwrap()),
            timeframe: Some(coach_core::Timeframe::M5),
            tool_call_id: "call_1".into(),
        }];
        let meta = serde_json::json!({"model": "m", "ttft_ms": 12.0});
        db.chat_update_assistant(
            a,
            &AssistantUpdate {
                content: "SPY is at 512.40.",
                status: MessageStatus::Interrupted,
                tools: &tools,
                cards: &cards,
                unverified: &[],
                meta: &meta,
            },
            1_003,
        )
        .unwrap();
        let detail = db.chat_session(s).unwrap().unwrap();
        assert_eq!(detail.messages.len(), 2, "the user message and the answer");
        assert_eq!(detail.messages[0].id, u);
        assert_eq!(detail.messages[1].seq, 2, "messages are numbered in order");
        assert_eq!(
            detail.messages[1].tools, tools,
            "tool calls restore exactly"
        );
        assert_eq!(detail.messages[1].cards, cards, "cards restore exactly");
        assert_eq!(detail.messages[1].status, MessageStatus::Interrupted);
        assert_eq!(
            detail.session.updated_ms, 1_003,
            "writing a message touches the session"
        );
    }

    #[test]
    fn search_finds_words_across_sessions_with_marked_snippets() {
        let (_d, db) = db();
        let a = db.chat_create_session("A", 1).unwrap();
        let b = db.chat_create_session("B", 2).unwrap();
        db.chat_insert_message(
            a,
            Role::User,
            "What is RSI on QQQ?",
            MessageStatus::Complete,
            3,
        )
        .unwrap();
        let m = db
            .chat_insert_message(b, Role::Assistant, "", MessageStatus::Streaming, 4)
            .unwrap();
        db.chat_update_assistant(
            m,
            &AssistantUpdate {
                content: "The opening range high held twice; RSI is 61.2.",
                status: MessageStatus::Complete,
                tools: &[],
                cards: &[],
                unverified: &[],
                meta: &Value::Null,
            },
            5,
        )
        .unwrap();
        let hits = db.chat_search("rsi", 10).unwrap();
        assert_eq!(hits.len(), 2, "both sessions mention RSI");
        let hits = db.chat_search("opening ran", 10).unwrap();
        assert_eq!(
            hits.len(),
            1,
            "the last word is a prefix; the text was indexed after its update"
        );
        assert_eq!(hits[0].session_id, b);
        assert!(
            hits[0].snippet.iter().any(|p| p.hit && p.text == "opening"),
            "the matched word is marked: {:?}",
            hits[0].snippet
        );
        assert!(
            db.chat_search("\"unbalanced (quote", 10)
                .unwrap()
                .is_empty(),
            "punctuation never breaks the query"
        );
        assert!(db.chat_delete_session(b).unwrap());
        assert!(
            db.chat_search("opening", 10).unwrap().is_empty(),
            "deleted messages leave the index"
        );
        assert!(db.chat_session(b).unwrap().is_none());
    }

    #[test]
    fn orphaned_streaming_messages_become_interrupted() {
        let (_d, db) = db();
        let s = db.chat_create_session("x", 1).unwrap();
        let m = db
            .chat_insert_message(
                s,
                Role::Assistant,
                "half an ans",
                MessageStatus::Streaming,
                2,
            )
            .unwrap();
        assert_eq!(db.chat_close_orphans(3).unwrap(), 1);
        let msg = db.chat_message(m).unwrap().unwrap();
        assert_eq!(msg.status, MessageStatus::Interrupted);
        assert_eq!(msg.content, "half an ans", "the partial text is kept");
    }
}
