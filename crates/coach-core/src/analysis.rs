//! Analysis of a position with one expiration (plus stock): P&L now and at
//! chosen times before expiry (each option valued by Black-Scholes-Merton at
//! its implied volatility), the exact profile at expiry (from
//! [`crate::strategy`]), position Greeks, and the probability of profit at
//! expiry under a lognormal model.
//!
//! Probability of profit — stated assumptions: the underlying at expiry is
//! lognormal with risk-neutral drift `rate − dividend` and volatility `vol`
//! (by default the mean implied volatility of the option legs, weighted by
//! |quantity|); no early exercise; P&L at expiry as in `strategy`. It is the
//! probability mass of the price ranges where the expiry P&L is above zero,
//! computed exactly from the breakevens.

use serde::{Deserialize, Serialize};

use crate::options::{bsm, norm_cdf, Contract, OptionKind};
use crate::strategy::{self, expiry_profile, ExpiryProfile, Leg, LegKind, StrategyError};

/// A leg for analysis: a strategy leg plus the option's implied volatility.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnalysisLeg {
    pub leg: Leg,
    /// Annualised implied volatility of an option leg (unused for stock).
    pub iv: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisInput {
    pub spot: f64,
    /// Years from now to the expiration of the option legs.
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
        }
        Ok(())
    }

    /// P&L against entry with the underlying at `s`, `elapsed` years from now
    /// (at or past expiry: the payoff).
    pub fn pnl(&self, s: f64, elapsed: f64) -> f64 {
        let left = self.years - elapsed;
        self.legs
            .iter()
            .map(|al| {
                let l = &al.leg;
                let value = match contract(l, s, left.max(0.0), self.rate, self.dividend) {
                    None => s,
                    Some(c) if left <= 0.0 => match c.kind {
                        OptionKind::Call => (s - c.strike).max(0.0),
                        OptionKind::Put => (c.strike - s).max(0.0),
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
            match contract(l, self.spot, self.years, self.rate, self.dividend) {
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

    /// The probability that the P&L at expiry is above zero.
    pub fn probability_of_profit(&self, profile: &ExpiryProfile, vol: f64) -> f64 {
        let legs: Vec<Leg> = self.legs.iter().map(|l| l.leg).collect();
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
            if strategy::pnl_at_expiry(&legs, probe) > 0.0 {
                let hi = if b.is_finite() { self.cdf(b, vol) } else { 1.0 };
                p += hi - self.cdf(a, vol);
            }
        }
        p.clamp(0.0, 1.0)
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
    let profile = expiry_profile(&legs)?;
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
}
