//! Options on the demo market: expirations, strikes, a volatility smile with a
//! term structure, Black-Scholes prices and Greeks, in Massive's chain-snapshot
//! and contracts-reference shapes.
//!
//! These are the *simulator's* quotes, standing in for an exchange; the app
//! prices and checks options with its own engine (coach-core), which is why a
//! compact normal CDF is good enough here.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use coach_core::calendar;
use serde_json::{json, Value};

use crate::model::Rng;

/// Annual risk-free rate the demo market quotes with.
pub const RATE: f64 = 0.045;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contract {
    pub call: bool,
    pub strike: f64,
    pub expiration: NaiveDate,
}

impl Contract {
    /// OCC symbol as Massive writes it: `O:SPY240719C00550000`.
    pub fn ticker(&self, underlying: &str) -> String {
        format!(
            "O:{underlying}{}{}{:08}",
            self.expiration.format("%y%m%d"),
            if self.call { "C" } else { "P" },
            (self.strike * 1000.0).round() as i64
        )
    }
}

/// Expiration dates listed on `today`: the next six weekly Fridays and the
/// third Friday of the next six months; a Friday holiday moves to Thursday.
pub fn expirations(today: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = today;
    while d.weekday() != Weekday::Fri {
        d += Duration::days(1);
    }
    for i in 0..6 {
        out.push(d + Duration::weeks(i));
    }
    for m in 0..7 {
        let (y, mo) = (
            (today.year() * 12 + today.month0() as i32 + m) / 12,
            (today.month0() as i32 + m) % 12 + 1,
        );
        let Some(first) = NaiveDate::from_ymd_opt(y, mo as u32, 1) else {
            continue;
        };
        let offset =
            (Weekday::Fri.num_days_from_monday() + 7 - first.weekday().num_days_from_monday()) % 7;
        out.push(first + Duration::days(offset as i64 + 14));
    }
    let mut out: Vec<NaiveDate> = out
        .into_iter()
        .map(|d| {
            if calendar::is_trading_day(d).unwrap_or(true) {
                d
            } else {
                d - Duration::days(1)
            }
        })
        .filter(|d| *d >= today)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Strike spacing by price level, as listed US equity options roughly have it.
pub fn strike_step(spot: f64) -> f64 {
    match spot {
        s if s < 25.0 => 0.5,
        s if s < 100.0 => 1.0,
        s if s < 250.0 => 2.5,
        _ => 5.0,
    }
}

/// Strikes within ±25 % of spot.
pub fn strikes(spot: f64) -> Vec<f64> {
    let step = strike_step(spot);
    let lo = ((spot * 0.75) / step).ceil() as i64;
    let hi = ((spot * 1.25) / step).floor() as i64;
    (lo..=hi).map(|i| i as f64 * step).collect()
}

/// Implied volatility from the smile: put skew, some curvature, and a term
/// structure that is richer at the front.
pub fn smile_iv(base_vol: f64, spot: f64, strike: f64, years: f64) -> f64 {
    let t = years.max(1.0 / 365.0);
    let m = (strike / spot).ln() / t.sqrt();
    let term = 1.0 + 0.15 * (-t * 6.0).exp();
    (base_vol * term - 0.06 * m + 0.05 * m * m).clamp(0.05, 3.0)
}

fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF (Abramowitz & Stegun 26.2.17, |error| < 7.5e-8).
fn norm_cdf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.231_641_9 * x.abs());
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let tail = norm_pdf(x) * poly;
    if x >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Price and Greeks in Massive's conventions: theta per day, vega per volatility point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
    pub price: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
}

pub fn black_scholes(call: bool, spot: f64, strike: f64, years: f64, vol: f64) -> Quote {
    let t = years.max(1e-6);
    let sq = vol * t.sqrt();
    let d1 = ((spot / strike).ln() + (RATE + 0.5 * vol * vol) * t) / sq;
    let d2 = d1 - sq;
    let disc = (-RATE * t).exp();
    let (price, delta, theta_annual) = if call {
        (
            spot * norm_cdf(d1) - strike * disc * norm_cdf(d2),
            norm_cdf(d1),
            -spot * norm_pdf(d1) * vol / (2.0 * t.sqrt()) - RATE * strike * disc * norm_cdf(d2),
        )
    } else {
        (
            strike * disc * norm_cdf(-d2) - spot * norm_cdf(-d1),
            norm_cdf(d1) - 1.0,
            -spot * norm_pdf(d1) * vol / (2.0 * t.sqrt()) + RATE * strike * disc * norm_cdf(-d2),
        )
    };
    Quote {
        price: price.max(0.0),
        delta,
        gamma: norm_pdf(d1) / (spot * sq),
        theta: theta_annual / 365.0,
        vega: spot * norm_pdf(d1) * t.sqrt() / 100.0,
    }
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One contract in the chain-snapshot shape. About one contract in thirty has
/// `greeks: {}` and no implied volatility, as real data sometimes does.
pub fn snapshot_json(
    underlying: &str,
    c: &Contract,
    spot: f64,
    base_vol: f64,
    years: f64,
    seed: u64,
    updated_ns: i64,
) -> Value {
    let mut rng = Rng::new(
        seed ^ (c.strike * 1000.0) as u64
            ^ ((c.expiration.num_days_from_ce() as u64) << 20)
            ^ (c.call as u64) << 40,
    );
    let iv = smile_iv(base_vol, spot, c.strike, years);
    let q = black_scholes(c.call, spot, c.strike, years, iv);
    let mid = cents(q.price.max(0.01));
    let half = cents((mid * 0.02).clamp(0.01, 0.5) / 2.0).max(0.01);
    let (bid, ask) = (cents((mid - half).max(0.0)), cents(mid + half));
    let moneyness = (c.strike / spot - 1.0).abs();
    let oi = ((20_000.0 * (-moneyness * 12.0).exp() * (0.3 + rng.unit())) as i64).max(1);
    let volume = ((oi as f64 * 0.1 * rng.unit()) as i64).max(0);
    let prev = cents(mid * (1.0 + 0.1 * (rng.unit() - 0.5)));
    let missing_greeks = rng.next_u64().is_multiple_of(30);
    let mut v = json!({
        "break_even_price": if c.call { c.strike + mid } else { c.strike - mid },
        "day": {
            "change": cents(mid - prev), "change_percent": if prev > 0.0 { (mid / prev - 1.0) * 100.0 } else { 0.0 },
            "close": mid, "high": cents(mid.max(prev) * 1.03), "low": cents(mid.min(prev) * 0.97),
            "open": prev, "previous_close": prev, "volume": volume, "vwap": mid,
            "last_updated": updated_ns
        },
        "details": {
            "contract_type": if c.call { "call" } else { "put" },
            "exercise_style": "american",
            "expiration_date": c.expiration.to_string(),
            "shares_per_contract": 100,
            "strike_price": c.strike,
            "ticker": c.ticker(underlying)
        },
        "fmv": mid,
        "greeks": {"delta": q.delta, "gamma": q.gamma, "theta": q.theta, "vega": q.vega},
        "implied_volatility": iv,
        "last_quote": {"ask": ask, "ask_size": 10 + rng.next_u64() % 300, "bid": bid, "bid_size": 10 + rng.next_u64() % 300,
                        "last_updated": updated_ns, "midpoint": cents((bid + ask) / 2.0), "timeframe": "REAL-TIME"},
        "last_trade": {"price": mid, "sip_timestamp": updated_ns, "size": 1 + rng.next_u64() % 20, "conditions": [209], "exchange": 309, "timeframe": "REAL-TIME"},
        "open_interest": oi,
        "underlying_asset": {"change_to_break_even": if c.call { c.strike + mid - spot } else { c.strike - mid - spot },
                             "last_updated": updated_ns, "price": spot, "ticker": underlying, "timeframe": "REAL-TIME"}
    });
    if missing_greeks {
        v["greeks"] = json!({});
        if let Some(o) = v.as_object_mut() {
            o.remove("implied_volatility");
        }
    }
    v
}

pub fn reference_json(underlying: &str, c: &Contract) -> Value {
    json!({
        "cfi": if c.call { "OCASPS" } else { "OPASPS" },
        "contract_type": if c.call { "call" } else { "put" },
        "exercise_style": "american",
        "expiration_date": c.expiration.to_string(),
        "primary_exchange": "BATO",
        "shares_per_contract": 100,
        "strike_price": c.strike,
        "ticker": c.ticker(underlying),
        "underlying_ticker": underlying
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn occ_tickers_follow_the_osi_format() {
        let c = Contract {
            call: true,
            strike: 150.0,
            expiration: d(2023, 6, 16),
        };
        assert_eq!(
            c.ticker("AAPL"),
            "O:AAPL230616C00150000",
            "the fixture's own contract"
        );
        let p = Contract {
            call: false,
            strike: 552.5,
            expiration: d(2024, 7, 19),
        };
        assert_eq!(p.ticker("SPY"), "O:SPY240719P00552500");
    }

    #[test]
    fn expirations_are_fridays_or_the_thursday_before_a_holiday() {
        let exps = expirations(d(2024, 3, 20));
        assert_eq!(exps[0], d(2024, 3, 22));
        assert!(
            exps.contains(&d(2024, 3, 28)),
            "Good Friday 2024-03-29 moves to Thursday"
        );
        assert!(
            exps.contains(&d(2024, 4, 19)),
            "April's monthly is the third Friday"
        );
        assert!(exps.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn prices_respect_put_call_parity_and_greeks_have_their_signs() {
        let (s, k, t, v) = (100.0, 105.0, 0.5, 0.3);
        let c = black_scholes(true, s, k, t, v);
        let p = black_scholes(false, s, k, t, v);
        let parity = c.price - p.price - (s - k * (-RATE * t).exp());
        assert!(
            parity.abs() < 1e-6,
            "C - P = S - K e^(-rT) (off by {parity})"
        );
        assert!(c.delta > 0.0 && c.delta < 1.0 && p.delta < 0.0 && p.delta > -1.0);
        assert!(c.gamma > 0.0 && c.vega > 0.0 && c.theta < 0.0);
        assert!(
            (c.delta - p.delta - 1.0).abs() < 1e-7,
            "call delta minus put delta is one"
        );
    }

    #[test]
    fn the_smile_has_a_put_skew_and_a_richer_front() {
        let atm = smile_iv(0.2, 100.0, 100.0, 0.25);
        assert!(
            smile_iv(0.2, 100.0, 85.0, 0.25) > atm,
            "downside strikes carry more volatility"
        );
        assert!(
            smile_iv(0.2, 100.0, 100.0, 7.0 / 365.0) > smile_iv(0.2, 100.0, 100.0, 1.0),
            "the front is richer"
        );
    }
}
