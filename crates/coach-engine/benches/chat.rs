//! The chat engine's added latency: from the moment the model server hands
//! the first content fragment to its socket to the moment the engine's sink
//! receives the first `token` event (loopback TCP, HTTP, SSE parsing in
//! async-openai, our chunk parsing, phase bookkeeping, the event itself).
//! `cargo bench -p coach-engine --bench chat`
//!
//! Criterion reports the mean per answer; the same run also prints p50/p99
//! over 1,000 answers, which is what docs/benchmarks.md records.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coach_engine::chat::{ChatEvent, ChatRequest};
use coach_engine::Engine;
use coach_llm_sim::{LlmSim, Reply};
use coach_testkit::EngineKit;
use criterion::{criterion_group, criterion_main, Criterion};

async fn engine(dir: &std::path::Path, model: &LlmSim) -> Engine {
    EngineKit::new(dir)
        .lazy_market(true)
        .scripted_model(model)
        .start()
        .await
}

/// One answer; returns first content fragment sent → first token event received.
async fn one(engine: &Engine, sim: &LlmSim) -> Duration {
    sim.push([Reply::text(
        "SPY is at 512.40 and holding the prior day high.",
        8,
    )]);
    let first_token: Arc<Mutex<Option<Instant>>> = Arc::default();
    let seen = first_token.clone();
    let sink = move |ev: ChatEvent| {
        if matches!(ev, ChatEvent::Token { .. }) {
            let mut t = seen.lock().unwrap();
            if t.is_none() {
                *t = Some(Instant::now());
            }
        }
        true
    };
    let before = sim.first_content_instants().len();
    engine
        .coach()
        .chat(
            ChatRequest {
                images: vec![],
                session_id: None,
                prompt: "SPY?".into(),
            },
            sink,
        )
        .await
        .unwrap();
    let sent = sim.first_content_instants()[before];
    let got = first_token.lock().unwrap().expect("a token arrived");
    got.saturating_duration_since(sent)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i]
}

fn added_latency(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (sim, engine) = rt.block_on(async {
        let sim = LlmSim::start(vec![], 0).await.unwrap();
        let engine = engine(dir.path(), &sim).await;
        (sim, engine)
    });
    // Warm up connections and caches, then a distribution for p50/p99.
    let mut samples: Vec<Duration> = rt.block_on(async {
        for _ in 0..50 {
            one(&engine, &sim).await;
        }
        let mut v = Vec::with_capacity(1000);
        for _ in 0..1000 {
            v.push(one(&engine, &sim).await);
        }
        v
    });
    samples.sort();
    eprintln!(
        "chat added latency over {} answers: p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        samples.last().unwrap()
    );
    c.bench_function(
        "chat: first content fragment sent → first token event",
        |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += one(&engine, &sim).await;
                    }
                    total
                })
            })
        },
    );
}

criterion_group!(benches, added_latency);
criterion_main!(benches);
