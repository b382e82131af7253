//! The tool runner: a round's calls run together, each result (and card)
//! sent as it finishes.

use super::*;

impl Coach {
    /// Runs tool calls together; each result (and card) is sent as it finishes.
    pub(super) async fn run_tools(
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
        // An image read already in this answer is not read again: its result
        // is given back without a second card (one card, one Confirm).
        let image_of = |args: &Value| {
            args.get("image")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
        };
        let read_before: Vec<Option<Value>> = calls
            .iter()
            .enumerate()
            .map(|(i, (_, name, raw))| {
                if name != "analyze_screenshot" {
                    return None;
                }
                let image = image_of(&parse_arguments(raw).0)?;
                let earlier = turn.tools[..base].iter().find_map(|t| {
                    let same = t.name == "analyze_screenshot"
                        && t.ok == Some(true)
                        && image_of(&t.arguments).as_deref() == Some(image.as_str());
                    same.then(|| t.result.clone()).flatten()
                });
                // The same image twice in one round: read once.
                let twin = calls[..i].iter().find(|(_, n, r)| {
                    n == "analyze_screenshot"
                        && image_of(&parse_arguments(r).0).as_deref() == Some(image.as_str())
                });
                earlier.or_else(|| {
                    twin.map(|(id, _, _)| json!({"see_call": id, "note": "the same image is read by that call"}))
                })
            })
            .collect();
        let mut pending = FuturesUnordered::new();
        for (i, (id, name, raw)) in calls.iter().enumerate() {
            sink(status(Phase::Calling, Some(name)));
            let before = read_before[i].clone();
            pending.push(async move {
                let t0 = Instant::now();
                if let Some(result) = before {
                    let out = tools::ToolOutput {
                        ok: true,
                        result: json!({"already_read": "this image was read earlier in this answer; this is that result (its card is above)", "result": result}),
                        card: None,
                    };
                    return (i, out, t0.elapsed().as_secs_f64() * 1e3);
                }
                let out = match parse_arguments(raw) {
                    (_, Some(err)) => tools::ToolOutput {
                        ok: false,
                        result: json!({"error": format!("the arguments of {name} are not valid JSON ({err}); send a JSON object")}),
                        card: None,
                    },
                    (args, None) => {
                        let progress = |step: crate::screenshots::Step| {
                            use crate::screenshots::Step;
                            sink(status(
                                match step {
                                    Step::Reading => Phase::Reading,
                                    Step::Extracting => Phase::Extracting,
                                    Step::Checking => Phase::Checking,
                                },
                                None,
                            ));
                        };
                        tools::run_with_progress(&self.kit, id, name, &args, &progress).await
                    }
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
                evs.push(ChatEvent::Card(Box::new(c)));
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
}

/// The arguments as JSON, or the raw text and why it is not valid.
pub(super) fn parse_arguments(raw: &str) -> (Value, Option<String>) {
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
