//! The trade journal's pure parts: executions as the brokers' files state
//! them, the trades they make (one instrument from flat to flat, lots matched
//! FIFO), and the figures a trader reads (win rate, profit factor, drawdown,
//! breakdowns). No IO: the engine stores what this computes.
//!
//! Conventions: quantities are positive with a [`Side`]; prices are per share
//! (an option's premium, not times 100); fees are the dollars one execution
//! cost, positive, counted once; times are UTC.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub mod import;
pub mod stats;
pub mod trades;

/// Who the executions came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Broker {
    Tastytrade,
    Thinkorswim,
    Ibkr,
    Robinhood,
    Schwab,
    Fidelity,
    Webull,
    /// Entered by hand in the app.
    Manual,
}

impl Broker {
    pub const IMPORTABLE: [Broker; 7] = [
        Broker::Tastytrade,
        Broker::Thinkorswim,
        Broker::Ibkr,
        Broker::Robinhood,
        Broker::Schwab,
        Broker::Fidelity,
        Broker::Webull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Broker::Tastytrade => "tastytrade",
            Broker::Thinkorswim => "thinkorswim",
            Broker::Ibkr => "ibkr",
            Broker::Robinhood => "robinhood",
            Broker::Schwab => "schwab",
            Broker::Fidelity => "fidelity",
            Broker::Webull => "webull",
            Broker::Manual => "manual",
        }
    }
}

impl fmt::Display for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Broker {
    type Err = String;

    fn from_str(s: &str) -> Result<Broker, String> {
        let all = Broker::IMPORTABLE.into_iter().chain([Broker::Manual]);
        all.clone()
            .find(|b| b.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = all.map(|b| b.as_str()).collect();
                format!("{s:?} is not a broker: use {}", names.join(", "))
            })
    }
}

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OptionKind {
    Call,
    Put,
}

/// One option contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OptionContract {
    pub underlying: String,
    pub kind: OptionKind,
    pub strike: f64,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub expiration: NaiveDate,
}

impl OptionContract {
    /// The OCC symbol without padding: `SPY240719C00550000`.
    pub fn occ(&self) -> String {
        format!(
            "{}{}{}{:08}",
            self.underlying,
            self.expiration.format("%y%m%d"),
            match self.kind {
                OptionKind::Call => 'C',
                OptionKind::Put => 'P',
            },
            (self.strike * 1000.0).round() as i64
        )
    }

    /// Reads an OCC symbol, padded (`SPY   240719C00550000`) or not
    /// (`SPY240719C00550000`, as Webull writes it).
    pub fn parse_occ(text: &str) -> Option<OptionContract> {
        if !text.is_ascii() {
            return None;
        }
        let t: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
        // Root (1–6 characters), yymmdd, C or P, the strike × 1000 in 8 digits.
        let kind_at = t
            .char_indices()
            .rev()
            .find(|(_, c)| *c == 'C' || *c == 'P')?
            .0;
        let (head, tail) = t.split_at(kind_at);
        let strike_digits = &tail[1..];
        if head.len() < 7 || strike_digits.len() != 8 {
            return None;
        }
        if !strike_digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (root, date) = head.split_at(head.len() - 6);
        if root.is_empty() || !date.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let expiration = NaiveDate::parse_from_str(date, "%y%m%d").ok()?;
        let strike = strike_digits.parse::<u64>().ok()? as f64 / 1000.0;
        Some(OptionContract {
            underlying: root.to_ascii_uppercase(),
            kind: if tail.starts_with('C') {
                OptionKind::Call
            } else {
                OptionKind::Put
            },
            strike,
            expiration,
        })
    }
}

/// What was traded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "asset", rename_all = "snake_case")]
pub enum Instrument {
    Stock { symbol: String },
    Option(OptionContract),
}

impl Instrument {
    pub fn stock(symbol: &str) -> Instrument {
        Instrument::Stock {
            symbol: symbol.trim().to_ascii_uppercase(),
        }
    }

    /// The ticker for stock, the unpadded OCC symbol for an option.
    pub fn symbol(&self) -> String {
        match self {
            Instrument::Stock { symbol } => symbol.clone(),
            Instrument::Option(o) => o.occ(),
        }
    }

    pub fn underlying(&self) -> &str {
        match self {
            Instrument::Stock { symbol } => symbol,
            Instrument::Option(o) => &o.underlying,
        }
    }

    /// Shares per unit of quantity: 100 for an equity option, 1 for stock.
    pub fn multiplier(&self) -> f64 {
        match self {
            Instrument::Stock { .. } => 1.0,
            Instrument::Option(_) => 100.0,
        }
    }

    pub fn option(&self) -> Option<&OptionContract> {
        match self {
            Instrument::Option(o) => Some(o),
            Instrument::Stock { .. } => None,
        }
    }
}

/// Bought or sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// +1 for a buy, −1 for a sell.
    pub fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }
}

/// Whether the file says an execution opens or closes (`BTO`, `STC`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Open,
    Close,
    /// The file does not say (stock trades, most CSVs).
    Unknown,
}

/// How an execution came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ExecKind {
    /// An order filled.
    Trade,
    /// The option expired worthless (price 0).
    Expiration,
    /// A short option was assigned (the option leaves at 0; the stock moves
    /// at the strike in its own execution).
    Assignment,
    /// A long option was exercised (as assignment, from the holder's side).
    Exercise,
}

/// One fill (or expiration, assignment, exercise) as a broker's file states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Execution {
    pub broker: Broker,
    pub account: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub time: DateTime<Utc>,
    pub instrument: Instrument,
    pub side: Side,
    /// Contracts or shares, positive.
    pub quantity: f64,
    /// Per share, positive (0 for an expiration or an assignment's option leg).
    pub price: f64,
    /// Commissions and fees of this execution in dollars, positive = paid.
    pub fees: f64,
    pub effect: Effect,
    pub kind: ExecKind,
    /// The broker's order id: legs of one order open one strategy.
    pub order_id: Option<String>,
    /// The broker's own id of this execution, when the file has one.
    pub exec_id: Option<String>,
    /// The line of the file it was read from (1-based; 0 when entered by hand).
    pub line: usize,
    /// What identifies it across imports: the broker's id where there is one,
    /// else every field of its row plus its place among identical rows.
    pub fingerprint: String,
}

impl Execution {
    /// Signed quantity: + bought, − sold.
    pub fn signed_quantity(&self) -> f64 {
        self.side.sign() * self.quantity
    }

    /// Cash moved, in dollars: negative when paying (buying), fees included.
    pub fn cash(&self) -> f64 {
        -self.side.sign() * self.quantity * self.price * self.instrument.multiplier() - self.fees
    }
}

/// Gives each execution its fingerprint: `id:<exec id>` where the broker gave
/// one, else `row:<the row's fields>#<n>` where `n` counts identical rows
/// before it in the file (two identical same-second fills are two fills).
/// `rows[i]` is the canonical text of `execs[i]`'s source row.
pub fn assign_fingerprints(execs: &mut [Execution], rows: &[String]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (e, row) in execs.iter_mut().zip(rows) {
        e.fingerprint = match &e.exec_id {
            Some(id) if !id.trim().is_empty() => format!("id:{}", id.trim()),
            _ => {
                let n = seen.entry(row.as_str()).or_insert(0);
                *n += 1;
                format!("row:{row}#{n}")
            }
        };
    }
}

/// A row the importer passed over on purpose (a deposit, interest, a
/// dividend, a transfer): counted, not an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkippedRow {
    pub line: usize,
    pub reason: String,
}

/// A row that claims to be a trade but cannot be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

/// What an importer read from one file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    /// Data rows looked at (headers, titles and footers not counted).
    pub rows: usize,
    pub executions: Vec<Execution>,
    pub skipped: Vec<SkippedRow>,
    pub errors: Vec<RowError>,
    /// Things worth saying that are not errors.
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occ_symbols_read_padded_or_not_and_write_unpadded() {
        let c = OptionContract::parse_occ("SPY   240719C00550000").unwrap();
        assert_eq!(c.underlying, "SPY");
        assert_eq!(c.kind, OptionKind::Call);
        assert_eq!(c.strike, 550.0);
        assert_eq!(c.expiration, NaiveDate::from_ymd_opt(2024, 7, 19).unwrap());
        assert_eq!(c.occ(), "SPY240719C00550000");
        assert!(
            OptionContract::parse_occ("-MU250201P100").is_none(),
            "Fidelity's own form"
        );
        let w = OptionContract::parse_occ("AAPL250117P00187500").unwrap();
        assert_eq!(w.strike, 187.5);
        assert_eq!(w.occ(), "AAPL250117P00187500");
        assert!(OptionContract::parse_occ("AAPL").is_none());
        assert!(
            OptionContract::parse_occ("ÄÄÄ1C00550000").is_none(),
            "no panic on non-ASCII"
        );
        assert!(OptionContract::parse_occ("SPY 07/19/2024 550 C").is_none());
    }

    #[test]
    fn identical_rows_get_their_own_fingerprints_and_broker_ids_win() {
        let e = Execution {
            broker: Broker::Webull,
            account: "a".into(),
            time: DateTime::from_timestamp(1_720_000_000, 0).unwrap(),
            instrument: Instrument::stock("SPY"),
            side: Side::Buy,
            quantity: 1.0,
            price: 1.0,
            fees: 0.0,
            effect: Effect::Unknown,
            kind: ExecKind::Trade,
            order_id: None,
            exec_id: None,
            line: 2,
            fingerprint: String::new(),
        };
        let mut execs = vec![e.clone(), e.clone(), e.clone()];
        execs[2].exec_id = Some("X1".into());
        let rows = vec!["r".to_string(), "r".to_string(), "r".to_string()];
        assign_fingerprints(&mut execs, &rows);
        assert_eq!(execs[0].fingerprint, "row:r#1");
        assert_eq!(execs[1].fingerprint, "row:r#2");
        assert_eq!(execs[2].fingerprint, "id:X1");
    }
}
