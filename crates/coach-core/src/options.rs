//! Options pricing: Black-Scholes-Merton with a continuous dividend yield
//! (price and analytic Greeks), implied volatility, and American exercise by
//! a Leisen-Reimer binomial tree.
//!
//! Conventions (as py_vollib's analytical Greeks): theta per calendar day
//! (annual / 365), vega per volatility point (× 0.01), rho per rate point
//! (× 0.01). Checked against py_vollib and QuantLib on random sets in
//! `tests/options`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionKind {
    Call,
    Put,
}

impl OptionKind {
    fn sign(self) -> f64 {
        match self {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        }
    }
}

/// A European or American option on a stock paying a continuous dividend yield.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    pub kind: OptionKind,
    pub spot: f64,
    pub strike: f64,
    /// Time to expiry in years.
    pub years: f64,
    /// Continuously compounded risk-free rate (0.05 = 5 %).
    pub rate: f64,
    /// Continuous dividend yield.
    pub dividend: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Greeks {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    /// Per calendar day.
    pub theta: f64,
    /// Per volatility point (0.01).
    pub vega: f64,
    /// Per rate point (0.01).
    pub rho: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    #[error("{field} must be {rule}, not {value}")]
    Invalid {
        field: &'static str,
        rule: &'static str,
        value: f64,
    },
    #[error(
        "no implied volatility: price {price} is {side} the no-arbitrage bound {bound} ({why})"
    )]
    OutsideBounds {
        price: f64,
        side: &'static str,
        bound: f64,
        why: &'static str,
    },
}

impl Contract {
    pub fn validate(&self) -> Result<(), PricingError> {
        let check = |field, rule, value: f64, ok: bool| {
            if ok && value.is_finite() {
                Ok(())
            } else {
                Err(PricingError::Invalid { field, rule, value })
            }
        };
        check("spot", "a positive number", self.spot, self.spot > 0.0)?;
        check(
            "strike",
            "a positive number",
            self.strike,
            self.strike > 0.0,
        )?;
        check("years", "zero or more", self.years, self.years >= 0.0)?;
        check("rate", "a finite number", self.rate, self.rate.abs() < 10.0)?;
        check(
            "dividend",
            "a finite number",
            self.dividend,
            self.dividend.abs() < 10.0,
        )
    }

    /// Discounted spot `S·e^(−qT)` and strike `K·e^(−rT)`.
    fn discounted(&self) -> (f64, f64) {
        (
            self.spot * (-self.dividend * self.years).exp(),
            self.strike * (-self.rate * self.years).exp(),
        )
    }

    /// The no-arbitrage bounds of a European price: (intrinsic on the
    /// forward, the most it can be worth).
    pub fn bounds(&self) -> (f64, f64) {
        let (s, k) = self.discounted();
        match self.kind {
            OptionKind::Call => ((s - k).max(0.0), s),
            OptionKind::Put => ((k - s).max(0.0), k),
        }
    }
}

const SQRT_2: f64 = std::f64::consts::SQRT_2;
/// 1 / √(2π)
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// The standard normal distribution function, accurate in both tails.
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / SQRT_2)
}

#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// European price and Greeks under Black-Scholes-Merton.
pub fn bsm(c: &Contract, vol: f64) -> Result<Greeks, PricingError> {
    c.validate()?;
    if !(vol >= 0.0 && vol.is_finite()) {
        return Err(PricingError::Invalid {
            field: "vol",
            rule: "zero or more",
            value: vol,
        });
    }
    Ok(bsm_unchecked(c, vol))
}

fn bsm_unchecked(c: &Contract, vol: f64) -> Greeks {
    let w = c.kind.sign();
    let t = c.years;
    let (sd, kd) = c.discounted();
    let total = vol * t.sqrt();
    if total == 0.0 || !total.is_normal() {
        // No uncertainty left: the discounted intrinsic value, a step delta.
        let itm = w * (sd - kd) > 0.0;
        let price = (w * (sd - kd)).max(0.0);
        let (delta, rho, theta) = if itm {
            (
                w * (-c.dividend * t).exp(),
                w * kd * t * 0.01,
                (w * (c.dividend * sd - c.rate * kd)) / 365.0,
            )
        } else {
            (0.0, 0.0, 0.0)
        };
        return Greeks {
            price,
            delta,
            gamma: 0.0,
            theta,
            vega: 0.0,
            rho,
        };
    }
    let d1 = ((c.spot / c.strike).ln() + (c.rate - c.dividend) * t) / total + 0.5 * total;
    let d2 = d1 - total;
    let (n1, n2) = (norm_cdf(w * d1), norm_cdf(w * d2));
    let pdf = norm_pdf(d1);
    // The price through the normalised form the implied-volatility solver
    // inverts: exact near the money, where S·Φ(d1) − K·Φ(d2) loses digits.
    let price = {
        let df = (-c.rate * t).exp();
        let forward = c.spot * ((c.rate - c.dividend) * t).exp();
        let x = (forward / c.strike).ln();
        let scale = (forward * c.strike).sqrt();
        if w * x > 0.0 {
            df * (w * (forward - c.strike) + scale * normalised_otm(x, total, -w))
        } else {
            df * scale * normalised_otm(x, total, w)
        }
    };
    let delta = w * (-c.dividend * t).exp() * n1;
    let gamma = sd * pdf / (c.spot * c.spot * total);
    let vega = sd * pdf * t.sqrt();
    let theta =
        -sd * pdf * vol / (2.0 * t.sqrt()) - w * c.rate * kd * n2 + w * c.dividend * sd * n1;
    let rho = w * kd * t * n2;
    Greeks {
        price: price.max(0.0),
        delta,
        gamma,
        theta: theta / 365.0,
        vega: vega * 0.01,
        rho: rho * 0.01,
    }
}

/// The normalised Black price `b(x, s)` of an out-of-the-money option
/// (θx ≤ 0), undiscounted and divided by √(FK): x = ln(F/K), s = σ√T.
/// A put is the call of −x.
#[inline]
fn normalised_otm(x: f64, s: f64, theta: f64) -> f64 {
    normalised_call(if theta > 0.0 { x } else { -x }, s)
}

/// Gauss-Legendre, 5 points on [−1, 1].
const GL5: [(f64, f64); 5] = [
    (-0.906_179_845_938_664, 0.236_926_885_056_189_1),
    (-0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (0.0, 0.568_888_888_888_888_9),
    (0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (0.906_179_845_938_664, 0.236_926_885_056_189_1),
];

/// b(x, s) = e^(x/2)·Φ(h + t) − e^(−x/2)·Φ(h − t), h = x/s, t = s/2, for
/// x ≤ 0, in the form that keeps its digits in each region:
/// - near the money (|h| < 1): through erf, where the two ½'s cancel exactly;
/// - out of the money with little time value (t ≤ 0.05): as
///   φ(h)·e^(−t²/2)·∫ M′(z) dz over [h − t, h + t], with M = Φ/φ the Mills
///   ratio and M′ = 1 + z·M, by 5-point Gauss-Legendre (no difference of
///   nearly equal numbers is ever taken);
/// - elsewhere the two terms differ enough for the direct formula.
#[inline]
fn normalised_call(x: f64, s: f64) -> f64 {
    let h = x / s;
    let t = 0.5 * s;
    if h.abs() < 1.0 {
        let a = (0.5 * x).exp() * libm::erf((h + t) / SQRT_2);
        let b = (-0.5 * x).exp() * libm::erf((h - t) / SQRT_2);
        return (0.5 * x).sinh() + 0.5 * (a - b);
    }
    if t <= 0.05 && h > -35.0 {
        let mut integral = 0.0;
        for (node, weight) in GL5 {
            let z = h + t * node;
            let mills = norm_cdf(z) / norm_pdf(z);
            integral += weight * (1.0 + z * mills);
        }
        return norm_pdf(h) * (-0.5 * t * t).exp() * integral * t;
    }
    (0.5 * x).exp() * norm_cdf(h + t) - (-0.5 * x).exp() * norm_cdf(h - t)
}

/// ∂b/∂s: the normalised vega.
#[inline]
fn normalised_vega(x: f64, s: f64) -> f64 {
    let h = x / s;
    let t = 0.5 * s;
    INV_SQRT_2PI * (-0.5 * (h * h + t * t)).exp()
}

/// Implied volatility of a European price. Prices at the lower bound give 0;
/// prices below it or at or above the upper bound have none.
///
/// Method: the price is made undiscounted and out of the money by put-call
/// parity and normalised by √(FK), so one monotone function `b(s)` of the
/// total volatility `s = σ√T` remains; Newton steps on `ln b` (well scaled
/// from 1e-300 prices to the bound) inside a bracket that bisection keeps
/// valid, to machine precision.
pub fn implied_vol(c: &Contract, price: f64) -> Result<f64, PricingError> {
    c.validate()?;
    if !price.is_finite() {
        return Err(PricingError::Invalid {
            field: "price",
            rule: "a finite number",
            value: price,
        });
    }
    let (lower, upper) = c.bounds();
    // At the lower bound to within rounding: no time value, no volatility.
    if price >= lower && price - lower <= 4.0 * f64::EPSILON * price {
        return Ok(0.0);
    }
    if price < lower {
        return Err(PricingError::OutsideBounds {
            price,
            side: "below",
            bound: lower,
            why: "less than the discounted intrinsic value",
        });
    }
    if price >= upper {
        return Err(PricingError::OutsideBounds {
            price,
            side: "at or above",
            bound: upper,
            why: "an option cannot be worth as much as what it delivers",
        });
    }
    if c.years == 0.0 {
        return if price == lower {
            Ok(0.0)
        } else {
            Err(PricingError::OutsideBounds {
                price,
                side: "above",
                bound: lower,
                why: "at expiry an option is worth its intrinsic value",
            })
        };
    }
    let t = c.years;
    let df = (-c.rate * t).exp();
    let forward = c.spot * ((c.rate - c.dividend) * t).exp();
    let k = c.strike;
    let x = (forward / k).ln();
    let mut undiscounted = price / df;
    // Out of the money by parity: call − put = F − K.
    let mut theta = c.kind.sign();
    if theta * x > 0.0 {
        undiscounted -= theta * (forward - k);
        theta = -theta;
    }
    let beta = undiscounted / (forward * k).sqrt();
    if beta <= 0.0 {
        return Ok(0.0);
    }
    let s = solve_normalised(x, beta, theta);
    Ok(s / t.sqrt())
}

/// Solves b(x, s) = β for s > 0 (θx ≤ 0, 0 < β < e^(θx/2)).
fn solve_normalised(x: f64, beta: f64, theta: f64) -> f64 {
    let target = beta.ln();
    let f = |s: f64| normalised_otm(x, s, theta);
    // Bracket: b is increasing in s from 0 to e^(θx/2).
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while f(hi) < beta && hi < 1e6 {
        lo = hi;
        hi *= 2.0;
    }
    // A first guess inside the bracket.
    let mut s = if x == 0.0 {
        beta * (2.0 * std::f64::consts::PI).sqrt()
    } else {
        (2.0 * x.abs()).sqrt()
    }
    .clamp(lo.max(1e-12), hi);
    for _ in 0..200 {
        let b = f(s);
        if b > beta {
            hi = hi.min(s);
        } else {
            lo = lo.max(s);
        }
        let vega = normalised_vega(x, s);
        // Newton on ln b: Δs = (ln b − ln β)·b / b'.
        let step = if b > 0.0 && vega > 0.0 {
            (b.ln() - target) * b / vega
        } else {
            f64::NAN
        };
        let mut next = s - step;
        if !(next > lo && next < hi) {
            next = if lo > 0.0 {
                0.5 * (lo + hi)
            } else {
                0.5 * hi.min(s)
            };
        }
        if (next - s).abs() <= 4.0 * f64::EPSILON * s || hi - lo <= 4.0 * f64::EPSILON * hi {
            return polish(theta * x, beta, next);
        }
        s = next;
    }
    polish(theta * x, beta, s)
}

/// Two last Newton steps on b itself (not ln b): at the root the residual
/// b − β is computed to a few ulps of β, so each step lands within an ulp
/// or two of the best double.
fn polish(x: f64, beta: f64, mut s: f64) -> f64 {
    for _ in 0..2 {
        let vega = normalised_vega(x, s);
        if vega.is_nan() || vega <= 0.0 {
            break;
        }
        let next = s - (normalised_call(x, s) - beta) / vega;
        if next.is_nan() || next <= 0.0 || (next - s).abs() > 1e-6 * s {
            break;
        }
        s = next;
    }
    s
}

/// How an American price was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmericanMethod {
    /// Early exercise is never optimal here (a call without dividends): the
    /// European formula is exact.
    EuropeanExact,
    /// Leisen-Reimer binomial tree with the given number of steps.
    LeisenReimer { steps: usize },
}

/// Peizer-Pratt method 2 inversion, as the Leisen-Reimer tree uses it.
fn peizer_pratt(z: f64, n: usize) -> f64 {
    let n = n as f64;
    let a = z / (n + 1.0 / 3.0 + 0.1 / (n + 1.0));
    let e = (-(a * a) * (n + 1.0 / 6.0)).exp();
    let sign = if z > 0.0 { 1.0 } else { -1.0 };
    0.5 + sign * (0.25 * (1.0 - e)).sqrt()
}

/// American price by a Leisen-Reimer tree (`steps` rounded up to odd), or
/// the European formula where early exercise cannot pay.
pub fn american(
    c: &Contract,
    vol: f64,
    steps: usize,
) -> Result<(f64, AmericanMethod), PricingError> {
    let euro = bsm(c, vol)?;
    if c.kind == OptionKind::Call && c.dividend <= 0.0 {
        return Ok((euro.price, AmericanMethod::EuropeanExact));
    }
    if c.years == 0.0 || vol == 0.0 {
        let intrinsic = (c.kind.sign() * (c.spot - c.strike)).max(0.0);
        return Ok((euro.price.max(intrinsic), AmericanMethod::EuropeanExact));
    }
    let n = steps.max(3) | 1;
    let t = c.years;
    let dt = t / n as f64;
    let total = vol * t.sqrt();
    let d1 = ((c.spot / c.strike).ln() + (c.rate - c.dividend) * t) / total + 0.5 * total;
    let d2 = d1 - total;
    let p = peizer_pratt(d2, n);
    let p_bar = peizer_pratt(d1, n);
    let growth = ((c.rate - c.dividend) * dt).exp();
    let up = growth * p_bar / p;
    let down = (growth - p * up) / (1.0 - p);
    let disc = (-c.rate * dt).exp();
    let (pu, pd) = (disc * p, disc * (1.0 - p));
    let w = c.kind.sign();
    // Node (i, j): j up-moves out of i steps, S·d^(i−j)·u^j.
    let up_pow: Vec<f64> = (0..=n).map(|j| up.powi(j as i32)).collect();
    let down_pow: Vec<f64> = (0..=n).map(|j| down.powi(j as i32)).collect();
    let node = |i: usize, j: usize| c.spot * down_pow[i - j] * up_pow[j];
    let mut values: Vec<f64> = (0..=n)
        .map(|j| (w * (node(n, j) - c.strike)).max(0.0))
        .collect();
    for step in (0..n).rev() {
        for j in 0..=step {
            let cont = pu * values[j + 1] + pd * values[j];
            values[j] = cont.max(w * (node(step, j) - c.strike));
        }
    }
    Ok((values[0], AmericanMethod::LeisenReimer { steps: n }))
}
