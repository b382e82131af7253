//! The chat coach: a prompt becomes a stream of [`ChatEvent`]s. With a model
//! configured, an OpenAI-compatible server streams the answer and asks for
//! tools over the same components the UI uses (a bounded multi-round loop;
//! parallel calls run together and report as each finishes). Without one,
//! the offline coach routes the request to the same tools and answers from
//! templates. Either way the answer is written to SQLite as it streams, its
//! numbers are checked against the tool results (grounding), and a failure
//! keeps what was already said.

pub mod cards;
mod confirm;
pub mod grounding;
pub mod llm;
mod model_loop;
pub mod offline;
mod sessions;
pub mod store;
mod tool_runner;
pub mod tools;
mod turn;
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
pub use cards::{Card, CardBody};
pub use confirm::{confirmation_text, positions_from_rows, ScreenshotConfirmed};
use llm::{CallAssembler, LlmClient, LlmError};
use model_loop::{history_messages, system_prompt};
pub use sessions::{title_for, ActiveChats};
use store::AssistantUpdate;
pub use tools::Toolbox;
use turn::{status, Ending, Turn};
pub use types::*;

/// Model requests per answer: tool rounds, then one that must answer in text.
pub const MAX_TOOL_ROUNDS: u32 = 6;
/// Attempts of one model request that failed before any text arrived.
pub const MAX_ATTEMPTS: u32 = 3;
/// Messages of earlier turns sent back to the model.
const HISTORY_MESSAGES: usize = 24;
/// Images attached to one message, at most.
pub const MAX_IMAGES: usize = 4;
/// The longest prompt accepted.
pub const MAX_PROMPT_CHARS: usize = 8_000;
/// How often streaming text is written to SQLite.
const PERSIST_EVERY: Duration = Duration::from_millis(250);

/// Where events go; returns false once nobody listens (the answer still
/// completes and is saved).
pub trait ChatSink: Fn(ChatEvent) -> bool + Send + Sync {}
impl<F: Fn(ChatEvent) -> bool + Send + Sync> ChatSink for F {}
type DynSink<'a> = &'a (dyn Fn(ChatEvent) -> bool + Send + Sync);

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
}
