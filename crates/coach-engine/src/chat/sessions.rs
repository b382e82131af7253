//! Sessions: which answer streams where (one per session), and the
//! session list, rename, delete, import and search.

use super::*;

/// Answers streaming now, by session, with their stop switches.
#[derive(Default)]
pub struct ActiveChats {
    by_session: Mutex<HashMap<i64, watch::Sender<bool>>>,
}

/// A session's answer in progress; dropping it (also on a panic) frees the session.
pub(super) struct Claim<'a> {
    chats: &'a ActiveChats,
    session: i64,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.chats.release(self.session);
    }
}

impl ActiveChats {
    pub(super) fn claim(&self, session: i64) -> Option<(Claim<'_>, watch::Receiver<bool>)> {
        let mut m = self.by_session.lock().unwrap_or_else(|p| p.into_inner());
        if m.contains_key(&session) {
            return None;
        }
        let (tx, rx) = watch::channel(false);
        m.insert(session, tx);
        Some((
            Claim {
                chats: self,
                session,
            },
            rx,
        ))
    }

    fn release(&self, session: i64) {
        self.by_session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&session);
    }

    pub(super) fn cancel(&self, session: i64) -> bool {
        match self
            .by_session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&session)
        {
            Some(tx) => tx.send(true).is_ok(),
            None => false,
        }
    }
}

/// A session title from the first exchange: the tools' subjects when there
/// were any ("SPY key levels"), else the start of the prompt.
pub fn title_for(prompt: &str, tools: &[ToolRecord]) -> String {
    let topic = |name: &str| match name {
        "get_quote" => "quote",
        "get_market_status" => "market status",
        "show_chart" => "chart",
        "get_key_levels" => "key levels",
        "get_indicators" => "indicators",
        "get_options_chain" => "options",
        "analyze_position" => "position",
        "analyze_screenshot" => "screenshot positions",
        _ => "",
    };
    let mut parts: Vec<String> = Vec::new();
    for t in tools.iter().filter(|t| t.ok == Some(true)) {
        let sym = t
            .arguments
            .get("symbol")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        let p = match sym {
            Some(s) => format!("{s} {}", topic(&t.name)),
            None => {
                let mut s = topic(&t.name).to_string();
                if let Some(f) = s.get_mut(0..1) {
                    f.make_ascii_uppercase();
                }
                s
            }
        };
        if !p.trim().is_empty() && !parts.contains(&p) {
            parts.push(p);
        }
    }
    if !parts.is_empty() {
        return parts.join(", ");
    }
    let words: Vec<&str> = prompt.split_whitespace().collect();
    let mut t = words.iter().take(8).copied().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 60 {
        t = t.chars().take(59).collect::<String>() + "…";
    } else if words.len() > 8 {
        t.push('…');
    }
    let t = t.trim_end_matches(['?', '.', '!', ',']).to_string();
    if t.is_empty() {
        "New chat".into()
    } else {
        t
    }
}

impl Coach {
    /// Stops the answer streaming in `session_id`; false when none is.
    pub fn chat_cancel(&self, session_id: i64) -> bool {
        self.chats.cancel(session_id)
    }

    pub async fn chat_sessions(&self, limit: u32) -> Result<Vec<SessionSummary>, ChatError> {
        let limit = limit.clamp(1, 10_000);
        Ok(self.db.call(move |db| db.chat_sessions(limit)).await?)
    }

    pub async fn chat_session(&self, id: i64) -> Result<SessionDetail, ChatError> {
        self.db
            .call(move |db| db.chat_session(id))
            .await?
            .ok_or(ChatError::NoSession(id))
    }

    pub async fn chat_rename(&self, id: i64, title: &str) -> Result<(), ChatError> {
        let t = title.trim().to_string();
        if t.is_empty() || t.chars().count() > 120 {
            return Err(ChatError::Invalid(
                "a session title needs 1 to 120 characters".into(),
            ));
        }
        if !self
            .db
            .call(move |db| db.chat_rename_session(id, &t))
            .await?
        {
            return Err(ChatError::NoSession(id));
        }
        Ok(())
    }

    pub async fn chat_delete(&self, id: i64) -> Result<(), ChatError> {
        if self.chats.cancel(id) {
            tracing::info!(session = id, "deleting a session stopped its answer");
        }
        if !self.db.call(move |db| db.chat_delete_session(id)).await? {
            return Err(ChatError::NoSession(id));
        }
        Ok(())
    }

    /// Imports sessions from JSON lines, each a session as `coach sessions show
    /// --json` prints it. All lines are checked first; one bad line imports
    /// nothing and is named. Returns the new session ids.
    pub async fn chat_import(&self, text: &str) -> Result<Vec<i64>, ChatError> {
        let mut sessions = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let d: SessionDetail = serde_json::from_str(line)
                .map_err(|e| ChatError::Invalid(format!("line {}: not a session ({e})", i + 1)))?;
            if d.session.title.trim().is_empty() {
                return Err(ChatError::Invalid(format!(
                    "line {}: the session has no title",
                    i + 1
                )));
            }
            sessions.push(d);
        }
        if sessions.is_empty() {
            return Err(ChatError::Invalid("no sessions to import".into()));
        }
        Ok(self
            .db
            .call(move |db| db.chat_import_sessions(&sessions))
            .await?)
    }

    pub async fn chat_search(&self, text: &str, limit: u32) -> Result<Vec<SearchHit>, ChatError> {
        let (text, limit) = (text.to_string(), limit.clamp(1, 500));
        Ok(self.db.call(move |db| db.chat_search(&text, limit)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_tools_of_the_first_exchange_or_the_prompt() {
        let rec = |name: &str, sym: Option<&str>| ToolRecord {
            id: "1".into(),
            name: name.into(),
            arguments: sym.map(|s| json!({"symbol": s})).unwrap_or(json!({})),
            raw_arguments: String::new(),
            result: None,
            ok: Some(true),
            ms: None,
            round: 0,
        };
        assert_eq!(
            title_for("levels for spy", &[rec("get_key_levels", Some("spy"))]),
            "SPY key levels"
        );
        assert_eq!(
            title_for(
                "x",
                &[
                    rec("get_quote", Some("SPY")),
                    rec("get_market_status", None)
                ]
            ),
            "SPY quote, Market status"
        );
        assert_eq!(
            title_for(
                "How should I size a trade when volatility doubles overnight?",
                &[]
            ),
            "How should I size a trade when volatility…"
        );
        assert_eq!(title_for("hi!", &[]), "hi");
    }
}
