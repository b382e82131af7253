//! Levels for one symbol from cached bars: 80 sessions of daily bars and a
//! day's minute bars up to 15:00 New York (pre-market included, 660 bars).
//! `cargo bench -p coach-core --bench levels`

use chrono::{DateTime, NaiveDate};
use coach_core::calendar;
use coach_core::candles::Candle;
use coach_core::levels::{compute, LevelInputs};
use criterion::{criterion_group, criterion_main, Criterion};

fn walk(state: &mut u64, price: &mut f64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *price *= 1.0 + ((*state % 2001) as f64 - 1000.0) * 2e-6;
    *price
}

fn levels(c: &mut Criterion) {
    let session = calendar::session(NaiveDate::from_ymd_opt(2024, 7, 2).unwrap())
        .unwrap()
        .unwrap();
    let (mut state, mut price) = (0x9e37_79b9_7f4a_7c15u64, 550.0);
    let mut days = Vec::new();
    let mut d = session.date;
    for _ in 0..80 {
        d = calendar::previous_session(d).unwrap().date;
        days.push(d);
    }
    days.reverse();
    let daily: Vec<Candle> = days
        .iter()
        .map(|d| {
            let open = price;
            let (mut hi, mut lo) = (open, open);
            for _ in 0..50 {
                let p = walk(&mut state, &mut price);
                hi = hi.max(p);
                lo = lo.min(p);
            }
            Candle {
                time: calendar::midnight_ny(*d),
                open,
                high: hi,
                low: lo,
                close: price,
                volume: 5e7,
                vwap: None,
                extended: false,
            }
        })
        .collect();
    let pre_open = session.pre_open.timestamp_millis();
    let minutes: Vec<Candle> = (0..660)
        .map(|i| {
            let open = price;
            let close = walk(&mut state, &mut price);
            Candle {
                time: pre_open + i * 60_000,
                open,
                high: open.max(close) + 0.05,
                low: open.min(close) - 0.05,
                close,
                volume: 1e4,
                vwap: None,
                extended: false,
            }
        })
        .collect();
    let at = DateTime::from_timestamp_millis(pre_open + 660 * 60_000).unwrap();
    let inputs = LevelInputs {
        symbol: "SPY",
        at,
        session,
        daily: &daily,
        minutes: &minutes,
    };
    let n = compute(&inputs).unwrap().levels.len();
    c.bench_function(
        &format!(
            "levels/one symbol, {} daily + {} minute bars → {n} levels",
            daily.len(),
            minutes.len()
        ),
        |b| {
            b.iter(|| {
                std::hint::black_box(compute(std::hint::black_box(&inputs)).unwrap().levels.len())
            })
        },
    );
}

criterion_group!(benches, levels);
criterion_main!(benches);
