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

use crate::black::{implied_normalised, normalised_call};
pub use crate::black::{norm_cdf, norm_pdf};

/// European price and Greeks under Black-Scholes-Merton.
pub fn bsm(c: &Contract, vol: f64) -> Result<Greeks, PricingError> {
    c.validate()?;
    check_vol(vol)?;
    Ok(bsm_unchecked(c, vol))
}

fn check_vol(vol: f64) -> Result<(), PricingError> {
    if vol >= 0.0 && vol.is_finite() {
        Ok(())
    } else {
        Err(PricingError::Invalid {
            field: "vol",
            rule: "zero or more",
            value: vol,
        })
    }
}

/// Everything a contract's value depends on besides the volatility,
/// computed once for a price, its Greeks and its implied volatility.
struct Prepared {
    /// +1 for a call, −1 for a put.
    w: f64,
    t: f64,
    sqrt_t: f64,
    /// e^(−qT)
    dq: f64,
    /// S·e^(−qT) and K·e^(−rT).
    sd: f64,
    kd: f64,
    /// ln(F/K) = ln(sd/kd).
    x: f64,
}

impl Prepared {
    fn new(c: &Contract) -> Self {
        let t = c.years;
        let dq = (-c.dividend * t).exp();
        let sd = c.spot * dq;
        let kd = c.strike * (-c.rate * t).exp();
        Prepared {
            w: c.kind.sign(),
            t,
            sqrt_t: t.sqrt(),
            dq,
            sd,
            kd,
            x: (sd / kd).ln(),
        }
    }

    /// Discounted intrinsic value on the forward: w·(sd − kd), floored at 0.
    fn intrinsic(&self) -> f64 {
        (self.w * (self.sd - self.kd)).max(0.0)
    }

    /// The price at total volatility `s = σ√T`, through the normalised form
    /// the implied-volatility solver inverts (exact near the money, where
    /// S·Φ(d1) − K·Φ(d2) loses digits, and deep in the wings).
    fn price(&self, s: f64) -> f64 {
        let otm = (self.sd * self.kd).sqrt() * normalised_call(-self.x.abs(), s);
        if self.w * self.x > 0.0 {
            self.w * (self.sd - self.kd) + otm
        } else {
            otm
        }
    }

    /// Price and Greeks at `vol`; `known_price` skips the price where the
    /// caller already has it (the price an implied volatility came from).
    fn greeks(&self, c: &Contract, vol: f64, known_price: Option<f64>) -> Greeks {
        let (w, t, sd, kd) = (self.w, self.t, self.sd, self.kd);
        let total = vol * self.sqrt_t;
        if total == 0.0 || !total.is_normal() {
            // No uncertainty left: the discounted intrinsic value, a step delta.
            let itm = w * (sd - kd) > 0.0;
            let (delta, rho, theta) = if itm {
                (
                    w * self.dq,
                    w * kd * t * 0.01,
                    (w * (c.dividend * sd - c.rate * kd)) / 365.0,
                )
            } else {
                (0.0, 0.0, 0.0)
            };
            return Greeks {
                price: self.intrinsic(),
                delta,
                gamma: 0.0,
                theta,
                vega: 0.0,
                rho,
            };
        }
        let d1 = self.x / total + 0.5 * total;
        let d2 = d1 - total;
        let (n1, n2) = (norm_cdf(w * d1), norm_cdf(w * d2));
        let pdf = norm_pdf(d1);
        let theta =
            -sd * pdf * vol / (2.0 * self.sqrt_t) - w * c.rate * kd * n2 + w * c.dividend * sd * n1;
        Greeks {
            price: known_price.unwrap_or_else(|| self.price(total).max(0.0)),
            delta: w * self.dq * n1,
            gamma: sd * pdf / (c.spot * c.spot * total),
            theta: theta / 365.0,
            vega: sd * pdf * self.sqrt_t * 0.01,
            rho: w * kd * t * n2 * 0.01,
        }
    }

    /// Implied volatility of a price already checked to be finite.
    fn implied(&self, price: f64) -> Result<f64, PricingError> {
        let lower = self.intrinsic();
        let upper = if self.w > 0.0 { self.sd } else { self.kd };
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
        if self.t == 0.0 {
            return Err(PricingError::OutsideBounds {
                price,
                side: "above",
                bound: lower,
                why: "at expiry an option is worth its intrinsic value",
            });
        }
        // Out of the money by parity (call − put = sd − kd), undiscounted and
        // divided by √(FK): one monotone function b(s) of s = σ√T remains.
        let otm = if self.w * self.x > 0.0 {
            price - self.w * (self.sd - self.kd)
        } else {
            price
        };
        let beta = otm / (self.sd * self.kd).sqrt();
        if beta <= 0.0 {
            return Ok(0.0);
        }
        Ok(implied_normalised(-self.x.abs(), beta) / self.sqrt_t)
    }
}

/// The five Greeks under BSM without the price (`price` is NaN): what a
/// chain repriced at a new spot needs, at less than half the cost, since
/// the price is the one number here that needs the normalised Black function.
pub fn bsm_greeks(c: &Contract, vol: f64) -> Result<Greeks, PricingError> {
    c.validate()?;
    check_vol(vol)?;
    Ok(Prepared::new(c).greeks(c, vol, Some(f64::NAN)))
}

fn bsm_unchecked(c: &Contract, vol: f64) -> Greeks {
    Prepared::new(c).greeks(c, vol, None)
}

fn check_price(price: f64) -> Result<(), PricingError> {
    if price.is_finite() {
        Ok(())
    } else {
        Err(PricingError::Invalid {
            field: "price",
            rule: "a finite number",
            value: price,
        })
    }
}

/// Implied volatility of a European price. Prices at the lower bound give 0;
/// prices below it or at or above the upper bound have none.
///
/// Method: the price is made undiscounted and out of the money by put-call
/// parity and normalised by √(FK), so one monotone function `b(s)` of the
/// total volatility `s = σ√T` remains; it is inverted as in Jäckel's "Let's
/// Be Rational" (see [`crate::black`]) to machine precision.
pub fn implied_vol(c: &Contract, price: f64) -> Result<f64, PricingError> {
    c.validate()?;
    check_price(price)?;
    Prepared::new(c).implied(price)
}

/// Implied volatility and the price and Greeks at it, sharing the work the
/// two have in common (discounting, the forward, the log-moneyness).
pub fn implied_vol_and_greeks(c: &Contract, price: f64) -> Result<(f64, Greeks), PricingError> {
    c.validate()?;
    check_price(price)?;
    let prepared = Prepared::new(c);
    let iv = prepared.implied(price)?;
    // The price at the implied volatility is the price given, to the
    // round-trip accuracy the tests hold the solver to (1e-12 relative).
    Ok((iv, prepared.greeks(c, iv, Some(price))))
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
