//! `coach options`: `price` and `iv` line by line on stdin, `chain` from the
//! market, `analyze --positions FILE.json`.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use coach_core::analysis::{analyze as run, AnalysisInput, AnalysisLeg};
use coach_core::strategy::{Extreme, Leg, LegKind};
use coach_engine::chrono::{DateTime, NaiveDate, Utc};
use coach_engine::options_chain::{expiry_close, years_to_expiry, DEFAULT_RATE};
use coach_engine::{Engine, EngineOptions};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::parse_day;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionFile {
    spot: f64,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    rate: Option<f64>,
    #[serde(default)]
    dividend: Option<f64>,
    /// Implied volatility for option legs that give none.
    #[serde(default)]
    vol: Option<f64>,
    /// Valuation time (RFC 3339); default now.
    #[serde(default)]
    as_of: Option<String>,
    /// P&L curves at these dates' closing bells too.
    #[serde(default)]
    dates: Vec<NaiveDate>,
    legs: Vec<LegFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegFile {
    kind: LegKind,
    #[serde(default)]
    strike: Option<f64>,
    #[serde(default)]
    expiry: Option<NaiveDate>,
    quantity: f64,
    entry_price: f64,
    #[serde(default)]
    iv: Option<f64>,
    #[serde(default)]
    multiplier: Option<f64>,
}

fn extreme(e: &Extreme) -> Value {
    match e {
        Extreme::Finite { value, at } => json!({"value": value, "at_price": at}),
        Extreme::Unbounded => json!("unbounded"),
    }
}

pub fn analyze(file: &Path, as_json: bool) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
    let p: PositionFile =
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    let now: DateTime<Utc> = match &p.as_of {
        None => Utc::now(),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|_| anyhow!("as_of {t:?} is not an RFC 3339 time"))?
            .to_utc(),
    };
    let expiries: std::collections::BTreeSet<NaiveDate> = p
        .legs
        .iter()
        .filter(|l| l.kind != LegKind::Stock)
        .filter_map(|l| l.expiry)
        .collect();
    let mut legs = Vec::new();
    for (i, l) in p.legs.iter().enumerate() {
        let n = i + 1;
        if l.kind != LegKind::Stock && l.expiry.is_none() {
            bail!("leg {n}: an option needs its expiry (YYYY-MM-DD)");
        }
        legs.push(AnalysisLeg {
            leg: Leg {
                kind: l.kind,
                strike: match l.kind {
                    LegKind::Stock => 0.0,
                    _ => l
                        .strike
                        .ok_or_else(|| anyhow!("leg {n}: an option needs a strike"))?,
                },
                quantity: l.quantity,
                entry_price: l.entry_price,
                multiplier: l.multiplier.unwrap_or(if l.kind == LegKind::Stock {
                    1.0
                } else {
                    100.0
                }),
            },
            iv: l.iv.or(p.vol),
            // Filled in below, once the first expiration is known.
            years: None,
        });
    }
    // Calendars and diagonals: analysed at the first expiration, the later
    // legs valued with the time they have left.
    let expiry = expiries.iter().next().copied();
    if let Some(e) = expiry {
        if expiry_close(e).is_some_and(|c| c <= now) {
            bail!("the options expired on {e}, before the valuation time {now}");
        }
    }
    // Percentages written as numbers (19 for 19 %) are refused, not taken as 1,900 %.
    let fraction = |what: String, v: Option<f64>, max: f64| -> anyhow::Result<()> {
        match v {
            Some(x) if !(x.is_finite() && x >= 0.0 && x <= max) => bail!(
                "{what} {x} is out of range: write it as a fraction (0.19 for 19 %), at most {max}"
            ),
            _ => Ok(()),
        }
    };
    fraction("rate".into(), p.rate, 1.0)?;
    fraction("dividend".into(), p.dividend, 1.0)?;
    fraction("vol".into(), p.vol, 5.0)?;
    for (i, l) in p.legs.iter().enumerate() {
        fraction(format!("leg {}: iv", i + 1), l.iv, 5.0)?;
    }
    let years = expiry.map(|e| years_to_expiry(now, e)).unwrap_or(0.0);
    for (al, l) in legs.iter_mut().zip(&p.legs) {
        if let (Some(e), true) = (l.expiry, l.kind != LegKind::Stock) {
            if Some(e) != expiry {
                al.years = Some(years_to_expiry(now, e));
            }
        }
    }
    let input = AnalysisInput {
        spot: p.spot,
        years,
        rate: p.rate.unwrap_or(DEFAULT_RATE),
        dividend: p.dividend.unwrap_or(0.0),
        legs,
    };
    let a = run(&input, None)?;
    // A price grid of ±3 standard deviations (±30 % when there is no vol).
    let spread = a
        .pop_vol
        .map(|v| 3.0 * v * years.max(1.0 / 365.0).sqrt())
        .unwrap_or(0.3);
    let (lo, hi) = ((p.spot * (1.0 - spread)).max(0.0), p.spot * (1.0 + spread));
    let grid: Vec<f64> = (0..=40).map(|i| lo + (hi - lo) * i as f64 / 40.0).collect();
    let curve = |elapsed: f64| -> Vec<Value> {
        grid.iter()
            .map(|&s| json!({"price": s, "pnl": input.pnl(s, elapsed)}))
            .collect()
    };
    let mut at_dates = Vec::new();
    for d in &p.dates {
        // Time from now to that date's close; P&L is valued with the rest left.
        let close = expiry_close(*d).unwrap_or(now);
        let elapsed = (close - now).num_milliseconds() as f64 / (365.0 * 86_400_000.0);
        if !(0.0..=years).contains(&elapsed) {
            bail!("date {d} is not between the valuation time and the expiry");
        }
        at_dates.push(json!({"date": d, "points": curve(elapsed)}));
    }
    let g = |x: &coach_core::analysis::PositionGreeks| json!({"delta": x.delta, "gamma": x.gamma, "theta": x.theta, "vega": x.vega});
    let out = json!({
        "symbol": p.symbol,
        "spot": p.spot,
        "expiry": expiry,
        "later_expiries": expiries.iter().skip(1).collect::<Vec<_>>(),
        "years": years,
        "net_debit": a.profile.net_debit,
        "max_gain": extreme(&a.profile.max_gain),
        "max_loss": extreme(&a.profile.max_loss),
        "breakevens": a.profile.breakevens,
        "pnl_now": a.pnl_now,
        "greeks": g(&a.greeks),
        "legs": a.leg_greeks.iter().map(g).collect::<Vec<_>>(),
        "probability_of_profit": a.probability_of_profit,
        "pop_vol": a.pop_vol,
        "assumptions": if input.has_later_legs() {
            "at the first expiration: its legs at their payoff, later legs by BSM with each leg's IV and the time they have left; European exercise, continuous rate and dividend yield; probability of profit: lognormal price at the first expiration with drift rate − dividend and the legs' mean IV (weighted by |quantity|)"
        } else {
            "BSM with each leg's IV, European exercise, continuous rate and dividend yield; probability of profit: lognormal price at expiry with drift rate − dividend and the legs' mean IV (weighted by |quantity|)"
        },
        "pnl_at_expiry": curve(years),
        "pnl_at_dates": at_dates,
    });
    let mut stdout = std::io::stdout().lock();
    if as_json {
        writeln!(stdout, "{out}")?;
        return Ok(());
    }
    let money = |v: &Value| match v {
        Value::String(s) => s.clone(),
        v => format!(
            "{:.2} at {:.2}",
            v["value"].as_f64().unwrap_or(0.0),
            v["at_price"].as_f64().unwrap_or(0.0)
        ),
    };
    writeln!(
        stdout,
        "{} position, spot {:.2}{}",
        p.symbol.as_deref().unwrap_or("The"),
        p.spot,
        match (expiry, expiries.len() > 1) {
            (Some(e), true) => format!(
                ", analysed at the first expiration {e} (later legs: {})",
                expiries
                    .iter()
                    .skip(1)
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Some(e), false) => format!(", expiring {e}"),
            (None, _) => String::new(),
        }
    )?;
    writeln!(
        stdout,
        "net debit {:.2} · P&L now {:.2}",
        a.profile.net_debit, a.pnl_now
    )?;
    writeln!(
        stdout,
        "max gain {} · max loss {}",
        money(&out["max_gain"]),
        money(&out["max_loss"])
    )?;
    let be: Vec<String> = a
        .profile
        .breakevens
        .iter()
        .map(|b| format!("{b:.2}"))
        .collect();
    writeln!(
        stdout,
        "breakevens {}",
        if be.is_empty() {
            "none".into()
        } else {
            be.join(", ")
        }
    )?;
    writeln!(
        stdout,
        "Greeks: delta {:.2} · gamma {:.4} · theta {:.2}/day · vega {:.2}/vol pt",
        a.greeks.delta, a.greeks.gamma, a.greeks.theta, a.greeks.vega
    )?;
    if let (Some(pop), Some(v)) = (a.probability_of_profit, a.pop_vol) {
        writeln!(
            stdout,
            "probability of profit {:.1}% (lognormal, vol {:.1}%)",
            pop * 100.0,
            v * 100.0
        )?;
    }
    match (expiry, expiries.len() > 1) {
        (Some(e), true) => writeln!(stdout, "P&L at {e}:")?,
        _ => writeln!(stdout, "P&L at expiry:")?,
    }
    for pt in out["pnl_at_expiry"]
        .as_array()
        .into_iter()
        .flatten()
        .step_by(5)
    {
        writeln!(
            stdout,
            "  {:>10.2}  {:>12.2}",
            pt["price"].as_f64().unwrap_or(0.0),
            pt["pnl"].as_f64().unwrap_or(0.0)
        )?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct OptionLine {
    kind: coach_core::options::OptionKind,
    spot: f64,
    strike: f64,
    years: f64,
    rate: f64,
    dividend: f64,
    vol: Option<f64>,
    price: Option<f64>,
}

impl OptionLine {
    fn contract(&self) -> coach_core::options::Contract {
        coach_core::options::Contract {
            kind: self.kind,
            spot: self.spot,
            strike: self.strike,
            years: self.years,
            rate: self.rate,
            dividend: self.dividend,
        }
    }
}

/// The line-by-line option commands.
#[derive(Clone, Copy)]
pub enum LineKind {
    Price,
    Iv,
}

/// Answers one line of `coach options price|iv`; a bad line is an error
/// object, never the end of the run.
fn option_answer(command: &LineKind, line: &str) -> serde_json::Value {
    use coach_core::options::{bsm, implied_vol};
    let input: OptionLine = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            let e = format!("invalid input line: {e}");
            return match command {
                LineKind::Price => serde_json::json!({"error": e}),
                LineKind::Iv => serde_json::json!({"iv": null, "error": e}),
            };
        }
    };
    match command {
        LineKind::Price => match input.vol {
            None => serde_json::json!({"error": "missing field `vol`"}),
            Some(vol) => match bsm(&input.contract(), vol) {
                Ok(g) => {
                    serde_json::json!({"price": g.price, "delta": g.delta, "gamma": g.gamma, "theta": g.theta, "vega": g.vega, "rho": g.rho})
                }
                Err(e) => serde_json::json!({"error": e.to_string()}),
            },
        },
        LineKind::Iv => match input.price {
            None => serde_json::json!({"iv": null, "error": "missing field `price`"}),
            Some(price) => match implied_vol(&input.contract(), price) {
                Ok(iv) => serde_json::json!({"iv": iv}),
                Err(e) => serde_json::json!({"iv": null, "error": e.to_string()}),
            },
        },
    }
}

pub async fn chain(
    opts: EngineOptions,
    symbol: &str,
    expiration: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let exp = expiration
        .map(|d| parse_day(d, "--expiration"))
        .transpose()?;
    let engine = Engine::start(opts).await?;
    let c = engine.options().chain(symbol, exp).await?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&c)?)?;
        return Ok(());
    }
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{:.1}%", x * 100.0));
    let px = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.2}"));
    let dl = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:+.2}"));
    writeln!(
        out,
        "{} options expiring {} · spot {:.2} · {} contracts ({} with IV/Greeks computed here)",
        c.symbol, c.expiration, c.spot, c.contracts, c.computed
    )?;
    if let Some(m) = &c.expected_move {
        writeln!(
            out,
            "expected move ±{:.2} ({:.2}%) from the {} straddle: {:.2} – {:.2}",
            m.straddle,
            m.fraction * 100.0,
            m.strike,
            m.low,
            m.high
        )?;
    }
    writeln!(
        out,
        "{:>8} {:>8} {:>7} {:>6} │ {:>8} │ {:>8} {:>8} {:>7} {:>6}",
        "call bid", "ask", "IV", "Δ", "strike", "put bid", "ask", "IV", "Δ"
    )?;
    for r in &c.rows {
        let side = |q: &Option<coach_engine::options_chain::OptionQuote>| match q {
            Some(q) => (px(q.bid), px(q.ask), pct(q.iv), dl(q.delta)),
            None => ("".into(), "".into(), "".into(), "".into()),
        };
        let (cb, ca, civ, cd) = side(&r.call);
        let (pb, pa, piv, pd) = side(&r.put);
        let atm = if c.atm_strike == Some(r.strike) {
            "*"
        } else {
            " "
        };
        writeln!(
            out,
            "{cb:>8} {ca:>8} {civ:>7} {cd:>6} │ {:>7.2}{atm} │ {pb:>8} {pa:>8} {piv:>7} {pd:>6}",
            r.strike
        )?;
    }
    writeln!(out, "expirations: {}", c.expirations.join(" "))?;
    Ok(())
}

pub fn lines(command: LineKind) -> anyhow::Result<()> {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", option_answer(&command, &line))?;
    }
    out.flush()?;
    Ok(())
}
