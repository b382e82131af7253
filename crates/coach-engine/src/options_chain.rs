//! Options chains from the provider (Massive's option-chain snapshot, or the
//! demo market speaking it): expirations, one expiration's calls and puts by
//! strike with bid/ask/mid/last/volume/open interest, implied volatility and
//! Greeks — computed here with the core's BSM and IV solver when the provider
//! sends none (`greeks: {}` happens) — moneyness, and the expected move from
//! the at-the-money straddle.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use coach_core::options::{bsm_greeks, implied_vol, Contract, OptionKind};
use coach_core::{calendar, Symbol};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clock::Clock;
use crate::error_code::{Coded, ErrorCode};
use crate::market::rest::{ContractSnapshot, MassiveRest, RestError};
use crate::market::Market;

/// The risk-free rate used where the provider gives no IV or Greeks (a
/// continuously compounded annual rate; the dividend yield is taken as 0).
pub const DEFAULT_RATE: f64 = 0.045;
/// Pages of 250 contracts followed at most for one expiration.
const MAX_PAGES: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Symbol(#[from] coach_core::SymbolError),
    #[error(transparent)]
    Provider(#[from] RestError),
    #[error("{symbol} has no listed options")]
    NoOptions { symbol: String },
    #[error("{symbol} has no expiration on {date}; the nearest are {nearest}")]
    NoSuchExpiration {
        symbol: String,
        date: NaiveDate,
        nearest: String,
    },
    #[error("the provider sent no price for {symbol}")]
    NoSpot { symbol: String },
    #[error("{symbol}'s {date} options have expired")]
    Expired { symbol: String, date: NaiveDate },
}

impl Coded for ChainError {
    fn code(&self) -> ErrorCode {
        match self {
            ChainError::Symbol(_)
            | ChainError::NoSuchExpiration { .. }
            | ChainError::Expired { .. } => ErrorCode::InvalidInput,
            ChainError::NoOptions { .. } => ErrorCode::NotFound,
            ChainError::Provider(RestError::NotFound(_)) => ErrorCode::NotFound,
            ChainError::Provider(_) | ChainError::NoSpot { .. } => ErrorCode::Unavailable,
        }
    }
}

/// At-the-money implied volatility of one expiration (the term structure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TermPoint {
    pub expiration: String,
    #[ts(type = "number")]
    pub days: i64,
    pub atm_strike: Option<f64>,
    /// The mean of the ATM call's and put's IV.
    pub atm_iv: Option<f64>,
}

/// One contract's market and model numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OptionQuote {
    /// OCC ticker, e.g. `O:SPY240705C00550000`.
    pub ticker: String,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    /// (bid + ask) / 2 when both are quoted.
    pub mid: Option<f64>,
    pub last: Option<f64>,
    pub volume: Option<f64>,
    pub open_interest: Option<f64>,
    /// Annualised, 0.25 = 25 %.
    pub iv: Option<f64>,
    pub delta: Option<f64>,
    pub gamma: Option<f64>,
    /// Per calendar day.
    pub theta: Option<f64>,
    /// Per volatility point.
    pub vega: Option<f64>,
    /// IV and Greeks were computed here because the provider sent none.
    pub computed: bool,
    /// The price they were computed from: `mid` (bid/ask) or `last` (the last trade).
    pub price_source: Option<String>,
    pub in_the_money: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChainRow {
    pub strike: f64,
    pub call: Option<OptionQuote>,
    pub put: Option<OptionQuote>,
}

/// The move to expiration the market prices, from the at-the-money straddle
/// (about 0.8 standard deviations of the price at expiry under a normal model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExpectedMove {
    pub strike: f64,
    /// Call mid + put mid at `strike`.
    pub straddle: f64,
    /// `straddle / spot`, as a fraction.
    pub fraction: f64,
    pub low: f64,
    pub high: f64,
}

/// A chain repriced at a new spot from the socket: every quote's delta and
/// moneyness again at the same IVs (bid/ask/last stay the snapshot's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OptionsTick {
    pub symbol: String,
    pub expiration: String,
    pub spot: f64,
    /// The strike nearest the new spot.
    pub atm_strike: Option<f64>,
    /// Per row, in the chain's order: the call's and the put's delta.
    pub deltas: Vec<[Option<f64>; 2]>,
    /// The socket event's time (unix ms).
    #[ts(type = "number")]
    pub event_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OptionsChain {
    pub symbol: String,
    /// YYYY-MM-DD.
    pub expiration: String,
    /// Every listed expiration, nearest first.
    pub expirations: Vec<String>,
    pub spot: f64,
    #[ts(type = "number")]
    pub as_of_ms: i64,
    /// Years to the expiration's closing bell.
    pub years: f64,
    pub rate: f64,
    /// The strike nearest the spot.
    pub atm_strike: Option<f64>,
    pub expected_move: Option<ExpectedMove>,
    /// Ascending by strike.
    pub rows: Vec<ChainRow>,
    /// How many contracts had IV/Greeks computed here.
    pub computed: u32,
    pub contracts: u32,
    /// Adjusted contracts (not 100 shares) left out.
    pub adjusted_skipped: u32,
}

/// The closing bell of `expiration` (16:00 New York, or the early close);
/// for a date that is not a session, 16:00 New York that day.
pub fn expiry_close(expiration: NaiveDate) -> Option<DateTime<Utc>> {
    calendar::session(expiration)
        .ok()
        .flatten()
        .map(|s| s.close)
        .or_else(|| {
            calendar::midnight_ny(expiration + chrono::Duration::days(1))
                .checked_sub(8 * 3_600_000)
                .and_then(DateTime::<Utc>::from_timestamp_millis)
        })
}

/// Expirations by symbol, fetched once a day (listing them pages through every contract).
#[derive(Default)]
pub struct ExpirationsCache {
    by_symbol: std::sync::Mutex<std::collections::HashMap<String, (NaiveDate, Vec<NaiveDate>)>>,
}

impl ExpirationsCache {
    fn get(&self, sym: &Symbol, today: NaiveDate) -> Option<Vec<NaiveDate>> {
        let m = self.by_symbol.lock().unwrap_or_else(|p| p.into_inner());
        m.get(sym.as_str())
            .filter(|(d, _)| *d == today)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, sym: &Symbol, today: NaiveDate, dates: Vec<NaiveDate>) {
        self.by_symbol
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sym.to_string(), (today, dates));
    }
}

/// Years from `now` to the closing bell of `expiration` (at least a minute;
/// expired expirations are refused before this is used).
pub fn years_to_expiry(now: DateTime<Utc>, expiration: NaiveDate) -> f64 {
    let close = expiry_close(expiration).unwrap_or(now);
    ((close - now).num_milliseconds() as f64 / (365.0 * 86_400_000.0)).max(1.0 / (365.0 * 1440.0))
}

/// Fills IV and Greeks from the market price when the provider sent none.
/// Returns whether it computed them.
pub fn complete_quote(
    q: &mut OptionQuote,
    kind: OptionKind,
    spot: f64,
    strike: f64,
    years: f64,
    rate: f64,
) -> bool {
    let has_greeks =
        q.delta.is_some() && q.gamma.is_some() && q.theta.is_some() && q.vega.is_some();
    if q.iv.is_some() && has_greeks {
        return false;
    }
    let (price, source) = match (q.mid.filter(|m| *m > 0.0), q.last.filter(|l| *l > 0.0)) {
        (Some(m), _) => (m, "mid"),
        (None, Some(l)) => (l, "last"),
        _ => return false,
    };
    let c = Contract {
        kind,
        spot,
        strike,
        years,
        rate,
        dividend: 0.0,
    };
    let iv = match q.iv {
        Some(iv) => iv,
        None => match implied_vol(&c, price) {
            Ok(iv) => iv,
            Err(_) => return false,
        },
    };
    let Ok(g) = bsm_greeks(&c, iv) else {
        return false;
    };
    q.iv = Some(iv);
    q.delta = Some(g.delta);
    q.gamma = Some(g.gamma);
    q.theta = Some(g.theta);
    q.vega = Some(g.vega);
    q.computed = true;
    q.price_source = Some(source.to_string());
    true
}

/// Greeks of every quote again at a new spot (same IVs): what a chain needs
/// when the underlying moves.
pub fn reprice(chain: &mut OptionsChain, spot: f64) {
    chain.spot = spot;
    for row in &mut chain.rows {
        for (q, kind) in [
            (&mut row.call, OptionKind::Call),
            (&mut row.put, OptionKind::Put),
        ] {
            let Some(q) = q.as_mut() else { continue };
            q.in_the_money = match kind {
                OptionKind::Call => row.strike < spot,
                OptionKind::Put => row.strike > spot,
            };
            let Some(iv) = q.iv else { continue };
            let c = Contract {
                kind,
                spot,
                strike: row.strike,
                years: chain.years,
                rate: chain.rate,
                dividend: 0.0,
            };
            if let Ok(g) = bsm_greeks(&c, iv) {
                q.delta = Some(g.delta);
                q.gamma = Some(g.gamma);
                q.theta = Some(g.theta);
                q.vega = Some(g.vega);
            }
        }
    }
    finish(chain);
}

/// The tick a repriced chain sends.
pub fn tick_of(chain: &OptionsChain, event_ms: i64) -> OptionsTick {
    OptionsTick {
        symbol: chain.symbol.clone(),
        expiration: chain.expiration.clone(),
        spot: chain.spot,
        atm_strike: chain.atm_strike,
        deltas: chain
            .rows
            .iter()
            .map(|r| {
                [
                    r.call.as_ref().and_then(|q| q.delta),
                    r.put.as_ref().and_then(|q| q.delta),
                ]
            })
            .collect(),
        event_ms,
    }
}

/// The generation of the chain the Options tab follows live: the newest
/// claim wins. Dropped with the engine, it ends whatever follow still runs
/// (the follow's task holds only the counter and its subscription).
#[derive(Debug, Default)]
pub struct FollowGeneration(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl FollowGeneration {
    fn bump(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn counter(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        self.0.clone()
    }
}

impl Drop for FollowGeneration {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// At most this often a followed chain is repriced and sent (the newest
/// price wins in between).
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// ATM strike and expected move.
fn finish(chain: &mut OptionsChain) {
    let spot = chain.spot;
    chain.atm_strike = chain
        .rows
        .iter()
        .map(|r| r.strike)
        .min_by(|a, b| (a - spot).abs().total_cmp(&(b - spot).abs()));
    // The straddle at the nearest strike that has both mids — only when that
    // strike is within one strike step of the spot (further out, the straddle
    // carries intrinsic value and overstates the move).
    let step = chain
        .rows
        .windows(2)
        .map(|w| w[1].strike - w[0].strike)
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    chain.expected_move = chain
        .rows
        .iter()
        .filter_map(|r| {
            let c = r.call.as_ref()?.mid?;
            let p = r.put.as_ref()?.mid?;
            Some((r.strike, c + p))
        })
        .min_by(|a, b| (a.0 - spot).abs().total_cmp(&(b.0 - spot).abs()))
        .filter(|(strike, _)| (strike - spot).abs() <= step)
        .map(|(strike, straddle)| ExpectedMove {
            strike,
            straddle,
            fraction: straddle / spot,
            low: spot - straddle,
            high: spot + straddle,
        });
}

/// Builds the chain from the provider's snapshot contracts for one expiration.
pub fn build_chain(
    symbol: &str,
    expiration: NaiveDate,
    expirations: Vec<String>,
    results: &[ContractSnapshot],
    now: DateTime<Utc>,
    rate: f64,
) -> Result<OptionsChain, ChainError> {
    let spot = results
        .iter()
        .find_map(|r| r.underlying_price)
        .ok_or_else(|| ChainError::NoSpot {
            symbol: symbol.to_string(),
        })?;
    let years = years_to_expiry(now, expiration);
    let mut by_strike: BTreeMap<i64, ChainRow> = BTreeMap::new();
    let mut computed = 0;
    let mut contracts = 0;
    let mut adjusted = 0;
    for r in results {
        let (Some(strike), Some(kind)) = (r.strike, r.kind) else {
            continue;
        };
        if r.expiration != Some(expiration) {
            continue;
        }
        // Adjusted contracts (after a split or special dividend) deliver something
        // other than 100 shares: they are not this chain's contracts.
        if r.shares_per_contract.is_some_and(|n| n != 100.0) {
            adjusted += 1;
            continue;
        }
        let (bid, ask) = (r.bid, r.ask);
        let mid = match (bid, ask) {
            (Some(b), Some(a)) if a >= b && a > 0.0 => Some((a + b) / 2.0),
            _ => r.midpoint,
        };
        let mut q = OptionQuote {
            ticker: r.ticker.clone(),
            bid,
            ask,
            mid,
            // The last trade only: a day's close can be a day old.
            last: r.last,
            volume: r.day_volume,
            open_interest: r.open_interest,
            iv: r.implied_volatility.filter(|v| *v > 0.0),
            delta: r.delta,
            gamma: r.gamma,
            theta: r.theta,
            vega: r.vega,
            computed: false,
            price_source: None,
            in_the_money: match kind {
                OptionKind::Call => strike < spot,
                OptionKind::Put => strike > spot,
            },
        };
        if complete_quote(&mut q, kind, spot, strike, years, rate) {
            computed += 1;
        }
        contracts += 1;
        let key = (strike * 1000.0).round() as i64;
        let row = by_strike.entry(key).or_insert(ChainRow {
            strike,
            call: None,
            put: None,
        });
        match kind {
            OptionKind::Call => row.call = Some(q),
            OptionKind::Put => row.put = Some(q),
        }
    }
    let mut chain = OptionsChain {
        symbol: symbol.to_string(),
        expiration: expiration.to_string(),
        expirations,
        spot,
        as_of_ms: now.timestamp_millis(),
        years,
        rate,
        atm_strike: None,
        expected_move: None,
        rows: by_strike.into_values().collect(),
        computed,
        contracts,
        adjusted_skipped: adjusted,
    };
    finish(&mut chain);
    Ok(chain)
}

/// The options desk component: listed expirations (remembered for the day),
/// one expiration's chain, the term structure, and the live follow of the
/// chain the Options tab shows.
pub struct OptionsDesk {
    market: Arc<Market>,
    expirations: ExpirationsCache,
    /// The generation of the chain the Options tab follows live (newest wins).
    follow: FollowGeneration,
}

impl OptionsDesk {
    pub fn new(market: Arc<Market>) -> OptionsDesk {
        OptionsDesk {
            market,
            expirations: ExpirationsCache::default(),
            follow: FollowGeneration::default(),
        }
    }

    fn rest(&self) -> &MassiveRest {
        self.market.rest()
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.market.clock()
    }

    /// The underlying's last trade (or today's close so far) from the provider's snapshot.
    pub async fn last_price(&self, sym: &Symbol) -> Result<f64, ChainError> {
        let snap = self.rest().ticker_snapshot(sym.as_str()).await?;
        snap.last_trade
            .or(snap.day_close)
            .filter(|p| *p > 0.0)
            .ok_or_else(|| ChainError::NoSpot {
                symbol: sym.to_string(),
            })
    }

    /// Listed expirations of `symbol` whose closing bell is still ahead,
    /// nearest first (remembered per symbol for the day).
    pub async fn expirations(&self, symbol: &str) -> Result<Vec<NaiveDate>, ChainError> {
        let sym = Symbol::parse(symbol)?;
        let now = self.clock().now();
        let today = now.with_timezone(&New_York).date_naive();
        let still_open = |d: &NaiveDate| expiry_close(*d).is_none_or(|c| c > now);
        if let Some(dates) = self.expirations.get(&sym, today) {
            let open: Vec<NaiveDate> = dates.into_iter().filter(still_open).collect();
            if !open.is_empty() {
                return Ok(open);
            }
        }
        let dates: Vec<NaiveDate> = self
            .rest()
            .option_expirations(sym.as_str(), today, MAX_PAGES)
            .await?
            .into_iter()
            .filter(|d| *d >= today)
            .collect();
        self.expirations.put(&sym, today, dates.clone());
        // Today's expiration is gone once its closing bell has rung.
        let open: Vec<NaiveDate> = dates.into_iter().filter(still_open).collect();
        if open.is_empty() {
            return Err(ChainError::NoOptions {
                symbol: sym.to_string(),
            });
        }
        Ok(open)
    }

    /// ATM implied volatility for each of the first `max` expirations: only the
    /// strikes within 3 % of the spot are fetched, all expirations at once.
    pub async fn term_structure(
        &self,
        symbol: &str,
        max: usize,
    ) -> Result<Vec<TermPoint>, ChainError> {
        let sym = Symbol::parse(symbol)?;
        let dates = self.expirations(sym.as_str()).await?;
        let spot = self.last_price(&sym).await?;
        let now = self.clock().now();
        let today = now.with_timezone(&New_York).date_naive();
        let sym = &sym;
        let fetches = dates.iter().take(max).map(|&d| async move {
            let results = self
                .rest()
                .option_chain(sym.as_str(), d, Some((spot * 0.97, spot * 1.03)), 1)
                .await?;
            let point = match build_chain(sym.as_str(), d, vec![], &results, now, DEFAULT_RATE) {
                Ok(c) => {
                    let atm = c.rows.iter().find(|r| Some(r.strike) == c.atm_strike);
                    let ivs: Vec<f64> = atm
                        .into_iter()
                        .flat_map(|r| [&r.call, &r.put])
                        .flatten()
                        .filter_map(|q| q.iv)
                        .collect();
                    TermPoint {
                        expiration: d.to_string(),
                        days: (d - today).num_days(),
                        atm_strike: c.atm_strike,
                        atm_iv: (!ivs.is_empty())
                            .then(|| ivs.iter().sum::<f64>() / ivs.len() as f64),
                    }
                }
                Err(_) => TermPoint {
                    expiration: d.to_string(),
                    days: (d - today).num_days(),
                    atm_strike: None,
                    atm_iv: None,
                },
            };
            Ok::<TermPoint, ChainError>(point)
        });
        futures_util::future::join_all(fetches)
            .await
            .into_iter()
            .collect()
    }

    /// Claims the next chain follow: every follow claimed earlier ends (or
    /// never starts). Claim before fetching the chain, so that a slow fetch
    /// for an older request cannot start after a newer one.
    pub fn claim_follow(&self) -> u64 {
        self.follow.bump()
    }

    /// Follows `chain`'s underlying on the shared socket (second aggregates)
    /// and reprices the chain at each new price, at most every
    /// [`FOLLOW_EVERY`], handing `sink` an [`OptionsTick`]. Only the newest
    /// claim runs: a later [`OptionsDesk::claim_follow`] (or
    /// [`OptionsDesk::unfollow`], or this engine shutting down) ends it,
    /// as does `sink` returning false; a claim already superseded starts
    /// nothing.
    pub fn follow(
        &self,
        generation: u64,
        mut chain: OptionsChain,
        mut sink: impl FnMut(OptionsTick) -> bool + Send + 'static,
    ) -> Result<(), ChainError> {
        use crate::market::hub::RecvError;
        use crate::market::wire::MarketData;
        use crate::market::{Channel, Topic};
        let sym = Symbol::parse(&chain.symbol)?;
        let current = self.follow.counter();
        if current.load(Ordering::SeqCst) != generation {
            return Ok(());
        }
        let mut sub = self
            .market
            .hub()
            .subscribe(Topic::new(Channel::Seconds, sym));
        tokio::spawn(async move {
            let mut last_sent: Option<std::time::Instant> = None;
            let mut pending: Option<(f64, i64)> = None;
            while current.load(Ordering::SeqCst) == generation {
                let wait = match (last_sent, pending) {
                    (Some(t), Some(_)) => FOLLOW_EVERY.saturating_sub(t.elapsed()),
                    _ => std::time::Duration::from_millis(500),
                };
                match tokio::time::timeout(wait, sub.recv()).await {
                    Ok(Ok(ev)) => {
                        if let MarketData::Aggregate {
                            close,
                            end,
                            backfill: false,
                            ..
                        } = *ev
                        {
                            if close > 0.0 && close.is_finite() {
                                pending = Some((close, end));
                            }
                        }
                    }
                    Ok(Err(RecvError::Lagged(_))) | Err(_) => {}
                    Ok(Err(RecvError::Closed)) => break,
                }
                let due = last_sent.is_none_or(|t| t.elapsed() >= FOLLOW_EVERY);
                if let (true, Some((price, at))) = (due, pending) {
                    pending = None;
                    if price == chain.spot {
                        continue;
                    }
                    reprice(&mut chain, price);
                    last_sent = Some(std::time::Instant::now());
                    if current.load(Ordering::SeqCst) != generation || !sink(tick_of(&chain, at)) {
                        break;
                    }
                }
            }
        });
        Ok(())
    }

    /// Ends the chain follow, if one runs (the Options tab closed its chain).
    pub fn unfollow(&self) {
        self.follow.bump();
    }

    pub async fn chain(
        &self,
        symbol: &str,
        expiration: Option<NaiveDate>,
    ) -> Result<OptionsChain, ChainError> {
        let sym = Symbol::parse(symbol)?;
        let dates = self.expirations(sym.as_str()).await?;
        let exp = match expiration {
            None => dates[0],
            Some(d) if dates.contains(&d) => d,
            Some(d) if expiry_close(d).is_some_and(|c| c <= self.clock().now()) => {
                return Err(ChainError::Expired {
                    symbol: sym.to_string(),
                    date: d,
                })
            }
            Some(d) => {
                let mut near: Vec<NaiveDate> = dates.clone();
                near.sort_by_key(|x| (*x - d).num_days().abs());
                return Err(ChainError::NoSuchExpiration {
                    symbol: sym.to_string(),
                    date: d,
                    nearest: near
                        .iter()
                        .take(3)
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        };
        let results = self
            .rest()
            .option_chain(sym.as_str(), exp, None, MAX_PAGES)
            .await?;
        build_chain(
            sym.as_str(),
            exp,
            dates.iter().map(|d| d.to_string()).collect(),
            &results,
            self.clock().now(),
            DEFAULT_RATE,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coach_core::options::bsm;

    fn fixture(name: &str) -> serde_json::Value {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/massive")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    }

    #[test]
    fn massive_fixtures_parse_and_missing_greeks_are_computed() {
        for name in [
            "snapshot_options_chain_AAPL.json",
            "snapshot_options_chain_AAPL_empty_greeks_with_next_url.json",
        ] {
            let results = ContractSnapshot::page(&fixture(name));
            let exp = results[0].expiration.unwrap();
            let now = calendar::midnight_ny(exp - chrono::Duration::days(30));
            let now = DateTime::<Utc>::from_timestamp_millis(now).unwrap();
            let chain = build_chain(
                "AAPL",
                exp,
                vec![exp.to_string()],
                &results,
                now,
                DEFAULT_RATE,
            );
            let chain = match chain {
                Ok(c) => c,
                // A fixture without the underlying's price says so by name.
                Err(ChainError::NoSpot { symbol }) => {
                    assert_eq!(symbol, "AAPL");
                    continue;
                }
                Err(e) => panic!("{name}: {e}"),
            };
            assert!(chain.contracts > 0, "{name}");
            for row in &chain.rows {
                for q in [&row.call, &row.put].into_iter().flatten() {
                    if q.computed {
                        assert!(
                            q.iv.is_some() && q.delta.is_some(),
                            "{name}: computed means filled"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn computed_greeks_invert_the_price_and_the_expected_move_is_the_straddle() {
        let now = DateTime::parse_from_rfc3339("2024-07-02T15:00:00Z")
            .unwrap()
            .to_utc();
        let exp = NaiveDate::from_ymd_opt(2024, 7, 19).unwrap();
        let years = years_to_expiry(now, exp);
        let spot = 100.0;
        let mk = |kind: &str, strike: f64, vol: f64, with_greeks: bool| {
            let k = if kind == "call" {
                OptionKind::Call
            } else {
                OptionKind::Put
            };
            let c = Contract {
                kind: k,
                spot,
                strike,
                years,
                rate: DEFAULT_RATE,
                dividend: 0.0,
            };
            let g = bsm(&c, vol).unwrap();
            let given = |x: f64| with_greeks.then_some(x);
            ContractSnapshot {
                ticker: format!("O:X{kind}{strike}"),
                kind: Some(k),
                strike: Some(strike),
                expiration: Some(exp),
                bid: Some(g.price - 0.01),
                ask: Some(g.price + 0.01),
                open_interest: Some(10.0),
                implied_volatility: given(vol),
                delta: given(g.delta),
                gamma: given(g.gamma),
                theta: given(g.theta),
                vega: given(g.vega),
                underlying_price: Some(spot),
                ..Default::default()
            }
        };
        let results = vec![
            mk("call", 100.0, 0.3, false),
            mk("put", 100.0, 0.3, true),
            mk("call", 105.0, 0.28, true),
            mk("put", 95.0, 0.33, false),
        ];
        let chain = build_chain("X", exp, vec![], &results, now, DEFAULT_RATE).unwrap();
        assert_eq!(chain.computed, 2, "two contracts came without Greeks");
        let call100 = chain
            .rows
            .iter()
            .find(|r| r.strike == 100.0)
            .unwrap()
            .call
            .clone()
            .unwrap();
        assert!(call100.computed);
        assert!(
            (call100.iv.unwrap() - 0.3).abs() < 1e-9,
            "the IV solved from the mid is the vol that priced it: {:?}",
            call100.iv
        );
        let put100 = chain
            .rows
            .iter()
            .find(|r| r.strike == 100.0)
            .unwrap()
            .put
            .clone()
            .unwrap();
        let em = chain.expected_move.clone().unwrap();
        assert_eq!(em.strike, 100.0);
        assert!((em.straddle - (call100.mid.unwrap() + put100.mid.unwrap())).abs() < 1e-12);
        assert!((em.high - (spot + em.straddle)).abs() < 1e-12);
        let put95 = chain.rows.iter().find(|r| r.strike == 95.0).unwrap();
        assert!(
            !put95.put.as_ref().unwrap().in_the_money,
            "a 95 put is out of the money at 100"
        );
        // The underlying moves: Greeks follow, IVs stay.
        let mut moved = chain.clone();
        reprice(&mut moved, 104.0);
        let c = moved
            .rows
            .iter()
            .find(|r| r.strike == 100.0)
            .unwrap()
            .call
            .clone()
            .unwrap();
        assert_eq!(c.iv, call100.iv);
        assert!(
            c.delta.unwrap() > call100.delta.unwrap(),
            "a call's delta rises with the spot"
        );
        assert!(c.in_the_money);
    }
}
