//! The chat coach: a prompt becomes a stream of [`ChatEvent`]s. With a model
//! configured, an OpenAI-compatible server streams the answer and asks for
//! tools over the same components the UI uses (a bounded multi-round loop;
//! parallel calls run together and report as each finishes). Without one,
//! the offline coach routes the request to the same tools and answers from
//! templates. Either way the answer is written to SQLite as it streams, its
//! numbers are checked against the tool results (grounding), and a failure
//! keeps what was already said.

pub mod grounding;
pub mod llm;
pub mod offline;
pub mod store;
pub mod tools;
pub mod types;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::config::AiConfig;
use crate::error_code::{Coded, ErrorCode};
use crate::store::{ChatTables, Metric, MetricTables, StoreError};
use llm::{CallAssembler, LlmClient, LlmError};
use store::AssistantUpdate;
pub use tools::Toolbox;
pub use types::*;

/// Model requests per answer: tool rounds, then one that must answer in text.
pub const MAX_TOOL_ROUNDS: u32 = 6;
/// Attempts of one model request that failed before any text arrived.
pub const MAX_ATTEMPTS: u32 = 3;
/// Messages of earlier turns sent back to the model.
const HISTORY_MESSAGES: usize = 24;
/// The longest prompt accepted.
pub const MAX_PROMPT_CHARS: usize = 8_000;
/// How often streaming text is written to SQLite.
const PERSIST_EVERY: Duration = Duration::from_millis(250);

/// Where events go; returns false once nobody listens (the answer still
/// completes and is saved).
pub trait ChatSink: Fn(ChatEvent) -> bool + Send + Sync {}
impl<F: Fn(ChatEvent) -> bool + Send + Sync> ChatSink for F {}
type DynSink<'a> = &'a (dyn Fn(ChatEvent) -> bool + Send + Sync);

/// Answers streaming now, by session, with their stop switches.
#[derive(Default)]
pub struct ActiveChats {
    by_session: Mutex<HashMap<i64, watch::Sender<bool>>>,
}

/// A session's answer in progress; dropping it (also on a panic) frees the session.
struct Claim<'a> {
    chats: &'a ActiveChats,
    session: i64,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.chats.release(self.session);
    }
}

impl ActiveChats {
    fn claim(&self, session: i64) -> Option<(Claim<'_>, watch::Receiver<bool>)> {
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

    fn cancel(&self, session: i64) -> bool {
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

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is too long ({0} characters; at most {MAX_PROMPT_CHARS})")]
    TooLong(usize),
    #[error("there is no chat session {0}")]
    NoSession(i64),
    #[error("there is no message {0} to continue")]
    NoMessage(i64),
    #[error(
        "message {0} is not an interrupted or stopped answer, so there is nothing to continue"
    )]
    NotContinuable(i64),
    #[error("an answer is already streaming in session {0}; stop it first")]
    Busy(i64),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for ChatError {
    fn code(&self) -> ErrorCode {
        match self {
            ChatError::Store(_) => ErrorCode::Database,
            _ => ErrorCode::InvalidInput,
        }
    }
}

/// The answer being built: what is persisted and what the events said.
struct Turn {
    session_id: i64,
    message_id: i64,
    prompt: String,
    content: String,
    tools: Vec<ToolRecord>,
    cards: Vec<Card>,
    unverified: Vec<Unverified>,
    meta: Value,
    started: Instant,
    ttft_ms: Option<f64>,
    usage: Option<Usage>,
    rounds: u32,
    last_persist: Instant,
    /// Tool results and cards held back until the end (progressive flag off).
    held: Vec<ChatEvent>,
    progressive: bool,
    /// Tools before this index ran in an earlier turn (a continued answer).
    tools_base: usize,
    /// The first round number of this turn.
    round_base: u32,
}

impl Turn {
    fn add_usage(&mut self, u: Usage) {
        let t = self.usage.get_or_insert_with(Usage::default);
        t.prompt_tokens += u.prompt_tokens;
        t.completion_tokens += u.completion_tokens;
        t.total_tokens += u.total_tokens;
    }
}

fn status(phase: Phase, tool: Option<&str>) -> ChatEvent {
    let label = match (phase, tool) {
        (Phase::Thinking, _) => "Thinking…".to_string(),
        (Phase::Calling, Some(t)) => format!("Calling {t}…"),
        (Phase::Calling, None) => "Calling tools…".to_string(),
        (Phase::Analyzing, _) => "Analyzing results…".to_string(),
        (Phase::Writing, _) => "Writing…".to_string(),
    };
    ChatEvent::Status {
        phase,
        tool: tool.map(str::to_string),
        label,
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

fn system_prompt(kit: &Toolbox) -> String {
    let now = kit
        .clock()
        .now()
        .with_timezone(&chrono_tz::America::New_York)
        .format("%A %B %-d %Y, %H:%M ET");
    format!(
        "You are AI Coach, a trading coach for active stock and options traders.\n\
         Rules:\n\
         - Every number you state (prices, levels, distances, percentages, indicator values, P&L) must come from a tool result in this conversation or from the user's own message. Call a tool to get it; never estimate, recall or invent numbers. Quote numbers exactly as the tools give them.\n\
         - If a tool fails, say what failed; do not guess.\n\
         - Be concise and concrete; use short markdown lists. You coach; you do not promise outcomes.\n\
         Market data: {}. Now: {now}.",
        kit.market_config().mode.label()
    )
}

/// The OpenAI messages for earlier turns of a session.
fn history_messages(messages: &[ChatMessage]) -> Vec<Value> {
    let mut out = Vec::new();
    let start = messages.len().saturating_sub(HISTORY_MESSAGES);
    for m in &messages[start..] {
        match m.role {
            Role::User => out.push(json!({"role": "user", "content": m.content})),
            Role::Assistant => {
                let rounds = m.tools.iter().map(|t| t.round).max();
                if let Some(max) = rounds {
                    for r in 0..=max {
                        let calls: Vec<&ToolRecord> =
                            m.tools.iter().filter(|t| t.round == r).collect();
                        if calls.is_empty() {
                            continue;
                        }
                        out.push(json!({
                            "role": "assistant",
                            "content": Value::Null,
                            "tool_calls": calls.iter().map(|t| json!({
                                "id": t.id, "type": "function",
                                "function": {"name": t.name, "arguments": t.raw_arguments}
                            })).collect::<Vec<_>>(),
                        }));
                        for t in calls {
                            out.push(json!({
                                "role": "tool",
                                "tool_call_id": t.id,
                                "content": t.result.clone().unwrap_or(json!({"error": "no result"})).to_string(),
                            }));
                        }
                    }
                }
                if !m.content.is_empty() {
                    out.push(json!({"role": "assistant", "content": m.content}));
                }
            }
        }
    }
    out
}

/// How a turn ended.
enum Ending {
    Complete,
    Failed(String),
}

/// The coach component: chat sessions, a turn's model loop or offline
/// answer, and the tools it calls over the other components.
pub struct Coach {
    db: ChatTables,
    metrics: MetricTables,
    ai: AiConfig,
    timeout: Duration,
    progressive: bool,
    chats: ActiveChats,
    kit: Toolbox,
}

impl Coach {
    /// `timeout`: how long to wait for the model's first byte and between
    /// chunks; `progressive`: tool results stream as they finish (else they
    /// come with the end of the answer).
    pub fn new(
        db: ChatTables,
        metrics: MetricTables,
        ai: AiConfig,
        timeout: Duration,
        progressive: bool,
        kit: Toolbox,
    ) -> Coach {
        Coach {
            db,
            metrics,
            ai,
            timeout,
            progressive,
            chats: ActiveChats::default(),
            kit,
        }
    }

    /// Whether tool results stream as they finish (the
    /// `AI_COACH_STREAM_PROGRESSIVE_FUNCTIONS` flag: env wins over the setting).
    pub fn stream_progressive_functions(&self) -> bool {
        self.progressive
    }

    /// What the tools reach (for running a tool outside a turn).
    pub fn toolbox(&self) -> &Toolbox {
        &self.kit
    }

    fn chat_timeout(&self) -> Duration {
        self.timeout
    }

    fn llm_client(&self) -> Option<LlmClient> {
        match &self.ai {
            AiConfig::Offline { .. } => None,
            AiConfig::Model {
                base_url,
                model,
                api_key,
            } => Some(LlmClient::new(
                base_url,
                api_key.as_ref().map(|k| k.expose()),
                model,
                self.chat_timeout(),
            )),
        }
    }

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

    /// Answers `req.prompt` (in a new session or `req.session_id`), sending
    /// every event to `sink`. Returns the last event (`done` or `error`).
    pub async fn chat(
        &self,
        req: ChatRequest,
        sink: impl ChatSink,
    ) -> Result<ChatEvent, ChatError> {
        let prompt = req.prompt.trim().to_string();
        if prompt.is_empty() {
            return Err(ChatError::Empty);
        }
        let n = prompt.chars().count();
        if n > MAX_PROMPT_CHARS {
            return Err(ChatError::TooLong(n));
        }
        let now = chrono::Utc::now().timestamp_millis();
        let (session_id, history) = match req.session_id {
            Some(id) => (id, self.chat_session(id).await?.messages),
            None => {
                let title = title_for(&prompt, &[]);
                let id = self
                    .db
                    .call(move |db| db.chat_create_session(&title, now))
                    .await?;
                (id, vec![])
            }
        };
        let Some((_claim, cancel)) = self.chats.claim(session_id) else {
            return Err(ChatError::Busy(session_id));
        };
        self.chat_turn(session_id, prompt, history, None, cancel, &sink)
            .await
    }

    /// Continues an interrupted or stopped answer where it broke off: the new
    /// text is appended to the same message.
    pub async fn chat_continue(
        &self,
        message_id: i64,
        sink: impl ChatSink,
    ) -> Result<ChatEvent, ChatError> {
        let message = move |db: &ChatTables| db.chat_message(message_id);
        let session_id = self
            .db
            .call(message)
            .await?
            .ok_or(ChatError::NoMessage(message_id))?
            .session_id;
        let Some((_claim, cancel)) = self.chats.claim(session_id) else {
            return Err(ChatError::Busy(session_id));
        };
        // Read again now that nothing else can append to it.
        let msg = self
            .db
            .call(message)
            .await?
            .ok_or(ChatError::NoMessage(message_id))?;
        if msg.role != Role::Assistant
            || !matches!(
                msg.status,
                MessageStatus::Interrupted | MessageStatus::Cancelled
            )
        {
            return Err(ChatError::NotContinuable(message_id));
        }
        let session = self.chat_session(msg.session_id).await?;
        let pos = session
            .messages
            .iter()
            .position(|m| m.id == message_id)
            .ok_or(ChatError::NoMessage(message_id))?;
        let prompt = session.messages[..pos]
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.content.clone())
            .unwrap_or_default();
        let history = session.messages[..pos].to_vec();
        self.chat_turn(msg.session_id, prompt, history, Some(msg), cancel, &sink)
            .await
    }

    async fn chat_turn(
        &self,
        session_id: i64,
        prompt: String,
        history: Vec<ChatMessage>,
        resume: Option<ChatMessage>,
        mut cancel: watch::Receiver<bool>,
        sink: DynSink<'_>,
    ) -> Result<ChatEvent, ChatError> {
        let now = chrono::Utc::now().timestamp_millis();
        let first_exchange = history.is_empty() && resume.is_none();
        let (user_message_id, message_id) = match &resume {
            Some(m) => (None, m.id),
            None => {
                let text = prompt.clone();
                let (u, a) = self
                    .db
                    .call(move |db| {
                        let u = db.chat_insert_message(
                            session_id,
                            Role::User,
                            &text,
                            MessageStatus::Complete,
                            now,
                        )?;
                        let a = db.chat_insert_message(
                            session_id,
                            Role::Assistant,
                            "",
                            MessageStatus::Streaming,
                            now,
                        )?;
                        Ok::<_, StoreError>((u, a))
                    })
                    .await?;
                (Some(u), a)
            }
        };
        let client = self.llm_client();
        let mode = self.ai.label();
        let mut turn = Turn {
            session_id,
            message_id,
            prompt: prompt.clone(),
            content: resume
                .as_ref()
                .map(|m| m.content.clone())
                .unwrap_or_default(),
            tools: resume.as_ref().map(|m| m.tools.clone()).unwrap_or_default(),
            cards: resume.as_ref().map(|m| m.cards.clone()).unwrap_or_default(),
            unverified: vec![],
            meta: json!({"mode": mode, "offline": client.is_none()}),
            started: Instant::now(),
            ttft_ms: None,
            usage: None,
            rounds: 0,
            last_persist: Instant::now(),
            held: vec![],
            progressive: self.stream_progressive_functions(),
            tools_base: 0,
            round_base: 0,
        };
        turn.tools_base = turn.tools.len();
        turn.round_base = turn.tools.iter().map(|t| t.round + 1).max().unwrap_or(0);
        self.persist(&turn, MessageStatus::Streaming).await;
        sink(ChatEvent::Started {
            session_id,
            user_message_id,
            message_id,
            mode: mode.clone(),
        });
        let ending = {
            let work = async {
                match &client {
                    Some(c) => {
                        let mut messages =
                            vec![json!({"role": "system", "content": system_prompt(&self.kit)})];
                        messages.extend(history_messages(&history));
                        match &resume {
                            None => messages.push(json!({"role": "user", "content": prompt})),
                            // The question is the last of `history`; then what was said.
                            Some(m) => {
                                messages.extend(history_messages(std::slice::from_ref(m)));
                                messages.push(json!({"role": "user", "content": "Continue your previous answer exactly where it stopped. Do not repeat what you already wrote."}));
                            }
                        }
                        self.model_loop(c, messages, &mut turn, sink).await
                    }
                    None => self.offline_answer(&mut turn, resume.is_some(), sink).await,
                }
            };
            tokio::pin!(work);
            tokio::select! {
                e = &mut work => Some(e),
                _ = cancel.wait_for(|c| *c) => None,
            }
        };
        // Held results go out now (progressive flag off), before the end.
        for ev in std::mem::take(&mut turn.held) {
            sink(ev);
        }
        let results: Vec<Value> = turn.tools.iter().filter_map(|t| t.result.clone()).collect();
        let refs: Vec<&Value> = results.iter().collect();
        // The user's words, and the date and time the system prompt gave the model.
        let system = system_prompt(&self.kit);
        let history_user: String = history
            .iter()
            .filter(|m| m.role == Role::User)
            .map(|m| m.content.as_str())
            .chain([prompt.as_str(), system.as_str()])
            .collect::<Vec<_>>()
            .join("\n");
        // Earlier answers' tool results back numbers quoted again.
        let earlier: Vec<Value> = history
            .iter()
            .flat_map(|m| m.tools.iter().filter_map(|t| t.result.clone()))
            .collect();
        let mut all_refs = refs.clone();
        all_refs.extend(earlier.iter());
        let (checked, unverified) = grounding::check(&turn.content, &all_refs, &history_user);
        turn.unverified = unverified.clone();
        if !turn.content.is_empty() {
            sink(ChatEvent::Grounding {
                checked,
                unverified,
            });
        }
        turn.meta["ttft_ms"] = json!(turn.ttft_ms);
        turn.meta["usage"] = json!(turn.usage);
        turn.meta["rounds"] = json!(turn.rounds);
        if first_exchange {
            let title = title_for(&prompt, &turn.tools);
            if let Err(e) = self
                .db
                .call(move |db| db.chat_rename_session(session_id, &title))
                .await
            {
                tracing::warn!(error = %e, "the session title could not be saved");
            }
        }
        self.record_chat_metrics(&turn).await;
        let last = match ending {
            None => {
                self.persist(&turn, MessageStatus::Cancelled).await;
                ChatEvent::Done {
                    session_id,
                    message_id,
                    status: MessageStatus::Cancelled,
                    ttft_ms: turn.ttft_ms,
                    usage: turn.usage,
                    rounds: turn.rounds,
                }
            }
            Some(Ending::Complete) => {
                self.persist(&turn, MessageStatus::Complete).await;
                ChatEvent::Done {
                    session_id,
                    message_id,
                    status: MessageStatus::Complete,
                    ttft_ms: turn.ttft_ms,
                    usage: turn.usage,
                    rounds: turn.rounds,
                }
            }
            Some(Ending::Failed(message)) => {
                tracing::error!(target: "chat", session = session_id, error = %message, partial = !turn.content.is_empty(), "chat stream failed");
                let failure = Metric {
                    ts_ms: chrono::Utc::now().timestamp_millis(),
                    name: "chat.stream_error".into(),
                    value: 1.0,
                    unit: "count".into(),
                    attrs: json!({"message": message, "partial": !turn.content.is_empty()}),
                };
                let _ = self.metrics.call(move |m| m.record_metric(&failure)).await;
                turn.meta["error"] = json!(message);
                let saved = self.persist(&turn, MessageStatus::Interrupted).await;
                ChatEvent::Error {
                    message,
                    partial_saved: saved && !turn.content.is_empty(),
                    session_id: Some(session_id),
                    message_id: Some(message_id),
                }
            }
        };
        sink(last.clone());
        Ok(last)
    }

    /// Writes the answer as it stands; false if the database refused.
    async fn persist(&self, turn: &Turn, status: MessageStatus) -> bool {
        let (id, content, tools, cards, unverified, meta) = (
            turn.message_id,
            turn.content.clone(),
            turn.tools.clone(),
            turn.cards.clone(),
            turn.unverified.clone(),
            turn.meta.clone(),
        );
        let now = chrono::Utc::now().timestamp_millis();
        let r = self
            .db
            .call(move |db| {
                db.chat_update_assistant(
                    id,
                    &AssistantUpdate {
                        content: &content,
                        status,
                        tools: &tools,
                        cards: &cards,
                        unverified: &unverified,
                        meta: &meta,
                    },
                    now,
                )
            })
            .await;
        if let Err(e) = &r {
            tracing::error!(error = %e, message = turn.message_id, "an answer could not be saved");
        }
        r.is_ok()
    }

    async fn record_chat_metrics(&self, turn: &Turn) {
        let now = chrono::Utc::now().timestamp_millis();
        let mut rows = Vec::new();
        if let Some(t) = turn.ttft_ms {
            tracing::info!(target: "metrics", name = "chat.ttft_ms", value = t, "metric");
            rows.push(Metric {
                ts_ms: now,
                name: "chat.ttft_ms".into(),
                value: t,
                unit: "ms".into(),
                attrs: json!({"mode": turn.meta["mode"], "session": turn.session_id}),
            });
        }
        for t in &turn.tools[turn.tools_base.min(turn.tools.len())..] {
            if let Some(ms) = t.ms {
                rows.push(Metric {
                    ts_ms: now,
                    name: "chat.tool_ms".into(),
                    value: ms,
                    unit: "ms".into(),
                    attrs: json!({"tool": t.name, "ok": t.ok}),
                });
            }
        }
        if let Err(e) = self.metrics.call(move |m| m.record_metrics(&rows)).await {
            tracing::warn!(error = %e, "chat metrics could not be recorded");
        }
    }

    async fn emit_token(&self, turn: &mut Turn, text: &str, sink: DynSink<'_>) {
        if text.is_empty() {
            return;
        }
        if turn.ttft_ms.is_none() {
            turn.ttft_ms = Some(turn.started.elapsed().as_secs_f64() * 1e3);
        }
        turn.content.push_str(text);
        sink(ChatEvent::Token {
            text: text.to_string(),
        });
        if turn.last_persist.elapsed() >= PERSIST_EVERY {
            turn.last_persist = Instant::now();
            self.persist(turn, MessageStatus::Streaming).await;
        }
    }

    /// Runs tool calls together; each result (and card) is sent as it finishes.
    async fn run_tools(
        &self,
        calls: Vec<(String, String, String)>,
        round: u32,
        turn: &mut Turn,
        sink: DynSink<'_>,
    ) -> Vec<(String, Value)> {
        let base = turn.tools.len();
        for (id, name, raw) in &calls {
            let (arguments, _) = parse_arguments(raw);
            sink(ChatEvent::ToolCall {
                id: id.clone(),
                name: name.clone(),
                arguments: arguments.clone(),
            });
            turn.tools.push(ToolRecord {
                id: id.clone(),
                name: name.clone(),
                arguments,
                raw_arguments: raw.clone(),
                result: None,
                ok: None,
                ms: None,
                round,
            });
        }
        self.persist(turn, MessageStatus::Streaming).await;
        let mut pending = FuturesUnordered::new();
        for (i, (id, name, raw)) in calls.iter().enumerate() {
            sink(status(Phase::Calling, Some(name)));
            pending.push(async move {
                let t0 = Instant::now();
                let out = match parse_arguments(raw) {
                    (_, Some(err)) => tools::ToolOutput {
                        ok: false,
                        result: json!({"error": format!("the arguments of {name} are not valid JSON ({err}); send a JSON object")}),
                        card: None,
                    },
                    (args, None) => tools::run(&self.kit, id, name, &args).await,
                };
                (i, out, t0.elapsed().as_secs_f64() * 1e3)
            });
        }
        let mut results: Vec<Option<Value>> = vec![None; calls.len()];
        while let Some((i, out, ms)) = pending.next().await {
            let (id, name, _) = &calls[i];
            tracing::info!(target: "chat", tool = %name, ok = out.ok, ms, "tool finished");
            let rec = &mut turn.tools[base + i];
            rec.result = Some(out.result.clone());
            rec.ok = Some(out.ok);
            rec.ms = Some(ms);
            let ev = ChatEvent::ToolResult {
                id: id.clone(),
                name: name.clone(),
                ok: out.ok,
                result: out.result.clone(),
                ms,
            };
            let mut evs = vec![ev];
            if let Some(c) = out.card {
                turn.cards.push(c.clone());
                evs.push(ChatEvent::Card(c));
            }
            for ev in evs {
                if turn.progressive {
                    sink(ev);
                } else {
                    turn.held.push(ev);
                }
            }
            self.persist(turn, MessageStatus::Streaming).await;
            results[i] = Some(out.result);
        }
        drop(pending);
        calls
            .into_iter()
            .zip(results)
            .map(|((id, _, _), r)| (id, r.unwrap_or(Value::Null)))
            .collect()
    }

    async fn model_loop(
        &self,
        client: &LlmClient,
        mut messages: Vec<Value>,
        turn: &mut Turn,
        sink: DynSink<'_>,
    ) -> Ending {
        let defs = tools::definitions();
        for round in 0..=MAX_TOOL_ROUNDS {
            turn.rounds += 1;
            let round_no = turn.round_base + round;
            sink(status(
                if round == 0 {
                    Phase::Thinking
                } else {
                    Phase::Analyzing
                },
                None,
            ));
            let allow_tools = round < MAX_TOOL_ROUNDS;
            let mut attempt = 0;
            let (text, calls) = loop {
                attempt += 1;
                match self
                    .model_round(
                        client,
                        &messages,
                        allow_tools.then_some(&defs),
                        round_no,
                        turn,
                        sink,
                    )
                    .await
                {
                    Ok(r) => break r,
                    Err((e, wrote)) => {
                        if !wrote && e.retryable() && attempt < MAX_ATTEMPTS {
                            let wait = Duration::from_millis(400 * 2u64.pow(attempt - 1));
                            tracing::warn!(target: "chat", attempt, error = %e, wait_ms = wait.as_millis() as u64, "model request failed before any text; retrying");
                            sink(ChatEvent::Status {
                                phase: Phase::Thinking,
                                tool: None,
                                label: format!("Retrying ({attempt}/{})…", MAX_ATTEMPTS - 1),
                            });
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        return Ending::Failed(e.to_string());
                    }
                }
            };
            if calls.is_empty() {
                return Ending::Complete;
            }
            if !allow_tools {
                // Offered no tools and still asked for some: what it wrote is the answer.
                tracing::warn!(target: "chat", calls = calls.len(), "the model asked for tools after the last tool round; ignored");
                return if turn.content.trim().is_empty() {
                    Ending::Failed(format!(
                        "the model asked for more tools after {MAX_TOOL_ROUNDS} rounds and gave no answer"
                    ))
                } else {
                    Ending::Complete
                };
            }
            // Ids must be unique in the conversation (some servers reuse them every round).
            let calls: Vec<(String, String, String)> = calls
                .into_iter()
                .map(|c| {
                    let id = if turn.tools.iter().any(|t| t.id == c.id) {
                        format!("{}_r{round_no}", c.id)
                    } else {
                        c.id
                    };
                    (id, c.name, c.arguments)
                })
                .collect();
            messages.push(json!({
                "role": "assistant",
                "content": if text.is_empty() { Value::Null } else { json!(text) },
                "tool_calls": calls.iter().map(|(id, name, args)| json!({
                    "id": id, "type": "function", "function": {"name": name, "arguments": args}
                })).collect::<Vec<_>>(),
            }));
            let results = self.run_tools(calls, round_no, turn, sink).await;
            for (id, r) in results {
                messages
                    .push(json!({"role": "tool", "tool_call_id": id, "content": r.to_string()}));
            }
        }
        Ending::Complete
    }

    /// One model request: streams its text as tokens and returns the text and
    /// any tool calls. On failure, says whether text had already been sent.
    async fn model_round(
        &self,
        client: &LlmClient,
        messages: &[Value],
        tools: Option<&Value>,
        round: u32,
        turn: &mut Turn,
        sink: DynSink<'_>,
    ) -> Result<(String, Vec<llm::AssembledCall>), (LlmError, bool)> {
        let mut stream = client
            .stream(messages, tools)
            .await
            .map_err(|e| (e, false))?;
        let mut text = String::new();
        let mut calls = CallAssembler::new(&format!("r{round}_"));
        let mut writing = false;
        while let Some(item) = stream.next().await {
            let chunk = match item {
                Ok(c) => c,
                Err(LlmError::BadChunk(detail)) => {
                    // A frame we cannot read is logged and skipped.
                    tracing::warn!(target: "chat", %detail, "skipped a model chunk that could not be parsed");
                    continue;
                }
                Err(e) => return Err((e, !text.is_empty())),
            };
            if let Some(u) = chunk.usage {
                turn.add_usage(u.into());
            }
            for choice in chunk.choices {
                if let Some(c) = choice.delta.content.as_deref().filter(|c| !c.is_empty()) {
                    if !writing {
                        writing = true;
                        sink(status(Phase::Writing, None));
                    }
                    text.push_str(c);
                    self.emit_token(turn, c, sink).await;
                }
                for d in choice.delta.tool_calls.iter().flatten() {
                    calls.push(d);
                }
            }
        }
        let calls = calls.finish();
        if !text.is_empty() && !calls.is_empty() {
            // Text before tool calls stays in the answer; separate what follows.
            self.emit_token(turn, "\n\n", sink).await;
        }
        Ok((text, calls))
    }

    async fn offline_answer(&self, turn: &mut Turn, resuming: bool, sink: DynSink<'_>) -> Ending {
        turn.rounds = 1;
        sink(status(Phase::Thinking, None));
        let plan = offline::plan(&turn.prompt);
        let mut text = match plan {
            offline::Plan::Help => offline::help_text(),
            offline::Plan::NeedSymbol(what) => {
                format!("Which symbol? For {what}, name a ticker, for example \"{what} for SPY\".")
            }
            offline::Plan::Calls(calls) => {
                // A continued answer reuses the calls that finished; the rest run now.
                turn.tools.retain(|t| t.result.is_some());
                turn.tools_base = turn.tools.len();
                let mut results: Vec<Option<(String, Value)>> = calls
                    .iter()
                    .map(|c| {
                        turn.tools
                            .iter()
                            .find(|t| t.name == c.name && t.arguments == c.arguments)
                            .map(|t| (t.name.clone(), t.result.clone().unwrap_or(Value::Null)))
                    })
                    .collect();
                let missing: Vec<usize> =
                    (0..calls.len()).filter(|&i| results[i].is_none()).collect();
                let ids: Vec<(String, String, String)> = missing
                    .iter()
                    .map(|&i| {
                        (
                            format!("offline_{}_{}", turn.message_id, turn.tools.len() + i + 1),
                            calls[i].name.to_string(),
                            calls[i].arguments.to_string(),
                        )
                    })
                    .collect();
                let ran = self.run_tools(ids, turn.round_base, turn, sink).await;
                for (&i, (_, v)) in missing.iter().zip(ran) {
                    results[i] = Some((calls[i].name.to_string(), v));
                }
                sink(status(Phase::Analyzing, None));
                let parts: Vec<String> = results
                    .iter()
                    .flatten()
                    .map(|(name, r)| offline::describe(name, r))
                    .filter(|s| !s.is_empty())
                    .collect();
                parts.join("\n\n")
            }
        };
        text.push_str(offline::FOOTER);
        // Resuming: send what the stored text lacks.
        let rest = if resuming {
            match text.strip_prefix(turn.content.as_str()) {
                Some(r) => r.to_string(),
                None => format!("\n\n{text}"),
            }
        } else {
            text
        };
        sink(status(Phase::Writing, None));
        // Word by word, as a model would stream.
        let mut piece = String::new();
        for ch in rest.chars() {
            piece.push(ch);
            if ch == ' ' || ch == '\n' {
                self.emit_token(turn, &piece, sink).await;
                piece.clear();
                tokio::task::yield_now().await;
            }
        }
        self.emit_token(turn, &piece, sink).await;
        Ending::Complete
    }
}

/// The arguments as JSON, or the raw text and why it is not valid.
fn parse_arguments(raw: &str) -> (Value, Option<String>) {
    let t = raw.trim();
    if t.is_empty() {
        return (json!({}), None);
    }
    match serde_json::from_str::<Value>(t) {
        Ok(v @ Value::Object(_)) => (v, None),
        Ok(other) => (
            other.clone(),
            Some(format!("expected an object, got {other}")),
        ),
        Err(e) => (Value::String(raw.to_string()), Some(e.to_string())),
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

    #[test]
    fn malformed_arguments_are_reported_not_guessed() {
        assert_eq!(parse_arguments(""), (json!({}), None));
        let (v, e) = parse_arguments("{\"symbol\": \"SPY\"");
        assert_eq!(v, json!("{\"symbol\": \"SPY\""), "the raw text is kept");
        assert!(e.is_some());
        assert!(
            parse_arguments("[1]").1.is_some(),
            "arguments must be an object"
        );
    }
}
