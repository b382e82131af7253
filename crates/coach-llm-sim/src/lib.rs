//! A scripted OpenAI-compatible chat server on loopback: real HTTP, real SSE.
//!
//! Each `POST /v1/chat/completions` takes the next scripted [`Reply`]: a
//! recorded stream (the `.sse` files in tests/fixtures/openai-sse), a
//! built stream of text or tool calls (split into as many fragments as asked,
//! with delays, optionally breaking off mid-answer), or an HTTP error such as
//! a 429. When the script runs out, [`Reply::Auto`] answers like a small
//! model would: a user message gets a tool call chosen from its words, tool
//! results get a short answer that quotes their numbers.
//!
//! A request that does not ask for a stream (`"stream": false` or no
//! `stream`) gets one JSON `chat.completion`: a [`Reply::Json`] as scripted
//! ([`Reply::json_content`] wraps an answer's text), or a scripted or
//! automatic stream put together into one. A [`Reply::Json`] to a streaming
//! request is streamed as text. User messages may carry `content` as an
//! array of parts (text and `image_url`, as vision requests do); their text
//! parts are the prompt.
//!
//! `GET /_sim/requests` lists the request bodies received, image parts
//! included (tests check what the client sent back to the model);
//! `POST /_sim/script` appends replies.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// One scripted answer to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Server-sent events: each string is one `data:` payload (JSON or `[DONE]`).
    Sse {
        events: Vec<String>,
        /// Before the first event.
        first_delay: Duration,
        /// Between events.
        delay: Duration,
        /// Break the connection off after this many events (no `[DONE]`).
        drop_after: Option<usize>,
    },
    /// An HTTP error with an OpenAI-style error body.
    Status {
        status: u16,
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// A JSON answer (a whole `chat.completion`), after `delay`.
    Json { body: Value, delay: Duration },
    /// Decide from the request (see the crate docs).
    Auto,
    /// [`Reply::Auto`] with its own wait before the first fragment.
    AutoAfter(Duration),
}

fn chunk(delta: Value, finish: Value) -> String {
    json!({
        "id": "chatcmpl-sim",
        "object": "chat.completion.chunk",
        "created": 1_727_346_178,
        "model": "sim-model",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
    })
    .to_string()
}

fn usage_chunk(prompt: u32, completion: u32) -> String {
    json!({
        "id": "chatcmpl-sim", "object": "chat.completion.chunk", "created": 1_727_346_178,
        "model": "sim-model", "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    })
    .to_string()
}

/// A whole (non-streamed) chat completion with one choice.
fn completion(message: Value, finish: &str, prompt: u32, completion: u32) -> Value {
    json!({
        "id": "chatcmpl-sim",
        "object": "chat.completion",
        "created": 1_727_346_178,
        "model": "sim-model",
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    })
}

/// A stream's events put together into one chat completion (for a request
/// that did not ask for a stream): the content, the tool calls by index, the
/// last finish reason and the usage.
fn assemble(events: &[String]) -> Value {
    let mut content: Option<String> = None;
    let mut calls: Vec<Value> = Vec::new();
    let mut finish = "stop".to_string();
    let mut usage = (0u32, 0u32);
    for ev in events {
        let Ok(c) = serde_json::from_str::<Value>(ev) else {
            continue;
        };
        if let Some(u) = c["usage"].as_object() {
            let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0) as u32;
            usage = (n("prompt_tokens"), n("completion_tokens"));
        }
        let Some(choice) = c["choices"].get(0) else {
            continue;
        };
        if let Some(f) = choice["finish_reason"].as_str().filter(|f| !f.is_empty()) {
            finish = f.to_string();
        }
        let delta = &choice["delta"];
        if let Some(t) = delta["content"].as_str() {
            content.get_or_insert_with(String::new).push_str(t);
        }
        for tc in delta["tool_calls"].as_array().into_iter().flatten() {
            let i = tc["index"].as_u64().unwrap_or(0) as usize;
            while calls.len() <= i {
                calls.push(json!({"id": "", "type": "function", "function": {"name": "", "arguments": ""}}));
            }
            let call = &mut calls[i];
            if let Some(id) = tc["id"].as_str() {
                call["id"] = json!(id);
            }
            for k in ["name", "arguments"] {
                if let Some(part) = tc["function"][k].as_str() {
                    let whole = format!("{}{part}", call["function"][k].as_str().unwrap_or(""));
                    call["function"][k] = json!(whole);
                }
            }
        }
    }
    let mut message = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    completion(message, &finish, usage.0, usage.1)
}

/// The text of a message's `content`: a string, or the text parts of an
/// array of parts (a vision request's text and `image_url` parts).
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Splits `s` into `n` pieces of nearly equal length (on char boundaries).
fn split_n(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let n = n.clamp(1, chars.len().max(1));
    let size = chars.len().div_ceil(n).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// A tool call for [`Reply::tool_calls`].
#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

impl Call {
    pub fn new(id: &str, name: &str, arguments: &str) -> Call {
        Call {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }
}

/// How a tool-call stream deviates from OpenAI's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quirks {
    /// Every call at index 0, told apart only by id (and the id repeated on every fragment).
    pub reuse_index: bool,
    /// `finish_reason: ""` instead of null while streaming, and at the end.
    pub empty_finish_reason: bool,
    /// No ids at all: calls are told apart by index only.
    pub no_ids: bool,
}

impl Reply {
    fn sse(events: Vec<String>) -> Reply {
        Reply::Sse {
            events,
            first_delay: Duration::ZERO,
            delay: Duration::ZERO,
            drop_after: None,
        }
    }

    /// A recorded stream: the `data:` lines of an `.sse` file, in order.
    pub fn from_sse_text(text: &str) -> Reply {
        Reply::sse(
            text.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.trim().to_string())
                .collect(),
        )
    }

    /// An answer in text, streamed in `pieces` fragments.
    pub fn text(text: &str, pieces: usize) -> Reply {
        let mut ev = vec![chunk(
            json!({"role": "assistant", "content": ""}),
            Value::Null,
        )];
        for p in split_n(text, pieces) {
            ev.push(chunk(json!({"content": p}), Value::Null));
        }
        ev.push(chunk(json!({}), json!("stop")));
        ev.push(usage_chunk(50, pieces as u32));
        ev.push("[DONE]".into());
        Reply::sse(ev)
    }

    /// Tool calls (in parallel when several), each one's arguments split into
    /// `pieces` fragments; the fragments of different calls interleave.
    pub fn tool_calls(calls: &[Call], pieces: usize, q: Quirks) -> Reply {
        let none = if q.empty_finish_reason {
            json!("")
        } else {
            Value::Null
        };
        let mut ev = vec![chunk(
            json!({"role": "assistant", "content": null}),
            none.clone(),
        )];
        for (i, c) in calls.iter().enumerate() {
            let index = if q.reuse_index { 0 } else { i };
            let mut tc = json!({"index": index, "id": c.id, "type": "function", "function": {"name": c.name, "arguments": ""}});
            if q.no_ids {
                tc.as_object_mut().map(|o| o.remove("id"));
            }
            ev.push(chunk(json!({"tool_calls": [tc]}), none.clone()));
        }
        let split: Vec<Vec<String>> = calls
            .iter()
            .map(|c| split_n(&c.arguments, pieces))
            .collect();
        let most = split.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..most {
            for (i, parts) in split.iter().enumerate() {
                if let Some(p) = parts.get(k) {
                    let mut tc = json!({"index": if q.reuse_index { 0 } else { i }, "function": {"arguments": p}});
                    if q.reuse_index {
                        tc["id"] = json!(calls[i].id);
                    }
                    ev.push(chunk(json!({"tool_calls": [tc]}), none.clone()));
                }
            }
        }
        let finish = if q.empty_finish_reason {
            json!("")
        } else {
            json!("tool_calls")
        };
        ev.push(chunk(json!({}), finish));
        ev.push(usage_chunk(60, 20));
        ev.push("[DONE]".into());
        Reply::sse(ev)
    }

    /// A non-streamed answer whose message content is `text` (for a JSON
    /// answer, the JSON as text, as a model sends it).
    pub fn json_content(text: &str) -> Reply {
        Reply::Json {
            body: completion(
                json!({"role": "assistant", "content": text}),
                "stop",
                50,
                20,
            ),
            delay: Duration::ZERO,
        }
    }

    /// A reply from its JSON form (see the `coach-llm-sim` program's docs):
    /// `{"text", "pieces"}`, `{"tool_calls": [{"id","name","arguments"}], "pieces"}`,
    /// `{"status", "message"}`, `{"sse_file"}`, `{"auto": true}`,
    /// `{"json_content": "..."}` (a non-streamed answer with that content),
    /// `{"json_body": {...}}` (a whole non-streamed answer as given), each with
    /// optional `first_delay_ms`, `delay_ms`, `drop_after`.
    pub fn from_json(v: &Value) -> Result<Reply, String> {
        let ms = |k: &str| Duration::from_millis(v[k].as_u64().unwrap_or(0));
        let pieces = v["pieces"].as_u64().unwrap_or(4) as usize;
        let mut r = if let Some(t) = v["text"].as_str() {
            Reply::text(t, pieces)
        } else if let Some(calls) = v["tool_calls"].as_array() {
            let calls = calls
                .iter()
                .map(|c| {
                    Ok(Call::new(
                        c["id"].as_str().ok_or("a tool call needs an id")?,
                        c["name"].as_str().ok_or("a tool call needs a name")?,
                        c["arguments"].as_str().unwrap_or("{}"),
                    ))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Reply::tool_calls(&calls, pieces, Quirks::default())
        } else if let Some(s) = v["status"].as_u64() {
            Reply::status(s as u16, v["message"].as_str().unwrap_or("scripted error"))
        } else if let Some(t) = v["json_content"].as_str() {
            Reply::json_content(t)
        } else if v["json_body"].is_object() {
            Reply::Json {
                body: v["json_body"].clone(),
                delay: Duration::ZERO,
            }
        } else if let Some(f) = v["sse_file"].as_str() {
            Reply::from_sse_text(&std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?)
        } else if v["auto"].as_bool() == Some(true) {
            return Ok(match v["first_delay_ms"].as_u64() {
                Some(ms) => Reply::AutoAfter(Duration::from_millis(ms)),
                None => Reply::Auto,
            });
        } else {
            return Err(format!(
                "a reply needs text, tool_calls, status, json_content, json_body, sse_file or auto: {v}"
            ));
        };
        r = r.delayed(ms("first_delay_ms"), ms("delay_ms"));
        if let Some(n) = v["drop_after"].as_u64() {
            r = r.dropping_after(n as usize);
        }
        Ok(r)
    }

    pub fn status(status: u16, message: &str) -> Reply {
        Reply::Status {
            status,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// Waits `first` before the first event and `each` between events (a
    /// JSON answer waits `first`).
    pub fn delayed(self, first: Duration, each: Duration) -> Reply {
        match self {
            Reply::Json { body, .. } => Reply::Json { body, delay: first },
            Reply::Sse {
                events, drop_after, ..
            } => Reply::Sse {
                events,
                first_delay: first,
                delay: each,
                drop_after,
            },
            other => other,
        }
    }

    /// Breaks the connection off after `n` events.
    pub fn dropping_after(self, n: usize) -> Reply {
        match self {
            Reply::Sse {
                events,
                first_delay,
                delay,
                ..
            } => Reply::Sse {
                events,
                first_delay,
                delay,
                drop_after: Some(n),
            },
            other => other,
        }
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Value>>,
    /// When the first content fragment of each stream was handed to the socket.
    first_content: Mutex<Vec<Instant>>,
    /// Delay between fragments of automatic answers.
    auto_delay: Mutex<Duration>,
}

/// A running server; stops when dropped.
pub struct LlmSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LlmSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LlmSim {
    /// Serves `script` on 127.0.0.1:`port` (0 picks a free port).
    pub async fn start(script: Vec<Reply>, port: u16) -> std::io::Result<LlmSim> {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            auto_delay: Mutex::new(Duration::from_millis(15)),
            ..Default::default()
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .route("/v1/models", get(models))
            .route("/_sim/requests", get(requests))
            .route("/_sim/script", post(push_script))
            // A 10 MB image is about 14 MB as base64 in a data URL.
            .layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "llm sim stopped");
            }
        });
        Ok(LlmSim { addr, shared, task })
    }

    /// The base URL to configure (OPENAI_BASE_URL).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Adds replies to the end of the script.
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// The request bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// When each stream's first content fragment went out.
    pub fn first_content_instants(&self) -> Vec<Instant> {
        self.shared.first_content.lock().unwrap().clone()
    }

    pub fn set_auto_delay(&self, d: Duration) {
        *self.shared.auto_delay.lock().unwrap() = d;
    }
}

async fn models() -> Json<Value> {
    Json(
        json!({"object": "list", "data": [{"id": "sim-model", "object": "model", "owned_by": "coach-llm-sim"}]}),
    )
}

/// Appends replies (a JSON array of reply objects) to the script.
async fn push_script(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    let Some(items) = body.as_array() else {
        return (StatusCode::BAD_REQUEST, "expected a JSON array of replies").into_response();
    };
    let mut replies = Vec::new();
    for r in items {
        match Reply::from_json(r) {
            Ok(r) => replies.push(r),
            Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
        }
    }
    let n = replies.len();
    shared.script.lock().unwrap().extend(replies);
    Json(json!({"queued": n})).into_response()
}

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(Value::Array(shared.requests.lock().unwrap().clone()))
}

async fn completions(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> Response {
    shared.requests.lock().unwrap().push(body.clone());
    let next = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Auto);
    let reply = match next {
        Reply::Auto => {
            // A model takes a while to its first token, then streams steadily.
            let d = *shared.auto_delay.lock().unwrap();
            auto_reply(&body).delayed(d * 8, d)
        }
        Reply::AutoAfter(first) => {
            let d = *shared.auto_delay.lock().unwrap();
            auto_reply(&body).delayed(first, d)
        }
        r => r,
    };
    let streamed = body["stream"].as_bool() == Some(true);
    let reply = match reply {
        // A streaming request gets a JSON answer's content as a stream.
        Reply::Json { body: b, delay } if streamed => {
            let message = &b["choices"][0]["message"];
            let text = content_text(&message["content"]);
            Reply::text(&text, 4).delayed(delay, Duration::ZERO)
        }
        // A request without a stream gets a stream put together.
        Reply::Sse {
            events,
            first_delay,
            delay,
            drop_after: None,
        } if !streamed => Reply::Json {
            body: assemble(&events),
            delay: first_delay + delay * events.len().saturating_sub(1) as u32,
        },
        r => r,
    };
    match reply {
        Reply::Json { body, delay } => {
            tokio::time::sleep(delay).await;
            if !content_text(&body["choices"][0]["message"]["content"]).is_empty() {
                shared.first_content.lock().unwrap().push(Instant::now());
            }
            Json(body).into_response()
        }
        Reply::Status {
            status,
            message,
            retry_after_secs,
        } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp = (
                code,
                Json(json!({"error": {"message": message, "type": "sim_error", "param": null, "code": null}})),
            )
                .into_response();
            if let Some(s) = retry_after_secs {
                if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                    resp.headers_mut().insert("retry-after", v);
                }
            }
            resp
        }
        Reply::Sse {
            events,
            first_delay,
            delay,
            drop_after,
        } => {
            let shared = shared.clone();
            let stream = async_stream(events, first_delay, delay, drop_after, shared);
            let mut resp = Response::new(Body::from_stream(stream));
            resp.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("text/event-stream"),
            );
            resp.headers_mut()
                .insert("cache-control", HeaderValue::from_static("no-cache"));
            resp
        }
        Reply::Auto | Reply::AutoAfter(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn async_stream(
    events: Vec<String>,
    first_delay: Duration,
    delay: Duration,
    drop_after: Option<usize>,
    shared: Arc<Shared>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(
        (events.into_iter().enumerate(), false),
        move |(mut it, mut content_seen)| {
            let shared = shared.clone();
            async move {
                let (i, ev) = it.next()?;
                if drop_after == Some(i) {
                    return Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "scripted drop",
                        )),
                        (it, content_seen),
                    ));
                }
                tokio::time::sleep(if i == 0 { first_delay } else { delay }).await;
                if !content_seen
                    && ev.contains("\"content\":\"")
                    && !ev.contains("\"content\":\"\"")
                {
                    content_seen = true;
                    shared.first_content.lock().unwrap().push(Instant::now());
                }
                Some((
                    Ok(Bytes::from(format!("data: {ev}\n\n"))),
                    (it, content_seen),
                ))
            }
        },
    )
}

/// The first upper-case word of 1–5 letters that is not a common word.
fn ticker(text: &str) -> Option<String> {
    const SKIP: &[&str] = &["I", "A", "RSI", "MACD", "ATR", "SMA", "EMA", "VWAP", "OK"];
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| {
            (1..=5).contains(&w.len())
                && w.chars().all(|c| c.is_ascii_uppercase())
                && !SKIP.contains(w)
        })
        .map(str::to_string)
}

/// A stand-in for a model: tool calls from the user's words, answers from tool results.
pub fn auto_reply(body: &Value) -> Reply {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let Some(last) = messages.last() else {
        return Reply::text("Hello.", 2);
    };
    if last["role"] == "tool" {
        let results: Vec<Value> = messages
            .iter()
            .rev()
            .take_while(|m| m["role"] == "tool")
            .filter_map(|m| {
                m["content"]
                    .as_str()
                    .and_then(|c| serde_json::from_str(c).ok())
            })
            .collect();
        let mut parts = Vec::new();
        for r in results.iter().rev() {
            if let Some(e) = r["error"].as_str() {
                parts.push(format!("The tool failed: {e}."));
                continue;
            }
            let sym = r["symbol"].as_str().unwrap_or("It");
            if let Some(p) = r["price"].as_f64() {
                parts.push(format!("**{sym}** is at {p}."));
            }
            for (k, word) in [
                ("resistance_nearest_first", "resistance"),
                ("support_nearest_first", "support"),
            ] {
                if let Some(l) = r[k].as_array().and_then(|a| a.first()) {
                    parts.push(format!(
                        "Nearest {word}: {} at {} ({} away).",
                        l["label"].as_str().unwrap_or("?"),
                        l["price"],
                        l["distance"]
                    ));
                }
            }
            if let Some(rsi) = r["values"]["rsi_14"].as_f64() {
                parts.push(format!(
                    "RSI(14) on {} is {rsi}.",
                    r["timeframe"].as_str().unwrap_or("?")
                ));
            }
            if let Some(c) = r["last_close"].as_f64() {
                parts.push(format!("The chart is open; the last bar closed at {c}."));
            }
        }
        if parts.is_empty() {
            parts.push("Done.".into());
        }
        let text = parts.join(" ");
        let words = text.split(' ').count();
        return Reply::text(&text, words);
    }
    let prompt = content_text(&last["content"]);
    let lower = prompt.to_ascii_lowercase();
    let Some(sym) = ticker(&prompt) else {
        return Reply::text("Which symbol would you like me to look at? I can get key levels, indicators, charts and quotes.", 12);
    };
    let tool =
        if lower.contains("level") || lower.contains("support") || lower.contains("resistance") {
            "get_key_levels"
        } else if lower.contains("rsi") || lower.contains("indicator") {
            "get_indicators"
        } else if lower.contains("chart") || lower.contains("show") {
            "show_chart"
        } else {
            "get_quote"
        };
    let args = json!({"symbol": sym}).to_string();
    Reply::tool_calls(
        &[Call::new("call_auto_1", tool, &args)],
        4,
        Quirks::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_rejoin_to_the_whole() {
        for n in [1, 3, 7, 100] {
            assert_eq!(
                split_n("{\"symbol\":\"SPY\"}", n).concat(),
                "{\"symbol\":\"SPY\"}"
            );
        }
        assert_eq!(split_n("abcdef", 3), vec!["ab", "cd", "ef"]);
    }

    fn vision_request(stream: Option<bool>) -> Value {
        let mut body = json!({
            "model": "sim-model",
            "messages": [
                {"role": "system", "content": "Read the positions."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this SPY screenshot?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
                ]}
            ],
            "response_format": {"type": "json_schema", "json_schema": {"name": "positions", "strict": true, "schema": {}}}
        });
        if let Some(s) = stream {
            body["stream"] = json!(s);
        }
        body
    }

    async fn post(sim: &LlmSim, body: &Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/chat/completions", sim.base_url()))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A vision request (content parts) answered from the script as one JSON
    /// completion, and recorded with its image part.
    #[tokio::test]
    async fn an_image_request_gets_the_scripted_json_answer() {
        let answer = r#"{"broker":"unknown","positions":[],"warnings":[]}"#;
        let sim = LlmSim::start(
            vec![Reply::from_json(&json!({"json_content": answer})).unwrap()],
            0,
        )
        .await
        .unwrap();
        let resp = post(&sim, &vision_request(None)).await;
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["choices"][0]["message"]["content"], answer);
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        assert!(v["usage"]["total_tokens"].as_u64().unwrap() > 0);
        let got = sim.requests();
        assert_eq!(
            got[0]["messages"][1]["content"][1]["image_url"]["url"],
            "data:image/png;base64,iVBORw0KGgo=",
            "the image part is recorded as sent"
        );
    }

    /// Automatic answers read the text parts of a content array, and a
    /// request without a stream gets them put together as JSON; a JSON reply
    /// to a streaming request is streamed.
    #[tokio::test]
    async fn content_parts_and_either_kind_of_answer_work_everywhere() {
        assert_eq!(
            content_text(&vision_request(None)["messages"][1]["content"]),
            "What is in this SPY screenshot?"
        );
        let sim = LlmSim::start(vec![Reply::Auto, Reply::json_content("Hello there.")], 0)
            .await
            .unwrap();
        sim.set_auto_delay(Duration::ZERO);
        let v: Value = post(&sim, &vision_request(Some(false)))
            .await
            .json()
            .await
            .unwrap();
        let call = &v["choices"][0]["message"]["tool_calls"][0];
        assert_eq!(call["function"]["name"], "get_quote", "{v}");
        assert_eq!(
            call["function"]["arguments"], r#"{"symbol":"SPY"}"#,
            "the ticker is read from the text part"
        );
        assert_eq!(call["id"], "call_auto_1");
        assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
        let sse = post(&sim, &vision_request(Some(true)))
            .await
            .text()
            .await
            .unwrap();
        let text: String = sse
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .filter_map(|c| {
                c["choices"][0]["delta"]["content"]
                    .as_str()
                    .map(String::from)
            })
            .collect();
        assert_eq!(text, "Hello there.");
        assert!(sse.trim_end().ends_with("data: [DONE]"));
    }

    #[tokio::test]
    async fn a_status_reply_answers_an_image_request_with_an_openai_error() {
        let sim = LlmSim::start(
            vec![Reply::from_json(
                &json!({"status": 400, "message": "model does not support image input"}),
            )
            .unwrap()],
            0,
        )
        .await
        .unwrap();
        let resp = post(&sim, &vision_request(None)).await;
        assert_eq!(resp.status(), 400);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["message"], "model does not support image input");
    }

    #[test]
    fn a_recorded_stream_keeps_every_data_line() {
        let r = Reply::from_sse_text("data: {\"a\":1}\n\ndata: [DONE]\n\n");
        match r {
            Reply::Sse { events, .. } => assert_eq!(events, vec!["{\"a\":1}", "[DONE]"]),
            _ => panic!("expected a stream"),
        }
    }
}
