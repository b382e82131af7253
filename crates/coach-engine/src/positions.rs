//! Saved option positions (SQLite) and their analysis against the market:
//! the spot and each leg's implied volatility come from the options chain of
//! the position's expiration, then `coach_core::analysis` gives max gain and
//! loss, breakevens, Greeks, probability of profit and P&L curves — with
//! what-ifs for the underlying price, the date and the IV. Portfolio Greeks add
//! the positions up, with delta also beta-weighted to SPY.

use chrono::NaiveDate;
use coach_core::analysis::{analyze, AnalysisInput, AnalysisLeg, PositionGreeks};
use coach_core::strategy::{Extreme, Leg, LegKind};
use coach_core::Symbol;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use std::sync::Arc;

use crate::clock::Clock;
use crate::error_code::{Coded, ErrorCode};
use crate::market::history::ChartQuery;
use crate::market::Market;
use crate::options_chain::{expiry_close, years_to_expiry, ChainError, OptionsDesk, DEFAULT_RATE};
use crate::store::{PositionTables, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PositionLeg {
    pub kind: LegKind,
    pub strike: Option<f64>,
    /// YYYY-MM-DD (options).
    pub expiry: Option<String>,
    /// Signed: + bought, − sold (contracts, or shares for stock).
    pub quantity: f64,
    /// Per share.
    pub entry_price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PositionInput {
    pub name: String,
    pub symbol: String,
    pub legs: Vec<PositionLeg>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SavedPosition {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub symbol: String,
    pub legs: Vec<PositionLeg>,
    #[ts(type = "number")]
    pub created_ms: i64,
}

/// What-if controls; empty = the market now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct WhatIf {
    /// Underlying price instead of the market's.
    pub spot: Option<f64>,
    /// Value the position this many calendar days from now.
    pub days_forward: Option<f64>,
    /// Add to every leg's IV (0.05 = +5 vol points).
    pub iv_shift: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CurvePoint {
    pub price: f64,
    pub pnl: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GreeksView {
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
}

impl From<PositionGreeks> for GreeksView {
    fn from(g: PositionGreeks) -> GreeksView {
        GreeksView {
            delta: g.delta,
            gamma: g.gamma,
            theta: g.theta,
            vega: g.vega,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PositionAnalysis {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub symbol: String,
    pub expiry: Option<String>,
    /// The market's spot (before what-ifs).
    pub market_spot: f64,
    /// The spot the numbers use.
    pub spot: f64,
    pub days_to_expiry: f64,
    pub net_debit: f64,
    /// `None` = unbounded.
    pub max_gain: Option<f64>,
    pub max_loss: Option<f64>,
    pub breakevens: Vec<f64>,
    pub pnl_now: f64,
    pub greeks: GreeksView,
    pub probability_of_profit: Option<f64>,
    pub leg_ivs: Vec<Option<f64>>,
    /// P&L at expiry and at the what-if date, over ±3 standard deviations.
    pub at_expiry: Vec<CurvePoint>,
    pub at_date: Vec<CurvePoint>,
    pub assumptions: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PortfolioGreeks {
    pub positions: u32,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
    /// Σ delta × beta × spot / SPY's spot: the portfolio's delta in SPY shares.
    pub spy_beta_weighted_delta: f64,
    /// SPY's price used for the weighting.
    pub spy_spot: Option<f64>,
    /// Per symbol: its beta to SPY (60 daily returns) and its delta.
    pub by_symbol: Vec<SymbolExposure>,
    /// Positions that could not be valued, with why.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SymbolExposure {
    pub symbol: String,
    pub delta: f64,
    pub beta: f64,
    pub spot: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum PositionError {
    #[error("{0}")]
    Invalid(String),
    #[error("there is no position {0}")]
    NotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("{0}")]
    Analysis(String),
}

impl Coded for PositionError {
    fn code(&self) -> ErrorCode {
        match self {
            PositionError::Invalid(_) | PositionError::Analysis(_) => ErrorCode::InvalidInput,
            PositionError::NotFound(_) => ErrorCode::NotFound,
            PositionError::Store(_) => ErrorCode::Database,
            PositionError::Chain(c) => c.code(),
        }
    }
}

/// `call`, `put` or `stock` as a leg kind.
pub fn leg_kind(s: &str) -> Option<LegKind> {
    match s {
        "call" => Some(LegKind::Call),
        "put" => Some(LegKind::Put),
        "stock" => Some(LegKind::Stock),
        _ => None,
    }
}

/// A leg kind as stored and shown.
fn kind_name(k: LegKind) -> &'static str {
    match k {
        LegKind::Call => "call",
        LegKind::Put => "put",
        LegKind::Stock => "stock",
    }
}

/// Checks a position; every problem is named by its leg. Returns the
/// symbol and the option legs' expirations, earliest first (two or more
/// make a calendar or diagonal, analysed at the first).
pub fn validate(p: &PositionInput) -> Result<(Symbol, Vec<NaiveDate>), PositionError> {
    let bad = |m: String| Err(PositionError::Invalid(m));
    let sym = Symbol::parse(&p.symbol).map_err(|e| PositionError::Invalid(e.to_string()))?;
    if p.name.trim().is_empty() || p.name.chars().count() > 80 {
        return bad("a position needs a name of 1 to 80 characters".into());
    }
    if p.legs.is_empty() || p.legs.len() > 8 {
        return bad("a position needs 1 to 8 legs".into());
    }
    let mut expiries = Vec::new();
    for (i, l) in p.legs.iter().enumerate() {
        let n = i + 1;
        let kind = l.kind;
        if !(l.quantity.is_finite() && l.quantity != 0.0) {
            return bad(format!(
                "leg {n}: the quantity must be a non-zero number (negative to sell)"
            ));
        }
        if !(l.entry_price.is_finite() && l.entry_price >= 0.0) {
            return bad(format!("leg {n}: the entry price must be zero or more"));
        }
        if kind == LegKind::Stock {
            continue;
        }
        if !l.strike.is_some_and(|k| k.is_finite() && k > 0.0) {
            return bad(format!("leg {n}: an option needs a strike above zero"));
        }
        let Some(e) = l.expiry.as_deref() else {
            return bad(format!("leg {n}: an option needs an expiry"));
        };
        let Ok(d) = NaiveDate::parse_from_str(e, "%Y-%m-%d") else {
            return bad(format!(
                "leg {n}: the expiry {e:?} is not a date (YYYY-MM-DD)"
            ));
        };
        expiries.push(d);
    }
    expiries.sort();
    expiries.dedup();
    Ok((sym, expiries))
}

/// Inserts a (validated) position inside `tx`; returns its id. Used by
/// [`PositionTables::save_position`] and by writes that save positions
/// together with something else (a confirmed screenshot and its messages).
pub(crate) fn insert_position(
    tx: &rusqlite::Transaction<'_>,
    p: &PositionInput,
    now_ms: i64,
) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO positions (name, symbol, created_ms) VALUES (?1, ?2, ?3)",
        params![p.name.trim(), p.symbol.trim().to_ascii_uppercase(), now_ms],
    )?;
    let id = tx.last_insert_rowid();
    for (i, l) in p.legs.iter().enumerate() {
        let stock = l.kind == LegKind::Stock;
        tx.execute(
            "INSERT INTO position_legs (position_id, seq, kind, strike, expiry, quantity, entry_price, multiplier)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                i as i64,
                kind_name(l.kind),
                if stock { None } else { l.strike },
                if stock { None } else { l.expiry.clone() },
                l.quantity,
                l.entry_price,
                if stock { 1.0 } else { 100.0 }
            ],
        )?;
    }
    Ok(id)
}

impl PositionTables {
    pub fn save_position(&self, p: &PositionInput, now_ms: i64) -> Result<i64, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let id = insert_position(&tx, p, now_ms)?;
        tx.commit()?;
        Ok(id)
    }

    pub fn positions(&self) -> Result<Vec<SavedPosition>, StoreError> {
        let conn = self.read();
        let mut stmt =
            conn.prepare_cached("SELECT id, name, symbol, created_ms FROM positions ORDER BY id")?;
        let mut out: Vec<SavedPosition> = stmt
            .query_map([], |r| {
                Ok(SavedPosition {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    symbol: r.get(2)?,
                    legs: vec![],
                    created_ms: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut legs = conn.prepare_cached(
            "SELECT kind, strike, expiry, quantity, entry_price FROM position_legs WHERE position_id = ?1 ORDER BY seq",
        )?;
        for p in &mut out {
            p.legs = legs
                .query_map([p.id], |r| {
                    let kind: String = r.get(0)?;
                    Ok(PositionLeg {
                        kind: leg_kind(&kind).ok_or_else(|| {
                            rusqlite::Error::InvalidColumnType(
                                0,
                                format!("kind {kind:?}"),
                                rusqlite::types::Type::Text,
                            )
                        })?,
                        strike: r.get(1)?,
                        expiry: r.get(2)?,
                        quantity: r.get(3)?,
                        entry_price: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
        }
        Ok(out)
    }

    pub fn delete_position(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .write()
            .execute("DELETE FROM positions WHERE id = ?1", [id])?
            == 1)
    }
}

/// Beta of `returns` to `market` (same length): cov / var.
pub fn beta(returns: &[f64], market: &[f64]) -> Option<f64> {
    let n = returns.len().min(market.len());
    if n < 10 {
        return None;
    }
    let (r, m) = (&returns[returns.len() - n..], &market[market.len() - n..]);
    let mr = r.iter().sum::<f64>() / n as f64;
    let mm = m.iter().sum::<f64>() / n as f64;
    let cov: f64 = r.iter().zip(m).map(|(a, b)| (a - mr) * (b - mm)).sum();
    let var: f64 = m.iter().map(|b| (b - mm) * (b - mm)).sum();
    (var > 0.0).then(|| cov / var)
}

/// The positions component: saved positions, and their analysis against the
/// market (spot and IVs from the options desk).
pub struct Positions {
    db: PositionTables,
    desk: Arc<OptionsDesk>,
    market: Arc<Market>,
}

impl Positions {
    pub fn new(db: PositionTables, desk: Arc<OptionsDesk>, market: Arc<Market>) -> Positions {
        Positions { db, desk, market }
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.market.clock()
    }

    pub async fn save(&self, p: PositionInput) -> Result<i64, PositionError> {
        validate(&p)?;
        let now = chrono::Utc::now().timestamp_millis();
        Ok(self.db.call(move |db| db.save_position(&p, now)).await?)
    }

    pub async fn list(&self) -> Result<Vec<SavedPosition>, PositionError> {
        Ok(self.db.call(|db| db.positions()).await?)
    }

    pub async fn delete(&self, id: i64) -> Result<(), PositionError> {
        if !self.db.call(move |db| db.delete_position(id)).await? {
            return Err(PositionError::NotFound(id));
        }
        Ok(())
    }

    /// A saved position against the market (spot and IVs from its chain), with what-ifs.
    pub async fn analyze(&self, id: i64, w: &WhatIf) -> Result<PositionAnalysis, PositionError> {
        let p = self
            .list()
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(PositionError::NotFound(id))?;
        let input = PositionInput {
            name: p.name.clone(),
            symbol: p.symbol.clone(),
            legs: p.legs.clone(),
        };
        self.analyze_legs(p.id, &input, w).await
    }

    /// Any position (saved or not, `id` 0 for one that is not) against the
    /// market: spot and IVs from the chains of its expirations, with what-ifs.
    pub async fn analyze_legs(
        &self,
        id: i64,
        p: &PositionInput,
        w: &WhatIf,
    ) -> Result<PositionAnalysis, PositionError> {
        let input = p;
        let (sym, expiries) = validate(input)?;
        let expiry = expiries.first().copied();
        let now = self.clock().now();
        let leg_expiry = |l: &PositionLeg| {
            l.expiry
                .as_deref()
                .and_then(|e| NaiveDate::parse_from_str(e, "%Y-%m-%d").ok())
        };
        let (market_spot, ivs): (f64, Vec<Option<f64>>) = match expiry {
            Some(e) => {
                if expiry_close(e).is_some_and(|c| c <= now) {
                    return Err(PositionError::Analysis(format!(
                        "the options expired on {e}"
                    )));
                }
                // One chain per expiration (a calendar has two); the spot
                // from the first.
                let mut chains = Vec::with_capacity(expiries.len());
                for d in &expiries {
                    chains.push((*d, self.desk.chain(sym.as_str(), Some(*d)).await?));
                }
                let ivs = p
                    .legs
                    .iter()
                    .map(|l| {
                        let d = leg_expiry(l)?;
                        let chain = &chains.iter().find(|(e, _)| *e == d)?.1;
                        let row = chain.rows.iter().find(|r| Some(r.strike) == l.strike)?;
                        let q = match l.kind {
                            LegKind::Call => row.call.as_ref(),
                            LegKind::Put => row.put.as_ref(),
                            LegKind::Stock => None,
                        }?;
                        q.iv
                    })
                    .collect();
                (chains[0].1.spot, ivs)
            }
            None => (self.desk.last_price(&sym).await?, vec![None; p.legs.len()]),
        };
        for (i, (l, iv)) in p.legs.iter().zip(&ivs).enumerate() {
            if l.kind != LegKind::Stock && iv.is_none() {
                return Err(PositionError::Analysis(format!(
                    "leg {}: {} {} {} {} is not in the chain (or has no IV)",
                    i + 1,
                    sym,
                    l.expiry.as_deref().unwrap_or_default(),
                    l.strike.unwrap_or_default(),
                    kind_name(l.kind)
                )));
            }
        }
        let shift = w.iv_shift.unwrap_or(0.0);
        let spot = w
            .spot
            .filter(|s| *s > 0.0 && s.is_finite())
            .unwrap_or(market_spot);
        let years = expiry.map(|e| years_to_expiry(now, e)).unwrap_or(0.0);
        let legs: Vec<AnalysisLeg> = p
            .legs
            .iter()
            .zip(&ivs)
            .map(|(l, iv)| AnalysisLeg {
                leg: Leg {
                    kind: l.kind,
                    strike: l.strike.unwrap_or(0.0),
                    quantity: l.quantity,
                    entry_price: l.entry_price,
                    multiplier: if l.kind == LegKind::Stock { 1.0 } else { 100.0 },
                },
                iv: iv.map(|v| (v + shift).max(0.001)),
                years: leg_expiry(l)
                    .filter(|d| Some(*d) != expiry && l.kind != LegKind::Stock)
                    .map(|d| years_to_expiry(now, d)),
            })
            .collect();
        let model = AnalysisInput {
            spot,
            years,
            rate: DEFAULT_RATE,
            dividend: 0.0,
            legs,
        };
        let a = analyze(&model, None).map_err(|e| PositionError::Analysis(e.to_string()))?;
        let forward = (w.days_forward.unwrap_or(0.0).max(0.0) / 365.0).min(years);
        // What-if date: the position `forward` years on, at the chosen spot.
        let dated = model.advanced(forward);
        let spread = a
            .pop_vol
            .map(|v| 3.0 * v * years.max(1.0 / 365.0).sqrt())
            .unwrap_or(0.3);
        let (lo, hi) = ((spot * (1.0 - spread)).max(0.0), spot * (1.0 + spread));
        let grid: Vec<f64> = (0..=60).map(|i| lo + (hi - lo) * i as f64 / 60.0).collect();
        let finite = |e: &Extreme| match e {
            Extreme::Finite { value, .. } => Some(*value),
            Extreme::Unbounded => None,
        };
        Ok(PositionAnalysis {
            id,
            name: p.name.clone(),
            symbol: p.symbol.clone(),
            expiry: expiry.map(|e| e.to_string()),
            market_spot,
            spot,
            days_to_expiry: years * 365.0,
            net_debit: a.profile.net_debit,
            max_gain: finite(&a.profile.max_gain),
            max_loss: finite(&a.profile.max_loss),
            breakevens: a.profile.breakevens.clone(),
            pnl_now: dated.pnl(spot, 0.0),
            greeks: if forward > 0.0 { dated.greeks().into() } else { a.greeks.into() },
            probability_of_profit: a.probability_of_profit,
            leg_ivs: ivs,
            at_expiry: grid.iter().map(|&s| CurvePoint { price: s, pnl: model.pnl(s, years) }).collect(),
            at_date: grid.iter().map(|&s| CurvePoint { price: s, pnl: dated.pnl(s, 0.0) }).collect(),
            assumptions: format!(
                "{}IVs from the {} chain{}{}; BSM, European, rate 4.5 %, no dividend; probability of profit lognormal with the legs' mean IV",
                if model.has_later_legs() {
                    "At the first expiration, later legs valued by BSM with the time they have left. "
                } else {
                    ""
                },
                expiries.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" and "),
                if expiries.len() > 1 { "s" } else { "" },
                if shift != 0.0 { format!(" shifted {:+.1} vol points", shift * 100.0) } else { String::new() }
            ),
        })
    }

    /// Net Greeks across saved positions, and delta beta-weighted to SPY.
    pub async fn portfolio_greeks(&self) -> Result<PortfolioGreeks, PositionError> {
        let mut total = PortfolioGreeks {
            positions: 0,
            delta: 0.0,
            gamma: 0.0,
            theta: 0.0,
            vega: 0.0,
            spy_beta_weighted_delta: 0.0,
            spy_spot: None,
            by_symbol: vec![],
            skipped: vec![],
        };
        let mut by: std::collections::BTreeMap<String, (f64, f64)> = Default::default();
        for p in self.list().await? {
            match self.analyze(p.id, &WhatIf::default()).await {
                Ok(a) => {
                    total.positions += 1;
                    total.delta += a.greeks.delta;
                    total.gamma += a.greeks.gamma;
                    total.theta += a.greeks.theta;
                    total.vega += a.greeks.vega;
                    let e = by.entry(a.symbol.clone()).or_insert((0.0, a.market_spot));
                    e.0 += a.greeks.delta;
                }
                Err(e) => total
                    .skipped
                    .push(format!("{} ({}): {e}", p.name, p.symbol)),
            }
        }
        let returns = |bars: &[coach_core::candles::Candle]| -> Vec<f64> {
            bars.windows(2)
                .map(|w| (w[1].close / w[0].close).ln())
                .collect()
        };
        let daily = |s: String| ChartQuery {
            symbol: s,
            timeframe: "1d".into(),
            from_ms: None,
            to_ms: None,
        };
        let spy = self.market.history().load(&daily("SPY".into())).await.ok();
        let spy_bars = spy.map(|d| d.bars).unwrap_or_default();
        // SPY's price now: from a SPY position's chain, else its snapshot, else the last close.
        let spy_spot = match by.get("SPY") {
            Some((_, spot)) => Some(*spot),
            None => match Symbol::parse("SPY") {
                Ok(spy) => self.desk.last_price(&spy).await.ok(),
                Err(_) => None,
            }
            .or(spy_bars.last().map(|b| b.close)),
        };
        total.spy_spot = spy_spot;
        let spy_ret = returns(&spy_bars);
        for (symbol, (delta, spot)) in by {
            let beta = if symbol == "SPY" {
                1.0
            } else {
                let bars = self
                    .market
                    .history()
                    .load(&daily(symbol.clone()))
                    .await
                    .map(|d| d.bars)
                    .unwrap_or_default();
                let r = returns(&bars);
                let n = r.len().min(spy_ret.len()).min(60);
                beta(&r[r.len() - n..], &spy_ret[spy_ret.len() - n..]).unwrap_or(1.0)
            };
            if let Some(sp) = spy_spot {
                total.spy_beta_weighted_delta += delta * beta * spot / sp;
            }
            total.by_symbol.push(SymbolExposure {
                symbol,
                delta,
                beta,
                spot,
            });
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(kind: &str, strike: f64, q: f64, px: f64) -> PositionLeg {
        PositionLeg {
            kind: leg_kind(kind).unwrap(),
            strike: Some(strike),
            expiry: Some("2024-07-19".into()),
            quantity: q,
            entry_price: px,
        }
    }

    #[test]
    fn bad_positions_are_refused_by_leg() {
        let ok = PositionInput {
            name: "condor".into(),
            symbol: "spy".into(),
            legs: vec![leg("put", 570.0, 1.0, 1.0), leg("put", 575.0, -1.0, 2.0)],
        };
        assert!(validate(&ok).is_ok());
        let bad_kind = serde_json::from_value::<PositionLeg>(serde_json::json!(
            {"kind": "cal", "strike": 575.0, "expiry": "2024-07-19", "quantity": 1.0, "entry_price": 2.0}
        ))
        .unwrap_err()
        .to_string();
        assert!(
            bad_kind.contains("call") && bad_kind.contains("put") && bad_kind.contains("stock"),
            "a kind that is not a leg kind is refused at the boundary, naming the kinds: {bad_kind}"
        );
        let mut p = ok.clone();
        p.legs[0].quantity = 0.0;
        assert!(validate(&p)
            .unwrap_err()
            .to_string()
            .contains("leg 1: the quantity"));
        let mut p = ok.clone();
        p.legs[1].expiry = Some("2024-08-16".into());
        let (_, expiries) = validate(&p).unwrap();
        assert_eq!(
            expiries.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            ["2024-07-19", "2024-08-16"],
            "a calendar: both expirations, the first first"
        );
        p.legs[1].expiry = Some("2024-08-32".into());
        assert!(validate(&p)
            .unwrap_err()
            .to_string()
            .contains("leg 2: the expiry \"2024-08-32\" is not a date"));
        let mut p = ok;
        p.name = " ".into();
        assert!(validate(&p).is_err());
    }

    #[test]
    fn beta_of_a_scaled_series_is_the_scale() {
        let m: Vec<f64> = (0..60)
            .map(|i| ((i * 37 % 11) as f64 - 5.0) / 100.0)
            .collect();
        let r: Vec<f64> = m.iter().map(|x| 1.5 * x + 0.0001).collect();
        assert!((beta(&r, &m).unwrap() - 1.5).abs() < 1e-12);
        assert_eq!(beta(&r[..5], &m[..5]), None, "too few returns");
    }

    #[test]
    fn positions_round_trip_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let db =
            Arc::new(crate::store::Db::open(&dir.path().join("coach.db")).unwrap()).positions();
        let p = PositionInput {
            name: "covered call".into(),
            symbol: "aapl".into(),
            legs: vec![
                PositionLeg {
                    kind: LegKind::Stock,
                    strike: None,
                    expiry: None,
                    quantity: 100.0,
                    entry_price: 190.0,
                },
                leg("call", 200.0, -1.0, 2.5),
            ],
        };
        let id = db.save_position(&p, 1).unwrap();
        let all = db.positions().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].symbol, "AAPL");
        assert_eq!(all[0].legs, p.legs);
        assert!(db.delete_position(id).unwrap());
        assert!(db.positions().unwrap().is_empty());
    }
}
