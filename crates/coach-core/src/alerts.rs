//! Alert rules and their evaluation, pure: a rule, its state, and a price
//! (each trade or aggregate the hub delivers, or a bar's close) in; a firing
//! out, with the exact tick that crossed. The engine keeps the states, the
//! lines of levels that move (VWAP, an opening range) and delivery.
//!
//! A crossing alert fires once when price crosses its line, then re-arms only
//! after price has moved away from the line by the re-arm distance (by default
//! a quarter of ATR(14) of the rule's timeframe), so a price chopping around
//! the line fires once, not forty times.

use std::collections::VecDeque;

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::levels::LevelKind;
use crate::timeframe::Timeframe;

/// What the alert watches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    CrossesAbove,
    CrossesBelow,
    /// Either way.
    Crosses,
    /// Is above the line.
    Above,
    /// Is below the line.
    Below,
    /// Comes into the channel `[price, price2]`.
    Enters,
    /// Leaves the channel `[price, price2]`.
    Exits,
    /// Rises by `price` percent within the timeframe's period.
    MovesUp,
    /// Falls by `price` percent within the timeframe's period.
    MovesDown,
}

impl Condition {
    pub const ALL: [Condition; 9] = [
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

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::CrossesAbove => "crosses_above",
            Condition::CrossesBelow => "crosses_below",
            Condition::Crosses => "crosses",
            Condition::Above => "above",
            Condition::Below => "below",
            Condition::Enters => "enters",
            Condition::Exits => "exits",
            Condition::MovesUp => "moves_up",
            Condition::MovesDown => "moves_down",
        }
    }

    fn crossing(self) -> bool {
        matches!(
            self,
            Condition::CrossesAbove
                | Condition::CrossesBelow
                | Condition::Crosses
                | Condition::Enters
                | Condition::Exits
        )
    }
}

impl std::str::FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Condition, String> {
        Condition::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                let all: Vec<&str> = Condition::ALL.iter().map(|c| c.as_str()).collect();
                format!("{s:?} is not a condition: use {}", all.join(", "))
            })
    }
}

/// How often it may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Once, then done.
    Once,
    /// At most once in each bar of the timeframe.
    OncePerBar,
    /// Judged on each bar's close only.
    OncePerBarClose,
    /// Every time, no sooner than the cooldown after the last.
    Every,
}

impl std::str::FromStr for Trigger {
    type Err = String;

    fn from_str(s: &str) -> Result<Trigger, String> {
        Ok(match s.trim() {
            "once" => Trigger::Once,
            "once_per_bar" => Trigger::OncePerBar,
            "once_per_bar_close" => Trigger::OncePerBarClose,
            "every" => Trigger::Every,
            other => {
                return Err(format!(
                "{other:?} is not a trigger: use once, once_per_bar, once_per_bar_close or every"
            ))
            }
        })
    }
}

/// The distance price must move away from the line before a crossing alert
/// can fire again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Rearm {
    Points(f64),
    Percent(f64),
}

/// An alert rule as the user (or a confirmed proposal) made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertRule {
    pub condition: Condition,
    /// The line (or the channel's low; the percent for a move).
    pub price: Option<f64>,
    /// The channel's high.
    pub price2: Option<f64>,
    /// A level that moves with the market instead of a fixed price.
    pub level: Option<LevelKind>,
    pub trigger: Trigger,
    pub timeframe: Timeframe,
    /// With `every`: seconds between firings at least.
    pub cooldown_secs: u32,
    /// `None`: a quarter of ATR(14) of the timeframe.
    pub rearm: Option<Rearm>,
    /// Unix ms after which it never fires.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub expires_ms: Option<i64>,
}

/// A rule that cannot be used, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> Result<(), RuleError> {
    Err(RuleError {
        field,
        message: message.into(),
    })
}

fn positive(v: Option<f64>) -> bool {
    v.is_some_and(|x| x.is_finite() && x > 0.0)
}

impl AlertRule {
    /// Checks the rule; the error names the field that is wrong.
    pub fn validate(&self) -> Result<(), RuleError> {
        use Condition::*;
        match self.condition {
            CrossesAbove | CrossesBelow | Crosses | Above | Below => {
                match (self.price, self.level) {
                    (Some(_), Some(_)) => return bad("price", "give a price or a level, not both"),
                    (None, None) => return bad("price", "give the price of the line (or a level)"),
                    (Some(p), None) if !positive(Some(p)) => {
                        return bad("price", format!("{p} is not a positive price"))
                    }
                    _ => {}
                }
                if self.price2.is_some() {
                    return bad(
                        "price2",
                        "only a channel (enters, exits) takes a second price",
                    );
                }
            }
            Enters | Exits => {
                if self.level.is_some() {
                    return bad("level", "a channel is two prices, not a level");
                }
                match (self.price, self.price2) {
                    (Some(a), Some(b)) if positive(Some(a)) && positive(Some(b)) && a < b => {}
                    (Some(a), Some(b)) if positive(Some(a)) && positive(Some(b)) => {
                        return bad(
                            "price2",
                            format!("the channel's high {b} must be above its low {a}"),
                        )
                    }
                    _ => return bad("price", "a channel needs two positive prices, low and high"),
                }
            }
            MovesUp | MovesDown => {
                if self.level.is_some() || self.price2.is_some() {
                    return bad("price", "a move is one percentage (price), nothing else");
                }
                match self.price {
                    Some(p) if p.is_finite() && p > 0.0 && p < 100.0 => {}
                    other => {
                        return bad(
                            "price",
                            format!(
                            "the move must be a percentage above 0 and below 100, not {other:?}"
                        ),
                        )
                    }
                }
            }
        }
        match self.rearm {
            Some(Rearm::Points(d) | Rearm::Percent(d)) if !(d.is_finite() && d >= 0.0) => {
                return bad("rearm", format!("{d} is not a distance"))
            }
            _ => {}
        }
        if self.trigger == Trigger::Every && self.cooldown_secs == 0 && !self.condition.crossing() {
            return bad(
                "cooldown",
                "an alert on a state (above, below, a move) that fires every time needs a cooldown",
            );
        }
        Ok(())
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Armed,
    /// Fired and done (once).
    Fired,
    /// Fired; waits for price to move away before it can fire again.
    Rearming,
    Expired,
}

/// What the evaluator keeps between prices.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AlertState {
    last_price: Option<f64>,
    /// The line at the last price (a level's moves count: VWAP rising through
    /// a still price is a crossing below it).
    #[serde(default)]
    last_line: Option<f64>,
    /// False after a crossing fired, until price moved away by the re-arm distance.
    disarmed: bool,
    done: bool,
    expired: bool,
    last_fire_ms: Option<i64>,
    last_fire_bar: Option<i64>,
    /// For a move: the prices within the window that can still be its
    /// lowest (up) or highest (down), oldest first — a monotonic queue, so
    /// each price costs O(1) on average however many ticks the window holds.
    window: VecDeque<(i64, f64)>,
    pub fires: u32,
}

impl AlertState {
    /// Armed afresh (after a fired or expired alert is resumed); the count of
    /// firings and the last firing stay.
    pub fn rearm(&mut self) {
        *self = AlertState {
            fires: self.fires,
            last_fire_ms: self.last_fire_ms,
            ..AlertState::default()
        };
    }

    /// Forgets the prices seen (after a pause, or a gap nobody watched): the
    /// next price starts afresh instead of being compared with a stale one.
    pub fn forget_prices(&mut self) {
        self.last_price = None;
        self.last_line = None;
        self.window.clear();
    }

    /// The market's time went back (a replayed session started over): the
    /// prices and the time of the last firing belong to a later moment.
    pub fn time_went_back(&mut self) {
        self.forget_prices();
        self.last_fire_ms = None;
        self.last_fire_bar = None;
    }

    /// When it last fired (unix ms).
    pub fn last_fire_ms(&self) -> Option<i64> {
        self.last_fire_ms
    }

    /// The last price it was given.
    pub fn last_price(&self) -> Option<f64> {
        self.last_price
    }

    pub fn status(&self) -> AlertStatus {
        if self.expired {
            AlertStatus::Expired
        } else if self.done {
            AlertStatus::Fired
        } else if self.disarmed {
            AlertStatus::Rearming
        } else {
            AlertStatus::Armed
        }
    }
}

/// A firing: the tick (or close) that did it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Fire {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time_ms: i64,
    pub price: f64,
    /// The line at that moment (the channel's edge it crossed; none for a move).
    pub line: Option<f64>,
    /// "crossed above 512.40 at 512.43", "rose 1.02 % in 5m (from 100.00)".
    pub reason: String,
}

/// What the line is at a moment: the rule's price, or its level's current price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs {
    /// The level's price now (for a rule on a level).
    pub level_price: Option<f64>,
    /// ATR(14) of the rule's timeframe, for the default re-arm distance.
    pub atr: Option<f64>,
}

/// The timeframe's period (a day for 1d).
fn period_ms(tf: Timeframe) -> i64 {
    tf.intraday_minutes()
        .map(|m| i64::from(m) * 60_000)
        .unwrap_or(86_400_000)
}

/// The bar `ms` falls in: its start for intraday timeframes, the New York
/// session date (as days since 1970) for daily bars.
fn bar_of(rule: &AlertRule, ms: i64) -> i64 {
    match rule.timeframe.intraday_minutes() {
        Some(_) => {
            let p = period_ms(rule.timeframe);
            ms.div_euclid(p) * p
        }
        None => chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| {
                i64::from(
                    t.with_timezone(&chrono_tz::America::New_York)
                        .date_naive()
                        .num_days_from_ce(),
                )
            })
            .unwrap_or(0),
    }
}

fn line_of(rule: &AlertRule, inputs: &Inputs) -> Option<f64> {
    match rule.level {
        Some(_) => inputs.level_price,
        None => rule.price,
    }
}

/// The re-arm distance at `line`. For a channel it is at most a quarter of
/// its width, so that an `exits` alert can always re-arm inside it.
pub fn rearm_distance(rule: &AlertRule, line: f64, atr: Option<f64>) -> f64 {
    let d = match rule.rearm {
        Some(Rearm::Points(d)) => d,
        Some(Rearm::Percent(p)) => line.abs() * p / 100.0,
        None => atr
            .filter(|a| a.is_finite() && *a > 0.0)
            .map(|a| a / 4.0)
            .unwrap_or(line.abs() * 0.001),
    };
    match (rule.condition, rule.price, rule.price2) {
        (Condition::Enters | Condition::Exits, Some(lo), Some(hi)) => d.min((hi - lo) / 4.0),
        _ => d,
    }
}

fn f2(x: f64) -> String {
    format!("{x:.2}")
}

/// Why a condition is met, worded only once it fires (most ticks that meet
/// a state condition are turned away by the trigger, and words cost).
enum Reason {
    CrossedAbove(f64),
    CrossedBelow(f64),
    IsAbove(f64),
    IsBelow(f64),
    Entered(f64, f64),
    Left(f64, f64),
    Rose(f64),
    Fell(f64),
}

impl Reason {
    fn text(&self, rule: &AlertRule, price: f64) -> String {
        let p = f2(price);
        match *self {
            Reason::CrossedAbove(l) => format!("crossed above {} at {p}", f2(l)),
            Reason::CrossedBelow(l) => format!("crossed below {} at {p}", f2(l)),
            Reason::IsAbove(l) => format!("is above {} at {p}", f2(l)),
            Reason::IsBelow(l) => format!("is below {} at {p}", f2(l)),
            Reason::Entered(lo, hi) => format!("entered {}–{} at {p}", f2(lo), f2(hi)),
            Reason::Left(lo, hi) => format!("left {}–{} at {p}", f2(lo), f2(hi)),
            Reason::Rose(from) => format!(
                "rose {:.2} % within {} (from {} to {p})",
                (price / from - 1.0) * 100.0,
                rule.timeframe,
                f2(from)
            ),
            Reason::Fell(from) => format!(
                "fell {:.2} % within {} (from {} to {p})",
                (1.0 - price / from) * 100.0,
                rule.timeframe,
                f2(from)
            ),
        }
    }
}

/// What the condition says between `prev` and `price`: why and the line,
/// if it is met now.
fn met(
    rule: &AlertRule,
    prev: Option<f64>,
    prev_line: Option<f64>,
    price: f64,
    line: Option<f64>,
) -> Option<(Reason, Option<f64>)> {
    use Condition::*;
    match rule.condition {
        CrossesAbove | CrossesBelow | Crosses => {
            let (l, p) = (line?, prev?);
            // Where price stood against the line as it was then.
            let pl = prev_line.unwrap_or(l);
            let up = p < pl && price >= l;
            let down = p > pl && price <= l;
            match rule.condition {
                CrossesAbove if up => Some((Reason::CrossedAbove(l), Some(l))),
                CrossesBelow if down => Some((Reason::CrossedBelow(l), Some(l))),
                Crosses if up => Some((Reason::CrossedAbove(l), Some(l))),
                Crosses if down => Some((Reason::CrossedBelow(l), Some(l))),
                _ => None,
            }
        }
        Above => {
            let l = line?;
            (price > l).then_some((Reason::IsAbove(l), Some(l)))
        }
        Below => {
            let l = line?;
            (price < l).then_some((Reason::IsBelow(l), Some(l)))
        }
        Enters | Exits => {
            let (lo, hi, p) = (rule.price?, rule.price2?, prev?);
            let inside = |x: f64| x >= lo && x <= hi;
            match rule.condition {
                Enters if !inside(p) && inside(price) => {
                    Some((Reason::Entered(lo, hi), Some(if p < lo { lo } else { hi })))
                }
                Exits if inside(p) && !inside(price) => {
                    Some((Reason::Left(lo, hi), Some(if price < lo { lo } else { hi })))
                }
                _ => None,
            }
        }
        MovesUp | MovesDown => None,
    }
}

/// The price a disarmed one-way crossing alert re-arms at (None for the others).
pub fn rearm_at(rule: &AlertRule, line: f64, atr: Option<f64>) -> Option<f64> {
    let d = rearm_distance(rule, line, atr);
    match rule.condition {
        Condition::CrossesAbove => Some(line - d),
        Condition::CrossesBelow => Some(line + d),
        _ => None,
    }
}

/// Whether a disarmed crossing alert may fire again at `price`: it has moved
/// away from where it fired by the re-arm distance.
fn rearmed(rule: &AlertRule, price: f64, line: f64, d: f64) -> bool {
    use Condition::*;
    match rule.condition {
        CrossesAbove => price <= line - d,
        CrossesBelow => price >= line + d,
        Crosses => (price - line).abs() >= d,
        Enters => {
            let (lo, hi) = (rule.price.unwrap_or(line), rule.price2.unwrap_or(line));
            price <= lo - d || price >= hi + d
        }
        Exits => {
            let (lo, hi) = (rule.price.unwrap_or(line), rule.price2.unwrap_or(line));
            price >= lo + d && price <= hi - d
        }
        _ => true,
    }
}

/// Evaluates one price (a trade or an aggregate's close, at `time_ms`).
/// Bar-close rules ignore ticks: see [`on_bar_close`].
pub fn on_tick(
    rule: &AlertRule,
    state: &mut AlertState,
    time_ms: i64,
    price: f64,
    inputs: &Inputs,
) -> Option<Fire> {
    if rule.trigger == Trigger::OncePerBarClose {
        return None;
    }
    evaluate(rule, state, time_ms, price, inputs)
}

/// Evaluates a bar's close (for `once_per_bar_close`; the previous close is
/// the state's last price).
pub fn on_bar_close(
    rule: &AlertRule,
    state: &mut AlertState,
    bar_end_ms: i64,
    close: f64,
    inputs: &Inputs,
) -> Option<Fire> {
    if rule.trigger != Trigger::OncePerBarClose {
        return None;
    }
    evaluate(rule, state, bar_end_ms, close, inputs)
}

fn evaluate(
    rule: &AlertRule,
    state: &mut AlertState,
    time_ms: i64,
    price: f64,
    inputs: &Inputs,
) -> Option<Fire> {
    if !price.is_finite() || price <= 0.0 {
        return None;
    }
    if state.done || state.expired {
        return None;
    }
    if rule.expires_ms.is_some_and(|e| time_ms > e) {
        state.expired = true;
        return None;
    }
    let line = line_of(rule, inputs);
    if rule.level.is_some() && line.is_none() {
        // The level is gone for now: when it is back, its first price is a
        // fresh start, not compared with a price from before.
        state.last_price = None;
        state.last_line = None;
        return None;
    }
    let prev = state.last_price.replace(price);
    let prev_line = match line {
        Some(l) => state.last_line.replace(l),
        None => state.last_line,
    };
    // A disarmed crossing alert re-arms once price has moved away.
    if state.disarmed {
        if let Some(l) = line {
            let d = rearm_distance(rule, l, inputs.atr);
            if rearmed(rule, price, l, d) {
                state.disarmed = false;
            }
        }
        // The price that re-arms cannot also fire: the next one may.
        return None;
    }
    let hit = match rule.condition {
        Condition::MovesUp | Condition::MovesDown => move_hit(rule, state, time_ms, price),
        _ => met(rule, prev, prev_line, price, line),
    };
    let (reason, at_line) = hit?;
    // How often.
    match rule.trigger {
        Trigger::OncePerBar | Trigger::OncePerBarClose
            if state.last_fire_bar == Some(bar_of(rule, time_ms)) =>
        {
            return None;
        }
        Trigger::Every
            if state
                .last_fire_ms
                .is_some_and(|t| time_ms - t < i64::from(rule.cooldown_secs) * 1000) =>
        {
            return None;
        }
        _ => {}
    }
    state.fires += 1;
    state.last_fire_ms = Some(time_ms);
    state.last_fire_bar = Some(bar_of(rule, time_ms));
    if rule.trigger == Trigger::Once {
        state.done = true;
    } else if rule.condition.crossing() {
        state.disarmed = true;
    }
    if matches!(rule.condition, Condition::MovesUp | Condition::MovesDown) {
        // A move is measured afresh from here.
        state.window.clear();
        state.window.push_back((time_ms, price));
    }
    Some(Fire {
        time_ms,
        price,
        line: at_line,
        reason: reason.text(rule, price),
    })
}

/// A move of the rule's percentage within the timeframe's period, from the
/// lowest (up) or highest (down) price in the window.
fn move_hit(
    rule: &AlertRule,
    state: &mut AlertState,
    time_ms: i64,
    price: f64,
) -> Option<(Reason, Option<f64>)> {
    let window = period_ms(rule.timeframe);
    while state
        .window
        .front()
        .is_some_and(|(t, _)| time_ms - *t > window)
    {
        state.window.pop_front();
    }
    let up = rule.condition == Condition::MovesUp;
    let pct = rule.price?;
    // The front is the window's extreme: its lowest for a move up.
    let hit = state.window.front().map(|x| x.1).and_then(|from| {
        let moved = if up {
            price >= from * (1.0 + pct / 100.0)
        } else {
            price <= from * (1.0 - pct / 100.0)
        };
        moved.then_some((
            if up {
                Reason::Rose(from)
            } else {
                Reason::Fell(from)
            },
            None,
        ))
    });
    // Prices this one beats can never be the extreme again.
    while state
        .window
        .back()
        .is_some_and(|(_, p)| if up { *p >= price } else { *p <= price })
    {
        state.window.pop_back();
    }
    state.window.push_back((time_ms, price));
    hit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(condition: Condition, price: f64) -> AlertRule {
        AlertRule {
            condition,
            price: Some(price),
            price2: None,
            level: None,
            trigger: Trigger::Every,
            timeframe: Timeframe::M1,
            cooldown_secs: 0,
            rearm: Some(Rearm::Points(0.5)),
            expires_ms: None,
        }
    }

    const NONE: Inputs = Inputs {
        level_price: None,
        atr: None,
    };

    /// Feeds prices a second apart; the indexes of the ones that fired.
    fn run(r: &AlertRule, prices: &[f64]) -> Vec<usize> {
        let mut s = AlertState::default();
        prices
            .iter()
            .enumerate()
            .filter_map(|(i, &p)| on_tick(r, &mut s, i as i64 * 1000, p, &NONE).map(|_| i))
            .collect()
    }

    #[test]
    fn a_price_chopping_around_the_line_fires_once_until_it_moves_away() {
        let r = rule(Condition::CrossesAbove, 100.0);
        // Up through 100 at index 1; chops ±0.2 (re-arm needs ≤ 99.50); falls to
        // 99.40 (re-armed) and crosses again at index 8.
        let prices = [
            99.8, 100.1, 99.9, 100.05, 99.95, 100.2, 99.6, 99.4, 100.0, 99.9, 100.1,
        ];
        assert_eq!(run(&r, &prices), vec![1, 8]);
        let mut s = AlertState::default();
        for (i, p) in prices[..2].iter().enumerate() {
            on_tick(&r, &mut s, i as i64, *p, &NONE);
        }
        assert_eq!(s.status(), AlertStatus::Rearming);
    }

    #[test]
    fn the_firing_names_the_exact_tick_and_the_line() {
        let r = rule(Condition::CrossesBelow, 512.40);
        let mut s = AlertState::default();
        assert!(on_tick(&r, &mut s, 1_000, 512.55, &NONE).is_none());
        let f = on_tick(&r, &mut s, 2_000, 512.31, &NONE).unwrap();
        assert_eq!((f.time_ms, f.price, f.line), (2_000, 512.31, Some(512.40)));
        assert_eq!(f.reason, "crossed below 512.40 at 512.31");
    }

    #[test]
    fn once_fires_a_single_time_and_crosses_fires_either_way_after_re_arming() {
        let mut once = rule(Condition::CrossesAbove, 100.0);
        once.trigger = Trigger::Once;
        assert_eq!(run(&once, &[99.0, 101.0, 99.0, 101.0]), vec![1]);
        let both = rule(Condition::Crosses, 100.0);
        // Up at 1; 100.3 is not 0.5 away; 101 re-arms (index 3); down at 4.
        assert_eq!(
            run(&both, &[99.0, 100.2, 100.3, 101.0, 99.9, 99.8]),
            vec![1, 4]
        );
    }

    #[test]
    fn a_state_alert_fires_once_per_bar_or_after_its_cooldown() {
        let mut r = rule(Condition::Above, 100.0);
        r.trigger = Trigger::OncePerBar;
        let mut s = AlertState::default();
        let at = |sec: i64| sec * 1000;
        let fired: Vec<i64> = [0, 20, 59, 60, 61, 119, 120]
            .into_iter()
            .filter(|&t| on_tick(&r, &mut s, at(t), 101.0, &NONE).is_some())
            .collect();
        assert_eq!(fired, vec![0, 60, 120], "one per one-minute bar");
        let mut every = rule(Condition::Above, 100.0);
        every.cooldown_secs = 60;
        let mut s = AlertState::default();
        let fired: Vec<i64> = [0, 30, 59, 60, 100, 121]
            .into_iter()
            .filter(|&t| on_tick(&every, &mut s, at(t), 101.0, &NONE).is_some())
            .collect();
        assert_eq!(
            fired,
            vec![0, 60, 121],
            "no sooner than 60 s after the last"
        );
    }

    #[test]
    fn a_channel_is_entered_and_left() {
        let mut r = rule(Condition::Enters, 100.0);
        r.price2 = Some(102.0);
        // In at 1 (from below, the line is its low); must leave by 0.5 to re-arm.
        assert_eq!(run(&r, &[99.0, 100.5, 99.8, 99.4, 101.0]), vec![1, 4]);
        let mut out = rule(Condition::Exits, 100.0);
        out.price2 = Some(102.0);
        let mut s = AlertState::default();
        assert!(on_tick(&out, &mut s, 0, 101.0, &NONE).is_none());
        let f = on_tick(&out, &mut s, 1_000, 102.3, &NONE).unwrap();
        assert_eq!(f.line, Some(102.0), "left through the top");
    }

    #[test]
    fn a_move_counts_within_the_window_only() {
        let mut r = rule(Condition::MovesUp, 1.0);
        r.timeframe = Timeframe::M5;
        r.rearm = None;
        let mut s = AlertState::default();
        let min = |m: i64| m * 60_000;
        assert!(on_tick(&r, &mut s, min(0), 100.0, &NONE).is_none());
        assert!(on_tick(&r, &mut s, min(1), 100.5, &NONE).is_none());
        // 100.99 is 0.99 % above 100: not yet; 101.00 is 1 %.
        assert!(on_tick(&r, &mut s, min(2), 100.99, &NONE).is_none());
        let f = on_tick(&r, &mut s, min(3), 101.0, &NONE).unwrap();
        assert_eq!(f.reason, "rose 1.00 % within 5m (from 100.00 to 101.00)");
        // Measured afresh from 101: 100 at minute 3 has left the window by minute 9.
        let mut late = AlertState::default();
        on_tick(&r, &mut late, min(0), 100.0, &NONE);
        on_tick(&r, &mut late, min(4), 100.5, &NONE);
        assert!(
            on_tick(&r, &mut late, min(6), 101.0, &NONE).is_none(),
            "100.00 is over 5 minutes old; 101.00 is under 1 % above 100.50"
        );
    }

    #[test]
    fn the_default_re_arm_is_a_quarter_atr_and_an_alert_on_a_level_follows_it() {
        let mut r = rule(Condition::CrossesAbove, 0.0);
        r.price = None;
        r.level = Some(LevelKind::Vwap);
        r.rearm = None;
        assert_eq!(rearm_distance(&r, 500.0, Some(2.0)), 0.5);
        let mut s = AlertState::default();
        let at = |vwap: f64| Inputs {
            level_price: Some(vwap),
            atr: Some(2.0),
        };
        assert!(on_tick(&r, &mut s, 0, 499.0, &at(500.0)).is_none());
        // VWAP moved to 499.5: 499.6 is above it.
        let f = on_tick(&r, &mut s, 1_000, 499.6, &at(499.5)).unwrap();
        assert_eq!(f.line, Some(499.5));
    }

    #[test]
    fn a_bar_close_rule_ignores_ticks_and_an_expired_rule_never_fires() {
        let mut r = rule(Condition::CrossesAbove, 100.0);
        r.trigger = Trigger::OncePerBarClose;
        let mut s = AlertState::default();
        assert!(
            on_tick(&r, &mut s, 0, 101.0, &NONE).is_none(),
            "ticks do not count"
        );
        assert!(on_bar_close(&r, &mut s, 60_000, 99.0, &NONE).is_none());
        assert!(on_bar_close(&r, &mut s, 120_000, 100.4, &NONE).is_some());
        let mut gone = rule(Condition::Above, 100.0);
        gone.cooldown_secs = 1;
        gone.expires_ms = Some(5_000);
        let mut s = AlertState::default();
        assert!(on_tick(&gone, &mut s, 6_000, 101.0, &NONE).is_none());
        assert_eq!(s.status(), AlertStatus::Expired);
    }

    #[test]
    fn a_bad_rule_names_its_field() {
        let field = |r: AlertRule| r.validate().unwrap_err().field;
        let mut r = rule(Condition::CrossesAbove, 100.0);
        r.price = None;
        assert_eq!(field(r), "price");
        let mut r = rule(Condition::Enters, 102.0);
        r.price2 = Some(100.0);
        assert_eq!(field(r), "price2");
        let r = rule(Condition::MovesUp, 150.0);
        assert_eq!(field(r), "price");
        let r = rule(Condition::Above, 100.0);
        assert_eq!(
            field(r),
            "cooldown",
            "every, on a state, without a cooldown"
        );
        let mut ok = rule(Condition::Above, 100.0);
        ok.cooldown_secs = 60;
        assert_eq!(ok.validate(), Ok(()));
        assert!("sideways"
            .parse::<Condition>()
            .unwrap_err()
            .contains("crosses_above"));
    }

    #[test]
    fn a_gap_through_the_line_fires_at_the_first_price_past_it() {
        let r = rule(Condition::CrossesAbove, 100.0);
        let mut s = AlertState::default();
        assert!(on_tick(&r, &mut s, 0, 98.5, &NONE).is_none());
        // The open gaps over the line: the first print past it fires, at its price.
        let f = on_tick(&r, &mut s, 60_000, 102.25, &NONE).unwrap();
        assert_eq!((f.price, f.line), (102.25, Some(100.0)));
        assert_eq!(f.reason, "crossed above 100.00 at 102.25");
        // A gap down through a crosses-below line, the same way.
        assert_eq!(
            run(&rule(Condition::CrossesBelow, 100.0), &[101.0, 97.0]),
            vec![1]
        );
        // The first price ever seen cannot be a crossing (nothing before it).
        assert!(run(&rule(Condition::CrossesAbove, 100.0), &[105.0]).is_empty());
    }

    #[test]
    fn below_fires_while_under_the_line_and_a_percent_re_arm_scales_with_it() {
        let mut r = rule(Condition::Below, 50.0);
        r.cooldown_secs = 2;
        // Under the line at 1, 3 (2 s later) and 5; 2 and 4 are inside the cooldown.
        assert_eq!(
            run(&r, &[50.5, 49.9, 49.8, 49.7, 49.6, 49.5]),
            vec![1, 3, 5]
        );
        let mut pct = rule(Condition::CrossesAbove, 200.0);
        pct.rearm = Some(Rearm::Percent(1.0));
        // 1 % of 200 is 2.00: 198.5 does not re-arm, 197.9 does.
        assert_eq!(
            run(&pct, &[199.0, 200.5, 198.5, 200.5, 197.9, 200.1]),
            vec![1, 5]
        );
        assert_eq!(rearm_at(&pct, 200.0, None), Some(198.0));
    }

    #[test]
    fn a_move_down_is_measured_from_the_window_high() {
        let mut r = rule(Condition::MovesDown, 1.0);
        r.timeframe = Timeframe::M5;
        let mut s = AlertState::default();
        let min = 60_000;
        assert!(on_tick(&r, &mut s, 0, 100.0, &NONE).is_none());
        assert!(on_tick(&r, &mut s, min, 101.0, &NONE).is_none());
        // 1 % below the high of 101 is 99.99.
        assert!(on_tick(&r, &mut s, 2 * min, 100.0, &NONE).is_none());
        let f = on_tick(&r, &mut s, 3 * min, 99.98, &NONE).unwrap();
        assert_eq!(f.reason, "fell 1.01 % within 5m (from 101.00 to 99.98)");
        assert_eq!(f.line, None);
    }

    #[test]
    fn a_level_line_that_moves_under_a_still_price_is_a_crossing() {
        let mut r = rule(Condition::CrossesBelow, 0.0);
        r.price = None;
        r.level = Some(LevelKind::Vwap);
        r.rearm = None;
        let mut s = AlertState::default();
        let at = |l: f64| Inputs {
            level_price: Some(l),
            atr: Some(0.8),
        };
        assert!(on_tick(&r, &mut s, 0, 100.0, &at(99.8)).is_none());
        // VWAP rises to meet an unchanged price: the price is now at/below it.
        let f = on_tick(&r, &mut s, 1_000, 100.0, &at(100.05)).unwrap();
        assert_eq!(f.line, Some(100.05));
        // Re-arms a quarter ATR (0.20) above the line, not before.
        assert!(on_tick(&r, &mut s, 2_000, 100.2, &at(100.05)).is_none());
        assert_eq!(s.status(), AlertStatus::Rearming);
        assert!(on_tick(&r, &mut s, 3_000, 100.3, &at(100.05)).is_none());
        assert_eq!(s.status(), AlertStatus::Armed);
    }

    #[test]
    fn a_narrow_channel_can_always_re_arm_and_forgotten_prices_start_afresh() {
        let mut r = rule(Condition::Exits, 100.0);
        r.price2 = Some(100.4);
        r.rearm = Some(Rearm::Points(1.0));
        // 1.0 is clamped to a quarter of the 0.40 channel: back inside by 0.10 re-arms.
        assert_eq!(run(&r, &[100.2, 100.5, 100.15, 100.25, 100.6]), vec![1, 4]);
        let cross = rule(Condition::CrossesAbove, 100.0);
        let mut s = AlertState::default();
        assert!(on_tick(&cross, &mut s, 0, 99.0, &NONE).is_none());
        s.forget_prices();
        // Without the stale 99.00 the next price cannot be a crossing.
        assert!(on_tick(&cross, &mut s, 1_000, 105.0, &NONE).is_none());
    }
}
