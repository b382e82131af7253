//! Technical indicators, batch and incremental, with one implementation.
//!
//! Every indicator is a small state machine over bars: [`Indicator::push`]
//! commits a finished bar and returns its value; [`Indicator::peek`] returns
//! the value the forming bar would have, without committing it. A batch run is
//! `push` over the series, and a live chart calls `peek` on every tick and
//! `push` when the bar closes — the same arithmetic in the same order, so the
//! live value equals the batch value exactly, not approximately.
//!
//! Conventions follow TA-Lib so that values match it to 1e-9 relative after
//! warm-up (checked against TA-Lib 0.8.1 on real SPY history in
//! `tests/indicators`): lookbacks (the first value appears at the same bar),
//! SMA as a running sum, EMA seeded with the SMA of its first `n` inputs,
//! Wilder smoothing for RSI and ATR (seeded with plain means), MACD's fast EMA seeded where the slow one
//! is, population standard deviation for Bollinger Bands, fast stochastic
//! (%K over `k` bars, %D its `d`-bar SMA). VWAP is not in TA-Lib: it restarts
//! at each regular NYSE open, weights the typical price (H+L+C)/3 by volume,
//! and carries ±1σ/±2σ bands of the volume-weighted standard deviation.

use std::collections::VecDeque;
use std::fmt;

use crate::calendar;
use crate::candles::Candle;

/// TA-Lib treats |x| below this as zero (`TA_IS_ZERO`).
const TA_EPSILON: f64 = 0.000_000_01;

/// A bar-by-bar computation.
pub trait Indicator {
    type Output: Copy;
    /// Commits a finished bar; its value, or `None` during warm-up.
    fn push(&mut self, bar: &Candle) -> Option<Self::Output>;
    /// The value the forming `bar` would have if it closed now.
    fn peek(&self, bar: &Candle) -> Option<Self::Output>;
}

/// A running mean of the last `n` values, as TA-Lib's SMA computes it.
#[derive(Debug, Clone)]
pub struct Sma {
    n: usize,
    /// The last `n - 1` committed values.
    window: VecDeque<f64>,
    /// Their running sum.
    partial: f64,
}

impl Sma {
    pub fn new(n: usize) -> Sma {
        let n = n.max(1);
        Sma {
            n,
            window: VecDeque::with_capacity(n),
            partial: 0.0,
        }
    }

    /// (value, next partial sum) for `x` as the next input.
    #[inline]
    fn step(&self, x: f64) -> (Option<f64>, f64) {
        let total = self.partial + x;
        if self.window.len() + 1 < self.n {
            return (None, total);
        }
        let leaving = if self.n == 1 { x } else { self.window[0] };
        (Some(total / self.n as f64), total - leaving)
    }

    pub fn push_value(&mut self, x: f64) -> Option<f64> {
        let (out, partial) = self.step(x);
        self.partial = partial;
        if self.n > 1 {
            if self.window.len() + 1 == self.n {
                self.window.pop_front();
            }
            self.window.push_back(x);
        }
        out
    }

    pub fn peek_value(&self, x: f64) -> Option<f64> {
        self.step(x).0
    }
}

impl Indicator for Sma {
    type Output = f64;
    fn push(&mut self, bar: &Candle) -> Option<f64> {
        self.push_value(bar.close)
    }
    fn peek(&self, bar: &Candle) -> Option<f64> {
        self.peek_value(bar.close)
    }
}

/// Exponential moving average with k = 2 / (n + 1), seeded with the SMA of
/// its first `n` inputs (after `skip` ignored ones — MACD seeds its fast EMA
/// where the slow one starts).
#[derive(Debug, Clone)]
pub struct Ema {
    n: usize,
    k: f64,
    skip: usize,
    seen: usize,
    /// Warm-up sum, then the last EMA.
    value: f64,
}

impl Ema {
    pub fn new(n: usize) -> Ema {
        Ema::seeded_after(n, 0)
    }

    pub fn seeded_after(n: usize, skip: usize) -> Ema {
        let n = n.max(1);
        Ema {
            n,
            k: 2.0 / (n as f64 + 1.0),
            skip,
            seen: 0,
            value: 0.0,
        }
    }

    #[inline]
    fn step(&self, x: f64) -> (Option<f64>, f64) {
        if self.seen < self.skip {
            return (None, self.value);
        }
        let i = self.seen - self.skip;
        if i + 1 < self.n {
            (None, self.value + x)
        } else if i + 1 == self.n {
            let seed = (self.value + x) / self.n as f64;
            (Some(seed), seed)
        } else {
            let v = series::ema_next(self.value, x, self.k);
            (Some(v), v)
        }
    }

    pub fn push_value(&mut self, x: f64) -> Option<f64> {
        let (out, value) = self.step(x);
        self.value = value;
        self.seen += 1;
        out
    }

    pub fn peek_value(&self, x: f64) -> Option<f64> {
        self.step(x).0
    }
}

impl Indicator for Ema {
    type Output = f64;
    fn push(&mut self, bar: &Candle) -> Option<f64> {
        self.push_value(bar.close)
    }
    fn peek(&self, bar: &Candle) -> Option<f64> {
        self.peek_value(bar.close)
    }
}

/// Wilder's RSI: the first averages are plain means of `n` changes, then
/// `avg = (avg·(n−1) + change) / n`.
#[derive(Debug, Clone)]
pub struct Rsi {
    n: usize,
    prev_close: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    pub fn new(n: usize) -> Rsi {
        Rsi {
            n: n.max(1),
            prev_close: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
        }
    }

    #[inline]
    fn step(&self, close: f64) -> (Option<f64>, f64, f64) {
        let Some(prev) = self.prev_close else {
            return (None, 0.0, 0.0);
        };
        let change = close - prev;
        let (up, down) = series::split(change);
        let (gain, loss) = if self.changes < self.n {
            let (gain, loss) = (self.gain + up, self.loss + down);
            if self.changes + 1 < self.n {
                return (None, gain, loss);
            }
            let n = self.n as f64;
            (gain / n, loss / n)
        } else {
            let w = series::Wilder::new(self.n);
            (w.next(self.gain, up), w.next(self.loss, down))
        };
        (Some(series::rsi_of(gain, loss)), gain, loss)
    }
}

impl Indicator for Rsi {
    type Output = f64;
    fn push(&mut self, bar: &Candle) -> Option<f64> {
        let (out, gain, loss) = self.step(bar.close);
        if self.prev_close.is_some() {
            self.changes += 1;
        }
        self.gain = gain;
        self.loss = loss;
        self.prev_close = Some(bar.close);
        out
    }
    fn peek(&self, bar: &Candle) -> Option<f64> {
        self.step(bar.close).0
    }
}

/// The true range of a bar given the previous close.
#[inline]
pub fn true_range(bar: &Candle, prev_close: f64) -> f64 {
    series::tr(bar.high, bar.low, prev_close)
}

/// Wilder's average true range: the first value is the mean of `n` true
/// ranges (from the second bar on), then `atr = (atr·(n−1) + tr) / n`.
#[derive(Debug, Clone)]
pub struct Atr {
    n: usize,
    prev_close: Option<f64>,
    ranges: usize,
    value: f64,
}

impl Atr {
    pub fn new(n: usize) -> Atr {
        Atr {
            n: n.max(1),
            prev_close: None,
            ranges: 0,
            value: 0.0,
        }
    }

    #[inline]
    fn step(&self, bar: &Candle) -> (Option<f64>, f64) {
        let Some(prev) = self.prev_close else {
            return (None, 0.0);
        };
        let tr = true_range(bar, prev);
        if self.n == 1 {
            return (Some(tr), tr);
        }
        if self.ranges < self.n {
            let sum = self.value + tr;
            if self.ranges + 1 < self.n {
                return (None, sum);
            }
            let atr = sum / self.n as f64;
            return (Some(atr), atr);
        }
        let atr = series::Wilder::new(self.n).next(self.value, tr);
        (Some(atr), atr)
    }
}

impl Indicator for Atr {
    type Output = f64;
    fn push(&mut self, bar: &Candle) -> Option<f64> {
        let (out, value) = self.step(bar);
        if self.prev_close.is_some() {
            self.ranges += 1;
        }
        self.value = value;
        self.prev_close = Some(bar.close);
        out
    }
    fn peek(&self, bar: &Candle) -> Option<f64> {
        self.step(bar).0
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    pub macd: f64,
    pub signal: f64,
    pub hist: f64,
}

/// MACD(fast, slow, signal) as TA-Lib computes it: both EMAs start at bar
/// `slow − 1` (the fast one seeded with the mean of its last `fast` inputs),
/// the signal is the EMA of the MACD line, and all three appear together at
/// bar `slow + signal − 2`.
#[derive(Debug, Clone)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
}

impl Macd {
    pub fn new(fast: usize, slow: usize, signal: usize) -> Macd {
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        let (fast, slow) = (fast.max(1), slow.max(1));
        Macd {
            fast: Ema::seeded_after(fast, slow - fast),
            slow: Ema::new(slow),
            signal: Ema::new(signal),
        }
    }
}

impl Indicator for Macd {
    type Output = MacdValue;
    fn push(&mut self, bar: &Candle) -> Option<MacdValue> {
        let fast = self.fast.push_value(bar.close);
        let slow = self.slow.push_value(bar.close);
        let line = fast.zip(slow).map(|(f, s)| f - s)?;
        let sig = self.signal.push_value(line)?;
        Some(MacdValue {
            macd: line,
            signal: sig,
            hist: line - sig,
        })
    }
    fn peek(&self, bar: &Candle) -> Option<MacdValue> {
        let line = self.fast.peek_value(bar.close)? - self.slow.peek_value(bar.close)?;
        let sig = self.signal.peek_value(line)?;
        Some(MacdValue {
            macd: line,
            signal: sig,
            hist: line - sig,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

/// Bollinger Bands: the `n`-bar SMA ± `k` population standard deviations
/// (from running sums of values and squares, as TA-Lib does).
#[derive(Debug, Clone)]
pub struct Bollinger {
    sma: Sma,
    squares: Sma,
    k: f64,
}

impl Bollinger {
    pub fn new(n: usize, k: f64) -> Bollinger {
        Bollinger {
            sma: Sma::new(n),
            squares: Sma::new(n),
            k,
        }
    }

    fn bands(&self, middle: f64, mean_sq: f64) -> Bands {
        let variance = mean_sq - middle * middle;
        let sd = if variance < TA_EPSILON {
            0.0
        } else {
            variance.sqrt()
        };
        let width = if self.k == 1.0 { sd } else { sd * self.k };
        Bands {
            upper: middle + width,
            middle,
            lower: middle - width,
        }
    }
}

impl Indicator for Bollinger {
    type Output = Bands;
    fn push(&mut self, bar: &Candle) -> Option<Bands> {
        let x = bar.close;
        let middle = self.sma.push_value(x);
        let mean_sq = self.squares.push_value(x * x);
        Some(self.bands(middle?, mean_sq?))
    }
    fn peek(&self, bar: &Candle) -> Option<Bands> {
        let x = bar.close;
        Some(self.bands(self.sma.peek_value(x)?, self.squares.peek_value(x * x)?))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochValue {
    pub k: f64,
    pub d: f64,
}

/// Fast stochastic: %K = where the close sits in the `k`-bar high–low range
/// (0 when the range is empty), %D its `d`-bar SMA; both appear at bar
/// `k + d − 2`, as in TA-Lib's STOCHF.
#[derive(Debug, Clone)]
pub struct Stochastic {
    k: usize,
    /// The last `k − 1` committed (high, low).
    window: VecDeque<(f64, f64)>,
    d: Sma,
}

impl Stochastic {
    pub fn new(k: usize, d: usize) -> Stochastic {
        let k = k.max(1);
        Stochastic {
            k,
            window: VecDeque::with_capacity(k),
            d: Sma::new(d),
        }
    }

    #[inline]
    fn fast_k(&self, bar: &Candle) -> Option<f64> {
        if self.window.len() + 1 < self.k {
            return None;
        }
        let (mut highest, mut lowest) = (bar.high, bar.low);
        for &(h, l) in &self.window {
            if h > highest {
                highest = h;
            }
            if l < lowest {
                lowest = l;
            }
        }
        let diff = (highest - lowest) / 100.0;
        Some(if diff != 0.0 {
            (bar.close - lowest) / diff
        } else {
            0.0
        })
    }
}

impl Indicator for Stochastic {
    type Output = StochValue;
    fn push(&mut self, bar: &Candle) -> Option<StochValue> {
        let k = self.fast_k(bar);
        if self.k > 1 {
            if self.window.len() + 1 == self.k {
                self.window.pop_front();
            }
            self.window.push_back((bar.high, bar.low));
        }
        let k = k?;
        let d = self.d.push_value(k)?;
        Some(StochValue { k, d })
    }
    fn peek(&self, bar: &Candle) -> Option<StochValue> {
        let k = self.fast_k(bar)?;
        let d = self.d.peek_value(k)?;
        Some(StochValue { k, d })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VwapValue {
    pub vwap: f64,
    /// Volume-weighted standard deviation of the typical price since the open.
    pub sd: f64,
    pub upper_1: f64,
    pub lower_1: f64,
    pub upper_2: f64,
    pub lower_2: f64,
}

/// Session VWAP: restarts at each regular NYSE open. Intraday bars before the
/// first open seen have no value; a daily bar (stamped midnight New York) is a
/// session of its own.
#[derive(Debug, Clone, Default)]
pub struct Vwap {
    /// Open (unix ms) of the session being accumulated.
    session_open: Option<i64>,
    /// Cached: the open of the session after it (where the next reset is).
    next_open: Option<i64>,
    pv: f64,
    v: f64,
    p2v: f64,
}

impl Vwap {
    pub fn new() -> Vwap {
        Vwap::default()
    }

    /// The open of the session `time` belongs to, when it differs from the
    /// one being accumulated (a reset), or `None` to keep accumulating.
    fn reset_at(&self, time: i64) -> Result<Option<i64>, ()> {
        if let (Some(open), Some(next)) = (self.session_open, self.next_open) {
            if time >= open && time < next {
                return Ok(None);
            }
        }
        let Some(at) = chrono::DateTime::from_timestamp_millis(time) else {
            return Err(());
        };
        let date = at.with_timezone(&chrono_tz::America::New_York).date_naive();
        let today = calendar::session(date).map_err(|_| ())?;
        if let Some(s) = &today {
            // A daily bar is stamped at midnight New York.
            if time == calendar::midnight_ny(date) {
                return Ok(Some(time));
            }
            if time >= s.open.timestamp_millis() {
                return Ok(
                    Some(s.open.timestamp_millis()).filter(|o| Some(*o) != self.session_open)
                );
            }
        }
        // Before today's open (or a non-trading day): still the last session.
        match self.session_open {
            Some(_) => Ok(None),
            None => Err(()),
        }
    }

    fn next_open_after(open: i64) -> Option<i64> {
        let at = chrono::DateTime::from_timestamp_millis(open)?;
        let date = at.with_timezone(&chrono_tz::America::New_York).date_naive();
        calendar::next_session(date)
            .ok()
            .map(|s| s.open.timestamp_millis())
    }

    #[inline]
    fn step(&self, bar: &Candle, reset: bool) -> (Option<VwapValue>, f64, f64, f64) {
        let p = (bar.high + bar.low + bar.close) / 3.0;
        let (mut pv, mut v, mut p2v) = if reset {
            (0.0, 0.0, 0.0)
        } else {
            (self.pv, self.v, self.p2v)
        };
        pv += p * bar.volume;
        v += bar.volume;
        p2v += p * p * bar.volume;
        if v <= 0.0 {
            return (None, pv, v, p2v);
        }
        let vwap = pv / v;
        let variance = p2v / v - vwap * vwap;
        let sd = if variance > 0.0 { variance.sqrt() } else { 0.0 };
        (
            Some(VwapValue {
                vwap,
                sd,
                upper_1: vwap + sd,
                lower_1: vwap - sd,
                upper_2: vwap + 2.0 * sd,
                lower_2: vwap - 2.0 * sd,
            }),
            pv,
            v,
            p2v,
        )
    }
}

impl Indicator for Vwap {
    type Output = VwapValue;
    fn push(&mut self, bar: &Candle) -> Option<VwapValue> {
        let reset = match self.reset_at(bar.time) {
            Err(()) => return None,
            Ok(r) => r,
        };
        if let Some(open) = reset {
            self.session_open = Some(open);
            self.next_open = if open == bar.time {
                // A daily bar: the next bar starts the next session.
                Some(open + 1)
            } else {
                Vwap::next_open_after(open)
            };
        }
        let (out, pv, v, p2v) = self.step(bar, reset.is_some());
        self.pv = pv;
        self.v = v;
        self.p2v = p2v;
        out
    }
    fn peek(&self, bar: &Candle) -> Option<VwapValue> {
        let reset = self.reset_at(bar.time).ok()?;
        self.step(bar, reset.is_some()).0
    }
}

/// An indicator as the CLI and the chart name it: `sma:20`, `macd:12:26:9`.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Sma(usize),
    Ema(usize),
    Rsi(usize),
    Macd(usize, usize, usize),
    Atr(usize),
    /// Period, and the multiplier as written (`2`, `2.5`) for the output name.
    Bbands(usize, f64, String),
    Vwap,
    /// VWAP with its ±1σ and ±2σ bands (`vwap:bands`).
    VwapBands,
    Stoch(usize, usize),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("indicator {spec:?}: {reason}")]
pub struct SpecError {
    pub spec: String,
    pub reason: String,
}

/// Periods beyond this are almost certainly typos.
const MAX_PERIOD: usize = 100_000;

impl std::str::FromStr for Spec {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Spec, SpecError> {
        let err = |reason: &str| SpecError {
            spec: s.to_string(),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = s.trim().split(':').collect();
        let period = |i: usize| -> Result<usize, SpecError> {
            let p = parts.get(i).ok_or_else(|| err("a period is missing"))?;
            match p.parse::<usize>() {
                Ok(n) if (1..=MAX_PERIOD).contains(&n) => Ok(n),
                _ => Err(err(&format!(
                    "period {p:?} must be a whole number from 1 to {MAX_PERIOD}"
                ))),
            }
        };
        let arity = |n: usize, usage: &str| -> Result<(), SpecError> {
            if parts.len() == n {
                Ok(())
            } else {
                Err(err(&format!("expected {usage}")))
            }
        };
        let name = parts[0].to_ascii_lowercase();
        Ok(match name.as_str() {
            "sma" => {
                arity(2, "sma:N")?;
                Spec::Sma(period(1)?)
            }
            "ema" => {
                arity(2, "ema:N")?;
                Spec::Ema(period(1)?)
            }
            "rsi" => {
                arity(2, "rsi:N")?;
                Spec::Rsi(period(1)?)
            }
            "atr" => {
                arity(2, "atr:N")?;
                Spec::Atr(period(1)?)
            }
            "macd" => {
                arity(4, "macd:FAST:SLOW:SIGNAL")?;
                let (f, sl, sg) = (period(1)?, period(2)?, period(3)?);
                if f >= sl {
                    return Err(err("the fast period must be shorter than the slow one"));
                }
                Spec::Macd(f, sl, sg)
            }
            "bbands" => {
                arity(3, "bbands:N:K")?;
                let k_text = parts[2];
                let k: f64 = k_text
                    .parse()
                    .ok()
                    .filter(|k: &f64| k.is_finite() && *k > 0.0 && *k <= 100.0)
                    .ok_or_else(|| {
                        err(&format!(
                            "multiplier {k_text:?} must be a number above 0 (e.g. 2)"
                        ))
                    })?;
                Spec::Bbands(period(1)?, k, k_text.to_string())
            }
            "vwap" => match parts.get(1).map(|p| p.to_ascii_lowercase()) {
                None => Spec::Vwap,
                Some(p) if p == "bands" && parts.len() == 2 => Spec::VwapBands,
                _ => return Err(err("expected vwap or vwap:bands")),
            },
            "stoch" => {
                arity(3, "stoch:K:D")?;
                Spec::Stoch(period(1)?, period(2)?)
            }
            _ => {
                return Err(err(
                    "unknown indicator; use sma:N, ema:N, rsi:N, macd:F:S:SIG, atr:N, bbands:N:K, vwap, vwap:bands or stoch:K:D",
                ))
            }
        })
    }
}

impl Spec {
    /// The output names, in order.
    pub fn keys(&self) -> Vec<String> {
        match self {
            Spec::Sma(n) => vec![format!("sma_{n}")],
            Spec::Ema(n) => vec![format!("ema_{n}")],
            Spec::Rsi(n) => vec![format!("rsi_{n}")],
            Spec::Atr(n) => vec![format!("atr_{n}")],
            Spec::Macd(f, s, g) => vec![
                format!("macd_{f}_{s}_{g}"),
                format!("macd_signal_{f}_{s}_{g}"),
                format!("macd_hist_{f}_{s}_{g}"),
            ],
            Spec::Bbands(n, _, k) => vec![
                format!("bb_upper_{n}_{k}"),
                format!("bb_middle_{n}_{k}"),
                format!("bb_lower_{n}_{k}"),
            ],
            Spec::Vwap => vec!["vwap".to_string()],
            Spec::VwapBands => [
                "vwap",
                "vwap_upper_1",
                "vwap_lower_1",
                "vwap_upper_2",
                "vwap_lower_2",
            ]
            .map(String::from)
            .to_vec(),
            Spec::Stoch(k, d) => vec![format!("stoch_k_{k}_{d}"), format!("stoch_d_{k}_{d}")],
        }
    }

    fn start(&self) -> Running {
        match *self {
            Spec::Sma(n) => Running::Sma(Sma::new(n)),
            Spec::Ema(n) => Running::Ema(Ema::new(n)),
            Spec::Rsi(n) => Running::Rsi(Rsi::new(n)),
            Spec::Atr(n) => Running::Atr(Atr::new(n)),
            Spec::Macd(f, s, g) => Running::Macd(Macd::new(f, s, g)),
            Spec::Bbands(n, k, _) => Running::Bbands(Bollinger::new(n, k)),
            Spec::Vwap => Running::Vwap(Vwap::new()),
            Spec::VwapBands => Running::VwapBands(Vwap::new()),
            Spec::Stoch(k, d) => Running::Stoch(Stochastic::new(k, d)),
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Sma(n) => write!(f, "sma:{n}"),
            Spec::Ema(n) => write!(f, "ema:{n}"),
            Spec::Rsi(n) => write!(f, "rsi:{n}"),
            Spec::Atr(n) => write!(f, "atr:{n}"),
            Spec::Macd(a, b, c) => write!(f, "macd:{a}:{b}:{c}"),
            Spec::Bbands(n, _, k) => write!(f, "bbands:{n}:{k}"),
            Spec::Vwap => write!(f, "vwap"),
            Spec::VwapBands => write!(f, "vwap:bands"),
            Spec::Stoch(k, d) => write!(f, "stoch:{k}:{d}"),
        }
    }
}

#[derive(Debug, Clone)]
enum Running {
    Sma(Sma),
    Ema(Ema),
    Rsi(Rsi),
    Atr(Atr),
    Macd(Macd),
    Bbands(Bollinger),
    Vwap(Vwap),
    VwapBands(Vwap),
    Stoch(Stochastic),
}

/// One indicator's output for one bar, before it is laid out as columns.
enum Value {
    One(Option<f64>),
    Macd(Option<MacdValue>),
    Bands(Option<Bands>),
    Stoch(Option<StochValue>),
    VwapBands(Option<VwapValue>),
}

impl Value {
    fn emit(self, out: &mut Vec<Option<f64>>) {
        match self {
            Value::One(v) => out.push(v),
            Value::Macd(v) => {
                out.extend([v.map(|v| v.macd), v.map(|v| v.signal), v.map(|v| v.hist)])
            }
            Value::Bands(v) => {
                out.extend([v.map(|v| v.upper), v.map(|v| v.middle), v.map(|v| v.lower)])
            }
            Value::Stoch(v) => out.extend([v.map(|v| v.k), v.map(|v| v.d)]),
            Value::VwapBands(v) => out.extend([
                v.map(|v| v.vwap),
                v.map(|v| v.upper_1),
                v.map(|v| v.lower_1),
                v.map(|v| v.upper_2),
                v.map(|v| v.lower_2),
            ]),
        }
    }
}

impl Running {
    fn push(&mut self, bar: &Candle) -> Value {
        match self {
            Running::Sma(i) => Value::One(i.push(bar)),
            Running::Ema(i) => Value::One(i.push(bar)),
            Running::Rsi(i) => Value::One(i.push(bar)),
            Running::Atr(i) => Value::One(i.push(bar)),
            Running::Macd(i) => Value::Macd(i.push(bar)),
            Running::Bbands(i) => Value::Bands(i.push(bar)),
            Running::Vwap(i) => Value::One(i.push(bar).map(|v| v.vwap)),
            Running::VwapBands(i) => Value::VwapBands(i.push(bar)),
            Running::Stoch(i) => Value::Stoch(i.push(bar)),
        }
    }

    fn peek(&self, bar: &Candle) -> Value {
        match self {
            Running::Sma(i) => Value::One(i.peek(bar)),
            Running::Ema(i) => Value::One(i.peek(bar)),
            Running::Rsi(i) => Value::One(i.peek(bar)),
            Running::Atr(i) => Value::One(i.peek(bar)),
            Running::Macd(i) => Value::Macd(i.peek(bar)),
            Running::Bbands(i) => Value::Bands(i.peek(bar)),
            Running::Vwap(i) => Value::One(i.peek(bar).map(|v| v.vwap)),
            Running::VwapBands(i) => Value::VwapBands(i.peek(bar)),
            Running::Stoch(i) => Value::Stoch(i.peek(bar)),
        }
    }
}

/// Several indicators over one series: one row of values per bar, in the
/// order of [`IndicatorSet::keys`].
#[derive(Debug, Clone)]
pub struct IndicatorSet {
    specs: Vec<Spec>,
    running: Vec<Running>,
    keys: Vec<String>,
}

impl IndicatorSet {
    pub fn new(specs: &[Spec]) -> IndicatorSet {
        IndicatorSet {
            specs: specs.to_vec(),
            running: specs.iter().map(Spec::start).collect(),
            keys: specs.iter().flat_map(Spec::keys).collect(),
        }
    }

    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Commits a finished bar; `out` receives one value per key.
    pub fn push(&mut self, bar: &Candle, out: &mut Vec<Option<f64>>) {
        out.clear();
        for r in &mut self.running {
            r.push(bar).emit(out);
        }
    }

    /// The values the forming bar would have; nothing is committed.
    pub fn peek(&self, bar: &Candle, out: &mut Vec<Option<f64>>) {
        out.clear();
        for r in &self.running {
            r.peek(bar).emit(out);
        }
    }

    /// Batch: every bar's row.
    pub fn run(specs: &[Spec], bars: &[Candle]) -> Vec<Vec<Option<f64>>> {
        let mut set = IndicatorSet::new(specs);
        let mut row = Vec::with_capacity(set.keys.len());
        bars.iter()
            .map(|b| {
                set.push(b, &mut row);
                row.clone()
            })
            .collect()
    }
}

/// One value of a series per bar, `None` during warm-up: the batch form of a
/// single indicator.
pub fn batch<I: Indicator>(mut ind: I, bars: &[Candle]) -> Vec<Option<I::Output>> {
    bars.iter().map(|b| ind.push(b)).collect()
}

/// Whole-series forms of the hottest indicators, over plain slices (the shape
/// TA-Lib takes) into a caller's buffer (as TA-Lib's C API writes into the
/// caller's), NaN during warm-up. The same operations in the same order as
/// the incremental forms, so the values are bit-for-bit identical (tested);
/// only the per-bar bookkeeping is gone.
pub mod series {
    use super::TA_EPSILON;

    /// Wilder smoothing `avg·(n−1)/n + x/n`, as one multiply-add on the
    /// dependency chain (the `x/n` term is off it).
    #[derive(Clone, Copy)]
    pub(super) struct Wilder {
        keep: f64,
        take: f64,
    }

    impl Wilder {
        #[inline]
        pub(super) fn new(n: usize) -> Wilder {
            let n = n as f64;
            Wilder {
                keep: (n - 1.0) / n,
                take: 1.0 / n,
            }
        }

        #[inline]
        pub(super) fn next(self, avg: f64, x: f64) -> f64 {
            avg * self.keep + x * self.take
        }
    }

    /// `prev + k·(x − prev)` as `prev·(1−k) + x·k`: one multiply-add on the
    /// dependency chain instead of three operations.
    #[inline]
    pub(super) fn ema_next(prev: f64, x: f64, k: f64) -> f64 {
        prev * (1.0 - k) + x * k
    }

    /// A change as (gain, loss), both ≥ 0, without a branch.
    #[inline]
    pub(super) fn split(change: f64) -> (f64, f64) {
        (change.max(0.0), (-change).max(0.0))
    }

    #[inline]
    pub(super) fn rsi_of(gain: f64, loss: f64) -> f64 {
        let sum = gain + loss;
        if -TA_EPSILON < sum && sum < TA_EPSILON {
            0.0
        } else {
            100.0 * (gain / sum)
        }
    }

    #[inline]
    pub(super) fn tr(high: f64, low: f64, prev_close: f64) -> f64 {
        (high - low)
            .max((prev_close - high).abs())
            .max((low - prev_close).abs())
    }

    /// Empties `out` and fills the warm-up (`lookback` NaNs, at most `len`),
    /// with room for the rest; the loops then push, writing each value once.
    fn start(out: &mut Vec<f64>, len: usize, lookback: usize) -> bool {
        out.clear();
        out.reserve(len);
        out.resize(lookback.min(len), f64::NAN);
        lookback < len
    }

    pub fn sma_into(x: &[f64], n: usize, out: &mut Vec<f64>) {
        let n = n.max(1);
        if !start(out, x.len(), n - 1) {
            return;
        }
        let mut partial = 0.0;
        for &v in &x[..n - 1] {
            partial += v;
        }
        let nf = n as f64;
        for (&v, &leaving) in x[n - 1..].iter().zip(x) {
            let total = partial + v;
            out.push(total / nf);
            partial = total - leaving;
        }
    }

    pub fn ema_into(x: &[f64], n: usize, out: &mut Vec<f64>) {
        let n = n.max(1);
        if !start(out, x.len(), n - 1) {
            return;
        }
        let k = 2.0 / (n as f64 + 1.0);
        let mut sum = 0.0;
        for &v in &x[..n] {
            sum += v;
        }
        let mut prev = sum / n as f64;
        out.push(prev);
        for &v in &x[n..] {
            prev = ema_next(prev, v, k);
            out.push(prev);
        }
    }

    pub fn rsi_into(close: &[f64], n: usize, out: &mut Vec<f64>) {
        let n = n.max(1);
        if !start(out, close.len(), n) {
            return;
        }
        let (mut gain, mut loss) = (0.0, 0.0);
        for w in close[..=n].windows(2) {
            let (up, down) = split(w[1] - w[0]);
            gain += up;
            loss += down;
        }
        gain /= n as f64;
        loss /= n as f64;
        out.push(rsi_of(gain, loss));
        let w = Wilder::new(n);
        for pair in close[n..].windows(2) {
            let (up, down) = split(pair[1] - pair[0]);
            gain = w.next(gain, up);
            loss = w.next(loss, down);
            out.push(rsi_of(gain, loss));
        }
    }

    pub fn atr_into(high: &[f64], low: &[f64], close: &[f64], n: usize, out: &mut Vec<f64>) {
        let n = n.max(1);
        let len = close.len().min(high.len()).min(low.len());
        let (high, low, close) = (&high[..len], &low[..len], &close[..len]);
        let lookback = if n == 1 { 1 } else { n };
        if !start(out, len, lookback) {
            return;
        }
        let trs = high[1..]
            .iter()
            .zip(&low[1..])
            .zip(close)
            .map(|((&h, &l), &c)| tr(h, l, c));
        if n == 1 {
            out.extend(trs);
            return;
        }
        let mut trs = trs;
        let mut sum = 0.0;
        for t in trs.by_ref().take(n) {
            sum += t;
        }
        let mut atr = sum / n as f64;
        out.push(atr);
        let w = Wilder::new(n);
        for t in trs {
            atr = w.next(atr, t);
            out.push(atr);
        }
    }

    pub fn sma(x: &[f64], n: usize) -> Vec<f64> {
        let mut out = Vec::new();
        sma_into(x, n, &mut out);
        out
    }

    pub fn ema(x: &[f64], n: usize) -> Vec<f64> {
        let mut out = Vec::new();
        ema_into(x, n, &mut out);
        out
    }

    pub fn rsi(close: &[f64], n: usize) -> Vec<f64> {
        let mut out = Vec::new();
        rsi_into(close, n, &mut out);
        out
    }

    pub fn atr(high: &[f64], low: &[f64], close: &[f64], n: usize) -> Vec<f64> {
        let mut out = Vec::new();
        atr_into(high, low, close, n, &mut out);
        out
    }
}
