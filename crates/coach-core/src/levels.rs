//! The levels engine: the prices a trader watches today, each with where it
//! came from, how many other levels agree with it, how often price has tested
//! it today, and how far it is from the last price.
//!
//! Pure: it is handed the completed daily bars before today, today's minute
//! bars so far (pre-market included) and the last price, and returns the
//! levels sorted by price, highest first. The engine feeds it from the chart
//! cache and recomputes as bars arrive, so opening ranges appear when they
//! close, VWAP moves and tests accumulate.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Session};
use crate::candles::Candle;
use crate::indicators::{Atr, Indicator, Vwap};

/// How many sessions of daily history the levels use at most (swing zones,
/// prior month, ATR warm-up).
pub const DAILY_LOOKBACK: usize = 80;

/// Today's tests of a level: each time price came within the tolerance after
/// having been away counts as a touch; when price then leaves on the side it
/// came from it is a rejection, on the other side a break. A touch still in
/// progress has neither.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LevelTests {
    pub touches: u32,
    pub rejections: u32,
    pub breaks: u32,
}

impl LevelTests {
    /// The larger of each count (a persisted record and a recount).
    pub fn max(self, other: LevelTests) -> LevelTests {
        LevelTests {
            touches: self.touches.max(other.touches),
            rejections: self.rejections.max(other.rejections),
            breaks: self.breaks.max(other.breaks),
        }
    }
}

/// What a level is. The machine names (`prior_day_high`, `or15_low`, …) are
/// what the UI, the coach's tools and the stored tests of a level use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LevelKind {
    #[serde(rename = "prior_day_high")]
    PriorDayHigh,
    #[serde(rename = "prior_day_low")]
    PriorDayLow,
    #[serde(rename = "prior_day_close")]
    PriorDayClose,
    #[serde(rename = "prior_week_high")]
    PriorWeekHigh,
    #[serde(rename = "prior_week_low")]
    PriorWeekLow,
    #[serde(rename = "prior_month_high")]
    PriorMonthHigh,
    #[serde(rename = "prior_month_low")]
    PriorMonthLow,
    #[serde(rename = "premarket_high")]
    PremarketHigh,
    #[serde(rename = "premarket_low")]
    PremarketLow,
    #[serde(rename = "or5_high")]
    Or5High,
    #[serde(rename = "or5_low")]
    Or5Low,
    #[serde(rename = "or15_high")]
    Or15High,
    #[serde(rename = "or15_low")]
    Or15Low,
    #[serde(rename = "or30_high")]
    Or30High,
    #[serde(rename = "or30_low")]
    Or30Low,
    #[serde(rename = "pivot_classic")]
    PivotClassic,
    #[serde(rename = "pivot_fibonacci")]
    PivotFibonacci,
    #[serde(rename = "pivot_camarilla")]
    PivotCamarilla,
    #[serde(rename = "pivot_woodie")]
    PivotWoodie,
    #[serde(rename = "vwap")]
    Vwap,
    #[serde(rename = "vwap_upper_1")]
    VwapUpper1,
    #[serde(rename = "vwap_upper_2")]
    VwapUpper2,
    #[serde(rename = "vwap_lower_1")]
    VwapLower1,
    #[serde(rename = "vwap_lower_2")]
    VwapLower2,
    #[serde(rename = "expected_range_high")]
    ExpectedRangeHigh,
    #[serde(rename = "expected_range_low")]
    ExpectedRangeLow,
    #[serde(rename = "resistance_zone")]
    ResistanceZone,
    #[serde(rename = "support_zone")]
    SupportZone,
}

impl LevelKind {
    /// Every kind.
    pub const ALL: [LevelKind; 28] = [
        LevelKind::PriorDayHigh,
        LevelKind::PriorDayLow,
        LevelKind::PriorDayClose,
        LevelKind::PriorWeekHigh,
        LevelKind::PriorWeekLow,
        LevelKind::PriorMonthHigh,
        LevelKind::PriorMonthLow,
        LevelKind::PremarketHigh,
        LevelKind::PremarketLow,
        LevelKind::Or5High,
        LevelKind::Or5Low,
        LevelKind::Or15High,
        LevelKind::Or15Low,
        LevelKind::Or30High,
        LevelKind::Or30Low,
        LevelKind::PivotClassic,
        LevelKind::PivotFibonacci,
        LevelKind::PivotCamarilla,
        LevelKind::PivotWoodie,
        LevelKind::Vwap,
        LevelKind::VwapUpper1,
        LevelKind::VwapUpper2,
        LevelKind::VwapLower1,
        LevelKind::VwapLower2,
        LevelKind::ExpectedRangeHigh,
        LevelKind::ExpectedRangeLow,
        LevelKind::ResistanceZone,
        LevelKind::SupportZone,
    ];

    /// The machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            LevelKind::PriorDayHigh => "prior_day_high",
            LevelKind::PriorDayLow => "prior_day_low",
            LevelKind::PriorDayClose => "prior_day_close",
            LevelKind::PriorWeekHigh => "prior_week_high",
            LevelKind::PriorWeekLow => "prior_week_low",
            LevelKind::PriorMonthHigh => "prior_month_high",
            LevelKind::PriorMonthLow => "prior_month_low",
            LevelKind::PremarketHigh => "premarket_high",
            LevelKind::PremarketLow => "premarket_low",
            LevelKind::Or5High => "or5_high",
            LevelKind::Or5Low => "or5_low",
            LevelKind::Or15High => "or15_high",
            LevelKind::Or15Low => "or15_low",
            LevelKind::Or30High => "or30_high",
            LevelKind::Or30Low => "or30_low",
            LevelKind::PivotClassic => "pivot_classic",
            LevelKind::PivotFibonacci => "pivot_fibonacci",
            LevelKind::PivotCamarilla => "pivot_camarilla",
            LevelKind::PivotWoodie => "pivot_woodie",
            LevelKind::Vwap => "vwap",
            LevelKind::VwapUpper1 => "vwap_upper_1",
            LevelKind::VwapUpper2 => "vwap_upper_2",
            LevelKind::VwapLower1 => "vwap_lower_1",
            LevelKind::VwapLower2 => "vwap_lower_2",
            LevelKind::ExpectedRangeHigh => "expected_range_high",
            LevelKind::ExpectedRangeLow => "expected_range_low",
            LevelKind::ResistanceZone => "resistance_zone",
            LevelKind::SupportZone => "support_zone",
        }
    }

    /// Levels of one family do not confirm each other: each pivot set, VWAP
    /// and its bands, the opening ranges.
    fn family(self) -> &'static str {
        use LevelKind::*;
        match self {
            Vwap | VwapUpper1 | VwapUpper2 | VwapLower1 | VwapLower2 => "vwap",
            Or5High | Or5Low | Or15High | Or15Low | Or30High | Or30Low => "opening_range",
            other => other.as_str(),
        }
    }
}

impl std::fmt::Display for LevelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LevelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<LevelKind, String> {
        LevelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a level kind"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Level {
    /// Stable machine name: `prior_day_high`, `pivot_classic`, `or15_low`, …
    pub kind: LevelKind,
    /// Short label for the chart: `PDH`, `R1 (classic)`, `OR15 low`.
    pub label: String,
    pub price: f64,
    /// Signed: positive when the level is above the last price.
    pub distance_pts: f64,
    pub distance_pct: f64,
    /// In multiples of ATR(14) on daily bars; `None` without enough history.
    pub distance_atr: Option<f64>,
    pub tests: LevelTests,
    /// 1 + the number of other levels within the confluence band.
    pub strength: u32,
    /// The inputs and formula that produced the price.
    pub provenance: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LevelsReport {
    pub symbol: String,
    /// The moment the levels describe (unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: i64,
    /// The session the levels are for (New York date).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub session: NaiveDate,
    pub price: f64,
    /// ATR(14) of the daily bars before today.
    pub atr: Option<f64>,
    /// Highest price first.
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelsError {
    #[error("no completed session before {0}: at least one daily bar is needed")]
    NoHistory(NaiveDate),
    #[error(transparent)]
    Calendar(#[from] calendar::CalendarError),
}

/// What the levels are computed from.
pub struct LevelInputs<'a> {
    pub symbol: &'a str,
    pub at: DateTime<Utc>,
    /// Today's session (see [`session_for`]).
    pub session: Session,
    /// Completed daily bars before `session`, ascending (stamped midnight New York).
    pub daily: &'a [Candle],
    /// Today's minute bars before `at`, ascending, pre-market included.
    pub minutes: &'a [Candle],
}

/// The session levels at `at` are about: on a trading day that day's (before
/// 04:00 it is the one ahead, after 20:00 the one just done), otherwise the
/// next one.
pub fn session_for(at: DateTime<Utc>) -> Result<Session, calendar::CalendarError> {
    let date = at.with_timezone(&chrono_tz::America::New_York).date_naive();
    match calendar::session(date)? {
        Some(s) => Ok(s),
        None => calendar::next_session(date),
    }
}

/// A level before tests, strength and distances are known.
struct Raw {
    kind: LevelKind,
    label: String,
    price: f64,
    provenance: String,
    /// For levels that move (VWAP and its bands): the value at each minute bar.
    path: Option<Vec<Option<f64>>>,
    /// The first minute bar index from which the level exists.
    from_bar: usize,
}

impl Raw {
    fn fixed(kind: LevelKind, label: impl Into<String>, price: f64, provenance: String) -> Raw {
        Raw {
            kind,
            label: label.into(),
            price,
            provenance,
            path: None,
            from_bar: 0,
        }
    }
}

fn p2(x: f64) -> String {
    format!("{x:.2}")
}

/// Computes the levels.
pub fn compute(inp: &LevelInputs) -> Result<LevelsReport, LevelsError> {
    let prior = *inp
        .daily
        .last()
        .ok_or(LevelsError::NoHistory(inp.session.date))?;
    let atr = daily_atr(inp.daily);
    let regular = regular_session(inp);
    let today_open = regular.first().map(|(_, b)| b.open);
    let price = inp.minutes.last().map(|b| b.close).unwrap_or(prior.close);
    let pd = prior_session_note(&prior);

    // In this order: the final sort keeps it among levels of one price and kind.
    let mut raw = Vec::new();
    raw.extend(prior_day(&prior, &pd));
    raw.extend(premarket(inp));
    raw.extend(opening_ranges(inp, &regular));
    raw.extend(classic_pivots(&prior, &pd));
    raw.extend(fibonacci_pivots(&prior, &pd));
    raw.extend(camarilla_pivots(&prior, &pd));
    raw.extend(woodie_pivots(&prior, today_open, &pd));
    raw.extend(vwap_bands(inp, &regular));
    raw.extend(prior_period(
        inp,
        "week",
        |d| d.iso_week(),
        [
            (LevelKind::PriorWeekHigh, "PWH"),
            (LevelKind::PriorWeekLow, "PWL"),
        ],
    ));
    raw.extend(prior_period(
        inp,
        "month",
        |d| (d.year(), d.month()),
        [
            (LevelKind::PriorMonthHigh, "PMoH"),
            (LevelKind::PriorMonthLow, "PMoL"),
        ],
    ));
    if let Some(atr) = atr {
        raw.extend(swing_zones(inp.daily, atr, price));
        raw.extend(expected_range(atr, today_open, prior.close));
    }

    Ok(LevelsReport {
        symbol: inp.symbol.to_string(),
        at_ms: inp.at.timestamp_millis(),
        session: inp.session.date,
        price,
        atr,
        levels: scored(&raw, inp.minutes, atr, price),
    })
}

/// ATR(14) over the daily bars, `None` until it has warmed up.
fn daily_atr(daily: &[Candle]) -> Option<f64> {
    let mut a = Atr::new(14);
    let mut last = None;
    for b in daily {
        last = a.push(b).or(last);
    }
    last
}

/// Today's regular-session minute bars so far, with their index in `inp.minutes`.
fn regular_session<'a>(inp: &LevelInputs<'a>) -> Vec<(usize, &'a Candle)> {
    let open_ms = inp.session.open.timestamp_millis();
    inp.minutes
        .iter()
        .enumerate()
        .filter(|(_, b)| b.time >= open_ms && b.time < inp.session.close.timestamp_millis())
        .collect()
}

/// The prior session's high, low and close, as the provenance of the levels built on them.
fn prior_session_note(prior: &Candle) -> String {
    format!(
        "prior session {}: high {}, low {}, close {}",
        ny_date(prior.time),
        p2(prior.high),
        p2(prior.low),
        p2(prior.close)
    )
}

fn prior_day(prior: &Candle, pd: &str) -> Vec<Raw> {
    vec![
        Raw::fixed(
            LevelKind::PriorDayHigh,
            "PDH",
            prior.high,
            format!("high of the {pd}"),
        ),
        Raw::fixed(
            LevelKind::PriorDayLow,
            "PDL",
            prior.low,
            format!("low of the {pd}"),
        ),
        Raw::fixed(
            LevelKind::PriorDayClose,
            "PDC",
            prior.close,
            format!("close of the {pd}"),
        ),
    ]
}

/// Pre-market: 04:00 to 09:30 today.
fn premarket(inp: &LevelInputs) -> Vec<Raw> {
    let open_ms = inp.session.open.timestamp_millis();
    let pre: Vec<&Candle> = inp.minutes.iter().filter(|b| b.time < open_ms).collect();
    if pre.is_empty() {
        return Vec::new();
    }
    let hi = pre.iter().map(|b| b.high).fold(f64::MIN, f64::max);
    let lo = pre.iter().map(|b| b.low).fold(f64::MAX, f64::min);
    let done = inp.at >= inp.session.open;
    let note = if done {
        "04:00–09:30 ET"
    } else {
        "04:00 ET so far"
    };
    vec![
        Raw::fixed(
            LevelKind::PremarketHigh,
            "PM high",
            hi,
            format!("highest pre-market price, {note} ({} bars)", pre.len()),
        ),
        Raw::fixed(
            LevelKind::PremarketLow,
            "PM low",
            lo,
            format!("lowest pre-market price, {note} ({} bars)", pre.len()),
        ),
    ]
}

/// Opening ranges, once complete.
fn opening_ranges(inp: &LevelInputs, regular: &[(usize, &Candle)]) -> Vec<Raw> {
    let open_ms = inp.session.open.timestamp_millis();
    let mut raw = Vec::new();
    for (minutes, kh, kl) in [
        (5, LevelKind::Or5High, LevelKind::Or5Low),
        (15, LevelKind::Or15High, LevelKind::Or15Low),
        (30, LevelKind::Or30High, LevelKind::Or30Low),
    ] {
        let end = open_ms + minutes * 60_000;
        let bars: Vec<&(usize, &Candle)> = regular.iter().filter(|(_, b)| b.time < end).collect();
        if inp.at.timestamp_millis() < end || bars.len() < minutes as usize {
            continue;
        }
        let hi = bars.iter().map(|(_, b)| b.high).fold(f64::MIN, f64::max);
        let lo = bars.iter().map(|(_, b)| b.low).fold(f64::MAX, f64::min);
        let from = bars.last().map(|(i, _)| i + 1).unwrap_or(0);
        let prov = |what: &str| {
            format!(
                "{what} of the first {minutes} minutes of the regular session (09:30–{})",
                hhmm(570 + minutes)
            )
        };
        let mut rh = Raw::fixed(kh, format!("OR{minutes} high"), hi, prov("high"));
        rh.from_bar = from;
        let mut rl = Raw::fixed(kl, format!("OR{minutes} low"), lo, prov("low"));
        rl.from_bar = from;
        raw.push(rh);
        raw.push(rl);
    }
    raw
}

fn classic_pivots(prior: &Candle, pd: &str) -> Vec<Raw> {
    let (h, l, c) = (prior.high, prior.low, prior.close);
    let range = h - l;
    let pp = (h + l + c) / 3.0;
    [
        ("R3", h + 2.0 * (pp - l), "H + 2(P − L)"),
        ("R2", pp + range, "P + (H − L)"),
        ("R1", 2.0 * pp - l, "2P − L"),
        ("P", pp, "(H + L + C) / 3"),
        ("S1", 2.0 * pp - h, "2P − H"),
        ("S2", pp - range, "P − (H − L)"),
        ("S3", l - 2.0 * (h - pp), "L − 2(H − P)"),
    ]
    .into_iter()
    .map(|(name, v, f)| {
        Raw::fixed(
            LevelKind::PivotClassic,
            format!("{name} classic"),
            v,
            format!("classic pivot {name} = {f}, {pd}"),
        )
    })
    .collect()
}

fn fibonacci_pivots(prior: &Candle, pd: &str) -> Vec<Raw> {
    let (h, l, c) = (prior.high, prior.low, prior.close);
    let range = h - l;
    let pp = (h + l + c) / 3.0;
    [
        ("R3", pp + range, "P + 1.000(H − L)"),
        ("R2", pp + 0.618 * range, "P + 0.618(H − L)"),
        ("R1", pp + 0.382 * range, "P + 0.382(H − L)"),
        ("S1", pp - 0.382 * range, "P − 0.382(H − L)"),
        ("S2", pp - 0.618 * range, "P − 0.618(H − L)"),
        ("S3", pp - range, "P − 1.000(H − L)"),
    ]
    .into_iter()
    .map(|(name, v, f)| {
        Raw::fixed(
            LevelKind::PivotFibonacci,
            format!("{name} fib"),
            v,
            format!("Fibonacci pivot {name} = {f}, P = (H + L + C) / 3, {pd}"),
        )
    })
    .collect()
}

fn camarilla_pivots(prior: &Candle, pd: &str) -> Vec<Raw> {
    let (c, range) = (prior.close, prior.high - prior.low);
    let mut raw = Vec::new();
    for (i, div) in [(4, 2.0), (3, 4.0), (2, 6.0), (1, 12.0)] {
        let d = range * 1.1 / div;
        raw.push(Raw::fixed(
            LevelKind::PivotCamarilla,
            format!("R{i} cam"),
            c + d,
            format!("Camarilla R{i} = C + 1.1(H − L)/{div}, {pd}"),
        ));
        raw.push(Raw::fixed(
            LevelKind::PivotCamarilla,
            format!("S{i} cam"),
            c - d,
            format!("Camarilla S{i} = C − 1.1(H − L)/{div}, {pd}"),
        ));
    }
    raw
}

/// Woodie's pivots weigh today's open, or the prior close before the open.
fn woodie_pivots(prior: &Candle, today_open: Option<f64>, pd: &str) -> Vec<Raw> {
    let (h, l, c) = (prior.high, prior.low, prior.close);
    let range = h - l;
    let (wo, wo_note) = match today_open {
        Some(o) => (o, format!("today's open {}", p2(o))),
        None => (c, format!("prior close {} (before today's open)", p2(c))),
    };
    let wp = (h + l + 2.0 * wo) / 4.0;
    [
        ("R2", wp + range, "P + (H − L)"),
        ("R1", 2.0 * wp - l, "2P − L"),
        ("P", wp, "(H + L + 2·O) / 4"),
        ("S1", 2.0 * wp - h, "2P − H"),
        ("S2", wp - range, "P − (H − L)"),
    ]
    .into_iter()
    .map(|(name, v, f)| {
        Raw::fixed(
            LevelKind::PivotWoodie,
            format!("{name} woodie"),
            v,
            format!("Woodie pivot {name} = {f}, O = {wo_note}, {pd}"),
        )
    })
    .collect()
}

/// VWAP and its bands, from the regular open.
fn vwap_bands(inp: &LevelInputs, regular: &[(usize, &Candle)]) -> Vec<Raw> {
    let mut raw = Vec::new();
    if regular.is_empty() {
        return raw;
    }
    let mut vwap = Vwap::new();
    let values: Vec<Option<crate::indicators::VwapValue>> =
        inp.minutes.iter().map(|b| vwap.push(b)).collect();
    // Only today's accumulation counts (a pre-market bar belongs to yesterday's).
    let first = regular[0].0;
    let series = |f: fn(&crate::indicators::VwapValue) -> f64| -> Vec<Option<f64>> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| if i < first { None } else { v.as_ref().map(f) })
            .collect()
    };
    if let Some(Some(last)) = values.last() {
        let n = regular.len();
        for (kind, label, v, f, what) in [
            (
                LevelKind::Vwap,
                "VWAP",
                last.vwap,
                (|v: &crate::indicators::VwapValue| v.vwap) as fn(&_) -> f64,
                "VWAP",
            ),
            (
                LevelKind::VwapUpper2,
                "VWAP +2σ",
                last.upper_2,
                |v| v.upper_2,
                "VWAP + 2σ",
            ),
            (
                LevelKind::VwapUpper1,
                "VWAP +1σ",
                last.upper_1,
                |v| v.upper_1,
                "VWAP + 1σ",
            ),
            (
                LevelKind::VwapLower1,
                "VWAP −1σ",
                last.lower_1,
                |v| v.lower_1,
                "VWAP − 1σ",
            ),
            (
                LevelKind::VwapLower2,
                "VWAP −2σ",
                last.lower_2,
                |v| v.lower_2,
                "VWAP − 2σ",
            ),
        ] {
            raw.push(Raw {
                kind,
                label: label.into(),
                price: v,
                provenance: format!(
                    "{what}: Σ(typical price × volume) / Σ volume since 09:30 ET over {n} minute bars, typical price = (H + L + C) / 3, σ = volume-weighted standard deviation (σ = {})",
                    p2(last.sd)
                ),
                path: Some(series(f)),
                from_bar: first,
            });
        }
    }
    raw
}

/// The high and low of the most recent calendar `period` (week or month in
/// New York, told apart by `key`) before the one today is in.
fn prior_period<K: PartialEq>(
    inp: &LevelInputs,
    period: &str,
    key: impl Fn(NaiveDate) -> K,
    [(kind_high, label_high), (kind_low, label_low)]: [(LevelKind, &'static str); 2],
) -> Vec<Raw> {
    let current = key(inp.session.date);
    let Some((hi, lo, n, first_d, last_d)) =
        period_extremes(inp.daily, |d| key(d) != current, |a, b| key(a) == key(b))
    else {
        return Vec::new();
    };
    let prov = |w: &str| format!("{w} of the prior {period} ({first_d} – {last_d}, {n} sessions)");
    vec![
        Raw::fixed(kind_high, label_high, hi, prov("high")),
        Raw::fixed(kind_low, label_low, lo, prov("low")),
    ]
}

/// One ATR either side of today's open (the prior close before the open).
fn expected_range(atr: f64, today_open: Option<f64>, prior_close: f64) -> Vec<Raw> {
    let (base, base_note) = match today_open {
        Some(o) => (o, format!("today's open {}", p2(o))),
        None => (prior_close, format!("prior close {}", p2(prior_close))),
    };
    vec![
        Raw::fixed(
            LevelKind::ExpectedRangeHigh,
            "ER high",
            base + atr,
            format!("{base_note} + ATR(14, daily) {}", p2(atr)),
        ),
        Raw::fixed(
            LevelKind::ExpectedRangeLow,
            "ER low",
            base - atr,
            format!("{base_note} − ATR(14, daily) {}", p2(atr)),
        ),
    ]
}

/// The levels with today's tests, confluence and distances, highest first.
fn scored(raw: &[Raw], minutes: &[Candle], atr: Option<f64>, price: f64) -> Vec<Level> {
    let tol = atr
        .map(|a| 0.05 * a)
        .unwrap_or(0.001 * price)
        .max(price * 1e-5);
    let band = atr.map(|a| 0.1 * a).unwrap_or(0.002 * price);
    let mut levels: Vec<Level> = raw
        .iter()
        .map(|r| {
            let pts = r.price - price;
            Level {
                kind: r.kind,
                label: r.label.clone(),
                price: r.price,
                distance_pts: pts,
                distance_pct: if price != 0.0 {
                    pts / price * 100.0
                } else {
                    0.0
                },
                distance_atr: atr.filter(|a| *a > 0.0).map(|a| pts / a),
                tests: count_tests(minutes, r, tol),
                strength: 1,
                provenance: r.provenance.clone(),
            }
        })
        .collect();
    let prices: Vec<(f64, &str)> = raw.iter().map(|r| (r.price, r.kind.family())).collect();
    for lv in &mut levels {
        let fam = lv.kind.family();
        lv.strength = 1 + prices
            .iter()
            .filter(|(p, f)| *f != fam && (p - lv.price).abs() <= band)
            .count() as u32;
    }
    levels.sort_by(|a, b| {
        b.price
            .total_cmp(&a.price)
            .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
    });
    levels
}

fn ny_date(ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive()
}

fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// High, low, session count, first and last date of the most recent period
/// (week or month) before the current one.
fn period_extremes(
    daily: &[Candle],
    before_current: impl Fn(NaiveDate) -> bool,
    same: impl Fn(NaiveDate, NaiveDate) -> bool,
) -> Option<(f64, f64, usize, NaiveDate, NaiveDate)> {
    let last = daily
        .iter()
        .rev()
        .find(|b| before_current(ny_date(b.time)))?;
    let key = ny_date(last.time);
    let bars: Vec<&Candle> = daily
        .iter()
        .filter(|b| same(ny_date(b.time), key))
        .collect();
    let hi = bars.iter().map(|b| b.high).fold(f64::MIN, f64::max);
    let lo = bars.iter().map(|b| b.low).fold(f64::MAX, f64::min);
    Some((hi, lo, bars.len(), ny_date(bars[0].time), key))
}

/// Swing highs and lows (a daily high above the two highs on each side, a low
/// below the two lows on each side) clustered within a quarter ATR; clusters
/// of two or more swings become zones, the nearest three on each side of price.
fn swing_zones(daily: &[Candle], atr: f64, price: f64) -> Vec<Raw> {
    let recent = &daily[daily.len().saturating_sub(DAILY_LOOKBACK)..];
    let mut swings: Vec<(f64, NaiveDate, bool)> = Vec::new();
    for i in 2..recent.len().saturating_sub(2) {
        let b = &recent[i];
        let around = [
            &recent[i - 2],
            &recent[i - 1],
            &recent[i + 1],
            &recent[i + 2],
        ];
        if around.iter().all(|o| b.high > o.high) {
            swings.push((b.high, ny_date(b.time), true));
        }
        if around.iter().all(|o| b.low < o.low) {
            swings.push((b.low, ny_date(b.time), false));
        }
    }
    swings.sort_by(|a, b| a.0.total_cmp(&b.0));
    let width = 0.25 * atr;
    let mut clusters: Vec<Vec<(f64, NaiveDate, bool)>> = Vec::new();
    for s in swings {
        match clusters.last_mut() {
            Some(c) if s.0 - c[0].0 <= width => c.push(s),
            _ => clusters.push(vec![s]),
        }
    }
    let mut zones: Vec<Raw> = clusters
        .into_iter()
        .filter(|c| c.len() >= 2)
        .map(|c| {
            let mid = c.iter().map(|s| s.0).sum::<f64>() / c.len() as f64;
            let (lo, hi) = (c[0].0, c[c.len() - 1].0);
            let above = mid > price;
            let mut points: Vec<String> = c
                .iter()
                .map(|(p, d, high)| format!("{} {d} {}", if *high { "high" } else { "low" }, p2(*p)))
                .collect();
            points.sort();
            Raw::fixed(
                if above { LevelKind::ResistanceZone } else { LevelKind::SupportZone },
                format!(
                    "{} {} ({}×)",
                    if above { "Resistance" } else { "Support" },
                    p2(mid),
                    c.len()
                ),
                mid,
                format!(
                    "{} daily swing points within {}–{} (clustered within ¼ ATR = {}), last {} sessions: {}",
                    c.len(),
                    p2(lo),
                    p2(hi),
                    p2(width),
                    recent.len(),
                    points.join(", ")
                ),
            )
        })
        .collect();
    // The nearest three on each side.
    zones.sort_by(|a, b| (a.price - price).abs().total_cmp(&(b.price - price).abs()));
    let (mut up, mut down) = (0, 0);
    zones.retain(|z| {
        let keep = if z.price > price { up < 3 } else { down < 3 };
        if z.price > price {
            up += 1;
        } else {
            down += 1;
        }
        keep
    });
    zones
}

/// Counts today's tests of a level over the minute bars. A touch counts only
/// after a bar entirely away from the level (so one long touch is one test);
/// it ends when a bar closes beyond the tolerance.
fn count_tests(bars: &[Candle], level: &Raw, tol: f64) -> LevelTests {
    let mut t = LevelTests::default();
    // The side price was on before the touch: +1 above, −1 below.
    let mut side: i8 = 0;
    let mut armed = false;
    let mut touching = false;
    for (i, b) in bars.iter().enumerate().skip(level.from_bar) {
        let at = match &level.path {
            Some(path) => match path.get(i).copied().flatten() {
                Some(v) => v,
                None => continue,
            },
            None => level.price,
        };
        let near = b.low <= at + tol && b.high >= at - tol;
        let close_side: i8 = if b.close > at + tol {
            1
        } else if b.close < at - tol {
            -1
        } else {
            0
        };
        if !touching && near && armed {
            touching = true;
            armed = false;
            t.touches += 1;
        }
        if touching {
            if close_side != 0 {
                if close_side == side {
                    t.rejections += 1;
                } else {
                    t.breaks += 1;
                }
                touching = false;
                side = close_side;
            }
        } else if !near {
            side = close_side;
            armed = true;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(time: i64, o: f64, h: f64, l: f64, c: f64) -> Candle {
        Candle {
            time,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 1000.0,
            vwap: None,
            extended: false,
        }
    }

    #[test]
    fn a_touch_that_holds_is_a_rejection_and_one_that_goes_through_is_a_break() {
        let level = Raw::fixed(LevelKind::Vwap, "x", 100.0, String::new());
        let m = 60_000;
        let bars = [
            bar(0, 101.0, 101.5, 100.8, 101.2), // above
            bar(m, 101.2, 101.2, 99.98, 100.6), // touch from above, closes back above: rejection
            bar(2 * m, 100.6, 101.0, 100.5, 100.9),
            bar(3 * m, 100.9, 100.9, 100.0, 100.01), // touch, closes at the level: in progress
            bar(4 * m, 100.0, 100.02, 99.2, 99.3),   // leaves below: break
            bar(5 * m, 99.3, 99.5, 99.1, 99.4),
        ];
        let t = count_tests(&bars, &level, 0.05);
        assert_eq!(
            t,
            LevelTests {
                touches: 2,
                rejections: 1,
                breaks: 1
            }
        );
    }

    /// 30 sessions of daily bars ending the day before 2024-07-02, the last
    /// one H 110 / L 100 / C 105; then today's minutes from 04:00 to `until`.
    fn fixture(until_minute_of_day: i64) -> (Vec<Candle>, Vec<Candle>, Session) {
        let session = calendar::session(NaiveDate::from_ymd_opt(2024, 7, 2).unwrap())
            .unwrap()
            .unwrap();
        let mut days = Vec::new();
        let mut d = session.date;
        for _ in 0..30 {
            d = calendar::previous_session(d).unwrap().date;
            days.push(d);
        }
        days.reverse();
        let daily: Vec<Candle> = days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let base = 100.0 + (i as f64 * 0.7).sin() * 3.0;
                bar(
                    calendar::midnight_ny(*d),
                    base,
                    base + 2.0,
                    base - 2.0,
                    base + 0.5,
                )
            })
            .collect();
        let mut daily = daily;
        let last = daily.len() - 1;
        daily[last] = bar(daily[last].time, 104.0, 110.0, 100.0, 105.0);
        let pre_open = session.pre_open.timestamp_millis();
        let minutes: Vec<Candle> = (0..(until_minute_of_day - 240))
            .map(|i| {
                let p = 106.0 + ((i as f64) * 0.05).sin();
                bar(pre_open + i * 60_000, p, p + 0.2, p - 0.2, p + 0.1)
            })
            .collect();
        (daily, minutes, session)
    }

    fn at(session: &Session, minute_of_day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(
            calendar::midnight_ny(session.date) + minute_of_day * 60_000,
        )
        .unwrap()
    }

    fn find<'a>(r: &'a LevelsReport, label: &str) -> &'a Level {
        r.levels
            .iter()
            .find(|l| l.label == label)
            .unwrap_or_else(|| panic!("no {label}"))
    }

    #[test]
    fn pivots_follow_their_formulas_and_levels_are_sorted_with_signed_distances() {
        let (daily, minutes, session) = fixture(11 * 60);
        let r = compute(&LevelInputs {
            symbol: "TEST",
            at: at(&session, 11 * 60),
            session,
            daily: &daily,
            minutes: &minutes,
        })
        .unwrap();
        // H 110, L 100, C 105: P 105.
        for (label, want) in [
            ("PDH", 110.0),
            ("PDL", 100.0),
            ("PDC", 105.0),
            ("P classic", 105.0),
            ("R1 classic", 110.0),
            ("S1 classic", 100.0),
            ("R2 classic", 115.0),
            ("S2 classic", 95.0),
            ("R3 classic", 120.0),
            ("S3 classic", 90.0),
            ("R1 fib", 108.82),
            ("S2 fib", 98.82),
            ("R3 fib", 115.0),
            ("R4 cam", 110.5),
            ("S1 cam", 105.0 - 11.0 / 12.0),
            ("R3 cam", 107.75),
        ] {
            let got = find(&r, label).price;
            assert!((got - want).abs() < 1e-9, "{label}: {got} vs {want}");
        }
        // Woodie uses today's regular open.
        let open = minutes
            .iter()
            .find(|b| b.time >= session.open.timestamp_millis())
            .unwrap()
            .open;
        assert!((find(&r, "P woodie").price - (110.0 + 100.0 + 2.0 * open) / 4.0).abs() < 1e-12);
        assert!(
            r.levels.windows(2).all(|w| w[0].price >= w[1].price),
            "highest first"
        );
        let atr = r.atr.unwrap();
        for l in &r.levels {
            assert!(
                (l.distance_pts - (l.price - r.price)).abs() < 1e-12,
                "{}",
                l.label
            );
            assert!((l.distance_pct - l.distance_pts / r.price * 100.0).abs() < 1e-12);
            assert!((l.distance_atr.unwrap() - l.distance_pts / atr).abs() < 1e-12);
            assert!(l.strength >= 1 && !l.provenance.is_empty());
        }
        for kind in [
            LevelKind::PremarketHigh,
            LevelKind::Or5High,
            LevelKind::Or15Low,
            LevelKind::Or30High,
            LevelKind::Vwap,
            LevelKind::VwapUpper2,
            LevelKind::PriorWeekHigh,
            LevelKind::PriorMonthLow,
            LevelKind::ExpectedRangeHigh,
        ] {
            assert!(r.levels.iter().any(|l| l.kind == kind), "{kind} at 11:00");
        }
        let er = find(&r, "ER high").price - find(&r, "ER low").price;
        assert!((er - 2.0 * atr).abs() < 1e-9, "expected range is ± one ATR");
    }

    #[test]
    fn opening_ranges_appear_as_they_close() {
        let (daily, all, session) = fixture(11 * 60);
        let kinds = |minute: i64| -> Vec<&str> {
            let minutes: Vec<Candle> = all
                .iter()
                .copied()
                .filter(|b| b.time + 60_000 <= at(&session, minute).timestamp_millis())
                .collect();
            compute(&LevelInputs {
                symbol: "T",
                at: at(&session, minute),
                session,
                daily: &daily,
                minutes: &minutes,
            })
            .unwrap()
            .levels
            .into_iter()
            .map(|l| l.kind.as_str())
            .collect()
        };
        let at_0933 = kinds(9 * 60 + 33);
        assert!(!at_0933.iter().any(|k| k.starts_with("or")), "{at_0933:?}");
        assert!(at_0933.contains(&"vwap"));
        let at_0936 = kinds(9 * 60 + 36);
        assert!(at_0936.contains(&"or5_high") && !at_0936.contains(&"or15_high"));
        assert!(kinds(9 * 60 + 45).contains(&"or15_low"));
        let before = kinds(3 * 60);
        assert!(
            !before
                .iter()
                .any(|k| k.starts_with("premarket") || k.starts_with("vwap")),
            "nothing of today before 04:00"
        );
        assert!(before.contains(&"prior_day_high"));
    }

    #[test]
    fn every_level_kind_is_named_once_and_read_back_from_its_name() {
        let mut names: Vec<&str> = LevelKind::ALL.iter().map(|k| k.as_str()).collect();
        for k in LevelKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                k.as_str(),
                "serde and as_str agree"
            );
            assert_eq!(k.as_str().parse::<LevelKind>(), Ok(k));
        }
        names.sort();
        names.dedup();
        assert_eq!(
            names.len(),
            LevelKind::ALL.len(),
            "no two kinds share a name"
        );
        assert!("pivot".parse::<LevelKind>().is_err());
    }
}
