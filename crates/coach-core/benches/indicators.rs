//! Indicators: batch RSI + EMA + ATR over 1,000,000 bars (compared with TA-Lib
//! by `scripts/bench_indicators_vs_talib.py`, which feeds both the same file
//! through COACH_BENCH_BARS), and one live tick through every indicator.
//! `cargo bench -p coach-core --bench indicators`

use coach_core::barcsv;
use coach_core::candles::Candle;
use coach_core::indicators::{series, IndicatorSet, Spec};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The bars of COACH_BENCH_BARS (a `coach indicators` CSV), or a random walk.
fn bars() -> Vec<Candle> {
    if let Ok(path) = std::env::var("COACH_BENCH_BARS") {
        let text = std::fs::read_to_string(&path).expect("COACH_BENCH_BARS is readable");
        return barcsv::parse(&text)
            .expect("COACH_BENCH_BARS is a valid bars CSV")
            .into_iter()
            .map(|(_, c)| c)
            .collect();
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut price = 100.0f64;
    (0..1_000_000i64)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let open = price;
            price *= 1.0 + ((state % 2001) as f64 - 1000.0) * 1e-6;
            let wiggle = (state % 97) as f64 * 1e-4 * price;
            Candle {
                time: 1_000_000_000_000 + i * 60_000,
                open,
                high: open.max(price) + wiggle,
                low: open.min(price) - wiggle,
                close: price,
                volume: 100.0 + (state % 5000) as f64,
                vwap: None,
                extended: false,
            }
        })
        .collect()
}

fn batch_rsi_ema_atr(c: &mut Criterion) {
    let bars = bars();
    // Columns, as TA-Lib takes them.
    let close: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let high: Vec<f64> = bars.iter().map(|b| b.high).collect();
    let low: Vec<f64> = bars.iter().map(|b| b.low).collect();
    let mut group = c.benchmark_group("indicators");
    group.throughput(Throughput::Elements(bars.len() as u64));
    group.sample_size(20);
    group.bench_function(format!("rsi14 + ema20 + atr14, {} bars", bars.len()), |b| {
        // Output buffers reused between runs, as TA-Lib's C API writes into
        // the caller's arrays.
        let (mut rsi, mut ema, mut atr) = (Vec::new(), Vec::new(), Vec::new());
        b.iter(|| {
            series::rsi_into(&close, 14, &mut rsi);
            series::ema_into(&close, 20, &mut ema);
            series::atr_into(&high, &low, &close, 14, &mut atr);
            std::hint::black_box((rsi.len(), ema.len(), atr.len()))
        })
    });
    group.finish();
}

fn one_live_tick(c: &mut Criterion) {
    let bars = bars();
    let specs: Vec<Spec> = [
        "sma:20",
        "ema:9",
        "ema:21",
        "rsi:14",
        "macd:12:26:9",
        "atr:14",
        "bbands:20:2",
        "vwap",
        "stoch:14:3",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    // Warm up on a session of minute bars, then price a forming bar.
    let start = 1_719_927_000_000i64; // 2024-07-02 09:30 New York
    let session: Vec<Candle> = bars[..300]
        .iter()
        .enumerate()
        .map(|(i, b)| Candle {
            time: start + i as i64 * 60_000,
            ..*b
        })
        .collect();
    let mut set = IndicatorSet::new(&specs);
    let mut row = Vec::new();
    for b in &session[..299] {
        set.push(b, &mut row);
    }
    let mut forming = session[299];
    let mut group = c.benchmark_group("indicators");
    group.bench_function(
        format!("one live tick, all {} indicators", specs.len()),
        |b| {
            b.iter(|| {
                forming.close += 0.01;
                forming.high = forming.high.max(forming.close);
                set.peek(std::hint::black_box(&forming), &mut row);
                std::hint::black_box(row.len())
            })
        },
    );
    group.finish();
}

criterion_group!(benches, batch_rsi_ema_atr, one_live_tick);
criterion_main!(benches);
