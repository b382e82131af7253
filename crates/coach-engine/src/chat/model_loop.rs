//! The model loop: the system prompt and history, then rounds of streamed
//! answers and tool calls (bounded), with retries before any text arrived.

use super::*;

pub(super) fn system_prompt(kit: &Toolbox) -> String {
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
pub(super) fn history_messages(messages: &[ChatMessage]) -> Vec<Value> {
    let mut out = Vec::new();
    let start = messages.len().saturating_sub(HISTORY_MESSAGES);
    for m in &messages[start..] {
        match m.role {
            Role::User => out.push(
                json!({"role": "user", "content": super::turn::user_text(&m.content, &m.images)}),
            ),
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

impl Coach {
    pub(super) fn llm_client(&self) -> Option<LlmClient> {
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

    pub(super) async fn model_loop(
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
    pub(super) async fn model_round(
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
}
