//! The demo market's price model: deterministic for a seed, plausible to a trader.
//!
//! Every price is a pure function of (seed, symbol, date): nothing is stored and
//! any date from 2019 through 2035 can be replayed. The shape:
//!
//! - Daily: a mean-reverting log-price walk around the symbol's level, with
//!   GARCH(1,1) volatility clustering and an overnight gap.
//! - Intraday: the regular session is a Brownian bridge from the day's open to
//!   its close, with a U-shaped volatility and volume profile; pre-market
//!   (04:00–09:30 ET) bridges from the previous evening to the open, after-hours
//!   (16:00–20:00 ET) drifts from the close, both on thin volume.
//! - Prices are in cents; the daily bar is *defined* as the aggregate of the
//!   regular-session minute bars, so history and the live stream always agree.
//! - Trades inside a minute start at its open, end at its close and touch its
//!   high and low; their sizes add up to its volume.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use coach_core::calendar::{self, midnight_ny, Session};

/// A tradable symbol of the demo market.
#[derive(Debug, Clone, Copy)]
pub struct SymbolSpec {
    pub symbol: &'static str,
    pub name: &'static str,
    /// The level prices revert to (a plausible 2025–26 price).
    pub level: f64,
    pub annual_vol: f64,
    /// Typical regular-session volume in shares.
    pub daily_volume: f64,
}

pub const SYMBOLS: &[SymbolSpec] = &[
    SymbolSpec {
        symbol: "SPY",
        name: "SPDR S&P 500 ETF Trust",
        level: 575.0,
        annual_vol: 0.15,
        daily_volume: 55e6,
    },
    SymbolSpec {
        symbol: "QQQ",
        name: "Invesco QQQ Trust",
        level: 495.0,
        annual_vol: 0.20,
        daily_volume: 35e6,
    },
    SymbolSpec {
        symbol: "IWM",
        name: "iShares Russell 2000 ETF",
        level: 220.0,
        annual_vol: 0.22,
        daily_volume: 28e6,
    },
    SymbolSpec {
        symbol: "AAPL",
        name: "Apple Inc.",
        level: 228.0,
        annual_vol: 0.26,
        daily_volume: 50e6,
    },
    SymbolSpec {
        symbol: "MSFT",
        name: "Microsoft Corporation",
        level: 425.0,
        annual_vol: 0.24,
        daily_volume: 20e6,
    },
    SymbolSpec {
        symbol: "NVDA",
        name: "NVIDIA Corporation",
        level: 135.0,
        annual_vol: 0.50,
        daily_volume: 240e6,
    },
    SymbolSpec {
        symbol: "TSLA",
        name: "Tesla, Inc.",
        level: 250.0,
        annual_vol: 0.55,
        daily_volume: 90e6,
    },
    SymbolSpec {
        symbol: "AMZN",
        name: "Amazon.com, Inc.",
        level: 190.0,
        annual_vol: 0.30,
        daily_volume: 40e6,
    },
    SymbolSpec {
        symbol: "META",
        name: "Meta Platforms, Inc.",
        level: 560.0,
        annual_vol: 0.35,
        daily_volume: 14e6,
    },
    SymbolSpec {
        symbol: "GOOGL",
        name: "Alphabet Inc.",
        level: 170.0,
        annual_vol: 0.28,
        daily_volume: 25e6,
    },
];

/// The first session the model produces.
pub const FIRST_DATE: (i32, u32, u32) = (2019, 1, 2);

/// One OHLCV bar. `t` is the bar's start in unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub t: i64,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
    pub vw: f64,
    pub n: u32,
    /// Pre-market or after-hours.
    pub extended: bool,
}

/// One trade (prints at `t` unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trade {
    pub t: i64,
    pub p: f64,
    pub s: f64,
    /// Sequence number within the day, for the `q` field.
    pub seq: u64,
}

/// SplitMix64: tiny, fast, and the same on every platform and version.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn mix(parts: &[u64]) -> u64 {
    let mut r = Rng::new(0x5EED);
    let mut h = 0u64;
    for p in parts {
        r.0 ^= p.wrapping_mul(0x100_0000_01B3);
        h ^= r.next_u64();
    }
    h
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What the daily walk decided for one session.
#[derive(Debug, Clone, Copy)]
struct DayPlan {
    session: Session,
    /// Where pre-market starts: the previous session's after-hours close.
    pre_from: f64,
    open: f64,
    close: f64,
    /// Where after-hours ends.
    post_to: f64,
    /// Standard deviation of the day's open-to-close log return.
    sigma: f64,
    volume: f64,
}

const REGULAR_MINUTES: usize = 390;

/// (symbol index, session index).
type DayKey = (usize, usize);

/// The demo market's prices for every symbol.
pub struct MarketModel {
    seed: u64,
    plans: Vec<Vec<DayPlan>>,
    /// date → index into each symbol's plan (all symbols share the sessions).
    index: HashMap<NaiveDate, usize>,
    minutes: Mutex<HashMap<DayKey, Arc<Vec<Bar>>>>,
    daily: Mutex<HashMap<DayKey, Bar>>,
}

impl MarketModel {
    pub fn new(seed: u64) -> MarketModel {
        let first =
            NaiveDate::from_ymd_opt(FIRST_DATE.0, FIRST_DATE.1, FIRST_DATE.2).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(calendar::LAST_YEAR, 12, 31).unwrap_or_default();
        let sessions = calendar::sessions(first, last).unwrap_or_default();
        let index = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| (s.date, i))
            .collect();
        let plans = SYMBOLS
            .iter()
            .enumerate()
            .map(|(k, spec)| plan_symbol(seed, k, spec, &sessions))
            .collect();
        MarketModel {
            seed,
            plans,
            index,
            minutes: Mutex::new(HashMap::new()),
            daily: Mutex::new(HashMap::new()),
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn symbol_index(symbol: &str) -> Option<usize> {
        SYMBOLS.iter().position(|s| s.symbol == symbol)
    }

    pub fn spec(symbol: &str) -> Option<&'static SymbolSpec> {
        SYMBOLS.iter().find(|s| s.symbol == symbol)
    }

    /// The session on `date`, when the model has one.
    pub fn session(&self, date: NaiveDate) -> Option<Session> {
        self.index.get(&date).map(|&i| self.plans[0][i].session)
    }

    /// Sessions the model covers between two dates, inclusive.
    pub fn sessions_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<Session> {
        self.plans[0]
            .iter()
            .map(|p| p.session)
            .filter(|s| s.date >= from && s.date <= to)
            .collect()
    }

    /// Every minute bar of a session day, 04:00–20:00 ET (regular ones unflagged).
    pub fn minute_bars(&self, symbol: &str, date: NaiveDate) -> Option<Arc<Vec<Bar>>> {
        let k = Self::symbol_index(symbol)?;
        let i = *self.index.get(&date)?;
        let mut cache = self.minutes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = cache.get(&(k, i)) {
            return Some(b.clone());
        }
        if cache.len() > 4096 {
            cache.clear();
        }
        let bars = Arc::new(day_minutes(self.seed, k, &SYMBOLS[k], &self.plans[k][i]));
        cache.insert((k, i), bars.clone());
        Some(bars)
    }

    /// The daily bar: the aggregate of the regular-session minutes. `t` is
    /// midnight New York time of the session date, as Massive reports it.
    pub fn daily_bar(&self, symbol: &str, date: NaiveDate) -> Option<Bar> {
        let k = Self::symbol_index(symbol)?;
        let i = *self.index.get(&date)?;
        if let Some(b) = self
            .daily
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(k, i))
        {
            return Some(*b);
        }
        let minutes = self.minute_bars(symbol, date)?;
        let regular: Vec<Bar> = minutes.iter().filter(|b| !b.extended).copied().collect();
        let mut bar = aggregate(&regular)?;
        bar.t = midnight_ny(date);
        self.daily
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((k, i), bar);
        Some(bar)
    }

    /// The trades inside one minute bar, deterministic for the bar.
    pub fn trades(&self, symbol: &str, bar: &Bar) -> Vec<Trade> {
        let k = Self::symbol_index(symbol).unwrap_or(0);
        minute_trades(self.seed, k, bar)
    }
}

/// The aggregate of consecutive bars (first open, last close, extremes, sums).
pub fn aggregate(bars: &[Bar]) -> Option<Bar> {
    let first = bars.first()?;
    let last = bars.last()?;
    let v: f64 = bars.iter().map(|b| b.v).sum();
    let pv: f64 = bars.iter().map(|b| b.vw * b.v).sum();
    Some(Bar {
        t: first.t,
        o: first.o,
        h: bars.iter().map(|b| b.h).fold(f64::MIN, f64::max),
        l: bars.iter().map(|b| b.l).fold(f64::MAX, f64::min),
        c: last.c,
        v,
        vw: if v > 0.0 {
            (pv / v * 10_000.0).round() / 10_000.0
        } else {
            last.c
        },
        n: bars.iter().map(|b| b.n).sum(),
        extended: bars.iter().all(|b| b.extended),
    })
}

fn plan_symbol(seed: u64, k: usize, spec: &SymbolSpec, sessions: &[Session]) -> Vec<DayPlan> {
    let mut rng = Rng::new(mix(&[seed, k as u64, 0xDA11]));
    let daily_sigma = spec.annual_vol / 252f64.sqrt();
    let ln_level = spec.level.ln();
    // GARCH(1,1) on daily variance, long-run variance = daily_sigma².
    let (alpha, beta) = (0.08, 0.90);
    let omega = daily_sigma * daily_sigma * (1.0 - alpha - beta);
    let mut var = daily_sigma * daily_sigma;
    let mut ln_close = ln_level + 0.25 * daily_sigma * 16.0 * rng.normal().clamp(-2.0, 2.0);
    let mut post_to = ln_close.exp();
    let mut plans = Vec::with_capacity(sessions.len());
    let mut last_shock = 0.0;
    for s in sessions {
        var = omega + alpha * last_shock * last_shock + beta * var;
        let sigma = var.sqrt();
        // Weak pull toward the level (half-life about a year) keeps prices plausible.
        let drift = 0.003 * (ln_level - ln_close);
        let shock = sigma * rng.normal();
        last_shock = shock;
        let gap = 0.35 * shock + 0.2 * sigma * rng.normal();
        let ln_open = ln_close + drift * 0.3 + gap;
        let ln_next_close = ln_close + drift + shock;
        let open = cents(ln_open.exp());
        let close = cents(ln_next_close.exp());
        let intraday_sigma = (0.65 * sigma).max(0.002);
        let volume = spec.daily_volume * (0.6 + 0.8 * rng.unit()) * (sigma / daily_sigma).sqrt();
        let evening = cents(close * (0.15 * sigma * rng.normal()).exp());
        plans.push(DayPlan {
            session: *s,
            pre_from: post_to,
            open,
            close,
            post_to: evening,
            sigma: intraday_sigma,
            volume,
        });
        post_to = evening;
        ln_close = close.ln();
    }
    plans
}

/// A Brownian bridge in log price from `from` to `to` over `weights.len()`
/// steps whose variances are proportional to `weights` (summing to `sigma²`).
fn bridge(rng: &mut Rng, from: f64, to: f64, sigma: f64, weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let var: Vec<f64> = weights.iter().map(|w| sigma * sigma * w / total).collect();
    let mut w = vec![0.0; weights.len() + 1];
    let mut v = vec![0.0; weights.len() + 1];
    // Volatility clusters within the day too: an AR(1) on the log of the step size.
    let mut lv = 0.0;
    for i in 0..weights.len() {
        lv = 0.85 * lv + 0.35 * rng.normal();
        let step_var = var[i] * (lv - 0.5 * 0.35 * 0.35 / (1.0 - 0.85 * 0.85)).exp();
        w[i + 1] = w[i] + step_var.sqrt() * rng.normal();
        v[i + 1] = v[i] + step_var;
    }
    let (a, b) = (from.ln(), to.ln());
    let vn = v[weights.len()].max(1e-18);
    (0..=weights.len())
        .map(|i| {
            let f = v[i] / vn;
            (a + f * (b - a) + w[i] - f * w[weights.len()]).exp()
        })
        .collect()
}

fn day_minutes(seed: u64, k: usize, spec: &SymbolSpec, plan: &DayPlan) -> Vec<Bar> {
    let mut rng = Rng::new(mix(&[
        seed,
        k as u64,
        plan.session.date.num_days_from_ce() as u64,
    ]));
    let pre_n = ((plan.session.open - plan.session.pre_open).num_minutes()).max(0) as usize;
    let reg_n = ((plan.session.close - plan.session.open).num_minutes()).max(1) as usize;
    let post_n = ((plan.session.post_close - plan.session.close).num_minutes()).max(0) as usize;

    let u_shape = |i: usize, n: usize| {
        let x = i as f64 / (n.max(2) - 1) as f64;
        1.0 + 2.5 * (-x * 14.0).exp() + 1.6 * (-(1.0 - x) * 10.0).exp()
    };
    let reg_w: Vec<f64> = (0..reg_n).map(|i| u_shape(i, reg_n)).collect();
    let reg = bridge(
        &mut rng,
        plan.open,
        plan.close,
        plan.sigma * (reg_n as f64 / REGULAR_MINUTES as f64).sqrt(),
        &reg_w,
    );
    let pre = bridge(
        &mut rng,
        plan.pre_from,
        plan.open,
        0.25 * plan.sigma,
        &vec![1.0; pre_n.max(1)],
    );
    let post = bridge(
        &mut rng,
        plan.close,
        plan.post_to,
        0.2 * plan.sigma,
        &vec![1.0; post_n.max(1)],
    );

    let mut bars = Vec::with_capacity(pre_n + reg_n + post_n);
    let start = plan.session.pre_open.timestamp_millis();
    let minute_sigma = plan.sigma / (REGULAR_MINUTES as f64).sqrt();
    let reg_w_total: f64 = reg_w.iter().sum();
    let mut push =
        |rng: &mut Rng, path: &[f64], i: usize, t: i64, vol: f64, extended: bool, wiggle: f64| {
            let o = cents(path[i]);
            let c = cents(path[i + 1]);
            let h = cents(o.max(c) * (wiggle * rng.unit()).exp()).max(o.max(c));
            let l = cents(o.min(c) * (-wiggle * rng.unit()).exp()).min(o.min(c));
            let v = (vol * (0.5 + rng.unit())).round().max(100.0);
            let n = ((v / if extended { 120.0 } else { 180.0 }).round() as u32).clamp(1, 5000);
            let vw = ((o + h + l + c) / 4.0 * 10_000.0).round() / 10_000.0;
            bars.push(Bar {
                t,
                o,
                h,
                l,
                c,
                v,
                vw,
                n,
                extended,
            });
        };
    for i in 0..pre_n {
        let vol = 0.03 * plan.volume / pre_n as f64;
        push(
            &mut rng,
            &pre,
            i,
            start + i as i64 * 60_000,
            vol,
            true,
            0.3 * minute_sigma,
        );
    }
    let open_ms = plan.session.open.timestamp_millis();
    for (i, w) in reg_w.iter().enumerate() {
        let vol = plan.volume * w / reg_w_total;
        push(
            &mut rng,
            &reg,
            i,
            open_ms + i as i64 * 60_000,
            vol,
            false,
            0.6 * minute_sigma * w.sqrt(),
        );
    }
    let close_ms = plan.session.close.timestamp_millis();
    for i in 0..post_n {
        let vol = 0.02 * plan.volume / post_n as f64;
        push(
            &mut rng,
            &post,
            i,
            close_ms + i as i64 * 60_000,
            vol,
            true,
            0.3 * minute_sigma,
        );
    }
    let _ = spec;
    bars
}

fn minute_trades(seed: u64, k: usize, bar: &Bar) -> Vec<Trade> {
    let mut rng = Rng::new(mix(&[seed, k as u64, bar.t as u64, 0x7EAD]));
    let n = ((bar.v / 2_000.0).round() as usize).clamp(4, 40);
    // Where the high and the low print (never first or last: those are the open and close).
    let hi = 1 + (rng.next_u64() as usize) % (n - 2);
    let mut lo = 1 + (rng.next_u64() as usize) % (n - 2);
    if lo == hi {
        lo = if hi + 1 < n - 1 { hi + 1 } else { hi - 1 };
    }
    let mut prices = vec![0.0; n];
    for (i, p) in prices.iter_mut().enumerate() {
        let f = i as f64 / (n - 1) as f64;
        let base = bar.o + f * (bar.c - bar.o);
        let jitter = (rng.unit() - 0.5) * (bar.h - bar.l) * 0.5;
        *p = cents((base + jitter).clamp(bar.l, bar.h));
    }
    prices[0] = bar.o;
    prices[n - 1] = bar.c;
    prices[hi] = bar.h;
    prices[lo] = bar.l;
    // Sizes: random weights, whole shares, summing exactly to the bar's volume.
    let weights: Vec<f64> = (0..n).map(|_| 0.2 + rng.unit()).collect();
    let wsum: f64 = weights.iter().sum();
    let mut sizes: Vec<f64> = weights
        .iter()
        .map(|w| (bar.v * w / wsum).floor().max(1.0))
        .collect();
    let assigned: f64 = sizes.iter().sum();
    sizes[n - 1] += bar.v - assigned;
    if sizes[n - 1] < 1.0 {
        // Tiny bars: give the remainder to the largest size.
        let (imax, _) = sizes
            .iter()
            .enumerate()
            .fold((0, 0.0), |m, (i, &s)| if s > m.1 { (i, s) } else { m });
        let fix = 1.0 - sizes[n - 1];
        sizes[imax] -= fix;
        sizes[n - 1] = 1.0;
    }
    // Times: sorted offsets inside the minute, first at the start, all distinct ms.
    let mut offsets: Vec<i64> = (0..n).map(|_| (rng.unit() * 59_000.0) as i64).collect();
    offsets.sort_unstable();
    offsets[0] = 0;
    for i in 1..n {
        if offsets[i] <= offsets[i - 1] {
            offsets[i] = offsets[i - 1] + 1;
        }
    }
    (0..n)
        .map(|i| Trade {
            t: bar.t + offsets[i],
            p: prices[i],
            s: sizes[i],
            seq: (bar.t / 60_000) as u64 * 64 + i as u64,
        })
        .collect()
}

/// The session day whose 04:00–20:00 window contains `t`, or the last one before it.
pub fn session_on_or_before(model: &MarketModel, t: DateTime<Utc>) -> Option<Session> {
    let date = t.with_timezone(&chrono_tz::America::New_York).date_naive();
    let mut d = date;
    for _ in 0..10 {
        if let Some(s) = model.session(d) {
            if s.pre_open <= t {
                return Some(s);
            }
        }
        d = d.pred_opt()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_market_and_another_seed_another() {
        let a = MarketModel::new(7);
        let b = MarketModel::new(7);
        let c = MarketModel::new(8);
        let day = d(2024, 7, 3);
        assert_eq!(
            a.minute_bars("SPY", day),
            b.minute_bars("SPY", day),
            "deterministic for a seed"
        );
        assert_ne!(
            a.daily_bar("SPY", day),
            c.daily_bar("SPY", day),
            "a different seed is a different market"
        );
    }

    #[test]
    fn minutes_cover_extended_hours_and_the_daily_bar_is_their_regular_aggregate() {
        let m = MarketModel::new(1);
        let day = d(2024, 7, 2);
        let bars = m.minute_bars("AAPL", day).unwrap();
        assert_eq!(bars.len(), 960, "04:00 to 20:00 ET is 960 minutes");
        assert_eq!(
            bars.iter().filter(|b| !b.extended).count(),
            390,
            "a full regular session has 390 one-minute bars"
        );
        let daily = m.daily_bar("AAPL", day).unwrap();
        let regular: Vec<Bar> = bars.iter().filter(|b| !b.extended).copied().collect();
        let agg = aggregate(&regular).unwrap();
        assert_eq!(
            (daily.o, daily.h, daily.l, daily.c, daily.v),
            (agg.o, agg.h, agg.l, agg.c, agg.v)
        );
        for w in bars.windows(2) {
            assert_eq!(w[1].t - w[0].t, 60_000, "no gaps inside a day");
            assert_eq!(w[1].o, w[0].c, "each minute opens where the last closed");
        }
        for b in bars.iter() {
            assert!(
                b.h >= b.o.max(b.c) && b.l <= b.o.min(b.c),
                "a bar's high and low bound its open and close: {b:?}"
            );
            assert_eq!(b.o, cents(b.o), "prices are in cents");
        }
    }

    #[test]
    fn an_early_close_has_a_short_session() {
        let m = MarketModel::new(1);
        let bars = m.minute_bars("SPY", d(2024, 7, 3)).unwrap();
        assert_eq!(
            bars.iter().filter(|b| !b.extended).count(),
            210,
            "09:30 to 13:00 is 210 minutes"
        );
        assert!(
            m.minute_bars("SPY", d(2024, 7, 4)).is_none(),
            "no bars on Independence Day"
        );
        assert!(
            m.minute_bars("SPY", d(2024, 7, 6)).is_none(),
            "none on a Saturday"
        );
    }

    #[test]
    fn volume_is_u_shaped_and_extended_hours_are_thin() {
        let m = MarketModel::new(3);
        let mut first = 0.0;
        let mut middle = 0.0;
        let mut last = 0.0;
        let mut ext = 0.0;
        let mut days = 0.0;
        for s in m.sessions_between(d(2024, 6, 3), d(2024, 6, 28)) {
            let bars = m.minute_bars("MSFT", s.date).unwrap();
            let reg: Vec<&Bar> = bars.iter().filter(|b| !b.extended).collect();
            if reg.len() != 390 {
                continue;
            }
            first += reg[..15].iter().map(|b| b.v).sum::<f64>();
            middle += reg[180..195].iter().map(|b| b.v).sum::<f64>();
            last += reg[375..].iter().map(|b| b.v).sum::<f64>();
            ext += bars.iter().filter(|b| b.extended).map(|b| b.v).sum::<f64>();
            days += 1.0;
        }
        assert!(days >= 15.0);
        assert!(
            first > 1.8 * middle,
            "the open is busier than midday ({first} vs {middle})"
        );
        assert!(
            last > 1.3 * middle,
            "and so is the close ({last} vs {middle})"
        );
        assert!(
            ext < 0.1 * (first + middle + last) * 390.0 / 45.0,
            "extended hours are thin"
        );
    }

    #[test]
    fn prices_stay_plausible_over_years_and_gaps_happen() {
        let m = MarketModel::new(1);
        let sessions = m.sessions_between(d(2020, 1, 1), d(2026, 11, 20));
        assert!(sessions.len() > 1700);
        for spec in SYMBOLS {
            let mut gaps = 0;
            let mut prev: Option<Bar> = None;
            for s in sessions.iter().step_by(5) {
                let b = m.daily_bar(spec.symbol, s.date).unwrap();
                assert!(
                    b.c > spec.level / 4.0 && b.c < spec.level * 4.0,
                    "{} at {} on {} strays too far from {}",
                    spec.symbol,
                    b.c,
                    s.date,
                    spec.level
                );
                if let Some(p) = prev {
                    if (b.o / p.c - 1.0).abs() > 0.002 {
                        gaps += 1;
                    }
                }
                prev = Some(b);
            }
            assert!(
                gaps > 10,
                "{} opens away from the previous close now and then",
                spec.symbol
            );
        }
    }

    #[test]
    fn trades_reproduce_their_minute_bar() {
        let m = MarketModel::new(5);
        let bars = m.minute_bars("NVDA", d(2024, 3, 8)).unwrap();
        for b in bars.iter().step_by(37) {
            let trades = m.trades("NVDA", b);
            assert_eq!(
                trades.first().unwrap().p,
                b.o,
                "the first trade is the open"
            );
            assert_eq!(trades.last().unwrap().p, b.c, "the last trade is the close");
            let hi = trades.iter().map(|t| t.p).fold(f64::MIN, f64::max);
            let lo = trades.iter().map(|t| t.p).fold(f64::MAX, f64::min);
            assert_eq!(
                (hi, lo),
                (b.h, b.l),
                "trades touch the high and the low and never beyond"
            );
            let v: f64 = trades.iter().map(|t| t.s).sum();
            assert_eq!(v, b.v, "sizes add up to the volume");
            assert!(trades
                .iter()
                .all(|t| t.s >= 1.0 && t.t >= b.t && t.t < b.t + 60_000));
            assert!(
                trades.windows(2).all(|w| w[1].t > w[0].t),
                "times strictly increase"
            );
        }
    }
}
