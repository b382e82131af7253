//! Profit and loss at expiry of a position made of option legs and stock: the
//! payoff is piecewise linear in the underlying price, with kinks only at the
//! strikes, so breakevens, the maximum gain and the maximum loss are found
//! exactly — by evaluating the kinks and solving each linear piece — rather
//! than by scanning a grid. An unbounded gain or loss is said as such.
//!
//! Only legs that expire together are handled here; a calendar or diagonal
//! needs the later legs priced at the first expiry (a model, not a payoff).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LegKind {
    Call,
    Put,
    Stock,
}

/// One leg. `quantity` is signed: positive bought, negative sold (contracts for
/// options, shares for stock). Prices are per share.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    pub kind: LegKind,
    /// The strike of an option; ignored for stock.
    pub strike: f64,
    pub quantity: f64,
    pub entry_price: f64,
    /// Shares per contract (100 for US equity options; 1 for stock).
    pub multiplier: f64,
}

impl Leg {
    /// This leg's value per share at expiry when the underlying is at `s`.
    fn value_at(&self, s: f64) -> f64 {
        match self.kind {
            LegKind::Call => (s - self.strike).max(0.0),
            LegKind::Put => (self.strike - s).max(0.0),
            LegKind::Stock => s,
        }
    }

    fn scale(&self) -> f64 {
        self.quantity * self.multiplier
    }

    /// d(P&L)/dS above every strike.
    fn slope_above(&self) -> f64 {
        match self.kind {
            LegKind::Call | LegKind::Stock => self.scale(),
            LegKind::Put => 0.0,
        }
    }
}

/// A maximum gain or loss: finite (with a price where it is reached) or unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Extreme {
    Finite { value: f64, at: f64 },
    Unbounded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpiryProfile {
    /// Underlying prices where the P&L at expiry is zero, ascending. A range
    /// where it is zero throughout is given by its two ends.
    pub breakevens: Vec<f64>,
    /// The largest P&L (≥ the P&L at every price), or unbounded as the price rises.
    pub max_gain: Extreme,
    /// The smallest P&L (a loss is negative), or unbounded.
    pub max_loss: Extreme,
    /// What the position cost (positive) or collected (negative) at entry.
    pub net_debit: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    #[error("a position needs at least one leg")]
    Empty,
    #[error("leg {leg}: {reason}")]
    BadLeg { leg: usize, reason: String },
}

fn check(legs: &[Leg]) -> Result<(), StrategyError> {
    if legs.is_empty() {
        return Err(StrategyError::Empty);
    }
    for (i, l) in legs.iter().enumerate() {
        let bad = |reason: &str| StrategyError::BadLeg {
            leg: i + 1,
            reason: reason.to_string(),
        };
        if !l.quantity.is_finite() || l.quantity == 0.0 {
            return Err(bad("the quantity must be a non-zero number"));
        }
        if !l.entry_price.is_finite() || l.entry_price < 0.0 {
            return Err(bad("the entry price must be zero or more"));
        }
        if !l.multiplier.is_finite() || l.multiplier <= 0.0 {
            return Err(bad("the multiplier must be above zero"));
        }
        if l.kind != LegKind::Stock && !(l.strike.is_finite() && l.strike > 0.0) {
            return Err(bad("an option needs a strike above zero"));
        }
    }
    Ok(())
}

/// The position's P&L at expiry with the underlying at `s` (currency units).
pub fn pnl_at_expiry(legs: &[Leg], s: f64) -> f64 {
    legs.iter()
        .map(|l| l.scale() * (l.value_at(s) - l.entry_price))
        .sum()
}

/// Breakevens, maximum gain and maximum loss at expiry, exactly.
pub fn expiry_profile(legs: &[Leg]) -> Result<ExpiryProfile, StrategyError> {
    check(legs)?;
    // The kinks: 0 and every strike, in order.
    let mut xs: Vec<f64> = std::iter::once(0.0)
        .chain(
            legs.iter()
                .filter(|l| l.kind != LegKind::Stock)
                .map(|l| l.strike),
        )
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let ys: Vec<f64> = xs.iter().map(|&x| pnl_at_expiry(legs, x)).collect();
    let slope_above: f64 = legs.iter().map(Leg::slope_above).sum();
    let (x_last, y_last) = (xs[xs.len() - 1], ys[ys.len() - 1]);

    let best = |better: fn(f64, f64) -> bool| {
        let mut i = 0;
        for j in 1..ys.len() {
            if better(ys[j], ys[i]) {
                i = j;
            }
        }
        Extreme::Finite {
            value: ys[i],
            at: xs[i],
        }
    };
    let max_gain = if slope_above > 0.0 {
        Extreme::Unbounded
    } else {
        best(|a, b| a > b)
    };
    let max_loss = if slope_above < 0.0 {
        Extreme::Unbounded
    } else {
        best(|a, b| a < b)
    };

    // Zeros: at kinks, inside each linear piece, and beyond the last strike.
    let mut breakevens = Vec::new();
    for i in 0..xs.len() {
        if ys[i] == 0.0 {
            breakevens.push(xs[i]);
        }
        if i + 1 < xs.len() && ys[i] * ys[i + 1] < 0.0 {
            let (a, b, fa, fb) = (xs[i], xs[i + 1], ys[i], ys[i + 1]);
            breakevens.push(a + (b - a) * fa / (fa - fb));
        }
    }
    if slope_above != 0.0 && y_last != 0.0 && (y_last < 0.0) == (slope_above > 0.0) {
        breakevens.push(x_last - y_last / slope_above);
    }
    breakevens.sort_by(f64::total_cmp);
    // A flat zero piece gives its two ends only.
    let mut ends: Vec<f64> = Vec::with_capacity(breakevens.len());
    for (k, &b) in breakevens.iter().enumerate() {
        let interior = k > 0
            && k + 1 < breakevens.len()
            && pnl_at_expiry(legs, (breakevens[k - 1] + b) / 2.0) == 0.0
            && pnl_at_expiry(legs, (b + breakevens[k + 1]) / 2.0) == 0.0;
        if !interior && ends.last() != Some(&b) {
            ends.push(b);
        }
    }
    let net_debit = legs.iter().map(|l| l.scale() * l.entry_price).sum();
    Ok(ExpiryProfile {
        breakevens: ends,
        max_gain,
        max_loss,
        net_debit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(kind: LegKind, strike: f64, quantity: f64, entry_price: f64) -> Leg {
        Leg {
            kind,
            strike,
            quantity,
            entry_price,
            multiplier: 100.0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn an_iron_condor_has_two_breakevens_and_a_capped_loss() {
        // Buy 90P 0.50, sell 95P 1.50, sell 105C 1.50, buy 110C 0.50: a 2.00 credit.
        let legs = [
            opt(LegKind::Put, 90.0, 1.0, 0.5),
            opt(LegKind::Put, 95.0, -1.0, 1.5),
            opt(LegKind::Call, 105.0, -1.0, 1.5),
            opt(LegKind::Call, 110.0, 1.0, 0.5),
        ];
        let p = expiry_profile(&legs).unwrap();
        // By hand: keep the 200 credit between the short strikes; lose 5.00 − 2.00 = 3.00
        // a share beyond the wings; break even 2.00 outside each short strike.
        assert_eq!(p.net_debit, -200.0);
        assert_eq!(p.breakevens, vec![93.0, 107.0]);
        assert!(matches!(p.max_gain, Extreme::Finite { value, .. } if close(value, 200.0)));
        assert!(matches!(p.max_loss, Extreme::Finite { value, .. } if close(value, -300.0)));
        assert!(close(pnl_at_expiry(&legs, 100.0), 200.0));
        assert!(close(pnl_at_expiry(&legs, 80.0), -300.0));
        assert!(close(pnl_at_expiry(&legs, 200.0), -300.0));
    }

    #[test]
    fn naked_and_covered_positions_say_unbounded_where_they_are() {
        let long_call = [opt(LegKind::Call, 100.0, 1.0, 3.0)];
        let p = expiry_profile(&long_call).unwrap();
        assert_eq!(p.max_gain, Extreme::Unbounded);
        assert_eq!(
            p.max_loss,
            Extreme::Finite {
                value: -300.0,
                at: 0.0
            }
        );
        assert_eq!(p.breakevens, vec![103.0]);

        let short_call = [opt(LegKind::Call, 100.0, -2.0, 3.0)];
        let p = expiry_profile(&short_call).unwrap();
        assert_eq!(p.max_loss, Extreme::Unbounded);
        assert!(matches!(p.max_gain, Extreme::Finite { value, .. } if close(value, 600.0)));

        // 100 shares at 100 and a short 105 call at 2.00: capped gain, loss finite at 0.
        let covered = [
            Leg {
                kind: LegKind::Stock,
                strike: 0.0,
                quantity: 100.0,
                entry_price: 100.0,
                multiplier: 1.0,
            },
            opt(LegKind::Call, 105.0, -1.0, 2.0),
        ];
        let p = expiry_profile(&covered).unwrap();
        assert_eq!(p.breakevens, vec![98.0]);
        assert!(
            matches!(p.max_gain, Extreme::Finite { value, at } if close(value, 700.0) && at == 105.0)
        );
        assert!(
            matches!(p.max_loss, Extreme::Finite { value, at } if close(value, -9800.0) && at == 0.0)
        );
    }

    #[test]
    fn a_straddle_breaks_even_on_both_sides_and_a_flat_zero_range_gives_its_ends() {
        let straddle = [
            opt(LegKind::Call, 100.0, 1.0, 4.0),
            opt(LegKind::Put, 100.0, 1.0, 3.0),
        ];
        assert_eq!(
            expiry_profile(&straddle).unwrap().breakevens,
            vec![93.0, 107.0]
        );
        // A bull call spread bought for exactly its width pays nothing above the upper strike.
        let zero_above = [
            opt(LegKind::Call, 100.0, 1.0, 5.0),
            opt(LegKind::Call, 105.0, -1.0, 0.0),
        ];
        let p = expiry_profile(&zero_above).unwrap();
        assert_eq!(p.breakevens, vec![105.0]);
    }

    #[test]
    fn exact_answers_agree_with_a_dense_scan_on_random_positions() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..300 {
            let n = 1 + (rnd() * 5.0) as usize;
            let legs: Vec<Leg> = (0..n)
                .map(|_| {
                    let kind = if rnd() < 0.5 {
                        LegKind::Call
                    } else {
                        LegKind::Put
                    };
                    let q = if rnd() < 0.5 { -1.0 } else { 1.0 } * (1.0 + (rnd() * 3.0).floor());
                    opt(kind, 80.0 + (rnd() * 40.0).round(), q, rnd() * 8.0)
                })
                .collect();
            let p = expiry_profile(&legs).unwrap();
            for &b in &p.breakevens {
                assert!(pnl_at_expiry(&legs, b).abs() < 1e-7, "{legs:?} at {b}");
            }
            // No grid point beats the exact extremes.
            let (mut hi, mut lo) = (f64::MIN, f64::MAX);
            for k in 0..=4000 {
                let v = pnl_at_expiry(&legs, k as f64 * 0.05);
                hi = hi.max(v);
                lo = lo.min(v);
            }
            if let Extreme::Finite { value, .. } = p.max_gain {
                assert!(hi <= value + 1e-7, "{legs:?}: grid {hi} > max gain {value}");
            }
            if let Extreme::Finite { value, .. } = p.max_loss {
                assert!(lo >= value - 1e-7, "{legs:?}: grid {lo} < max loss {value}");
            }
            // And every sign change of the grid has a breakeven inside it.
            for k in 0..4000 {
                let (a, b) = (k as f64 * 0.05, (k + 1) as f64 * 0.05);
                let (fa, fb) = (pnl_at_expiry(&legs, a), pnl_at_expiry(&legs, b));
                if fa * fb < 0.0 {
                    assert!(
                        p.breakevens.iter().any(|&x| x >= a - 1e-9 && x <= b + 1e-9),
                        "{legs:?}: a zero in [{a}, {b}] is missing from {:?}",
                        p.breakevens
                    );
                }
            }
        }
    }

    #[test]
    fn bad_legs_are_named() {
        assert_eq!(expiry_profile(&[]), Err(StrategyError::Empty));
        let e = expiry_profile(&[
            opt(LegKind::Call, 100.0, 1.0, 1.0),
            opt(LegKind::Put, -5.0, 1.0, 1.0),
        ])
        .unwrap_err();
        assert_eq!(e.to_string(), "leg 2: an option needs a strike above zero");
    }
}
