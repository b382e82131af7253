//! Checks of an extraction against the market (#17): each position's fields
//! are compared with what the provider lists, and each comparison raises
//! (agreed) or lowers (disagreed) that field's confidence, with a reason a
//! person can read. The quantities are compared with the screen's total row.
//!
//! What is checked, field by field (a field that was not read is not checked):
//! - underlying: the provider has a snapshot for it (a known symbol). An
//!   unknown one stops the position's other checks.
//! - kind (call or put): the underlying has listed options.
//! - expiration: it is one of the underlying's listed expirations (an
//!   expiration whose closing bell has rung has expired).
//! - strike: it is listed in that expiration's chain, on the row's side.
//! - price (the average price per share): an option's against the
//!   contract's daily bars of the last two years and today's range from the
//!   chain snapshot; without bars (the demo market serves none for options),
//!   within today's range passes, above what the contract can be worth (a
//!   call: its stock's high; a put: its strike) fails, and anything between
//!   is left unchecked (an entry can be weeks old). A stock's against its
//!   daily range of the last two years and today's.
//! - quantity: the positions' quantities add up to the total row (signed, or
//!   without signs when the screen totals sizes).
//!
//! A market call that fails (network, rate limit, a rejected key) does not
//! fail the analysis: one warning says so and the fields it would have
//! checked keep their confidence. Text read from the image is data: symbols
//! go to the provider only once parsed as tickers.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::America::New_York;
use coach_core::options::OptionKind;
use coach_core::screenshot::{Check, ExtractedPosition, Extraction, PositionKind};
use coach_core::Symbol;
use futures_util::future::join_all;

use crate::market::rest::{ContractSnapshot, RestBar, RestError, TickerSnapshot};
use crate::market::Market;
use crate::options_chain::{expiry_close, ChainError, OptionsDesk};

/// How far back daily bars are asked for (a stock's or a contract's range).
pub const LOOKBACK_DAYS: i64 = 730;
/// A failed check leaves its field at most this sure.
pub const FAILED_CEILING: f32 = 0.3;
/// A price this close to a range (relative, and in dollars) is within it:
/// an average price can carry commissions, and bars leave some trades out.
const PRICE_SLACK: f64 = 0.02;
const PRICE_SLACK_ABS: f64 = 0.02;
/// Pages of a chain followed at most.
const CHAIN_PAGES: usize = 40;

/// The confidence of a field that agreed with the market: halfway to 1.
pub fn raised(c: f32) -> f32 {
    c + (1.0 - c) * 0.5
}

/// The confidence of a field that did not: at most [`FAILED_CEILING`].
pub fn lowered(c: f32) -> f32 {
    c.min(FAILED_CEILING)
}

/// Records a check on `field` and raises or lowers its confidence.
fn record(pos: &mut ExtractedPosition, field: &str, passed: bool, reason: String) {
    if let Some(c) = pos.confidence.get_mut(field) {
        *c = if passed { raised(*c) } else { lowered(*c) };
    }
    pos.checks.push(Check {
        field: field.to_string(),
        passed,
        reason,
    });
}

/// What a row is, as far as the checks care.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Stock,
    /// An option; its side when it was read.
    Option(Option<OptionKind>),
    /// Nothing says which: only the underlying is checked.
    Unknown,
}

fn shape(p: &ExtractedPosition) -> Shape {
    match p.kind {
        Some(PositionKind::Stock) => Shape::Stock,
        Some(PositionKind::Call) => Shape::Option(Some(OptionKind::Call)),
        Some(PositionKind::Put) => Shape::Option(Some(OptionKind::Put)),
        None if p.strike.is_some() || p.expiration.is_some() => Shape::Option(None),
        None => Shape::Unknown,
    }
}

/// What the provider said about one underlying.
struct Underlying {
    /// `None`: the provider does not know the symbol.
    snapshot: Result<Option<TickerSnapshot>, String>,
    /// Listed expirations still open; `None`: it has no listed options.
    expirations: Option<Result<Option<Vec<NaiveDate>>, String>>,
    /// Daily bars of the last [`LOOKBACK_DAYS`].
    bars: Option<Result<Vec<RestBar>, String>>,
}

/// Checks every position of `x` against the market (`desk` for listed
/// expirations, `market` for snapshots, chains and daily bars; the market's
/// clock says what today is) and its quantities against the screen's total
/// row. Never fails: a provider that cannot be asked leaves one warning in
/// `x.warnings`.
pub async fn check_against_market(x: &mut Extraction, desk: &OptionsDesk, market: &Market) {
    check_totals(x);
    let now = market.clock().now();
    let today = now.with_timezone(&New_York).date_naive();
    let rest = market.rest();
    let from = (today - chrono::Duration::days(LOOKBACK_DAYS)).to_string();
    let to = today.to_string();

    // What each underlying needs asked: options' expirations, daily bars.
    let mut wanted: BTreeMap<Symbol, (bool, bool)> = BTreeMap::new();
    for p in &x.positions {
        let Some(sym) = p.underlying.as_deref().and_then(|u| Symbol::parse(u).ok()) else {
            continue;
        };
        let w = wanted.entry(sym).or_default();
        match shape(p) {
            Shape::Option(kind) => {
                w.0 = true;
                // A call's price is bounded by its stock's high.
                w.1 |= p.price.is_some() && kind == Some(OptionKind::Call);
            }
            Shape::Stock => w.1 |= p.price.is_some(),
            Shape::Unknown => {}
        }
    }
    let (from, to) = (&from, &to);
    let firsts = wanted.iter().map(|(sym, &(options, bars))| async move {
        let snapshot = async {
            match rest.ticker_snapshot(sym.as_str()).await {
                Ok(s) => Ok(Some(s)),
                Err(RestError::NotFound(_)) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        };
        let expirations = async {
            if !options {
                return None;
            }
            Some(match desk.expirations(sym.as_str()).await {
                Ok(d) => Ok(Some(d)),
                Err(ChainError::NoOptions { .. })
                | Err(ChainError::Provider(RestError::NotFound(_))) => Ok(None),
                Err(e) => Err(e.to_string()),
            })
        };
        let daily = async {
            if !bars {
                return None;
            }
            Some(
                rest.aggregates(sym.as_str(), 1, "day", from, to)
                    .await
                    .map_err(|e| e.to_string()),
            )
        };
        let (snapshot, expirations, bars) = tokio::join!(snapshot, expirations, daily);
        (
            sym.clone(),
            Underlying {
                snapshot,
                expirations,
                bars,
            },
        )
    });
    let underlyings: BTreeMap<Symbol, Underlying> = join_all(firsts).await.into_iter().collect();

    // The chains of listed expirations (each once), and the daily bars of
    // each priced contract, all at once.
    let mut chains_wanted: BTreeSet<(Symbol, NaiveDate)> = BTreeSet::new();
    let mut contracts_wanted: BTreeSet<String> = BTreeSet::new();
    for p in &x.positions {
        let (Some(sym), Shape::Option(kind), Some(exp)) = (
            p.underlying.as_deref().and_then(|u| Symbol::parse(u).ok()),
            shape(p),
            p.expiration,
        ) else {
            continue;
        };
        let listed = underlyings
            .get(&sym)
            .and_then(|u| u.expirations.as_ref())
            .and_then(|e| e.as_ref().ok())
            .and_then(|d| d.as_ref())
            .is_some_and(|d| d.contains(&exp));
        if !listed || (p.strike.is_none() && p.price.is_none()) {
            continue;
        }
        if let (Some(kind), Some(strike), Some(_)) = (kind, p.strike, p.price) {
            contracts_wanted.insert(occ_ticker(sym.as_str(), exp, kind, strike));
        }
        chains_wanted.insert((sym, exp));
    }
    let chains = join_all(chains_wanted.into_iter().map(|(sym, exp)| async move {
        let got = rest
            .option_chain(sym.as_str(), exp, None, CHAIN_PAGES)
            .await
            .map_err(|e| e.to_string());
        ((sym, exp), got)
    }));
    let contract_bars = join_all(contracts_wanted.into_iter().map(|t| async move {
        // A plan without options aggregates, or none served: the price is
        // then placed against today's range only.
        let got = rest
            .aggregates(&t, 1, "day", from, to)
            .await
            .unwrap_or_default();
        (t, got)
    }));
    let (chains, contract_bars) = tokio::join!(chains, contract_bars);
    let chains: BTreeMap<(Symbol, NaiveDate), Result<Vec<ContractSnapshot>, String>> =
        chains.into_iter().collect();
    let contract_bars: BTreeMap<String, Vec<RestBar>> = contract_bars.into_iter().collect();

    let ctx = Context {
        now,
        underlyings: &underlyings,
        chains: &chains,
        contract_bars: &contract_bars,
    };
    for p in &mut x.positions {
        ctx.check(p);
    }

    let mut errors: Vec<&String> = underlyings
        .values()
        .flat_map(|u| {
            [
                u.snapshot.as_ref().err(),
                u.expirations.as_ref().and_then(|e| e.as_ref().err()),
                u.bars.as_ref().and_then(|b| b.as_ref().err()),
            ]
        })
        .flatten()
        .chain(chains.values().filter_map(|c| c.as_ref().err()))
        .collect();
    errors.dedup();
    if let Some(first) = errors.first() {
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        x.warnings
            .push(format!("could not check against the market: {first}{more}"));
    }
}

/// What was fetched, for the checks of each position.
struct Context<'a> {
    now: DateTime<Utc>,
    underlyings: &'a BTreeMap<Symbol, Underlying>,
    chains: &'a BTreeMap<(Symbol, NaiveDate), Result<Vec<ContractSnapshot>, String>>,
    contract_bars: &'a BTreeMap<String, Vec<RestBar>>,
}

impl Context<'_> {
    fn check(&self, p: &mut ExtractedPosition) {
        let Some(read) = p.underlying.clone() else {
            return;
        };
        let sym = match Symbol::parse(&read) {
            Ok(s) => s,
            Err(_) => {
                // Echoed as read (it is data), but not at any length.
                let shown: String = read.chars().take(16).collect();
                let more = if read.chars().count() > 16 { "…" } else { "" };
                record(
                    p,
                    "underlying",
                    false,
                    format!(
                        "“{shown}{more}” is not a ticker; the row's other fields were not checked"
                    ),
                );
                return;
            }
        };
        let Some(u) = self.underlyings.get(&sym) else {
            return;
        };
        let snap = match &u.snapshot {
            Err(_) => return,
            Ok(None) => {
                record(
                    p,
                    "underlying",
                    false,
                    format!(
                        "{sym} is not a symbol the market knows; the row's other fields were not checked"
                    ),
                );
                return;
            }
            Ok(Some(s)) => s,
        };
        let last = snap
            .price()
            .map(|x| format!(" (last {})", money(x)))
            .unwrap_or_default();
        record(
            p,
            "underlying",
            true,
            format!("{sym} is a symbol the market knows{last}"),
        );
        match shape(p) {
            Shape::Unknown => {}
            Shape::Stock => self.check_stock_price(p, &sym, u, snap),
            Shape::Option(kind) => self.check_option(p, &sym, u, snap, kind),
        }
    }

    fn check_stock_price(
        &self,
        p: &mut ExtractedPosition,
        sym: &Symbol,
        u: &Underlying,
        snap: &TickerSnapshot,
    ) {
        let Some(price) = p.price else { return };
        let Some(Ok(bars)) = &u.bars else { return };
        let Some(range) = Range::of(bars, snap.day_low, snap.day_high) else {
            return;
        };
        let within = range.holds(price);
        let span = range.since_words(" since ", " today");
        let word = if within { "within" } else { "outside" };
        record(
            p,
            "price",
            within,
            format!(
                "{} is {word} {sym}'s range{span} ({}–{})",
                money(price),
                money(range.low),
                money(range.high)
            ),
        );
    }

    fn check_option(
        &self,
        p: &mut ExtractedPosition,
        sym: &Symbol,
        u: &Underlying,
        snap: &TickerSnapshot,
        kind: Option<OptionKind>,
    ) {
        let dates = match &u.expirations {
            None | Some(Err(_)) => return,
            Some(Ok(None)) => {
                if kind.is_some() {
                    record(p, "kind", false, format!("{sym} has no listed options"));
                }
                return;
            }
            Some(Ok(Some(d))) => d,
        };
        if kind.is_some() {
            record(p, "kind", true, format!("{sym} has listed options"));
        }
        let Some(exp) = p.expiration else { return };
        if !dates.contains(&exp) {
            let reason = if expiry_close(exp).is_some_and(|c| c <= self.now) {
                format!("{exp} has passed: {sym}'s options of that date have expired")
            } else {
                let weekend = match exp.weekday() {
                    chrono::Weekday::Sat => "a Saturday; ",
                    chrono::Weekday::Sun => "a Sunday; ",
                    _ => "",
                };
                let before = dates.iter().rev().find(|d| **d < exp);
                let after = dates.iter().find(|d| **d > exp);
                let nearest: Vec<String> = [before, after]
                    .into_iter()
                    .flatten()
                    .map(|d| d.to_string())
                    .collect();
                format!(
                    "{exp} is not a listed {sym} expiration ({weekend}nearest: {})",
                    nearest.join(", ")
                )
            };
            record(p, "expiration", false, reason);
            return;
        }
        record(
            p,
            "expiration",
            true,
            format!("{exp} is a listed {sym} expiration"),
        );
        let Some(strike) = p.strike else { return };
        let Some(Ok(contracts)) = self.chains.get(&(sym.clone(), exp)) else {
            return;
        };
        // Adjusted contracts (not 100 shares) are not this chain's.
        let standard = || {
            contracts
                .iter()
                .filter(|c| c.shares_per_contract.is_none_or(|n| n == 100.0))
                .filter(|c| c.expiration == Some(exp))
        };
        let on_side = |c: &&ContractSnapshot| kind.is_none() || c.kind == kind;
        let same = |c: &ContractSnapshot| c.strike.is_some_and(|s| (s - strike).abs() < 1e-6);
        let chain_name = format!("the {sym} {exp} chain");
        let contract = standard().filter(on_side).find(|c| same(c));
        let Some(contract) = contract else {
            let other = standard().find(|c| same(c)).and_then(|c| c.kind);
            let reason = match other {
                Some(o) => format!(
                    "{} is listed only as a {} in {chain_name}",
                    strike_text(strike),
                    side(o)
                ),
                None => {
                    let listed: BTreeSet<i64> = standard()
                        .filter(on_side)
                        .filter_map(|c| c.strike)
                        .map(milli)
                        .collect();
                    let k = milli(strike);
                    let below = listed.range(..k).next_back();
                    let above = listed.range(k + 1..).next();
                    let nearest: Vec<String> = [below, above]
                        .into_iter()
                        .flatten()
                        .map(|m| strike_text(*m as f64 / 1000.0))
                        .collect();
                    if nearest.is_empty() {
                        format!("{} is not listed in {chain_name}", strike_text(strike))
                    } else {
                        format!(
                            "{} is not listed in {chain_name} (nearest: {})",
                            strike_text(strike),
                            nearest.join(", ")
                        )
                    }
                }
            };
            record(p, "strike", false, reason);
            return;
        };
        let as_side = kind
            .map(|k| format!(" as a {}", side(k)))
            .unwrap_or_default();
        record(
            p,
            "strike",
            true,
            format!("{} is listed{as_side} in {chain_name}", strike_text(strike)),
        );
        let (Some(kind), Some(price)) = (kind, p.price) else {
            return;
        };
        let name = format!("{sym} {exp} {} {}", strike_text(strike), side(kind));
        let bars = self
            .contract_bars
            .get(&occ_ticker(sym.as_str(), exp, kind, strike))
            .filter(|b| !b.is_empty());
        if let Some(range) = bars.and_then(|b| Range::of(b, contract.day_low, contract.day_high)) {
            let within = range.holds(price);
            let word = if within { "within" } else { "outside" };
            let span = range.since_words(" since ", " today");
            record(
                p,
                "price",
                within,
                format!(
                    "{} is {word} the {name}'s range{span} ({}–{}, daily bars)",
                    money(price),
                    money(range.low),
                    money(range.high)
                ),
            );
            return;
        }
        let today = Range::of(&[], contract.day_low, contract.day_high);
        if let Some(r) = today.as_ref().filter(|r| r.holds(price)) {
            record(
                p,
                "price",
                true,
                format!(
                    "{} is within the {name}'s range today ({}–{})",
                    money(price),
                    money(r.low),
                    money(r.high)
                ),
            );
            return;
        }
        // No bars to place an older entry: only what the contract can be
        // worth at all bounds it.
        let today_words = today
            .map(|r| format!(" (today {}–{})", money(r.low), money(r.high)))
            .unwrap_or_default();
        let bound = match kind {
            OptionKind::Call => {
                let bars = match &u.bars {
                    Some(Ok(b)) => b.as_slice(),
                    _ => &[],
                };
                Range::of(bars, snap.day_low, snap.day_high).map(|r| {
                    (
                        r.high,
                        format!(
                            "a call is worth at most its stock, and {sym}'s high{} is {}",
                            r.since_words(" since ", " today"),
                            money(r.high)
                        ),
                    )
                })
            }
            OptionKind::Put => Some((strike, "a put is worth at most its strike".to_string())),
        };
        if let Some((most, why)) = bound {
            if price > most * (1.0 + PRICE_SLACK) + PRICE_SLACK_ABS {
                record(
                    p,
                    "price",
                    false,
                    format!(
                        "{} is more than the {name} can have cost{today_words}: {why}",
                        money(price)
                    ),
                );
            }
        }
    }
}

/// A low–high range of prices, and the first day it covers.
struct Range {
    low: f64,
    high: f64,
    /// The first bar's day (None: today's range only).
    since: Option<NaiveDate>,
}

impl Range {
    /// Daily bars joined with today's low and high (any of them may be missing).
    fn of(bars: &[RestBar], day_low: Option<f64>, day_high: Option<f64>) -> Option<Range> {
        let lows = bars.iter().map(|b| b.l).chain(day_low);
        let highs = bars.iter().map(|b| b.h).chain(day_high);
        let low = lows
            .filter(|x| x.is_finite() && *x > 0.0)
            .fold(f64::INFINITY, f64::min);
        let high = highs
            .filter(|x| x.is_finite() && *x > 0.0)
            .fold(f64::NEG_INFINITY, f64::max);
        (low.is_finite() && high.is_finite() && low <= high).then(|| Range {
            low,
            high,
            since: bars.iter().map(|b| b.t).min().and_then(ny_date),
        })
    }

    /// Within the range, give or take commissions and rounding.
    fn holds(&self, price: f64) -> bool {
        price >= self.low * (1.0 - PRICE_SLACK) - PRICE_SLACK_ABS
            && price <= self.high * (1.0 + PRICE_SLACK) + PRICE_SLACK_ABS
    }

    /// " since 2022-07-01", or `today` when only today's range is known.
    fn since_words(&self, since: &str, today: &str) -> String {
        match self.since {
            Some(d) => format!("{since}{d}"),
            None => today.to_string(),
        }
    }
}

fn ny_date(ms: i64) -> Option<NaiveDate> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.with_timezone(&New_York).date_naive())
}

/// The OCC ticker as Massive writes it: `O:AAPL240816C00230000`.
pub fn occ_ticker(
    underlying: &str,
    expiration: NaiveDate,
    kind: OptionKind,
    strike: f64,
) -> String {
    format!(
        "O:{underlying}{}{}{:08}",
        expiration.format("%y%m%d"),
        match kind {
            OptionKind::Call => "C",
            OptionKind::Put => "P",
        },
        milli(strike)
    )
}

fn milli(x: f64) -> i64 {
    (x * 1000.0).round() as i64
}

fn side(k: OptionKind) -> &'static str {
    match k {
        OptionKind::Call => "call",
        OptionKind::Put => "put",
    }
}

/// 230, 232.5, 7.25: a strike as chains show it.
fn strike_text(k: f64) -> String {
    format!("{}", milli(k) as f64 / 1000.0)
}

fn money(x: f64) -> String {
    format!("{x:.2}")
}

/// 7, -3, 1.5: a quantity as a screen shows it.
fn qty_text(q: f64) -> String {
    format!("{}", milli(q) as f64 / 1000.0)
}

/// The positions' quantities against the total row, when the screen has one
/// and every row's quantity was read: a signed sum that matches confirms the
/// sides too; a sum without signs, the sizes only.
pub fn check_totals(x: &mut Extraction) {
    let Some(total) = x.totals.as_ref().and_then(|t| t.quantity) else {
        return;
    };
    if x.positions.is_empty() {
        return;
    }
    let Some(qs) = x
        .positions
        .iter()
        .map(|p| p.quantity)
        .collect::<Option<Vec<f64>>>()
    else {
        return;
    };
    let signed: f64 = qs.iter().sum();
    let sizes: f64 = qs.iter().map(|q| q.abs()).sum();
    let close = |a: f64| (a - total).abs() < 1e-6;
    let t = qty_text(total);
    let (passed, reason) = if close(signed) {
        (
            true,
            format!("the quantities add up to the total row's {t} (with their signs, so the sides agree too)"),
        )
    } else if close(sizes) {
        (
            true,
            format!(
                "the quantities add up to the total row's {t} without their signs (sizes only)"
            ),
        )
    } else {
        (
            false,
            format!(
                "the quantities add up to {} ({} without their signs), not the total row's {t}",
                qty_text(signed),
                qty_text(sizes)
            ),
        )
    };
    if !passed {
        x.warnings.push(format!(
            "The positions' quantities add up to {} ({} without their signs), but the total row shows {t}: a row may be misread or missing.",
            qty_text(signed),
            qty_text(sizes)
        ));
    }
    let sizes_only = passed && !close(signed);
    // All long: the signed sum is the sizes' sum too, so it says nothing of
    // a minus sign OCR may have dropped.
    let all_long = qs.iter().all(|q| *q > 0.0);
    for p in &mut x.positions {
        let doubted = p.confidence.quantity < coach_core::screenshot::LOW_CONFIDENCE;
        if sizes_only || (all_long && doubted) {
            // Sizes agree but say nothing of the sides: a quantity whose sign
            // is in doubt (a possible short) stays highlighted.
            p.checks.push(Check {
                field: "quantity".into(),
                passed: true,
                reason: reason.clone(),
            });
        } else {
            record(p, "quantity", passed, reason.clone());
        }
    }
}
