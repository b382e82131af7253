//! The alerts worker's evaluation: 1,000 active alerts on 50 symbols (20 per
//! symbol, every kind of condition and trigger), fed trades that wander
//! around their lines. The target is ≤ 1 µs per trade for a symbol.
//! `cargo bench -p coach-engine --bench alerts`

use std::sync::Arc;

use coach_core::alerts::{AlertRule, AlertState, Condition, Rearm, Trigger};
use coach_core::Timeframe;
use coach_engine::alerts::book::{Book, Watched};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SYMBOLS: usize = 50;
const PER_SYMBOL: usize = 20;

fn rule(i: usize, base: f64) -> AlertRule {
    let conditions = [
        Condition::CrossesAbove,
        Condition::CrossesBelow,
        Condition::Crosses,
        Condition::Above,
        Condition::Below,
        Condition::Enters,
        Condition::Exits,
        Condition::MovesUp,
        Condition::MovesDown,
    ];
    let condition = conditions[i % conditions.len()];
    let triggers = [
        Trigger::Every,
        Trigger::OncePerBar,
        Trigger::Every,
        Trigger::OncePerBarClose,
    ];
    let offset = (i as f64 - PER_SYMBOL as f64 / 2.0) * 0.05;
    let (price, price2) = match condition {
        Condition::Enters | Condition::Exits => (base + offset - 0.1, Some(base + offset + 0.1)),
        Condition::MovesUp | Condition::MovesDown => (0.5, None),
        _ => (base + offset, None),
    };
    AlertRule {
        condition,
        price: Some(price),
        price2,
        level: None,
        trigger: triggers[i % triggers.len()],
        timeframe: Timeframe::M1,
        cooldown_secs: 30,
        rearm: Some(Rearm::Points(0.05)),
        expires_ms: None,
    }
}

fn make_book() -> (Book, Vec<Arc<str>>) {
    let mut book = Book::new();
    let mut names = Vec::new();
    for s in 0..SYMBOLS {
        let sym: Arc<str> = Arc::from(format!("SYM{s}").as_str());
        names.push(sym.clone());
        for i in 0..PER_SYMBOL {
            book.insert(
                sym.clone(),
                Watched {
                    id: (s * PER_SYMBOL + i) as i64,
                    updated_ms: 0,
                    created_ms: 0,
                    from_ms: 0,
                    rule: rule(i, 100.0 + s as f64),
                    level_label: None,
                    state: AlertState::default(),
                    atr: Some(0.4),
                    level_price: None,
                },
            );
        }
    }
    (book, names)
}

fn evaluate(c: &mut Criterion) {
    let (mut book, names) = make_book();
    let mut out = Vec::new();
    // A price wandering ±0.6 around each symbol's lines, a trade every 10 ms.
    let mut t = 1_719_928_800_000i64;
    let mut k = 0usize;
    let mut g = c.benchmark_group("alerts");
    g.throughput(Throughput::Elements(1));
    g.bench_function("trade_for_a_symbol_with_20_of_1000_alerts", |b| {
        b.iter(|| {
            k = k.wrapping_add(1);
            t += 10;
            let s = k % SYMBOLS;
            let wiggle = ((k as f64) * 0.37).sin() * 0.6;
            book.on_trade(&names[s], t, 100.0 + s as f64 + wiggle, 100.0, &mut out);
            if out.len() > 10_000 {
                out.clear();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, evaluate);
criterion_main!(benches);
