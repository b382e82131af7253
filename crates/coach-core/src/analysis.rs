//! Analysis of a position (options and stock): P&L now and at chosen times
//! before expiry (each option valued by Black-Scholes-Merton at its implied
//! volatility), the profile at the first expiration, position Greeks, and the
//! probability of profit there under a lognormal model.
//!
//! With one expiration the profile is the payoff's, found exactly by
//! [`crate::strategy`]. Calendars and diagonals (legs that expire later) are
//! analysed at the first expiration: the near legs at their payoff, the later
//! ones by Black-Scholes-Merton with the time they have left, at their IVs.
//! That P&L curve is smooth between the near strikes, so its breakevens are
//! bracketed on a dense grid and bisected to the last double, and its extremes
//! refined by golden-section search; a gain or loss that grows without bound
//! as the price rises is said as such (from the slope there).
//!
//! Probability of profit — stated assumptions: the underlying at expiry is
//! lognormal with risk-neutral drift `rate − dividend` and volatility `vol`
//! (by default the mean implied volatility of the option legs, weighted by
//! |quantity|); no early exercise; P&L at expiry as in `strategy`. It is the
//! probability mass of the price ranges where the expiry P&L is above zero,
//! computed exactly from the breakevens.

use serde::{Deserialize, Serialize};

use crate::options::{bsm, norm_cdf, Contract, OptionKind};
use crate::strategy::{self, expiry_profile, ExpiryProfile, Extreme, Leg, LegKind, StrategyError};

/// A leg for analysis: a strategy leg plus the option's implied volatility.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnalysisLeg {
    pub leg: Leg,
    /// Annualised implied volatility of an option leg (unused for stock).
    pub iv: Option<f64>,
    /// Years from now to this leg's own expiration, where it is later than
    /// the position's first (`AnalysisInput::years`): calendars, diagonals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisInput {
    pub spot: f64,
    /// Years from now to the (first) expiration of the option legs.
    pub years: f64,
    pub rate: f64,
    pub dividend: f64,
    pub legs: Vec<AnalysisLeg>,
}

/// Position Greeks in position units: delta in shares, gamma in shares per
/// $1, theta in $ per calendar day, vega in $ per volatility point.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PositionGreeks {
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Strategy(#[from] StrategyError),
    #[error("leg {0}: an option needs its implied volatility (iv), above 0")]
    MissingIv(usize),
    #[error("the spot must be above 0 and the time to expiry 0 or more")]
    BadInput,
    #[error("leg {0}: its expiration must be the position's first or later (years {1} < {2})")]
    ExpiresBeforeFirst(usize, f64, f64),
}

fn contract(l: &Leg, spot: f64, years: f64, rate: f64, dividend: f64) -> Option<Contract> {
    let kind = match l.kind {
        LegKind::Call => OptionKind::Call,
        LegKind::Put => OptionKind::Put,
        LegKind::Stock => return None,
    };
    Some(Contract {
        kind,
        spot,
        strike: l.strike,
        years,
        rate,
        dividend,
    })
}

impl AnalysisInput {
    fn check(&self) -> Result<(), AnalysisError> {
        if !(self.spot > 0.0 && self.years >= 0.0 && self.spot.is_finite()) {
            return Err(AnalysisError::BadInput);
        }
        let legs: Vec<Leg> = self.legs.iter().map(|l| l.leg).collect();
        strategy::expiry_profile(&legs)?;
        for (i, l) in self.legs.iter().enumerate() {
            if l.leg.kind != LegKind::Stock && !l.iv.is_some_and(|v| v > 0.0 && v.is_finite()) {
                return Err(AnalysisError::MissingIv(i + 1));
            }
            if let Some(y) = l.years {
                if !(y.is_finite() && y >= self.years - 1e-12) {
                    return Err(AnalysisError::ExpiresBeforeFirst(i + 1, y, self.years));
                }
            }
        }
        Ok(())
    }

    /// Years from now to a leg's own expiration.
    fn leg_years(&self, al: &AnalysisLeg) -> f64 {
        al.years.unwrap_or(self.years).max(self.years)
    }

    /// True when some option leg expires after the first expiration.
    pub fn has_later_legs(&self) -> bool {
        self.legs
            .iter()
            .any(|l| l.leg.kind != LegKind::Stock && self.leg_years(l) > self.years + 1e-12)
    }

    /// The same position `dt` years on (every leg's time shortened alike).
    pub fn advanced(&self, dt: f64) -> AnalysisInput {
        let dt = dt.clamp(0.0, self.years);
        AnalysisInput {
            years: self.years - dt,
            legs: self
                .legs
                .iter()
                .map(|l| AnalysisLeg {
                    years: l.years.map(|y| (y - dt).max(0.0)),
                    ..*l
                })
                .collect(),
            ..self.clone()
        }
    }

    /// P&L against entry with the underlying at `s`, `elapsed` years from now
    /// (at or past expiry: the payoff).
    pub fn pnl(&self, s: f64, elapsed: f64) -> f64 {
        self.legs
            .iter()
            .map(|al| {
                let l = &al.leg;
                let left = self.leg_years(al) - elapsed;
                let value = match contract(l, s, left.max(0.0), self.rate, self.dividend) {
                    None => s,
                    Some(c) if left <= 0.0 => match c.kind {
                        OptionKind::Call => (s - c.strike).max(0.0),
                        OptionKind::Put => (c.strike - s).max(0.0),
                    },
                    // At a price of 0 a later put is worth its discounted strike.
                    Some(c) if s <= 0.0 => match c.kind {
                        OptionKind::Call => 0.0,
                        OptionKind::Put => c.strike * (-self.rate * left).exp(),
                    },
                    Some(c) => bsm(&c, al.iv.unwrap_or(0.0))
                        .map(|g| g.price)
                        .unwrap_or(f64::NAN),
                };
                l.quantity * l.multiplier * (value - l.entry_price)
            })
            .sum()
    }

    /// Greeks of the whole position now.
    pub fn greeks(&self) -> PositionGreeks {
        let mut g = PositionGreeks::default();
        for al in &self.legs {
            let l = &al.leg;
            let scale = l.quantity * l.multiplier;
            match contract(l, self.spot, self.leg_years(al), self.rate, self.dividend) {
                None => g.delta += scale,
                Some(c) => {
                    if let Ok(x) = bsm(&c, al.iv.unwrap_or(0.0)) {
                        g.delta += scale * x.delta;
                        g.gamma += scale * x.gamma;
                        g.theta += scale * x.theta;
                        g.vega += scale * x.vega;
                    }
                }
            }
        }
        g
    }

    /// The mean IV of the option legs, weighted by |quantity|.
    pub fn mean_iv(&self) -> Option<f64> {
        let (mut w, mut sum) = (0.0, 0.0);
        for al in self.legs.iter().filter(|l| l.leg.kind != LegKind::Stock) {
            let q = al.leg.quantity.abs();
            w += q;
            sum += q * al.iv.unwrap_or(0.0);
        }
        (w > 0.0).then(|| sum / w)
    }

    /// P(S_T <= x) under the lognormal model.
    fn cdf(&self, x: f64, vol: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let t = self.years.max(1e-12);
        let sd = vol * t.sqrt();
        let mu = self.spot.ln() + (self.rate - self.dividend - 0.5 * vol * vol) * t;
        norm_cdf((x.ln() - mu) / sd)
    }

    /// The probability that the P&L at the first expiration is above zero.
    pub fn probability_of_profit(&self, profile: &ExpiryProfile, vol: f64) -> f64 {
        let legs: Vec<Leg> = self.legs.iter().map(|l| l.leg).collect();
        let later = self.has_later_legs();
        let pnl = |s: f64| {
            if later {
                self.pnl(s, self.years)
            } else {
                strategy::pnl_at_expiry(&legs, s)
            }
        };
        // Between consecutive breakevens the sign of the P&L does not change.
        let mut edges = vec![0.0];
        edges.extend(profile.breakevens.iter().copied());
        edges.push(f64::INFINITY);
        let mut p = 0.0;
        for w in edges.windows(2) {
            let (a, b) = (w[0], w[1]);
            let probe = if b.is_finite() {
                (a + b) / 2.0
            } else {
                a.max(1.0) * 2.0 + 1.0
            };
            if pnl(probe) > 0.0 {
                let hi = if b.is_finite() { self.cdf(b, vol) } else { 1.0 };
                p += hi - self.cdf(a, vol);
            }
        }
        p.clamp(0.0, 1.0)
    }
}

/// The profile at the first expiration of a position with later legs.
fn horizon_profile(input: &AnalysisInput) -> ExpiryProfile {
    let f = |s: f64| input.pnl(s, input.years);
    let strikes: Vec<f64> = input
        .legs
        .iter()
        .filter(|l| l.leg.kind != LegKind::Stock)
        .map(|l| l.leg.strike)
        .collect();
    let top = strikes.iter().fold(input.spot, |a, &b| a.max(b));
    let far = 20.0 * top;
    // 0, every strike, and a grid that is fine near the money and coarse
    // far out (quadratic spacing up to 20× the highest strike or spot).
    let n = 4000;
    let mut xs: Vec<f64> = (0..=n)
        .map(|i| {
            let u = i as f64 / n as f64;
            far * u * u
        })
        .chain(strikes.iter().copied())
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();

    // Breakevens: every sign change bisected to adjacent doubles.
    let mut breakevens = Vec::new();
    for i in 0..xs.len() {
        if ys[i] == 0.0 {
            breakevens.push(xs[i]);
        } else if i + 1 < xs.len() && ys[i + 1] != 0.0 && (ys[i] < 0.0) != (ys[i + 1] < 0.0) {
            let (mut a, mut b, fa) = (xs[i], xs[i + 1], ys[i]);
            for _ in 0..200 {
                let m = 0.5 * (a + b);
                if m <= a || m >= b {
                    break;
                }
                if (f(m) < 0.0) == (fa < 0.0) {
                    a = m;
                } else {
                    b = m;
                }
            }
            breakevens.push(if f(a).abs() <= f(b).abs() { a } else { b });
        }
    }

    // The slope as the price rises: calls near and stock 1 per share, later
    // calls e^(−q·τ), puts 0.
    let slope: f64 = input
        .legs
        .iter()
        .map(|al| {
            let l = &al.leg;
            let per = match l.kind {
                LegKind::Stock => 1.0,
                LegKind::Put => 0.0,
                LegKind::Call => {
                    let left = input.leg_years(al) - input.years;
                    (-input.dividend * left).exp()
                }
            };
            l.quantity * l.multiplier * per
        })
        .sum();
    let size: f64 = input
        .legs
        .iter()
        .map(|l| (l.leg.quantity * l.leg.multiplier).abs())
        .sum();
    let flat = slope.abs() <= 1e-9 * size;
    let extreme = |sign: f64| {
        let mut i = 0;
        for j in 1..ys.len() {
            if sign * ys[j] > sign * ys[i] {
                i = j;
            }
        }
        // Golden-section search between the neighbours of the best point.
        let (mut a, mut b) = (xs[i.saturating_sub(1)], xs[(i + 1).min(xs.len() - 1)]);
        let (mut best_x, mut best_y) = (xs[i], ys[i]);
        let g = 0.5 * (5f64.sqrt() - 1.0);
        for _ in 0..120 {
            let c = b - g * (b - a);
            let d = a + g * (b - a);
            let (fc, fd) = (f(c), f(d));
            for (x, y) in [(c, fc), (d, fd)] {
                if sign * y > sign * best_y {
                    (best_x, best_y) = (x, y);
                }
            }
            if sign * fc >= sign * fd {
                b = d;
            } else {
                a = c;
            }
            if b - a <= 4.0 * f64::EPSILON * b.max(1.0) {
                break;
            }
        }
        Extreme::Finite {
            value: best_y,
            at: best_x,
        }
    };
    let max_gain = if !flat && slope > 0.0 {
        Extreme::Unbounded
    } else {
        extreme(1.0)
    };
    let max_loss = if !flat && slope < 0.0 {
        Extreme::Unbounded
    } else {
        extreme(-1.0)
    };
    ExpiryProfile {
        breakevens,
        max_gain,
        max_loss,
        net_debit: input
            .legs
            .iter()
            .map(|l| l.leg.quantity * l.leg.multiplier * l.leg.entry_price)
            .sum(),
    }
}

/// Everything about one position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub profile: ExpiryProfile,
    pub pnl_now: f64,
    pub greeks: PositionGreeks,
    /// Per leg, in the same order as the input.
    pub leg_greeks: Vec<PositionGreeks>,
    pub probability_of_profit: Option<f64>,
    /// The volatility the probability used.
    pub pop_vol: Option<f64>,
}

pub fn analyze(input: &AnalysisInput, pop_vol: Option<f64>) -> Result<Analysis, AnalysisError> {
    input.check()?;
    let legs: Vec<Leg> = input.legs.iter().map(|l| l.leg).collect();
    let profile = if input.has_later_legs() {
        expiry_profile(&legs)?; // the legs' own checks
        horizon_profile(input)
    } else {
        expiry_profile(&legs)?
    };
    let leg_greeks = input
        .legs
        .iter()
        .map(|l| {
            AnalysisInput {
                legs: vec![*l],
                ..input.clone()
            }
            .greeks()
        })
        .collect();
    let vol = pop_vol.or(input.mean_iv());
    Ok(Analysis {
        pnl_now: input.pnl(input.spot, 0.0),
        greeks: input.greeks(),
        leg_greeks,
        probability_of_profit: vol.map(|v| input.probability_of_profit(&profile, v)),
        pop_vol: vol,
        profile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(kind: LegKind, strike: f64, quantity: f64, entry: f64, iv: f64) -> AnalysisLeg {
        AnalysisLeg {
            leg: Leg {
                kind,
                strike,
                quantity,
                entry_price: entry,
                multiplier: 100.0,
            },
            iv: Some(iv),
            years: None,
        }
    }

    fn condor() -> AnalysisInput {
        AnalysisInput {
            spot: 100.0,
            years: 30.0 / 365.0,
            rate: 0.04,
            dividend: 0.0,
            legs: vec![
                opt(LegKind::Put, 90.0, 1.0, 0.5, 0.25),
                opt(LegKind::Put, 95.0, -1.0, 1.5, 0.25),
                opt(LegKind::Call, 105.0, -1.0, 1.5, 0.25),
                opt(LegKind::Call, 110.0, 1.0, 0.5, 0.25),
            ],
        }
    }

    #[test]
    fn the_condor_profits_between_its_breakevens_with_the_lognormal_mass_there() {
        let input = condor();
        let a = analyze(&input, None).unwrap();
        assert_eq!(
            a.profile.breakevens,
            vec![93.0, 107.0],
            "credit 2.00 on 5-wide wings"
        );
        let vol = 0.25;
        let t = input.years;
        let d = |x: f64| ((x / 100.0).ln() - (0.04 - 0.5 * vol * vol) * t) / (vol * t.sqrt());
        let want = norm_cdf(d(107.0)) - norm_cdf(d(93.0));
        let got = a.probability_of_profit.unwrap();
        assert!(
            (got - want).abs() < 1e-12,
            "P(93 < S_T < 107): {got} vs {want}"
        );
        assert_eq!(a.pop_vol, Some(0.25));
    }

    #[test]
    fn a_long_calls_probability_is_the_chance_of_finishing_above_its_breakeven() {
        let input = AnalysisInput {
            spot: 50.0,
            years: 0.5,
            rate: 0.03,
            dividend: 0.01,
            legs: vec![opt(LegKind::Call, 55.0, 2.0, 1.8, 0.4)],
        };
        let a = analyze(&input, None).unwrap();
        assert_eq!(a.profile.breakevens, vec![56.8]);
        let sd = 0.4 * 0.5f64.sqrt();
        let d2 = ((50.0f64 / 56.8).ln() + (0.03 - 0.01 - 0.08) * 0.5) / sd;
        assert!((a.probability_of_profit.unwrap() - norm_cdf(d2)).abs() < 1e-12);
    }

    #[test]
    fn greeks_are_the_sum_of_the_legs_and_stock_counts_as_delta() {
        let mut input = condor();
        input.legs.push(AnalysisLeg {
            leg: Leg {
                kind: LegKind::Stock,
                strike: 0.0,
                quantity: 30.0,
                entry_price: 99.0,
                multiplier: 1.0,
            },
            iv: None,
            years: None,
        });
        let a = analyze(&input, None).unwrap();
        let sum: f64 = a.leg_greeks.iter().map(|g| g.delta).sum();
        assert!((a.greeks.delta - sum).abs() < 1e-9);
        assert_eq!(a.leg_greeks[4].delta, 30.0, "30 shares are 30 deltas");
        let c = Contract {
            kind: OptionKind::Call,
            spot: 100.0,
            strike: 105.0,
            years: input.years,
            rate: 0.04,
            dividend: 0.0,
        };
        let g = bsm(&c, 0.25).unwrap();
        assert!(
            (a.leg_greeks[2].theta - (-100.0 * g.theta)).abs() < 1e-9,
            "short one call: −100 × theta"
        );
        assert!(a.greeks.theta > 0.0, "a short condor collects time decay");
        // P&L now: the model values minus the entry prices; at expiry: the payoff.
        let legs: Vec<Leg> = input.legs.iter().map(|l| l.leg).collect();
        for s in [80.0, 93.0, 100.0, 107.0, 120.0] {
            assert!((input.pnl(s, input.years) - strategy::pnl_at_expiry(&legs, s)).abs() < 1e-9);
        }
    }

    #[test]
    fn an_option_without_iv_is_refused_by_leg() {
        let mut input = condor();
        input.legs[2].iv = None;
        assert_eq!(
            analyze(&input, None).unwrap_err(),
            AnalysisError::MissingIv(3)
        );
    }

    /// A call on a 100 stock at 25 % IV, 4 % rate, no dividend.
    fn call_at(strike: f64, years: f64) -> crate::options::Greeks {
        let c = Contract {
            kind: OptionKind::Call,
            spot: 100.0,
            strike,
            years,
            rate: 0.04,
            dividend: 0.0,
        };
        bsm(&c, 0.25).unwrap()
    }

    fn calendar(near_k: f64, back_k: f64) -> (AnalysisInput, f64, f64) {
        let (near_t, back_t, iv) = (30.0 / 365.0, 60.0 / 365.0, 0.25);
        let price = |k: f64, t: f64| call_at(k, t).price;
        let (near, back) = (price(near_k, near_t), price(back_k, back_t));
        let mut back_leg = opt(LegKind::Call, back_k, 1.0, back, iv);
        back_leg.years = Some(back_t);
        let input = AnalysisInput {
            spot: 100.0,
            years: near_t,
            rate: 0.04,
            dividend: 0.0,
            legs: vec![opt(LegKind::Call, near_k, -1.0, near, iv), back_leg],
        };
        (input, near, back)
    }

    #[test]
    fn a_calendar_is_analysed_at_the_first_expiration_with_the_back_month_by_bsm() {
        let (input, near, back) = calendar(100.0, 100.0);
        assert!(input.has_later_legs());
        let a = analyze(&input, None).unwrap();
        let debit = 100.0 * (back - near);
        assert!((a.profile.net_debit - debit).abs() < 1e-9);
        // At a price of 0 both calls are worthless: the whole debit is lost,
        // and no price loses more (the back call is worth at least the near
        // call's payoff, with r > 0 and no dividend).
        match a.profile.max_loss {
            Extreme::Finite { value, at } => {
                assert!(
                    (value + debit).abs() < 1e-9,
                    "max loss {value} vs debit {debit}"
                );
                assert!(at < 1.0, "at {at}");
            }
            Extreme::Unbounded => panic!("a calendar's loss is bounded"),
        }
        // The most it makes: at the strike, where the near call expires
        // worthless and the back call has the most time value.
        let back_at_strike = call_at(100.0, 30.0 / 365.0).price;
        match a.profile.max_gain {
            Extreme::Finite { value, at } => {
                assert!((at - 100.0).abs() < 1e-6, "peak at {at}");
                assert!(
                    (value - (100.0 * back_at_strike - debit)).abs() < 1e-6,
                    "{value}"
                );
            }
            Extreme::Unbounded => panic!("a calendar's gain is bounded"),
        }
        // Two breakevens, each a zero of the horizon P&L with the sign
        // changing across it.
        assert_eq!(a.profile.breakevens.len(), 2, "{:?}", a.profile.breakevens);
        for &b in &a.profile.breakevens {
            let f = |s: f64| input.pnl(s, input.years);
            assert!(f(b).abs() < 1e-9, "P&L {} at {b}", f(b));
            assert!(f(b * (1.0 - 1e-9)) * f(b * (1.0 + 1e-9)) < 0.0);
        }
        let (lo, hi) = (a.profile.breakevens[0], a.profile.breakevens[1]);
        assert!(lo < 100.0 && hi > 100.0);
        // Profitable between them: the lognormal mass there.
        let t = input.years;
        let d = |x: f64| ((x / 100.0).ln() - (0.04 - 0.5 * 0.0625) * t) / (0.25 * t.sqrt());
        let want = norm_cdf(d(hi)) - norm_cdf(d(lo));
        assert!((a.probability_of_profit.unwrap() - want).abs() < 1e-9);
    }

    #[test]
    fn a_diagonal_values_each_leg_with_its_own_time_left() {
        let (input, _, _) = calendar(105.0, 95.0);
        let a = analyze(&input, None).unwrap();
        let near = call_at(105.0, 30.0 / 365.0);
        let back = call_at(95.0, 60.0 / 365.0);
        assert!((a.leg_greeks[0].theta + 100.0 * near.theta).abs() < 1e-9);
        assert!((a.leg_greeks[1].vega - 100.0 * back.vega).abs() < 1e-9);
        assert!((a.greeks.delta - 100.0 * (back.delta - near.delta)).abs() < 1e-9);
        // The back call is worth more than the near payoff everywhere at the
        // first expiration (it is 10 lower in strike), so the loss is bounded
        // by the debit and the profile is bounded both ways.
        assert!(matches!(a.profile.max_loss, Extreme::Finite { .. }));
        assert!(matches!(a.profile.max_gain, Extreme::Finite { .. }));
        // A week on, every leg has a week less.
        let later = input.advanced(7.0 / 365.0);
        assert!((later.years - 23.0 / 365.0).abs() < 1e-15);
        assert!((later.legs[1].years.unwrap() - 53.0 / 365.0).abs() < 1e-15);
        // A leg expiring before the first expiration is refused by number.
        let mut bad = input.clone();
        bad.legs[1].years = Some(10.0 / 365.0);
        assert!(matches!(
            analyze(&bad, None).unwrap_err(),
            AnalysisError::ExpiresBeforeFirst(2, ..)
        ));
    }

    #[test]
    fn a_dividend_makes_the_calendar_loss_unbounded_as_the_price_rises() {
        // With a dividend yield the back call is worth less than the stock
        // it delivers (S·e^(−qτ)), so short near / long back loses without
        // bound far above the strike; the model says so rather than a number.
        let (mut input, _, _) = calendar(100.0, 100.0);
        input.dividend = 0.03;
        let a = analyze(&input, None).unwrap();
        assert_eq!(a.profile.max_loss, Extreme::Unbounded);
    }
}
