//! The figures of a journal: over closed trades with a known P&L, net P&L,
//! win rate (with and without breakevens), profit factor, expectancy, average
//! and largest win and loss, max drawdown, R-multiples where a risk was given;
//! broken down by underlying, weekday, hour, strategy, setup tag or holding
//! time; the equity curve and the calendar of daily P&L; and pattern notes,
//! each computed from the trades and naming its sample size.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// One closed trade as the figures see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Dollars, net of fees.
    pub pnl: f64,
    pub fees: f64,
    pub opened_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
    pub underlying: String,
    /// "vertical", "long call", …
    pub strategy: String,
    pub tags: Vec<String>,
    /// The dollars the trader risked, when given (for R-multiples).
    pub risk: Option<f64>,
    /// Days from opening to the option's expiration (`None` for stock).
    pub dte_at_open: Option<i64>,
}

/// A trade within half a cent of zero is a breakeven.
const BREAKEVEN: f64 = 0.005;

/// The figures of a set of trades. Rates are fractions (0.55 = 55 %).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Stats {
    pub trades: u32,
    pub wins: u32,
    pub losses: u32,
    pub breakeven: u32,
    /// Wins over all trades.
    pub win_rate: Option<f64>,
    /// Wins over wins and losses.
    pub win_rate_excluding_breakeven: Option<f64>,
    /// Gross wins over gross losses (`None` with no losing trade).
    pub profit_factor: Option<f64>,
    /// Net P&L per trade.
    pub expectancy: Option<f64>,
    pub avg_win: Option<f64>,
    /// Negative.
    pub avg_loss: Option<f64>,
    pub largest_win: Option<f64>,
    pub largest_loss: Option<f64>,
    pub net_pnl: f64,
    pub fees: f64,
    /// The deepest fall of the equity curve from a peak, in dollars (≥ 0).
    pub max_drawdown: f64,
    /// Mean of P&L ÷ risk over the trades with a risk given.
    pub avg_r: Option<f64>,
    /// How many trades had a risk given.
    pub trades_with_risk: u32,
}

fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

/// The figures of `samples` (any order).
pub fn stats(samples: &[&Sample]) -> Stats {
    let mut s = Stats::default();
    let (mut gross_win, mut gross_loss) = (0.0, 0.0);
    let (mut r_sum, mut r_n) = (0.0, 0u32);
    for x in samples {
        s.trades += 1;
        s.net_pnl += x.pnl;
        s.fees += x.fees;
        if x.pnl > BREAKEVEN {
            s.wins += 1;
            gross_win += x.pnl;
            s.largest_win = Some(s.largest_win.map_or(x.pnl, |w: f64| w.max(x.pnl)));
        } else if x.pnl < -BREAKEVEN {
            s.losses += 1;
            gross_loss += x.pnl;
            s.largest_loss = Some(s.largest_loss.map_or(x.pnl, |l: f64| l.min(x.pnl)));
        } else {
            s.breakeven += 1;
        }
        if let Some(risk) = x.risk.filter(|r| *r > 0.0) {
            r_sum += x.pnl / risk;
            r_n += 1;
        }
    }
    let n = s.trades as f64;
    if s.trades > 0 {
        s.win_rate = Some(round(s.wins as f64 / n, 4));
        s.expectancy = Some(round(s.net_pnl / n, 2));
    }
    if s.wins + s.losses > 0 {
        s.win_rate_excluding_breakeven = Some(round(s.wins as f64 / (s.wins + s.losses) as f64, 4));
    }
    if s.losses > 0 {
        s.profit_factor = Some(round(gross_win / -gross_loss, 2));
        s.avg_loss = Some(round(gross_loss / s.losses as f64, 2));
    }
    if s.wins > 0 {
        s.avg_win = Some(round(gross_win / s.wins as f64, 2));
    }
    if r_n > 0 {
        s.avg_r = Some(round(r_sum / r_n as f64, 2));
    }
    s.trades_with_risk = r_n;
    s.net_pnl = round(s.net_pnl, 2);
    s.fees = round(s.fees, 2);
    s.max_drawdown = round(
        equity_curve(samples)
            .iter()
            .map(|p| p.drawdown)
            .fold(0.0, f64::max),
        2,
    );
    s
}

/// A point of the equity curve: after each trade closes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EquityPoint {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub time: DateTime<Utc>,
    /// Cumulative net P&L.
    pub equity: f64,
    /// Below the highest equity so far (≥ 0), the start (0) counting as a peak.
    pub drawdown: f64,
}

/// Cumulative P&L in the order trades closed.
pub fn equity_curve(samples: &[&Sample]) -> Vec<EquityPoint> {
    let mut sorted: Vec<&&Sample> = samples.iter().collect();
    sorted.sort_by_key(|s| s.closed_at);
    let (mut equity, mut peak) = (0.0f64, 0.0f64);
    sorted
        .into_iter()
        .map(|s| {
            equity += s.pnl;
            peak = peak.max(equity);
            EquityPoint {
                time: s.closed_at,
                equity: round(equity, 2),
                drawdown: round(peak - equity, 2),
            }
        })
        .collect()
}

/// Net P&L per day a trade closed (the day in `tz`).
pub fn daily_pnl(samples: &[&Sample], tz: Tz) -> BTreeMap<NaiveDate, f64> {
    let mut days: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    for s in samples {
        *days
            .entry(s.closed_at.with_timezone(&tz).date_naive())
            .or_default() += s.pnl;
    }
    days.values_mut().for_each(|v| *v = round(*v, 2));
    days
}

/// How to break the figures down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Underlying,
    /// Of the opening, in the display zone.
    Weekday,
    /// Of the opening, in the display zone.
    Hour,
    Strategy,
    Tag,
    Holding,
}

impl std::str::FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<GroupBy, String> {
        Ok(match s.trim() {
            "underlying" => GroupBy::Underlying,
            "weekday" => GroupBy::Weekday,
            "hour" => GroupBy::Hour,
            "strategy" => GroupBy::Strategy,
            "tag" => GroupBy::Tag,
            "holding" => GroupBy::Holding,
            other => {
                return Err(format!(
                    "{other:?} is not a breakdown: use underlying, weekday, hour, strategy, tag or holding"
                ))
            }
        })
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The group names of one trade (a trade with several tags is in each).
fn keys(s: &Sample, by: GroupBy, tz: Tz) -> Vec<String> {
    let open = s.opened_at.with_timezone(&tz);
    match by {
        GroupBy::Underlying => vec![s.underlying.clone()],
        GroupBy::Weekday => vec![format!(
            "{} {}",
            open.weekday().num_days_from_monday() + 1,
            WEEKDAYS[open.weekday().num_days_from_monday() as usize]
        )],
        GroupBy::Hour => vec![format!("{:02}:00", open.hour())],
        GroupBy::Strategy => vec![s.strategy.clone()],
        GroupBy::Tag if s.tags.is_empty() => vec!["(untagged)".to_string()],
        GroupBy::Tag => s.tags.clone(),
        GroupBy::Holding => {
            vec![holding_bucket((s.closed_at - s.opened_at).num_seconds()).to_string()]
        }
    }
}

/// Holding time in buckets a trader thinks in (sortable by their prefix).
pub fn holding_bucket(secs: i64) -> &'static str {
    match secs {
        s if s < 5 * 60 => "1 under 5 min",
        s if s < 30 * 60 => "2 5–30 min",
        s if s < 2 * 3600 => "3 30 min–2 h",
        s if s < 24 * 3600 => "4 2 h–1 day",
        s if s < 7 * 24 * 3600 => "5 1–7 days",
        _ => "6 over 7 days",
    }
}

/// The figures per group.
pub fn group(samples: &[&Sample], by: GroupBy, tz: Tz) -> BTreeMap<String, Stats> {
    let mut groups: BTreeMap<String, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        for k in keys(s, by, tz) {
            groups.entry(k).or_default().push(s);
        }
    }
    groups.into_iter().map(|(k, v)| (k, stats(&v))).collect()
}

/// Net P&L and count per weekday (0 = Monday) × hour of the opening.
pub fn hour_weekday(samples: &[&Sample], tz: Tz) -> Vec<HourCell> {
    let mut cells: BTreeMap<(u32, u32), (f64, u32)> = BTreeMap::new();
    for s in samples {
        let o = s.opened_at.with_timezone(&tz);
        let c = cells
            .entry((o.weekday().num_days_from_monday(), o.hour()))
            .or_default();
        c.0 += s.pnl;
        c.1 += 1;
    }
    cells
        .into_iter()
        .map(|((weekday, hour), (pnl, trades))| HourCell {
            weekday,
            hour,
            pnl: round(pnl, 2),
            trades,
        })
        .collect()
}

/// One cell of the hour × weekday heatmap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HourCell {
    /// 0 = Monday.
    pub weekday: u32,
    pub hour: u32,
    pub pnl: f64,
    pub trades: u32,
}

/// A pattern worth telling the trader, computed from the trades.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Pattern {
    /// E.g. "Your 0DTE trades opened after 14:00 lost 70 % of the time over 41 trades (net −$1,234.00)."
    pub text: String,
    pub trades: u32,
    pub win_rate: f64,
    pub net_pnl: f64,
}

/// Slices where the win rate stands out (≤ 35 % or ≥ 65 %) with at least
/// `min_trades` trades, most trades first. Every number is from the slice.
pub fn patterns(samples: &[&Sample], tz: Tz, min_trades: u32) -> Vec<Pattern> {
    type Slice = (String, Box<dyn Fn(&Sample) -> bool>);
    let mut slices: Vec<Slice> = Vec::new();
    // Session times (and overnight) are New York's, whatever zone the journal is shown in.
    let ny = chrono_tz::America::New_York;
    let after = move |h: u32| move |s: &Sample| s.opened_at.with_timezone(&ny).hour() >= h;
    let before = move |h: u32, m: u32| {
        move |s: &Sample| {
            let o = s.opened_at.with_timezone(&ny);
            o.hour() * 60 + o.minute() < h * 60 + m
        }
    };
    slices.push((
        "0DTE trades opened after 14:00".into(),
        Box::new(move |s| s.dte_at_open == Some(0) && after(14)(s)),
    ));
    slices.push(("0DTE trades".into(), Box::new(|s| s.dte_at_open == Some(0))));
    slices.push((
        "trades opened in the first 30 minutes".into(),
        Box::new(move |s| before(10, 0)(s) && !before(9, 30)(s)),
    ));
    slices.push((
        "trades opened after 15:00".into(),
        Box::new(move |s| after(15)(s)),
    ));
    slices.push((
        "trades held under 5 minutes".into(),
        Box::new(|s| (s.closed_at - s.opened_at).num_seconds() < 300),
    ));
    slices.push((
        "trades held overnight or longer".into(),
        Box::new(move |s| {
            s.closed_at.with_timezone(&ny).date_naive()
                != s.opened_at.with_timezone(&ny).date_naive()
        }),
    ));
    for (name, stat) in group(samples, GroupBy::Strategy, tz) {
        let n = name.clone();
        if stat.trades >= min_trades {
            slices.push((format!("{name} trades"), Box::new(move |s| s.strategy == n)));
        }
    }
    for (name, stat) in group(samples, GroupBy::Underlying, tz) {
        let n = name.clone();
        if stat.trades >= min_trades {
            slices.push((
                format!("{name} trades"),
                Box::new(move |s| s.underlying == n),
            ));
        }
    }
    let mut out = Vec::new();
    for (name, pick) in slices {
        let slice: Vec<&Sample> = samples.iter().copied().filter(|s| pick(s)).collect();
        let st = stats(&slice);
        let (Some(wr), true) = (st.win_rate, st.trades >= min_trades) else {
            continue;
        };
        if wr > 0.35 && wr < 0.65 {
            continue;
        }
        let (verb, pct) = if wr <= 0.35 {
            ("lost", 1.0 - wr)
        } else {
            ("won", wr)
        };
        let pct = if verb == "lost" {
            // Losses and breakevens both count as not winning: say losses only.
            st.losses as f64 / st.trades as f64
        } else {
            pct
        };
        out.push(Pattern {
            text: format!(
                "Your {name} {verb} {:.0} % of the time over {} trades (net {}).",
                pct * 100.0,
                st.trades,
                dollars(st.net_pnl)
            ),
            trades: st.trades,
            win_rate: wr,
            net_pnl: st.net_pnl,
        });
    }
    out.sort_by(|a, b| b.trades.cmp(&a.trades).then_with(|| a.text.cmp(&b.text)));
    out
}

fn dollars(x: f64) -> String {
    let sign = if x < 0.0 { "−" } else { "+" };
    let cents = (x.abs() * 100.0).round() as i64;
    let (whole, frac) = (cents / 100, cents % 100);
    let mut digits = whole.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(",{tail}{grouped}");
    }
    format!("{sign}${digits}{grouped}.{frac:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sample(pnl: f64, open: &str, close: &str, und: &str, strat: &str) -> Sample {
        Sample {
            pnl,
            fees: 1.0,
            opened_at: at(open),
            closed_at: at(close),
            underlying: und.into(),
            strategy: strat.into(),
            tags: vec![],
            risk: None,
            dte_at_open: None,
        }
    }

    /// Five trades worked by hand:
    /// +300, −100, 0, +50, −200 (closing in that order).
    fn five() -> Vec<Sample> {
        vec![
            sample(
                300.0,
                "2024-07-01T13:35:00Z",
                "2024-07-01T14:00:00Z",
                "SPY",
                "long call",
            ),
            sample(
                -100.0,
                "2024-07-02T18:10:00Z",
                "2024-07-02T19:00:00Z",
                "SPY",
                "vertical",
            ),
            sample(
                0.0,
                "2024-07-03T14:00:00Z",
                "2024-07-03T14:02:00Z",
                "QQQ",
                "long stock",
            ),
            sample(
                50.0,
                "2024-07-05T14:00:00Z",
                "2024-07-08T14:00:00Z",
                "QQQ",
                "long stock",
            ),
            sample(
                -200.0,
                "2024-07-08T15:00:00Z",
                "2024-07-09T15:00:00Z",
                "SPY",
                "vertical",
            ),
        ]
    }

    #[test]
    fn the_figures_match_a_hand_computation() {
        let all = five();
        let refs: Vec<&Sample> = all.iter().collect();
        let s = stats(&refs);
        assert_eq!((s.trades, s.wins, s.losses, s.breakeven), (5, 2, 2, 1));
        assert_eq!(s.net_pnl, 50.0);
        assert_eq!(s.fees, 5.0);
        assert_eq!(s.win_rate, Some(0.4), "2 of 5");
        assert_eq!(s.win_rate_excluding_breakeven, Some(0.5), "2 of 4");
        assert_eq!(s.profit_factor, Some(1.17), "350 / 300");
        assert_eq!(s.expectancy, Some(10.0), "50 / 5");
        assert_eq!(s.avg_win, Some(175.0));
        assert_eq!(s.avg_loss, Some(-150.0));
        assert_eq!(s.largest_win, Some(300.0));
        assert_eq!(s.largest_loss, Some(-200.0));
        // Equity 300, 200, 200, 250, 50: peak 300, deepest 50 → 250.
        assert_eq!(s.max_drawdown, 250.0);
        assert_eq!(s.avg_r, None);
    }

    #[test]
    fn a_curve_that_starts_by_losing_draws_down_from_zero() {
        let all = [
            sample(
                -80.0,
                "2024-07-01T13:35:00Z",
                "2024-07-01T14:00:00Z",
                "SPY",
                "x",
            ),
            sample(
                30.0,
                "2024-07-01T15:00:00Z",
                "2024-07-01T16:00:00Z",
                "SPY",
                "x",
            ),
        ];
        let refs: Vec<&Sample> = all.iter().collect();
        let curve = equity_curve(&refs);
        assert_eq!(
            curve.iter().map(|p| p.equity).collect::<Vec<_>>(),
            vec![-80.0, -50.0]
        );
        assert_eq!(stats(&refs).max_drawdown, 80.0);
    }

    #[test]
    fn breakdowns_use_the_display_zone_and_r_multiples_only_where_risk_is_given() {
        let mut all = five();
        all[0].risk = Some(150.0);
        all[1].risk = Some(100.0);
        all[0].tags = vec!["breakout".into(), "A+".into()];
        let refs: Vec<&Sample> = all.iter().collect();
        let s = stats(&refs);
        assert_eq!(s.avg_r, Some(0.5), "(300/150 + −100/100) / 2");
        assert_eq!(s.trades_with_risk, 2);
        let ny = chrono_tz::America::New_York;
        let by_hour = group(&refs, GroupBy::Hour, ny);
        // 13:35Z is 09:35 EDT; 18:10Z 14:10; 14:00Z 10:00 (twice); 15:00Z 11:00.
        assert_eq!(
            by_hour.keys().collect::<Vec<_>>(),
            vec!["09:00", "10:00", "11:00", "14:00"]
        );
        assert_eq!(by_hour["10:00"].trades, 2);
        let by_day = group(&refs, GroupBy::Weekday, ny);
        assert_eq!(by_day["1 Mon"].trades, 2, "Jul 1 and Jul 8 are Mondays");
        assert_eq!(by_day["1 Mon"].net_pnl, 100.0);
        let by_tag = group(&refs, GroupBy::Tag, ny);
        assert_eq!(by_tag["breakout"].trades, 1);
        assert_eq!(by_tag["(untagged)"].trades, 4);
        let daily = daily_pnl(&refs, ny);
        assert_eq!(daily[&NaiveDate::from_ymd_opt(2024, 7, 8).unwrap()], 50.0);
        let by_hold = group(&refs, GroupBy::Holding, ny);
        assert_eq!(by_hold["1 under 5 min"].trades, 1);
        assert_eq!(by_hold["5 1–7 days"].trades, 2);
    }

    #[test]
    fn a_pattern_names_its_sample_and_is_computed_not_invented() {
        let mut all = Vec::new();
        // 10 0DTE trades opened at 14:30 New York: 3 wins of +100, 7 losses of −50.
        for i in 0..10 {
            let mut s = sample(
                if i < 3 { 100.0 } else { -50.0 },
                "2024-07-01T18:30:00Z",
                "2024-07-01T19:00:00Z",
                "SPY",
                "long call",
            );
            s.dte_at_open = Some(0);
            all.push(s);
        }
        let refs: Vec<&Sample> = all.iter().collect();
        let p = patterns(&refs, chrono_tz::America::New_York, 10);
        let first = p
            .iter()
            .find(|p| p.text.contains("0DTE trades opened after 14:00"))
            .expect("the 0DTE afternoon slice");
        assert_eq!(
            first.text,
            "Your 0DTE trades opened after 14:00 lost 70 % of the time over 10 trades (net −$50.00)."
        );
        assert!(
            patterns(&refs, chrono_tz::America::New_York, 11).is_empty(),
            "too few trades"
        );
    }
}
