//! A full chain of 5,000 contracts (2,500 strikes, a call and a put each)
//! recomputed when the underlying moves: every Greek again at the new spot.
//! `cargo bench -p coach-engine --bench options_chain` (target ≤ 2 ms).

use coach_engine::options_chain::{reprice, ChainRow, OptionQuote, OptionsChain};
use criterion::{criterion_group, criterion_main, Criterion};

fn quote(strike: f64, iv: f64) -> OptionQuote {
    OptionQuote {
        ticker: format!("O:X{strike}"),
        bid: Some(1.0),
        ask: Some(1.1),
        mid: Some(1.05),
        last: Some(1.05),
        volume: Some(10.0),
        open_interest: Some(100.0),
        iv: Some(iv),
        delta: None,
        gamma: None,
        theta: None,
        vega: None,
        computed: false,
        price_source: None,
        in_the_money: false,
    }
}

fn chain() -> OptionsChain {
    let spot = 500.0;
    let rows = (0..2500)
        .map(|i| {
            let strike = 250.0 + i as f64 * 0.2;
            let iv = 0.15 + 0.1 * ((strike / spot).ln()).abs();
            ChainRow {
                strike,
                call: Some(quote(strike, iv)),
                put: Some(quote(strike, iv)),
            }
        })
        .collect();
    OptionsChain {
        symbol: "X".into(),
        expiration: "2024-07-19".into(),
        expirations: vec![],
        spot,
        as_of_ms: 0,
        years: 17.0 / 365.0,
        rate: 0.045,
        atm_strike: None,
        expected_move: None,
        rows,
        computed: 0,
        contracts: 5000,
        adjusted_skipped: 0,
    }
}

fn bench(c: &mut Criterion) {
    let mut ch = chain();
    let mut spot = 500.0;
    c.bench_function(
        "options chain: 5,000 contracts repriced on a spot move",
        |b| {
            b.iter(|| {
                spot = if spot > 500.0 { 499.5 } else { 500.5 };
                reprice(&mut ch, spot);
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
