//! Implied volatility plus all five Greeks for 1,000,000 options, and one
//! American price by the tree.
//! `cargo bench -p coach-core --bench options`

use coach_core::options::{
    american, bsm, implied_vol, implied_vol_and_greeks, Contract, OptionKind,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// COACH_BENCH_OPTIONS (CSV kind,spot,strike,years,rate,dividend,price, as
/// `scripts/bench_options_vs_references.py` writes it) or a generated book.
fn book(n: usize) -> Vec<(Contract, f64)> {
    if let Ok(path) = std::env::var("COACH_BENCH_OPTIONS") {
        let text = std::fs::read_to_string(&path).expect("COACH_BENCH_OPTIONS is readable");
        return text
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let n = |i: usize| f[i].parse::<f64>().expect("a number");
                let kind = if f[0] == "c" {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                };
                (
                    Contract {
                        kind,
                        spot: n(1),
                        strike: n(2),
                        years: n(3),
                        rate: n(4),
                        dividend: n(5),
                    },
                    n(6),
                )
            })
            .collect();
    }
    let mut state = 0x0123_4567_89ab_cdefu64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let spot = 50.0 + 500.0 * next();
            let c = Contract {
                kind: if next() < 0.5 {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                },
                spot,
                strike: spot * (0.7 + 0.6 * next()),
                years: 0.01 + 2.0 * next(),
                rate: 0.04,
                dividend: 0.01,
            };
            let price = bsm(&c, 0.1 + 0.8 * next()).unwrap().price;
            (c, price)
        })
        .collect()
}

fn iv_and_greeks(c: &mut Criterion) {
    let book = book(1_000_000);
    let mut group = c.benchmark_group("options");
    group.sample_size(10);
    group.throughput(Throughput::Elements(book.len() as u64));
    group.bench_function("iv + greeks, 1,000,000 options", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for (contract, price) in &book {
                if let Ok((iv, g)) = implied_vol_and_greeks(contract, *price) {
                    sum += iv + g.delta + g.gamma + g.theta + g.vega + g.rho;
                }
            }
            std::hint::black_box(sum)
        })
    });
    // The same through the two separate calls (each discounts on its own).
    group.bench_function("iv then bsm, 1,000,000 options", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for (contract, price) in &book {
                if let Ok(iv) = implied_vol(contract, *price) {
                    let g = bsm(contract, iv).unwrap();
                    sum += iv + g.delta + g.gamma + g.theta + g.vega + g.rho;
                }
            }
            std::hint::black_box(sum)
        })
    });
    let put = Contract {
        kind: OptionKind::Put,
        spot: 100.0,
        strike: 110.0,
        years: 0.5,
        rate: 0.05,
        dividend: 0.02,
    };
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.bench_function("american put, Leisen-Reimer 201 steps", |b| {
        b.iter(|| std::hint::black_box(american(&put, 0.3, 201).unwrap().0))
    });
    group.finish();
}

criterion_group!(benches, iv_and_greeks);
criterion_main!(benches);
