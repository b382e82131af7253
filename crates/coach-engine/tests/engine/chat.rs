//! The chat coach against a scripted OpenAI-compatible server on loopback
//! (real HTTP, real SSE) and the demo market: recorded streams, tool calls
//! split across many chunks, parallel calls, quirky servers, a drop
//! mid-answer, a 429, malformed arguments, a slow first token, cancel, the
//! progressive flag, the round bound, follow-ups, grounding, persistence.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coach_engine::chat::{ChatEvent, ChatRequest, MessageStatus, Phase, MAX_TOOL_ROUNDS};
use coach_engine::Engine;
use coach_llm_sim::{Call, LlmSim, Quirks, Reply};
use coach_sim::ManualClock;
use coach_testkit::EngineKit;
use serde_json::{json, Value};

use crate::market::utc;

/// 11:00 New York on a regular session.
const NOW: &str = "2024-07-02T15:00:00Z";

async fn engine(dir: &std::path::Path, env: Vec<(String, String)>) -> Engine {
    let mut kit = EngineKit::new(dir)
        .seed(5)
        .demo_at(&ManualClock::new(utc(NOW)))
        .lazy_market(true);
    for (k, v) in env {
        kit = kit.env(&k, v);
    }
    kit.start().await
}

async fn model_engine(dir: &std::path::Path, sim: &LlmSim, extra: &[(&str, &str)]) -> Engine {
    let mut kit = EngineKit::new(dir)
        .seed(5)
        .demo_at(&ManualClock::new(utc(NOW)))
        .lazy_market(true)
        .scripted_model(sim);
    for (k, v) in extra {
        kit = kit.env(k, *v);
    }
    kit.start().await
}

/// A scripted model server, a data dir and an engine pointed at the server.
async fn scripted(
    replies: Vec<Reply>,
    extra: &[(&str, &str)],
) -> (LlmSim, tempfile::TempDir, Engine) {
    let sim = LlmSim::start(replies, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = model_engine(dir.path(), &sim, extra).await;
    (sim, dir, engine)
}

#[track_caller]
pub(crate) fn assert_complete(last: &ChatEvent) {
    assert!(
        matches!(
            last,
            ChatEvent::Done {
                status: MessageStatus::Complete,
                ..
            }
        ),
        "the answer completes: {last:?}"
    );
}

type Events = Arc<Mutex<Vec<ChatEvent>>>;

fn recorder() -> (Events, impl Fn(ChatEvent) -> bool + Send + Sync) {
    let events: Events = Arc::default();
    let e = events.clone();
    (events, move |ev| {
        e.lock().unwrap().push(ev);
        true
    })
}

async fn ask(engine: &Engine, session: Option<i64>, prompt: &str) -> (Vec<ChatEvent>, ChatEvent) {
    let (events, sink) = recorder();
    let last = tokio::time::timeout(
        Duration::from_secs(60),
        engine.coach().chat(
            ChatRequest {
                images: vec![],
                session_id: session,
                prompt: prompt.into(),
            },
            sink,
        ),
    )
    .await
    .expect("an answer within 60 s")
    .expect("the request is valid");
    let evs = events.lock().unwrap().clone();
    (evs, last)
}

fn text(evs: &[ChatEvent]) -> String {
    evs.iter()
        .filter_map(|e| match e {
            ChatEvent::Token { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn kinds(evs: &[ChatEvent]) -> Vec<&'static str> {
    evs.iter()
        .map(|e| match e {
            ChatEvent::Started { .. } => "started",
            ChatEvent::Status { .. } => "status",
            ChatEvent::Token { .. } => "token",
            ChatEvent::ToolCall { .. } => "tool_call",
            ChatEvent::ToolResult { .. } => "tool_result",
            ChatEvent::Card(_) => "card",
            ChatEvent::Grounding { .. } => "grounding",
            ChatEvent::Done { .. } => "done",
            ChatEvent::Error { .. } => "error",
        })
        .collect()
}

fn tool_results(evs: &[ChatEvent]) -> Vec<(String, bool, Value)> {
    evs.iter()
        .filter_map(|e| match e {
            ChatEvent::ToolResult {
                name, ok, result, ..
            } => Some((name.clone(), *ok, result.clone())),
            _ => None,
        })
        .collect()
}

fn ids(last: &ChatEvent) -> (i64, i64) {
    match last {
        ChatEvent::Done {
            session_id,
            message_id,
            ..
        } => (*session_id, *message_id),
        ChatEvent::Error {
            session_id,
            message_id,
            ..
        } => (session_id.unwrap(), message_id.unwrap()),
        other => panic!("the last event is done or error, not {other:?}"),
    }
}

fn recorded(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/openai-sse")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[tokio::test]
async fn offline_levels_for_spy_streams_tools_card_and_a_grounded_template_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), vec![]).await;
    let (evs, last) = ask(&engine, None, "levels for SPY").await;
    let k = kinds(&evs);
    let pos = |kind: &str| {
        k.iter()
            .position(|x| *x == kind)
            .unwrap_or_else(|| panic!("no {kind} in {k:?}"))
    };
    assert_eq!(k[0], "started");
    assert!(
        pos("tool_call") < pos("tool_result"),
        "the call is announced before its result"
    );
    assert!(
        pos("tool_result") < pos("token"),
        "results stream before the answer text"
    );
    assert!(pos("card") < pos("done"));
    assert!(pos("grounding") < pos("done"));
    let results = tool_results(&evs);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].0, "get_key_levels");
    assert!(results[0].1, "the levels tool ran: {:?}", results[0].2);
    let answer = text(&evs);
    assert!(
        answer.contains("no language model is in use"),
        "the offline coach says so: {answer}"
    );
    let price = results[0].2["price"].as_f64().unwrap();
    assert!(
        answer.contains(&format!("{price:.2}")),
        "the answer quotes the tool's price {price}: {answer}"
    );
    let unverified = evs.iter().find_map(|e| match e {
        ChatEvent::Grounding {
            unverified,
            checked,
        } => Some((unverified.clone(), *checked)),
        _ => None,
    });
    let (unverified, checked) = unverified.unwrap();
    assert!(
        checked >= 5,
        "the template quotes several numbers ({checked})"
    );
    assert!(
        unverified.is_empty(),
        "every templated number comes from the tool: {unverified:?}"
    );
    let (session, message) = ids(&last);
    let detail = engine.coach().chat_session(session).await.unwrap();
    assert_eq!(
        detail.session.title, "SPY key levels",
        "titled from the first exchange"
    );
    assert_eq!(detail.messages.len(), 2);
    let m = &detail.messages[1];
    assert_eq!(m.id, message);
    assert_eq!(m.status, MessageStatus::Complete);
    assert_eq!(
        m.content, answer,
        "the stored text is exactly what streamed"
    );
    let card = evs.iter().find_map(|e| match e {
        ChatEvent::Card(c) => Some(c.clone()),
        _ => None,
    });
    assert_eq!(m.cards, vec![*card.unwrap()], "the card restores exactly");
    assert_eq!(m.tools[0].result.as_ref(), Some(&results[0].2));
    let hits = engine.coach().chat_search("resistance", 10).await.unwrap();
    assert!(
        hits.iter().any(|h| h.message_id == message),
        "the answer is searchable"
    );
}

#[tokio::test]
async fn the_recorded_single_tool_stream_assembles_its_call_and_an_unknown_tool_goes_back_as_an_error(
) {
    let (sim, _dir, engine) = scripted(
        vec![
            Reply::from_sse_text(&recorded("chat_stream_single_tool_call_with_usage.sse")),
            Reply::text("I have no weather tool; I can help with markets.", 6),
        ],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "Weather in New York?").await;
    let call = evs
        .iter()
        .find_map(|e| match e {
            ChatEvent::ToolCall {
                name, arguments, ..
            } => Some((name.clone(), arguments.clone())),
            _ => None,
        })
        .expect("the recorded call is announced");
    assert_eq!(call.0, "get_weather", "the recorded call's name");
    assert!(
        call.1["city"].as_str().unwrap_or("").contains("New York"),
        "the argument fragments join into valid JSON: {}",
        call.1
    );
    let results = tool_results(&evs);
    assert!(
        !results[0].1,
        "an unknown tool is a failed result, not a crash"
    );
    assert!(results[0].2["error"]
        .as_str()
        .unwrap()
        .contains("no tool called"));
    assert_complete(&last);
    let second = &sim.requests()[1];
    let tool_msg = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("the result went back");
    assert!(tool_msg["content"]
        .as_str()
        .unwrap()
        .contains("no tool called"));
    match last {
        ChatEvent::Done { usage: Some(u), .. } => {
            assert_eq!(
                u.prompt_tokens,
                44 + 50,
                "usage adds up over both requests (recorded 44 + scripted 50)"
            )
        }
        other => panic!("usage expected: {other:?}"),
    }
}

#[tokio::test]
async fn the_recorded_parallel_stream_yields_two_calls() {
    let (_sim, _dir, engine) = scripted(
        vec![
            Reply::from_sse_text(&recorded("chat_stream_parallel_tool_calls_with_usage.sse")),
            Reply::text("Done.", 1),
        ],
        &[],
    )
    .await;
    let (evs, _) = ask(&engine, None, "weather in two cities").await;
    let calls: Vec<Value> = evs
        .iter()
        .filter_map(|e| match e {
            ChatEvent::ToolCall { arguments, .. } => Some(arguments.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 2, "two parallel calls: {calls:?}");
    assert_eq!(
        calls[0],
        json!({"city": "Edinburgh", "country": "GB", "units": "c"}),
        "each call's fragments joined"
    );
    assert_eq!(calls[1], json!({"ticker": "AAPL", "exchange": "NASDAQ"}));
}

#[tokio::test]
async fn parallel_real_tools_split_in_many_chunks_report_as_they_finish_and_the_answer_is_grounded()
{
    let (_sim, _dir, engine) = scripted(
        vec![Reply::tool_calls(
            &[
                Call::new("c1", "get_quote", r#"{"symbol": "SPY"}"#),
                Call::new("c2", "get_key_levels", r#"{"symbol": "QQQ"}"#),
            ],
            9,
            Quirks::default(),
        )],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "SPY quote and QQQ levels").await;
    let k = kinds(&evs);
    let results = tool_results(&evs);
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.1), "both tools ran: {results:?}");
    let last_result = k.iter().rposition(|x| *x == "tool_result").unwrap();
    let first_token = k.iter().position(|x| *x == "token").unwrap();
    assert!(
        last_result < first_token,
        "progressive: both results arrive before the answer"
    );
    let phases: Vec<Phase> = evs
        .iter()
        .filter_map(|e| match e {
            ChatEvent::Status { phase, .. } => Some(*phase),
            _ => None,
        })
        .collect();
    assert_eq!(phases.first(), Some(&Phase::Thinking));
    assert!(
        phases.contains(&Phase::Calling)
            && phases.contains(&Phase::Analyzing)
            && phases.contains(&Phase::Writing),
        "{phases:?}"
    );
    let answer = text(&evs);
    let spy = results.iter().find(|r| r.0 == "get_quote").unwrap().2["price"]
        .as_f64()
        .unwrap();
    assert!(
        answer.contains(&spy.to_string()),
        "the automatic model quotes the tool: {answer}"
    );
    let g = evs.iter().find_map(|e| match e {
        ChatEvent::Grounding { unverified, .. } => Some(unverified.clone()),
        _ => None,
    });
    assert_eq!(
        g,
        Some(vec![]),
        "every number came from the tools: {answer}"
    );
    let (session, _) = ids(&last);
    assert_eq!(
        engine
            .coach()
            .chat_session(session)
            .await
            .unwrap()
            .session
            .title,
        "SPY quote, QQQ key levels"
    );
    let cards = engine.coach().chat_session(session).await.unwrap().messages[1]
        .cards
        .clone();
    assert_eq!(
        cards
            .iter()
            .map(|c| c.body.card_type())
            .collect::<Vec<_>>()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_server_that_reuses_the_index_and_sends_empty_finish_reasons_is_understood() {
    let (_sim, _dir, engine) = scripted(
        vec![Reply::tool_calls(
            &[
                Call::new("x1", "get_quote", r#"{"symbol":"SPY"}"#),
                Call::new("x2", "get_quote", r#"{"symbol":"AAPL"}"#),
            ],
            5,
            Quirks {
                reuse_index: true,
                empty_finish_reason: true,
                no_ids: false,
            },
        )],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "SPY and AAPL").await;
    let syms: Vec<String> = tool_results(&evs)
        .iter()
        .map(|r| r.2["symbol"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(syms.len(), 2, "two calls at index 0 told apart by id");
    assert!(
        syms.contains(&"SPY".to_string()) && syms.contains(&"AAPL".to_string()),
        "{syms:?}"
    );
    assert_complete(&last);
}

#[tokio::test]
async fn a_drop_mid_answer_keeps_the_partial_text_as_interrupted_and_continue_finishes_it() {
    let (sim, _dir, engine) = scripted(
        vec![
            Reply::text("SPY is holding above the prior day high and buyers", 10).dropping_after(5),
        ],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "How is SPY?").await;
    let partial = text(&evs);
    assert!(!partial.is_empty(), "some text arrived before the drop");
    match &last {
        ChatEvent::Error { partial_saved, .. } => {
            assert!(partial_saved, "the partial answer is saved")
        }
        other => panic!("a drop after text is an error event: {other:?}"),
    }
    assert_eq!(sim.requests().len(), 1, "no retry once text has been shown");
    let (session, message) = ids(&last);
    let m = engine.coach().chat_session(session).await.unwrap().messages[1].clone();
    assert_eq!(m.status, MessageStatus::Interrupted);
    assert_eq!(m.content, partial, "exactly what was shown is kept");
    assert!(
        m.meta["error"].as_str().unwrap_or("").contains("broke off"),
        "{}",
        m.meta
    );

    sim.push([Reply::text(" are defending it.", 3)]);
    let (events, sink) = recorder();
    let done = engine.coach().chat_continue(message, sink).await.unwrap();
    assert!(
        matches!(
            done,
            ChatEvent::Done {
                status: MessageStatus::Complete,
                ..
            }
        ),
        "{done:?}"
    );
    let m = engine.coach().chat_session(session).await.unwrap().messages[1].clone();
    assert_eq!(
        m.content,
        format!("{partial} are defending it."),
        "continue appends to the same message"
    );
    assert_eq!(m.status, MessageStatus::Complete);
    let req = &sim.requests()[1];
    let msgs = req["messages"].as_array().unwrap();
    assert!(
        msgs.iter()
            .any(|x| x["role"] == "assistant" && x["content"] == partial.as_str()),
        "the model sees what it already said"
    );
    assert!(!events.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_429_before_the_first_token_is_retried_with_backoff() {
    let (sim, _dir, engine) = scripted(
        vec![
            Reply::status(429, "slow down"),
            Reply::text("Hello there.", 3),
        ],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "hi").await;
    assert_complete(&last);
    assert_eq!(text(&evs), "Hello there.");
    assert_eq!(
        sim.requests().len(),
        2,
        "one 429, then the answer (async-openai's retry layer waited and retried)"
    );
}

#[tokio::test]
async fn a_stream_that_breaks_before_any_text_is_retried_and_says_so() {
    let (sim, _dir, engine) = scripted(
        vec![
            Reply::text("Hello there.", 3).dropping_after(1),
            Reply::text("Hello there.", 3),
        ],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "hi").await;
    assert_complete(&last);
    assert_eq!(
        text(&evs),
        "Hello there.",
        "nothing from the broken attempt is repeated"
    );
    assert_eq!(sim.requests().len(), 2);
    assert!(evs.iter().any(
        |e| matches!(e, ChatEvent::Status { label, .. } if label.starts_with("Retrying (1/"))
    ));
}

#[tokio::test]
async fn repeated_failures_before_any_text_end_in_an_error_with_nothing_partial() {
    let (sim, _dir, engine) =
        scripted((0..4).map(|_| Reply::status(503, "down")).collect(), &[]).await;
    let (_, last) = ask(&engine, None, "hi").await;
    match last {
        ChatEvent::Error {
            partial_saved,
            message,
            ..
        } => {
            assert!(!partial_saved);
            assert!(message.contains("503"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sim.requests().len(),
        4,
        "the first attempt and async-openai's three retries"
    );
}

#[tokio::test]
async fn a_malformed_tool_argument_goes_back_to_the_model_and_the_stream_continues() {
    let (_sim, _dir, engine) = scripted(
        vec![
            Reply::tool_calls(
                &[Call::new("m1", "get_quote", r#"{"symbol": "SPY""#)],
                3,
                Quirks::default(),
            ),
            Reply::text("Sorry, let me fix that.", 4),
        ],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "SPY").await;
    let call_args = evs.iter().find_map(|e| match e {
        ChatEvent::ToolCall { arguments, .. } => Some(arguments.clone()),
        _ => None,
    });
    assert_eq!(
        call_args,
        Some(json!(r#"{"symbol": "SPY""#)),
        "the raw text is shown when it is not JSON"
    );
    let r = tool_results(&evs);
    assert!(!r[0].1);
    assert!(
        r[0].2["error"].as_str().unwrap().contains("not valid JSON"),
        "{:?}",
        r[0].2
    );
    assert_complete(&last);
}

#[tokio::test]
async fn a_slow_first_token_is_waited_for_within_the_timeout_and_a_silent_server_times_out() {
    let (_sim, _dir, engine) = scripted(
        vec![Reply::text("Late but here.", 3).delayed(Duration::from_millis(600), Duration::ZERO)],
        &[("COACH_CHAT_TIMEOUT_SECS", "5")],
    )
    .await;
    let (_, last) = ask(&engine, None, "hi").await;
    match last {
        ChatEvent::Done {
            ttft_ms: Some(t), ..
        } => assert!(t >= 600.0, "time to first token counts the wait: {t}"),
        other => panic!("{other:?}"),
    }

    let silent = LlmSim::start(
        (0..3)
            .map(|_| Reply::text("never", 1).delayed(Duration::from_secs(30), Duration::ZERO))
            .collect(),
        0,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = model_engine(dir.path(), &silent, &[("COACH_CHAT_TIMEOUT_SECS", "1")]).await;
    let t0 = std::time::Instant::now();
    let (_, last) = ask(&engine, None, "hi").await;
    match last {
        ChatEvent::Error {
            message,
            partial_saved,
            ..
        } => {
            assert!(message.contains("timeout"), "{message}");
            assert!(!partial_saved);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "three 1 s timeouts and backoff, not 30 s waits"
    );
}

type Answer = tokio::task::JoinHandle<Result<ChatEvent, coach_engine::chat::ChatError>>;

/// Starts a slow answer in the background; returns it, its events, and its
/// session once `min_tokens` tokens have arrived.
async fn answer_in_background(engine: &Arc<Engine>, min_tokens: usize) -> (Answer, Events, i64) {
    let (events, sink) = recorder();
    let e2 = engine.clone();
    let task = tokio::spawn(async move {
        e2.coach()
            .chat(
                ChatRequest {
                    images: vec![],
                    session_id: None,
                    prompt: "talk".into(),
                },
                sink,
            )
            .await
    });
    let session = loop {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let evs = events.lock().unwrap().clone();
        let started = evs.iter().find_map(|e| match e {
            ChatEvent::Started { session_id, .. } => Some(*session_id),
            _ => None,
        });
        let tokens = evs
            .iter()
            .filter(|e| matches!(e, ChatEvent::Token { .. }))
            .count();
        if let (Some(s), true) = (started, tokens >= min_tokens) {
            break s;
        }
    };
    (task, events, session)
}

#[tokio::test]
async fn cancel_stops_the_stream_and_keeps_what_arrived_as_cancelled() {
    let (_sim, _dir, engine) = scripted(
        vec![Reply::text(&"word ".repeat(200), 200)
            .delayed(Duration::ZERO, Duration::from_millis(20))],
        &[],
    )
    .await;
    let engine = Arc::new(engine);
    let (task, events, session) = answer_in_background(&engine, 5).await;
    // Written as it streams: the stored message already holds some of the text.
    let mid = loop {
        let m = engine.coach().chat_session(session).await.unwrap().messages[1].clone();
        if !m.content.is_empty() {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(mid.status, MessageStatus::Streaming);
    assert!(
        text(&events.lock().unwrap()).starts_with(&mid.content),
        "the stored text is a prefix of what was shown"
    );
    assert!(engine.coach().chat_cancel(session));
    let last = task.await.unwrap().unwrap();
    assert!(
        matches!(
            last,
            ChatEvent::Done {
                status: MessageStatus::Cancelled,
                ..
            }
        ),
        "{last:?}"
    );
    let shown = text(&events.lock().unwrap());
    let m = engine.coach().chat_session(session).await.unwrap().messages[1].clone();
    assert_eq!(m.status, MessageStatus::Cancelled);
    assert_eq!(m.content, shown, "what was shown is kept");
    assert!(shown.len() < 1000, "it stopped early");
    assert!(
        !engine.coach().chat_cancel(session),
        "nothing streams any more"
    );
}

#[tokio::test]
async fn with_the_progressive_flag_off_results_and_cards_arrive_with_the_end() {
    let (_sim, _dir, engine) = scripted(
        vec![Reply::tool_calls(
            &[Call::new("c1", "get_quote", r#"{"symbol":"SPY"}"#)],
            2,
            Quirks::default(),
        )],
        &[("AI_COACH_STREAM_PROGRESSIVE_FUNCTIONS", "off")],
    )
    .await;
    let (evs, _) = ask(&engine, None, "SPY").await;
    let k = kinds(&evs);
    let last_token = k.iter().rposition(|x| *x == "token").unwrap();
    let result = k.iter().position(|x| *x == "tool_result").unwrap();
    let card = k.iter().position(|x| *x == "card").unwrap();
    assert!(
        result > last_token && card > last_token,
        "results are held until the end: {k:?}"
    );
    assert!(
        k.iter().position(|x| *x == "tool_call").unwrap() < last_token,
        "the call itself still shows as it happens"
    );
    assert_eq!(k.last(), Some(&"done"));
}

#[tokio::test]
async fn the_tool_loop_is_bounded_and_the_last_request_offers_no_tools() {
    let mut replies: Vec<Reply> = (0..MAX_TOOL_ROUNDS)
        .map(|i| {
            Reply::tool_calls(
                &[Call::new(&format!("r{i}"), "get_market_status", "{}")],
                1,
                Quirks::default(),
            )
        })
        .collect();
    replies.push(Reply::text("The market is open.", 3));
    let (sim, _dir, engine) = scripted(replies, &[]).await;
    let (evs, last) = ask(&engine, None, "loop forever").await;
    assert_eq!(
        text(&evs),
        "The market is open.",
        "the last request answers in text"
    );
    let reqs = sim.requests();
    assert_eq!(
        reqs.len() as u32,
        MAX_TOOL_ROUNDS + 1,
        "tool rounds, then one answer request"
    );
    assert!(reqs[0].get("tools").is_some());
    assert!(
        reqs.last().unwrap().get("tools").is_none(),
        "the last request must answer in text"
    );
    assert!(matches!(last, ChatEvent::Done { rounds, .. } if rounds == MAX_TOOL_ROUNDS + 1));
}

#[tokio::test]
async fn a_follow_up_sends_the_earlier_turn_back_and_invented_numbers_are_flagged() {
    let (sim, _dir, engine) = scripted(
        vec![
            Reply::tool_calls(
                &[Call::new("q1", "get_quote", r#"{"symbol":"SPY"}"#)],
                2,
                Quirks::default(),
            ),
            Reply::Auto,
            Reply::text("Target 123456.78 next week, and 99.5 if it fails.", 5),
        ],
        &[],
    )
    .await;
    let (_, first) = ask(&engine, None, "SPY quote").await;
    let (session, _) = ids(&first);
    let (evs, last) = ask(&engine, Some(session), "Where could it go? I like 99.5").await;
    let msgs = sim.requests()[2]["messages"].as_array().unwrap().clone();
    assert!(
        msgs.iter()
            .any(|m| m["role"] == "tool" && m["tool_call_id"] == "q1"),
        "the first turn's tool result is in the history"
    );
    let unverified = evs
        .iter()
        .find_map(|e| match e {
            ChatEvent::Grounding { unverified, .. } => Some(unverified.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        unverified
            .iter()
            .map(|u| u.text.as_str())
            .collect::<Vec<_>>(),
        vec!["123456.78"],
        "99.5 is the user's own number"
    );
    let (_, message) = ids(&last);
    let stored = engine.coach().chat_session(session).await.unwrap().messages;
    assert_eq!(stored.len(), 4);
    assert_eq!(stored.last().unwrap().id, message);
    assert_eq!(
        stored.last().unwrap().unverified,
        unverified,
        "flags restore with the message"
    );
}

#[tokio::test]
async fn bad_requests_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), vec![]).await;
    let (_, sink) = recorder();
    let e = engine
        .coach()
        .chat(
            ChatRequest {
                images: vec![],
                session_id: None,
                prompt: "   ".into(),
            },
            sink,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let (_, sink) = recorder();
    let e = engine
        .coach()
        .chat(
            ChatRequest {
                images: vec![],
                session_id: Some(999),
                prompt: "hi".into(),
            },
            sink,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no chat session 999"), "{e}");
    assert!(engine.coach().chat_rename(999, "x").await.is_err());
    let (_, sink) = recorder();
    let e = engine.coach().chat_continue(12345, sink).await.unwrap_err();
    assert!(e.to_string().contains("no message 12345"), "{e}");
}

#[tokio::test]
async fn a_frame_that_does_not_parse_is_skipped_and_the_answer_goes_on() {
    let mut events = match Reply::text("SPY is holding the level.", 5) {
        Reply::Sse { events, .. } => events,
        _ => unreachable!("text is a stream"),
    };
    events.insert(3, "{not json".to_string());
    let reply = Reply::Sse {
        events,
        first_delay: Duration::ZERO,
        delay: Duration::ZERO,
        drop_after: None,
    };
    let (_sim, _dir, engine) = scripted(vec![reply], &[]).await;
    let (evs, last) = ask(&engine, None, "SPY?").await;
    assert_complete(&last);
    assert_eq!(
        text(&evs),
        "SPY is holding the level.",
        "every good fragment arrives; the bad one is skipped"
    );
}

#[tokio::test]
async fn parallel_calls_without_ids_are_told_apart_by_index() {
    let (_sim, _dir, engine) = scripted(
        vec![Reply::tool_calls(
            &[
                Call::new("", "get_quote", r#"{"symbol":"SPY"}"#),
                Call::new("", "get_key_levels", r#"{"symbol":"QQQ"}"#),
            ],
            4,
            Quirks {
                no_ids: true,
                ..Quirks::default()
            },
        )],
        &[],
    )
    .await;
    let (evs, last) = ask(&engine, None, "SPY and QQQ").await;
    assert_complete(&last);
    let results = tool_results(&evs);
    assert_eq!(
        results
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>()
            .len(),
        2
    );
    assert!(results.iter().all(|r| r.1), "both ran: {results:?}");
    let ids: Vec<String> = evs
        .iter()
        .filter_map(|e| match e {
            ChatEvent::ToolCall { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec!["r0_call_1", "r0_call_2"], "made-up ids, unique");
}

#[tokio::test]
async fn a_model_that_only_asks_for_tools_ends_in_an_error_not_a_blank_answer() {
    let calls: Vec<Reply> = (0..MAX_TOOL_ROUNDS + 1)
        .map(|_| {
            Reply::tool_calls(
                &[Call::new("same_id", "get_market_status", "{}")],
                1,
                Quirks::default(),
            )
        })
        .collect();
    let (_sim, _dir, engine) = scripted(calls, &[]).await;
    let (evs, last) = ask(&engine, None, "loop").await;
    match &last {
        ChatEvent::Error {
            message,
            partial_saved,
            ..
        } => {
            assert!(message.contains("gave no answer"), "{message}");
            assert!(!partial_saved);
        }
        other => panic!("{other:?}"),
    }
    let ids: Vec<String> = evs
        .iter()
        .filter_map(|e| match e {
            ChatEvent::ToolCall { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "a reused id gets a round suffix: {ids:?}"
    );
}

#[tokio::test]
async fn a_second_send_to_a_busy_session_is_refused_and_deleting_it_stops_the_answer() {
    let (_sim, _dir, engine) = scripted(
        vec![Reply::text(&"slow ".repeat(100), 100)
            .delayed(Duration::ZERO, Duration::from_millis(20))],
        &[],
    )
    .await;
    let engine = Arc::new(engine);
    let (task, _events, session) = answer_in_background(&engine, 0).await;
    let (_, sink) = recorder();
    let busy = engine
        .coach()
        .chat(
            ChatRequest {
                images: vec![],
                session_id: Some(session),
                prompt: "and now?".into(),
            },
            sink,
        )
        .await
        .unwrap_err();
    assert!(busy.to_string().contains("already streaming"), "{busy}");
    engine.coach().chat_delete(session).await.unwrap();
    let last = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("deleting stops the answer")
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            last,
            ChatEvent::Done {
                status: MessageStatus::Cancelled,
                ..
            }
        ),
        "{last:?}"
    );
    assert!(
        engine.coach().chat_session(session).await.is_err(),
        "the session is gone"
    );
    assert!(engine.coach().chat_sessions(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_coach_proposes_an_alert_and_saves_nothing_until_the_user_confirms() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), vec![]).await;
    let (evs, _) = ask(&engine, None, "alert me when SPY crosses above 600").await;
    let results = tool_results(&evs);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "set_alert");
    assert!(results[0].1, "{:?}", results[0].2);
    let card = evs
        .iter()
        .find_map(|e| match e {
            ChatEvent::Card(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a proposal card");
    let proposal = match &card.body {
        coach_engine::chat::cards::CardBody::AlertProposal(p) => p.clone(),
        other => panic!("not a proposal card: {other:?}"),
    };
    assert_eq!(proposal.proposal.price, Some(600.0));
    assert_eq!(
        proposal.proposal.condition,
        coach_core::alerts::Condition::CrossesAbove
    );
    assert!(!proposal.saved);
    assert_eq!(
        proposal.proposal.origin.as_deref(),
        Some(format!("proposal:{}", card.tool_call_id).as_str())
    );
    let answer = text(&evs);
    assert!(answer.contains("not** saved"), "{answer}");
    assert!(
        engine.alerts().list().await.unwrap().is_empty(),
        "the model's proposal saved nothing"
    );
    // The user's click: the card saves exactly the proposal.
    let saved = engine
        .alerts()
        .create(proposal.proposal.clone())
        .await
        .unwrap();
    assert_eq!(saved.origin, proposal.proposal.origin);
    let (evs, _) = ask(&engine, None, "list my alerts").await;
    let results = tool_results(&evs);
    assert_eq!(results[0].0, "list_alerts");
    assert_eq!(results[0].2["alerts"][0]["id"], serde_json::json!(saved.id));
    assert!(text(&evs).contains("crosses above"), "{}", text(&evs));
}
