//! `coach chat` and `coach sessions`.

use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use coach_engine::chat::{ChatEvent, ChatRequest, MessageStatus, Role, SnippetPart};
use coach_engine::{Engine, EngineOptions};

use crate::SessionsCommand;

fn line(ev: &ChatEvent) -> String {
    serde_json::to_string(ev).unwrap_or_default()
}

/// A readable line (or inline text) for one event.
fn readable(ev: &ChatEvent, out: &mut impl Write, err: &mut impl Write) -> std::io::Result<()> {
    match ev {
        ChatEvent::Started {
            session_id, mode, ..
        } => {
            writeln!(err, "[session {session_id} · {mode}]")
        }
        ChatEvent::Status { label, .. } => writeln!(err, "[{label}]"),
        ChatEvent::Token { text } => {
            write!(out, "{text}")?;
            out.flush()
        }
        ChatEvent::ToolCall {
            name, arguments, ..
        } => writeln!(err, "→ {name} {arguments}"),
        ChatEvent::ToolResult {
            name,
            ok,
            ms,
            result,
            ..
        } => {
            if *ok {
                writeln!(err, "✓ {name} ({ms:.0} ms)")
            } else {
                writeln!(
                    err,
                    "✗ {name}: {}",
                    result["error"].as_str().unwrap_or("failed")
                )
            }
        }
        ChatEvent::Card(c) => writeln!(err, "▣ card: {} ({})", c.title, c.body.card_type()),
        ChatEvent::Grounding { unverified, .. } => {
            if unverified.is_empty() {
                Ok(())
            } else {
                let list: Vec<&str> = unverified.iter().map(|u| u.text.as_str()).collect();
                writeln!(out)?;
                writeln!(
                    err,
                    "⚠ unverified numbers (no tool result backs them): {}",
                    list.join(", ")
                )
            }
        }
        ChatEvent::Done {
            session_id,
            message_id,
            status,
            ttft_ms,
            ..
        } => {
            writeln!(out)?;
            let first = ttft_ms
                .map(|t| format!(" · first token {t:.0} ms"))
                .unwrap_or_default();
            let how = if *status == MessageStatus::Cancelled {
                " · stopped"
            } else {
                ""
            };
            writeln!(
                err,
                "[session {session_id} · message {message_id}{first}{how}]"
            )
        }
        ChatEvent::Error {
            message,
            partial_saved,
            ..
        } => {
            writeln!(out)?;
            writeln!(
                err,
                "error: {message}{}",
                if *partial_saved {
                    " (the partial answer is saved as interrupted)"
                } else {
                    ""
                }
            )
        }
    }
}

/// Streams one answer. Ok(false) when it ended in an error event.
pub async fn chat(
    opts: EngineOptions,
    prompt: String,
    session: Option<i64>,
    json: bool,
) -> anyhow::Result<bool> {
    let engine = Arc::new(Engine::start(opts).await?);
    let current = Arc::new(AtomicI64::new(session.unwrap_or(-1)));
    let seen = current.clone();
    let sink = move |ev: ChatEvent| {
        if let ChatEvent::Started { session_id, .. } = &ev {
            seen.store(*session_id, Ordering::SeqCst);
        }
        let mut out = std::io::stdout().lock();
        let r = if json {
            writeln!(out, "{}", line(&ev)).and_then(|_| out.flush())
        } else {
            readable(&ev, &mut out, &mut std::io::stderr().lock())
        };
        r.is_ok()
    };
    let e2 = engine.clone();
    let task = tokio::spawn(async move {
        e2.coach()
            .chat(
                ChatRequest {
                    session_id: session,
                    images: vec![],
                    prompt,
                },
                sink,
            )
            .await
    });
    tokio::pin!(task);
    let last = tokio::select! {
        r = &mut task => r?,
                _ = tokio::signal::ctrl_c() => {
            // Stop the answer; before `started` the session is not known yet, so wait for it.
            let stopper = async {
                loop {
                    let id = current.load(Ordering::SeqCst);
                    if id >= 0 && engine.coach().chat_cancel(id) {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            };
            tokio::select! {
                r = &mut task => r?,
                _ = stopper => task.await?,
            }
        }
    }?;
    Ok(!matches!(last, ChatEvent::Error { .. }))
}

fn snippet(parts: &[SnippetPart]) -> String {
    parts
        .iter()
        .map(|p| {
            if p.hit {
                format!("[{}]", p.text)
            } else {
                p.text.clone()
            }
        })
        .collect()
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub async fn sessions(opts: EngineOptions, command: SessionsCommand) -> anyhow::Result<()> {
    let engine = Engine::start(opts).await?;
    let mut out = std::io::stdout().lock();
    match command {
        SessionsCommand::List { limit, json } => {
            let list = engine.coach().chat_sessions(limit).await?;
            if json {
                for s in &list {
                    writeln!(out, "{}", serde_json::to_string(s)?)?;
                }
            } else if list.is_empty() {
                writeln!(
                    out,
                    "No sessions yet. Start one with: coach chat \"levels for SPY\""
                )?;
            } else {
                for s in &list {
                    writeln!(
                        out,
                        "{:>5}  {}  {:>4} msgs  {}",
                        s.id,
                        when(s.updated_ms),
                        s.message_count,
                        s.title
                    )?;
                }
            }
        }
        SessionsCommand::Show { id, json } => {
            let d = engine.coach().chat_session(id).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&d)?)?;
            } else {
                writeln!(
                    out,
                    "# {} (session {}, {})",
                    d.session.title,
                    d.session.id,
                    when(d.session.created_ms)
                )?;
                for m in &d.messages {
                    let who = if m.role == Role::User { "You" } else { "Coach" };
                    let status = match m.status {
                        MessageStatus::Complete => String::new(),
                        s => format!(" [{}]", s.as_str()),
                    };
                    writeln!(out, "\n{who}{status}:")?;
                    for t in &m.tools {
                        writeln!(
                            out,
                            "  → {} {}{}",
                            t.name,
                            t.arguments,
                            if t.ok == Some(false) { " (failed)" } else { "" }
                        )?;
                    }
                    for c in &m.cards {
                        writeln!(out, "  ▣ {}", c.title)?;
                    }
                    writeln!(out, "{}", m.content)?;
                    if !m.unverified.is_empty() {
                        let list: Vec<&str> =
                            m.unverified.iter().map(|u| u.text.as_str()).collect();
                        writeln!(out, "  ⚠ unverified: {}", list.join(", "))?;
                    }
                }
            }
        }
        SessionsCommand::Search { text, limit, json } => {
            let hits = engine.coach().chat_search(&text, limit).await?;
            if json {
                for h in &hits {
                    writeln!(out, "{}", serde_json::to_string(h)?)?;
                }
            } else if hits.is_empty() {
                writeln!(out, "No messages match {text:?}.")?;
            } else {
                for h in &hits {
                    writeln!(
                        out,
                        "{:>5}  {}  {}",
                        h.session_id,
                        h.session_title,
                        snippet(&h.snippet)
                    )?;
                }
            }
        }
        SessionsCommand::Rename { id, title } => {
            engine.coach().chat_rename(id, &title).await?;
            writeln!(out, "Session {id} renamed.")?;
        }
        SessionsCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let ids = engine.coach().chat_import(&text).await?;
            let mut missing = std::collections::BTreeSet::new();
            for id in &ids {
                writeln!(out, "{id}")?;
                for m in engine.coach().chat_session(*id).await?.messages {
                    for img in m.images {
                        if !engine.screenshots().has(&img.sha256) {
                            missing.insert(img.sha256);
                        }
                    }
                }
            }
            // Images travel as files, not in the export: say which are not here.
            if !missing.is_empty() {
                eprintln!(
                    "warning: {} image(s) the imported sessions show are not in {}: copy them from the other data folder's images/ ({})",
                    missing.len(),
                    engine.data_dir().join("images").display(),
                    missing.iter().map(|s| format!("{s}.*")).collect::<Vec<_>>().join(", ")
                );
            }
        }
        SessionsCommand::Delete { id } => {
            engine.coach().chat_delete(id).await?;
            writeln!(out, "Session {id} deleted.")?;
        }
    }
    Ok(())
}
