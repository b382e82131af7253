//! `coach screenshot save FILE --session ID`: the image stored (by content)
//! and read as a turn of that session, exactly as the chat does when the
//! image is attached there: the user's turn with the image, the analysis
//! with its extraction card. Nothing is saved as a position: that takes the
//! card's Confirm in the app.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use coach_engine::chat::{CardBody, ChatEvent, ChatRequest};
use coach_engine::{Engine, EngineOptions};
use serde_json::json;

pub async fn save(
    opts: EngineOptions,
    file: &Path,
    session: i64,
    prompt: Option<String>,
    json: bool,
) -> anyhow::Result<bool> {
    // The size first: a huge file is refused without reading it.
    let bytes = coach_engine::screenshots::read_image_file(file)?;
    let engine = Arc::new(Engine::start(opts).await?);
    // The session must exist: a new one is not made by mistake.
    engine.coach().chat_session(session).await?;
    let image = engine.screenshots().put(bytes).await?;
    let events: Arc<Mutex<Vec<ChatEvent>>> = Arc::default();
    let seen = events.clone();
    let last = engine
        .coach()
        .chat(
            ChatRequest {
                session_id: Some(session),
                prompt: prompt.unwrap_or_default(),
                images: vec![image.sha256.clone()],
            },
            move |ev: ChatEvent| {
                seen.lock().unwrap().push(ev);
                true
            },
        )
        .await?;
    let events = events.lock().unwrap().clone();
    let started = events.iter().find_map(|e| match e {
        ChatEvent::Started {
            user_message_id,
            message_id,
            ..
        } => Some((*user_message_id, *message_id)),
        _ => None,
    });
    let card = events.iter().find_map(|e| match e {
        ChatEvent::Card(c) => match &c.body {
            CardBody::ScreenshotExtraction(x) => Some(x.clone()),
            _ => None,
        },
        _ => None,
    });
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::Token { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let error = match &last {
        ChatEvent::Error { message, .. } => Some(message.clone()),
        _ => None,
    };
    let failed = events.iter().find_map(|e| match e {
        ChatEvent::ToolResult {
            name,
            ok: false,
            result,
            ..
        } if name == "analyze_screenshot" => {
            Some(result["error"].as_str().unwrap_or("").to_string())
        }
        _ => None,
    });
    let mut out = std::io::stdout().lock();
    if json {
        let v = json!({
            "session_id": session,
            "user_message_id": started.and_then(|s| s.0),
            "message_id": started.map(|s| s.1),
            "image": image,
            "reader": card.as_ref().map(|c| c.reader.clone()),
            "broker": card.as_ref().map(|c| c.broker.clone()),
            "positions": card.as_ref().map(|c| json!(c.positions)).unwrap_or(json!([])),
            "warnings": card.as_ref().map(|c| json!(c.warnings)).unwrap_or(json!([])),
            "error": error.clone().or(failed.clone()),
        });
        writeln!(out, "{v}")?;
    } else {
        writeln!(out, "{text}")?;
        if let Some((_, m)) = started {
            writeln!(
                out,
                "[session {session} · message {m} · image {}]",
                image.sha256
            )?;
        }
        if let Some(e) = error.as_ref().or(failed.as_ref()) {
            writeln!(out, "error: {e}")?;
        }
    }
    Ok(error.is_none() && failed.is_none())
}
