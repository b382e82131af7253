//! The OpenAI-compatible streaming client (async-openai, bring-your-own-types
//! so that servers that differ from OpenAI in small ways still parse) and the
//! assembly of streamed tool-call fragments.

use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use super::types::Usage;

/// One streamed chunk, parsed leniently: every field may be missing, and an
/// empty `finish_reason` counts as none.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Chunk {
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub usage: Option<ChunkUsage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ToolCallDelta {
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: Option<FunctionDelta>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FunctionDelta {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arguments: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct ChunkUsage {
    #[serde(default)]
    pub prompt_tokens: u32,
    #[serde(default)]
    pub completion_tokens: u32,
    #[serde(default)]
    pub total_tokens: u32,
}

impl From<ChunkUsage> for Usage {
    fn from(u: ChunkUsage) -> Usage {
        Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
        }
    }
}

/// A tool call put together from its fragments.
#[derive(Debug, Clone, PartialEq)]
pub struct AssembledCall {
    pub id: String,
    pub index: Option<u32>,
    pub name: String,
    pub arguments: String,
}

/// Puts tool-call fragments together. A fragment with an id belongs to the
/// call with that id (a new id is a new call, even when a server reuses the
/// index); a fragment without one belongs to the latest call with its index,
/// or to the latest call.
#[derive(Debug, Default)]
pub struct CallAssembler {
    calls: Vec<AssembledCall>,
    /// Made-up ids (for servers that send none) start with this.
    prefix: String,
}

impl CallAssembler {
    /// `prefix` makes made-up ids unique across rounds (`r2_call_1`).
    pub fn new(prefix: &str) -> CallAssembler {
        CallAssembler {
            calls: Vec::new(),
            prefix: prefix.to_string(),
        }
    }

    pub fn push(&mut self, d: &ToolCallDelta) {
        let id = d.id.as_deref().filter(|s| !s.is_empty());
        let pos = match (id, d.index) {
            (Some(id), _) => self.calls.iter().position(|c| c.id == id),
            // No id: a new index is a new call.
            (None, Some(i)) => self.calls.iter().rposition(|c| c.index == Some(i)),
            (None, None) => self.calls.len().checked_sub(1),
        };
        let pos = match pos {
            Some(p) => p,
            None => {
                self.calls.push(AssembledCall {
                    id: id
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{}call_{}", self.prefix, self.calls.len() + 1)),
                    index: d.index,
                    name: String::new(),
                    arguments: String::new(),
                });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[pos];
        if let Some(f) = &d.function {
            if let Some(n) = f.name.as_deref().filter(|n| !n.is_empty()) {
                // Some servers repeat the name on every fragment.
                if call.name != n {
                    call.name.push_str(n);
                }
            }
            if let Some(a) = &f.arguments {
                call.arguments.push_str(a);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn finish(self) -> Vec<AssembledCall> {
        self.calls
    }
}

/// Why a model request failed.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the model server answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the model server could not be reached: {0}")]
    Unreachable(String),
    #[error("the model stream broke off: {0}")]
    Stream(String),
    #[error("the model sent nothing for {0} s (timeout)")]
    Timeout(u64),
    #[error("the model sent a chunk that is not valid: {0}")]
    BadChunk(String),
}

impl LlmError {
    /// Worth another attempt (before any text arrived)? HTTP 429 and 5xx
    /// answers are already retried inside async-openai (its retry layer:
    /// three retries with exponential backoff, honouring Retry-After), so
    /// they are final here.
    pub fn retryable(&self) -> bool {
        match self {
            LlmError::Http { .. } => false,
            LlmError::Unreachable(_) | LlmError::Stream(_) | LlmError::Timeout(_) => true,
            LlmError::BadChunk(_) => false,
        }
    }
}

fn map_err(e: OpenAIError) -> LlmError {
    match e {
        OpenAIError::ApiError(api) => LlmError::Http {
            status: api.status_code.as_u16(),
            message: api.api_error.message,
        },
        OpenAIError::Reqwest(r) => LlmError::Unreachable(r.without_url().to_string()),
        OpenAIError::StreamError(s) => LlmError::Stream(s.to_string()),
        OpenAIError::JSONDeserialize(j, _) => LlmError::BadChunk(j.to_string()),
        other => LlmError::Stream(other.to_string()),
    }
}

/// An OpenAI-compatible chat endpoint.
#[derive(Clone)]
pub struct LlmClient {
    client: async_openai::Client<OpenAIConfig>,
    pub model: String,
    pub timeout: Duration,
}

pub type ChunkStream = std::pin::Pin<Box<dyn Stream<Item = Result<Chunk, LlmError>> + Send>>;

impl LlmClient {
    pub fn new(base_url: &str, api_key: Option<&str>, model: &str, timeout: Duration) -> LlmClient {
        LlmClient {
            client: crate::config::openai_client(base_url, api_key),
            model: model.to_string(),
            timeout,
        }
    }

    /// Starts a streamed completion. `messages` and `tools` are OpenAI JSON.
    /// The stream yields chunks; a gap longer than the timeout is an error.
    pub async fn stream(
        &self,
        messages: &[Value],
        tools: Option<&Value>,
    ) -> Result<ChunkStream, LlmError> {
        let mut body = serde_json::json!({
            "model": self.model,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if let Some(t) = tools {
            body["tools"] = t.clone();
            body["tool_choice"] = "auto".into();
        }
        let secs = self.timeout.as_secs();
        let chat = self.client.chat();
        let open = chat.create_stream_byot::<Value, Chunk>(body);
        let inner = tokio::time::timeout(self.timeout, open)
            .await
            .map_err(|_| LlmError::Timeout(secs))?
            .map_err(map_err)?;
        let timeout = self.timeout;
        let s = futures_util::stream::unfold(Some(inner), move |state| async move {
            let mut inner = state?;
            match tokio::time::timeout(timeout, inner.next()).await {
                Err(_) => Some((Err(LlmError::Timeout(timeout.as_secs())), None)),
                Ok(None) => None,
                Ok(Some(Ok(c))) => Some((Ok(c), Some(inner))),
                // A frame that does not parse is reported and the stream goes on.
                Ok(Some(Err(e))) => match map_err(e) {
                    bad @ LlmError::BadChunk(_) => Some((Err(bad), Some(inner))),
                    other => Some((Err(other), None)),
                },
            }
        });
        Ok(Box::pin(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(
        index: Option<u32>,
        id: Option<&str>,
        name: Option<&str>,
        args: &str,
    ) -> ToolCallDelta {
        ToolCallDelta {
            index,
            id: id.map(str::to_string),
            function: Some(FunctionDelta {
                name: name.map(str::to_string),
                arguments: Some(args.to_string()),
            }),
        }
    }

    #[test]
    fn fragments_assemble_by_index_as_openai_sends_them() {
        let mut a = CallAssembler::new("");
        a.push(&delta(Some(0), Some("call_a"), Some("get_quote"), ""));
        a.push(&delta(Some(1), Some("call_b"), Some("get_key_levels"), ""));
        a.push(&delta(Some(0), None, None, "{\"sym"));
        a.push(&delta(Some(1), None, None, "{\"symbol\":\"QQQ\"}"));
        a.push(&delta(Some(0), None, None, "bol\":\"SPY\"}"));
        let calls = a.finish();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0].arguments, r#"{"symbol":"SPY"}"#,
            "interleaved fragments go to their own call"
        );
        assert_eq!(calls[1].name, "get_key_levels");
    }

    #[test]
    fn calls_keyed_by_id_with_a_reused_index_stay_apart() {
        let mut a = CallAssembler::new("");
        a.push(&delta(
            Some(0),
            Some("x1"),
            Some("get_quote"),
            "{\"symbol\":",
        ));
        a.push(&delta(Some(0), Some("x1"), Some("get_quote"), "\"SPY\"}"));
        a.push(&delta(
            Some(0),
            Some("x2"),
            Some("get_quote"),
            "{\"symbol\":\"QQQ\"}",
        ));
        let calls = a.finish();
        assert_eq!(calls.len(), 2, "a new id is a new call even at index 0");
        assert_eq!(calls[0].name, "get_quote", "a repeated name is not doubled");
        assert_eq!(calls[0].arguments, r#"{"symbol":"SPY"}"#);
        assert_eq!(calls[1].arguments, r#"{"symbol":"QQQ"}"#);
    }

    #[test]
    fn calls_without_ids_are_told_apart_by_index() {
        let mut a = CallAssembler::new("r1_");
        a.push(&delta(
            Some(0),
            None,
            Some("get_quote"),
            "{\"symbol\":\"SPY\"}",
        ));
        a.push(&delta(
            Some(1),
            None,
            Some("get_key_levels"),
            "{\"symbol\":",
        ));
        a.push(&delta(Some(1), None, None, "\"QQQ\"}"));
        let calls = a.finish();
        assert_eq!(calls.len(), 2, "index 1 is a second call: {calls:?}");
        assert_eq!(calls[0].id, "r1_call_1", "made-up ids carry the round");
        assert_eq!(calls[1].name, "get_key_levels");
        assert_eq!(calls[1].arguments, r#"{"symbol":"QQQ"}"#);
    }

    #[test]
    fn an_empty_finish_reason_and_missing_fields_parse() {
        let c: Chunk =
            serde_json::from_str(r#"{"choices":[{"delta":{"content":"Hi"},"finish_reason":""}]}"#)
                .unwrap();
        assert_eq!(c.choices[0].delta.content.as_deref(), Some("Hi"));
        let c: Chunk = serde_json::from_str(r#"{"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#).unwrap();
        assert_eq!(c.usage.unwrap().total_tokens, 7);
    }
}
