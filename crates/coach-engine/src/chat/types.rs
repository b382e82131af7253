//! What crosses the chat boundary: the event stream, cards, stored messages
//! and sessions. Every type here is generated into the UI's bindings.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::cards::Card;

/// What the coach is doing right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for the model's first answer.
    Thinking,
    /// Running a tool (named in `tool`).
    Calling,
    /// Tool results are back; the model is reading them.
    Analyzing,
    /// Text is streaming.
    Writing,
    /// An attached screenshot is being read (OCR or the model's vision).
    Reading,
    /// Positions are being extracted from what was read.
    Extracting,
    /// The extracted positions are being checked against the market.
    Checking,
}

/// How a message ended (or that it is still streaming).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Streaming,
    Complete,
    /// The stream failed after some text arrived; the text is kept.
    Interrupted,
    /// The user stopped it; what arrived is kept.
    Cancelled,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Streaming => "streaming",
            MessageStatus::Complete => "complete",
            MessageStatus::Interrupted => "interrupted",
            MessageStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> MessageStatus {
        match s {
            "complete" => MessageStatus::Complete,
            "interrupted" => MessageStatus::Interrupted,
            "cancelled" => MessageStatus::Cancelled,
            _ => MessageStatus::Streaming,
        }
    }
}

/// Token counts reported by the model (absent for the offline coach and for
/// servers that do not send them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub total_tokens: u32,
}

/// A number in the answer that matches nothing in the tool results or the
/// user's own words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Unverified {
    /// As written in the answer, e.g. `$512.40` or `3.5%`.
    pub text: String,
    pub value: f64,
}

/// One event of an answer, in order: `started`, then `status` / `token` /
/// `tool_call` / `tool_result` / `card` as they happen, `grounding` after the
/// text, and `done` or `error` last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEvent {
    /// The user's message is saved and the answer has an id.
    Started {
        #[ts(type = "number")]
        session_id: i64,
        #[ts(type = "number | null")]
        user_message_id: Option<i64>,
        #[ts(type = "number")]
        message_id: i64,
        /// The model's name, or "Offline coach".
        mode: String,
    },
    Status {
        phase: Phase,
        /// The tool being called (phase `calling`).
        tool: Option<String>,
        /// For people: "Thinking…", "Calling get_key_levels…".
        label: String,
    },
    Token {
        text: String,
    },
    ToolCall {
        id: String,
        name: String,
        /// The parsed arguments; the raw text when they are not valid JSON.
        #[ts(type = "unknown")]
        arguments: Value,
    },
    ToolResult {
        id: String,
        name: String,
        ok: bool,
        /// What the model was given (an `{"error": …}` object when `ok` is false).
        #[ts(type = "unknown")]
        result: Value,
        /// How long the tool took, milliseconds.
        ms: f64,
    },
    Card(Box<Card>),
    /// Numbers in the answer that nothing backs (`checked` were found in all).
    Grounding {
        checked: u32,
        unverified: Vec<Unverified>,
    },
    Done {
        #[ts(type = "number")]
        session_id: i64,
        #[ts(type = "number")]
        message_id: i64,
        /// `complete` or `cancelled`.
        status: MessageStatus,
        /// Time to first token, milliseconds (none when no text came).
        ttft_ms: Option<f64>,
        usage: Option<Usage>,
        /// Model requests made (tool rounds + the answer).
        rounds: u32,
    },
    Error {
        message: String,
        /// Whether text that had already arrived was saved (as interrupted).
        partial_saved: bool,
        #[ts(type = "number | null")]
        session_id: Option<i64>,
        #[ts(type = "number | null")]
        message_id: Option<i64>,
    },
}

/// A tool call as stored with its message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ToolRecord {
    pub id: String,
    pub name: String,
    #[ts(type = "unknown")]
    pub arguments: Value,
    /// The raw argument text the model sent.
    pub raw_arguments: String,
    #[ts(type = "unknown")]
    pub result: Option<Value>,
    pub ok: Option<bool>,
    pub ms: Option<f64>,
    /// Which model request asked for it (0 = the first).
    pub round: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    /// Anything but "user" is the assistant (the database's CHECK allows only these two).
    pub fn parse(s: &str) -> Role {
        if s == "user" {
            Role::User
        } else {
            Role::Assistant
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A stored message, as the UI restores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChatMessage {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub session_id: i64,
    #[ts(type = "number")]
    pub seq: i64,
    pub role: Role,
    pub content: String,
    /// Images the user attached (stored by content in the data directory).
    /// Missing in exports made before images existed.
    #[serde(default)]
    pub images: Vec<crate::screenshots::StoredImage>,
    pub status: MessageStatus,
    pub tools: Vec<ToolRecord>,
    pub cards: Vec<Card>,
    pub unverified: Vec<Unverified>,
    /// Model, ttft_ms, usage, error text.
    #[ts(type = "unknown")]
    pub meta: Value,
    #[ts(type = "number")]
    pub created_ms: i64,
    #[ts(type = "number")]
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub title: String,
    #[ts(type = "number")]
    pub created_ms: i64,
    #[ts(type = "number")]
    pub updated_ms: i64,
    #[ts(type = "number")]
    pub message_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionDetail {
    pub session: SessionSummary,
    pub messages: Vec<ChatMessage>,
}

/// A piece of a search snippet; `hit` pieces matched the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchHit {
    #[ts(type = "number")]
    pub session_id: i64,
    pub session_title: String,
    #[ts(type = "number")]
    pub message_id: i64,
    pub role: Role,
    pub snippet: Vec<SnippetPart>,
    #[ts(type = "number")]
    pub updated_ms: i64,
}

/// What the UI or `coach chat` sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChatRequest {
    /// Continue this session; none starts a new one.
    #[ts(type = "number | null")]
    pub session_id: Option<i64>,
    /// May be empty when an image is attached.
    pub prompt: String,
    /// Images stored with `screenshot_put`, by their SHA-256: each is read
    /// into positions as part of the answer.
    #[serde(default)]
    pub images: Vec<String>,
}
