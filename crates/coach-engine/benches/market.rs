//! Market data hot paths.
//! `cargo bench -p coach-engine --bench market`
//!
//! - frame → events → hub fan-out → candle aggregation, per event
//! - a cached chart request for about 2,000 one-minute bars

use std::sync::Arc;

use coach_core::candles::CandleAggregator;
use coach_core::{Symbol, Timeframe};
use coach_engine::clock::Clock;
use coach_engine::config::{MarketConfig, MarketMode};
use coach_engine::market::history::{BarHistory, ChartQuery};
use coach_engine::market::rest::MassiveRest;
use coach_engine::market::wire::{parse_frame, MarketEvent};
use coach_engine::market::{Channel, MarketHub, Topic};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A realistic frame: 50 second-aggregates for SPY, as Massive batches them.
fn frame() -> String {
    let events: Vec<serde_json::Value> = (0..50)
        .map(|i| {
            let s = 1_719_928_800_000i64 + i * 1000;
            serde_json::json!({"ev":"A","sym":"SPY","v":1200,"av":8642007,"op":550.12,"vw":551.2031,"o":551.2,"c":551.21,"h":551.25,"l":551.18,"a":550.9,"z":60,"s":s,"e":s+1000})
        })
        .collect();
    serde_json::Value::Array(events).to_string()
}

fn demo_config(rest_url: String, ws_url: String) -> MarketConfig {
    MarketConfig {
        mode: MarketMode::Demo,
        rest_url,
        ws_url,
        api_key: None,
        stale_after_secs: 30,
    }
}

fn frame_to_candles(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    // A hub that never connects (lazy, nothing to connect to): fan-out only.
    let config = demo_config("http://127.0.0.1:9".into(), "ws://127.0.0.1:9".into());
    let clock: Arc<dyn Clock> = Arc::new(coach_engine::clock::SystemClock);
    let hub = MarketHub::start(config.clone(), MassiveRest::new(&config), clock, true);
    let spy = Symbol::parse("SPY").unwrap();
    let mut sub = hub.subscribe_all(vec![
        Topic::new(Channel::Seconds, spy.clone()),
        Topic::new(Channel::Minutes, spy),
    ]);
    let text = frame();
    let mut events = Vec::with_capacity(64);
    let mut agg = CandleAggregator::new();
    let mut group = c.benchmark_group("market");
    group.throughput(Throughput::Elements(50));
    group.bench_function("parse only (50-event frame)", |b| {
        b.iter(|| {
            events.clear();
            parse_frame(&text, &mut events).unwrap();
            std::hint::black_box(events.len())
        })
    });
    group.bench_function("parse + fan-out + aggregate (50-event frame)", |b| {
        b.iter(|| {
            events.clear();
            parse_frame(&text, &mut events).unwrap();
            for ev in events.drain(..) {
                if let MarketEvent::Data(d) = ev {
                    hub.dispatch(d);
                }
            }
            while let Some(ev) = sub.try_recv() {
                if let Some(part) = ev.candle() {
                    let _ = agg.on_partial(part.time, &part);
                }
            }
            std::hint::black_box(agg.current(Timeframe::M1));
        })
    });
    group.finish();
}

fn cached_chart(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2024-07-10T20:30:00Z")
        .unwrap()
        .to_utc();
    let (charts, _sim) = rt.block_on(async {
        let clock = coach_sim::SimClock::Fixed(start);
        let sim = coach_sim::SimHandle::start(coach_sim::SimConfig {
            clock: clock.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        let config = demo_config(sim.rest_url(), sim.ws_url());
        let db = Arc::new(coach_engine::store::Db::open(&dir.path().join("coach.db")).unwrap());
        let charts = BarHistory::new(MassiveRest::new(&config), db.bars(), Arc::new(clock));
        (charts, sim)
    });
    let q = ChartQuery {
        symbol: "SPY".into(),
        timeframe: "1m".into(),
        from_ms: Some(start.timestamp_millis() - 2 * 86_400_000 - 2 * 3_600_000),
        to_ms: Some(start.timestamp_millis()),
    };
    let first = rt.block_on(charts.load(&q)).unwrap();
    assert!(
        first.bars.len() >= 1900,
        "about 2,000 bars: {}",
        first.bars.len()
    );
    let mut group = c.benchmark_group("charts");
    group.bench_function(
        format!("cached request, {} one-minute bars", first.bars.len()),
        |b| b.iter(|| std::hint::black_box(rt.block_on(charts.load(&q)).unwrap().bars.len())),
    );
    group.finish();
}

criterion_group!(benches, frame_to_candles, cached_chart);
criterion_main!(benches);
