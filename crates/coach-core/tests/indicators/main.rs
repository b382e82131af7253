//! Indicators against TA-Lib on real history, VWAP against an independent
//! computation, and live (incremental) values against batch values.
//!
//! Reference data: `tests/data/talib_spy_daily.csv` (TA-Lib 0.8.1 on SPY daily
//! bars 2008–2017) and `tests/data/vwap_reference.csv`, both written by
//! `scripts/gen_talib_reference.py`.

use coach_core::barcsv;
use coach_core::candles::Candle;
use coach_core::indicators::{IndicatorSet, Spec};

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn bars(name: &str) -> Vec<Candle> {
    barcsv::parse(&data(name))
        .unwrap()
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

/// (keys, rows) of a reference CSV; empty cells are `None`.
fn reference(name: &str) -> (Vec<String>, Vec<Vec<Option<f64>>>) {
    let text = data(name);
    let mut lines = text.lines();
    let keys: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .skip(1)
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| {
            l.split(',')
                .skip(1)
                .map(|c| (!c.is_empty()).then(|| c.parse().unwrap()))
                .collect()
        })
        .collect();
    (keys, rows)
}

/// |ours − reference| ≤ 1e-9 relative (absolute below 1).
fn close_enough(ours: f64, reference: f64) -> bool {
    (ours - reference).abs() <= 1e-9 * reference.abs().max(1.0)
}

const SPECS: [&str; 16] = [
    "sma:1",
    "sma:20",
    "sma:200",
    "ema:1",
    "ema:9",
    "ema:50",
    "rsi:2",
    "rsi:14",
    "macd:12:26:9",
    "macd:5:35:5",
    "atr:1",
    "atr:14",
    "bbands:20:2",
    "bbands:10:1.5",
    "stoch:14:3",
    "stoch:5:1",
];

#[test]
fn every_indicator_matches_talib_on_ten_years_of_spy() {
    let bars = bars("spy_daily_2008_2017.csv");
    let (keys, expected) = reference("talib_spy_daily.csv");
    assert_eq!(bars.len(), 2519);
    let specs: Vec<Spec> = SPECS.iter().map(|s| s.parse().unwrap()).collect();
    let set = IndicatorSet::new(&specs);
    assert_eq!(
        set.keys(),
        keys.as_slice(),
        "output names follow the contract"
    );
    let ours = IndicatorSet::run(&specs, &bars);
    let mut compared = vec![0usize; keys.len()];
    for (i, (mine, theirs)) in ours.iter().zip(&expected).enumerate() {
        for (k, key) in keys.iter().enumerate() {
            match (mine[k], theirs[k]) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    assert!(close_enough(a, b), "{key} at bar {i}: ours {a}, TA-Lib {b}");
                    compared[k] += 1;
                }
                (a, b) => panic!("{key} at bar {i}: ours {a:?}, TA-Lib {b:?} (lookback differs)"),
            }
        }
    }
    // Every output was compared on (nearly) the whole history.
    for (k, key) in keys.iter().enumerate() {
        assert!(compared[k] > 2300, "{key}: only {} values", compared[k]);
    }
}

#[test]
fn vwap_matches_an_independent_session_computation() {
    let bars = bars("vwap_minutes.csv");
    let (_, expected) = reference("vwap_reference.csv");
    let ours = IndicatorSet::run(&["vwap".parse().unwrap()], &bars);
    let mut resets = 0;
    for (i, (mine, theirs)) in ours.iter().zip(&expected).enumerate() {
        match (mine[0], theirs[0]) {
            (None, None) => {}
            (Some(a), Some(b)) => assert!(close_enough(a, b), "bar {i}: {a} vs {b}"),
            (a, b) => panic!("bar {i}: ours {a:?}, reference {b:?}"),
        }
        // At 09:30 New York the VWAP is that bar's typical price.
        let b = &bars[i];
        if let (Some(v), true) = (mine[0], (b.time / 60_000) % 1440 == (13 * 60 + 30)) {
            assert!(close_enough(v, (b.high + b.low + b.close) / 3.0));
            resets += 1;
        }
    }
    assert_eq!(
        resets, 3,
        "three sessions (1, 2, 3 July 2024), three resets"
    );
}

#[test]
fn vwap_bands_are_the_two_pass_volume_weighted_deviation_of_each_session() {
    let bars = bars("vwap_minutes.csv");
    let ours = IndicatorSet::run(&["vwap:bands".parse().unwrap()], &bars);
    let plain = IndicatorSet::run(&["vwap".parse().unwrap()], &bars);
    let mut session: Vec<&Candle> = Vec::new();
    let mut checked = 0;
    for (i, b) in bars.iter().enumerate() {
        // A new session starts at 09:30 New York (13:30 UTC in July).
        if (b.time / 60_000) % 1440 == 13 * 60 + 30 {
            session.clear();
        }
        if ours[i][0].is_none() {
            assert_eq!(plain[i][0], None);
            continue;
        }
        session.push(b);
        assert_eq!(ours[i][0].map(f64::to_bits), plain[i][0].map(f64::to_bits));
        // Two passes: the weighted mean first, then the weighted squared deviations.
        let tp = |c: &Candle| (c.high + c.low + c.close) / 3.0;
        let v: f64 = session.iter().map(|c| c.volume).sum();
        let mean = session.iter().map(|c| tp(c) * c.volume).sum::<f64>() / v;
        let var = session
            .iter()
            .map(|c| (tp(c) - mean).powi(2) * c.volume)
            .sum::<f64>()
            / v;
        let sd = var.sqrt();
        let row = &ours[i];
        let want = [mean, mean + sd, mean - sd, mean + 2.0 * sd, mean - 2.0 * sd];
        for (k, w) in want.iter().enumerate() {
            let got = row[k].unwrap();
            // Running sums lose a little to cancellation next to the two-pass form.
            assert!(
                (got - w).abs() <= 1e-6 * w.abs().max(1.0),
                "bar {i} column {k}: {got} vs {w}"
            );
        }
        checked += 1;
    }
    assert!(
        checked > 1000,
        "three sessions of minutes checked ({checked})"
    );
}

/// SplitMix64: a deterministic random walk without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Intraday minute bars on a random walk from 09:30 New York, 2024-07-02
/// onward (sessions roll over for the VWAP), each built from several ticks.
fn random_walk(seed: u64, n: usize) -> Vec<Vec<Candle>> {
    let mut rng = Rng(seed);
    let mut price = 100.0 + 400.0 * rng.next();
    let start = 1_719_927_000_000i64; // 2024-07-02T13:30:00Z
    (0..n)
        .map(|i| {
            let time = start + i as i64 * 60_000;
            let ticks = 1 + (rng.next() * 6.0) as usize;
            let mut c = Candle {
                time,
                open: price,
                high: price,
                low: price,
                close: price,
                volume: 0.0,
                vwap: None,
                extended: false,
            };
            (0..ticks)
                .map(|_| {
                    price *= 1.0 + (rng.next() - 0.5) * 0.004;
                    c.high = c.high.max(price);
                    c.low = c.low.min(price);
                    c.close = price;
                    c.volume += (rng.next() * 1000.0).floor();
                    c
                })
                .collect()
        })
        .collect()
}

#[test]
fn live_values_equal_batch_values_exactly_on_random_walks() {
    let all: Vec<Spec> = [
        "sma:1",
        "sma:7",
        "ema:1",
        "ema:12",
        "rsi:3",
        "rsi:14",
        "macd:12:26:9",
        "macd:3:5:2",
        "atr:1",
        "atr:14",
        "bbands:20:2",
        "bbands:5:0.5",
        "vwap",
        "vwap:bands",
        "stoch:14:3",
        "stoch:1:1",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for seed in 1..=20 {
        let walk = random_walk(seed, 600);
        let finals: Vec<Candle> = walk.iter().map(|ticks| *ticks.last().unwrap()).collect();
        let batch = IndicatorSet::run(&all, &finals);
        let mut live = IndicatorSet::new(&all);
        let (mut peeked, mut pushed) = (Vec::new(), Vec::new());
        for (i, ticks) in walk.iter().enumerate() {
            for tick in ticks {
                // The last bar changing, tick by tick...
                live.peek(tick, &mut peeked);
            }
            // ...its last state is exactly the batch value (bit for bit)...
            assert_eq!(
                bits(&peeked),
                bits(&batch[i]),
                "seed {seed}, bar {i}: live before close"
            );
            // ...and so is the committed bar.
            live.push(ticks.last().unwrap(), &mut pushed);
            assert_eq!(
                bits(&pushed),
                bits(&batch[i]),
                "seed {seed}, bar {i}: on close"
            );
        }
        assert!(
            batch.last().unwrap().iter().all(Option::is_some),
            "all warmed up by the end"
        );
    }
}

fn bits(row: &[Option<f64>]) -> Vec<Option<u64>> {
    row.iter().map(|v| v.map(f64::to_bits)).collect()
}

#[test]
fn specs_are_checked_and_named_as_the_cli_contract_says() {
    let keys = |s: &str| s.parse::<Spec>().unwrap().keys();
    assert_eq!(
        keys("bbands:20:2"),
        ["bb_upper_20_2", "bb_middle_20_2", "bb_lower_20_2"]
    );
    assert_eq!(keys("stoch:14:3"), ["stoch_k_14_3", "stoch_d_14_3"]);
    assert_eq!(keys("macd:12:26:9")[1], "macd_signal_12_26_9");
    assert_eq!(keys("vwap"), ["vwap"]);
    assert_eq!(
        keys("vwap:bands"),
        [
            "vwap",
            "vwap_upper_1",
            "vwap_lower_1",
            "vwap_upper_2",
            "vwap_lower_2"
        ]
    );
    for bad in [
        "sma",
        "sma:0",
        "sma:x",
        "ema:5:5",
        "macd:26:12:9",
        "bbands:20:-1",
        "foo:3",
        "stoch:14",
        "vwap:1",
        "vwap:bands:2",
    ] {
        let e = bad.parse::<Spec>().unwrap_err();
        assert_eq!(e.spec, bad, "{e}");
    }
}

#[test]
fn whole_series_forms_equal_the_incremental_ones_bit_for_bit() {
    use coach_core::indicators::{batch, series, Atr, Ema, Rsi, Sma};
    let mut sets = vec![bars("spy_daily_2008_2017.csv")];
    for seed in 1..=5 {
        sets.push(
            random_walk(seed, 3000)
                .iter()
                .map(|t| *t.last().unwrap())
                .collect(),
        );
    }
    let nan_is_none = |v: &[f64]| -> Vec<Option<u64>> {
        v.iter()
            .map(|x| (!x.is_nan()).then(|| x.to_bits()))
            .collect()
    };
    let opt = |v: Vec<Option<f64>>| -> Vec<Option<u64>> {
        v.into_iter().map(|x| x.map(f64::to_bits)).collect()
    };
    for bars in &sets {
        let close: Vec<f64> = bars.iter().map(|b| b.close).collect();
        let high: Vec<f64> = bars.iter().map(|b| b.high).collect();
        let low: Vec<f64> = bars.iter().map(|b| b.low).collect();
        for n in [1, 2, 9, 14, 50] {
            assert_eq!(
                nan_is_none(&series::sma(&close, n)),
                opt(batch(Sma::new(n), bars)),
                "sma {n}"
            );
            assert_eq!(
                nan_is_none(&series::ema(&close, n)),
                opt(batch(Ema::new(n), bars)),
                "ema {n}"
            );
            assert_eq!(
                nan_is_none(&series::rsi(&close, n)),
                opt(batch(Rsi::new(n), bars)),
                "rsi {n}"
            );
            assert_eq!(
                nan_is_none(&series::atr(&high, &low, &close, n)),
                opt(batch(Atr::new(n), bars)),
                "atr {n}"
            );
        }
    }
    // Shorter than the warm-up: all NaN, no panic.
    assert!(series::rsi(&[1.0, 2.0], 14).iter().all(|v| v.is_nan()));
    assert!(series::atr(&[], &[], &[], 14).is_empty());
}
