//! Ticks → candles for all five timeframes.
//! `cargo bench -p coach-core --bench candles`

use coach_core::candles::CandleAggregator;
use coach_core::Timeframe;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// One regular session of trades: 1,000,000 ticks between 09:30 and 16:00 ET on 2024-07-02.
fn session_ticks(n: usize) -> Vec<(i64, f64, f64)> {
    let open = 1_719_927_000_000i64; // 2024-07-02T13:30:00Z
    let span = 390 * 60_000i64;
    let mut price = 550.0f64;
    let mut state = 0x1234_5678_9abc_def0u64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            price += ((state % 2001) as f64 - 1000.0) * 1e-5;
            (
                open + (i as i64 * span) / n as i64,
                price,
                1.0 + (state % 500) as f64,
            )
        })
        .collect()
}

fn ticks_to_candles(c: &mut Criterion) {
    let ticks = session_ticks(1_000_000);
    let mut group = c.benchmark_group("candles");
    group.throughput(Throughput::Elements(ticks.len() as u64));
    group.bench_function("1M ticks into 1m/5m/15m/1h/1D", |b| {
        b.iter_batched(
            CandleAggregator::new,
            |mut agg| {
                for &(t, p, s) in &ticks {
                    let _ = agg.on_trade(t, p, s);
                }
                // Read every timeframe's live candle, as a consumer would.
                for tf in Timeframe::ALL {
                    std::hint::black_box(agg.current(tf));
                }
                agg
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, ticks_to_candles);
criterion_main!(benches);
