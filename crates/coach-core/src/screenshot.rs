//! Positions from the text of a broker's positions screen (groundwork for
//! #17): lines of words with their confidence and position (from OCR) in, one
//! row per position out, each field with its own confidence. A table is read
//! by its header (which words name the symbol, type, quantity, strike,
//! expiration and price columns); a symbol cell may also carry the whole
//! contract ("AAPL 240816C00230000", "AAPL Aug 16 '24 230 Call",
//! "AAPL 08/16/2024 230.00 C"). Text is data: nothing in it is obeyed.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::journal::{OptionContract, OptionKind};

/// A word as read, with its confidence (0..1) and horizontal extent.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub confidence: f32,
    pub left: u32,
    pub width: u32,
}

/// One line of words, left to right.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    pub words: Vec<Word>,
}

/// Fields read with less confidence than this are shown for checking.
pub const LOW_CONFIDENCE: f32 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PositionKind {
    Call,
    Put,
    Stock,
}

/// How sure each field is, 0..1 (a field a stock has no use for is 1).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldConfidence {
    pub underlying: f32,
    pub kind: f32,
    pub strike: f32,
    pub expiration: f32,
    pub quantity: f32,
    pub price: f32,
}

/// One position as extracted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExtractedPosition {
    /// The OCC symbol of an option, the ticker of a stock.
    pub symbol: String,
    pub underlying: Option<String>,
    pub kind: Option<PositionKind>,
    pub strike: Option<f64>,
    /// YYYY-MM-DD.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub expiration: Option<NaiveDate>,
    /// Signed: negative for short.
    pub quantity: Option<f64>,
    /// Average price per share.
    pub price: Option<f64>,
    pub confidence: FieldConfidence,
    /// What the checks against the market found, each raising or lowering
    /// one field's confidence (empty until checked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// One check of a field against the market or the screen's totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Check {
    /// underlying, kind, strike, expiration, quantity or price.
    pub field: String,
    /// Whether the field agreed (its confidence was raised) or not (lowered).
    pub passed: bool,
    /// For people: "2024-08-16 is a listed AAPL expiration".
    pub reason: String,
}

/// What a TOTAL row of the table shows, when it has one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Totals {
    /// The number in the quantity column of the total row.
    pub quantity: Option<f64>,
    /// Its OCR confidence, 0..1.
    pub confidence: f32,
}

/// What was read from a screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Extraction {
    /// tastytrade, thinkorswim, ibkr, robinhood, webull, or unknown.
    pub broker: String,
    pub positions: Vec<ExtractedPosition>,
    /// What could not be read, named by row.
    pub warnings: Vec<String>,
    /// The table's total row, when the screen shows one (checked against
    /// the positions' quantities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<Totals>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A column this reader does not use (Mark, P/L, Market Value…).
    Ignore,
    Symbol,
    Kind,
    Quantity,
    Strike,
    Expiration,
    Price,
}

/// Header words (lower case) and the column they name; two-word names first.
const HEADERS: &[(&str, Role)] = &[
    ("last price", Role::Ignore),
    ("market price", Role::Ignore),
    ("mark price", Role::Ignore),
    ("cost basis", Role::Ignore),
    ("market value", Role::Ignore),
    ("net liq", Role::Ignore),
    ("financial instrument", Role::Symbol),
    ("avg price", Role::Price),
    ("average price", Role::Price),
    ("avg cost", Role::Price),
    ("trade price", Role::Price),
    ("open price", Role::Price),
    ("exp date", Role::Expiration),
    ("symbol", Role::Symbol),
    ("ticker", Role::Symbol),
    ("instrument", Role::Symbol),
    ("description", Role::Symbol),
    ("contract", Role::Symbol),
    ("type", Role::Kind),
    ("right", Role::Kind),
    ("qty", Role::Quantity),
    ("quantity", Role::Quantity),
    ("position", Role::Quantity),
    ("pos", Role::Quantity),
    ("strike", Role::Strike),
    ("exp", Role::Expiration),
    ("expiration", Role::Expiration),
    ("expiry", Role::Expiration),
    ("price", Role::Price),
    ("cost", Role::Price),
];

fn norm(s: &str) -> String {
    s.trim_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_lowercase()
}

/// A header column: what it holds and where its name starts.
#[derive(Debug, Clone, Copy)]
struct Column {
    role: Role,
    left: f32,
}

/// The header's columns, left to right; words it does not know are columns
/// to ignore (so their values do not spill into a known neighbour).
fn header(line: &Line) -> Vec<Column> {
    let w = &line.words;
    let mut cols: Vec<Column> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let two = w
            .get(i + 1)
            .map(|n| format!("{} {}", norm(&w[i].text), norm(&n.text)));
        let one = norm(&w[i].text);
        let (role, n) = HEADERS
            .iter()
            .find_map(|(name, role)| {
                if name.contains(' ') {
                    (two.as_deref() == Some(*name)).then_some((*role, 2))
                } else {
                    (one == *name).then_some((*role, 1))
                }
            })
            .unwrap_or((Role::Ignore, 1));
        let a = &w[i];
        // A role named twice (Avg Cost, then Market Price): the first counts.
        let role = if role != Role::Ignore && cols.iter().any(|c| c.role == role) {
            Role::Ignore
        } else {
            role
        };
        cols.push(Column {
            role,
            left: a.left as f32,
        });
        i += n;
    }
    cols
}

/// The column of a word that ends at `right`: the last whose header starts
/// before the word ends. A left-aligned cell that runs past its short header
/// stays in its column; a right-aligned number that starts left of its
/// header still ends under it.
fn column_of(cols: &[Column], right: f32) -> usize {
    cols.iter().rposition(|c| c.left < right).unwrap_or(0)
}

/// A number as screens write it: `$1,234.50`, `-1`, `(1)`, `+2`, `−3`.
fn number(s: &str) -> Option<f64> {
    let t = s.trim().replace(['$', ',', '+'], "").replace('−', "-");
    let (t, neg) = match t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        Some(inner) => (inner.to_string(), true),
        None => (t, false),
    };
    let v: f64 = t.parse().ok()?;
    v.is_finite().then_some(if neg { -v } else { v })
}

fn month(s: &str) -> Option<u32> {
    let m = s.get(..3)?.to_ascii_lowercase();
    [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|x| *x == m)
    .map(|i| i as u32 + 1)
}

fn full_year(y: i32) -> i32 {
    if y < 100 {
        2000 + y
    } else {
        y
    }
}

/// A date shown without its year: this year's, or next year's when this
/// year's has passed (an open option has not expired).
fn without_year(today: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), m, d)?;
    if this < today - chrono::Duration::days(7) {
        NaiveDate::from_ymd_opt(today.year() + 1, m, d)
    } else {
        Some(this)
    }
}

/// A year word: `'24`, or a four-digit year from 2000 to 2100; a bare
/// two-digit `24` only when another number follows (`16 AUG 24 230 CALL`),
/// since otherwise it is the strike (`F Sep 20 12 Call`).
fn year_word(s: Option<&str>, followed_by_number: bool) -> Option<i32> {
    let s = s?;
    if let Some(y) = s.strip_prefix('\'') {
        return (y.len() == 2)
            .then(|| y.parse().ok().map(full_year))
            .flatten();
    }
    match s.len() {
        4 => s.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)),
        2 if followed_by_number => s.parse().ok().map(full_year),
        _ => None,
    }
}

/// A date as screens write it, from the words at `at`: the number of words it
/// took and the date. `today` dates one shown without a year.
fn date_at(words: &[String], at: usize, today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let w = words.get(at)?.trim_end_matches(',');
    if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
        return Some((1, d));
    }
    let parts: Vec<&str> = w.split('/').collect();
    if parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        let (m, d) = (parts[0].parse().ok()?, parts[1].parse().ok()?);
        return match parts.get(2) {
            Some(y) => NaiveDate::from_ymd_opt(full_year(y.parse().ok()?), m, d).map(|x| (1, x)),
            None => without_year(today, m, d).map(|x| (1, x)),
        };
    }
    // "Aug 16 2024", "Aug 16 '24", "Aug16'24", "Aug16 '24", "16 AUG 24", "Aug 16".
    let next = |i: usize| words.get(at + i).map(|s| s.trim_end_matches(','));
    let numeric = |i: usize| next(i).is_some_and(|s| number(s).is_some());
    if let Some(m) = month(w) {
        let rest = w.get(3..)?;
        if let Some((d, y)) = rest.split_once('\'') {
            return NaiveDate::from_ymd_opt(full_year(y.parse().ok()?), m, d.parse().ok()?)
                .map(|x| (1, x));
        }
        if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
            // "Aug16" with the year in the next word, or none.
            let d: u32 = rest.parse().ok()?;
            return match year_word(next(1), numeric(2)) {
                Some(y) => NaiveDate::from_ymd_opt(y, m, d).map(|x| (2, x)),
                None => without_year(today, m, d).map(|x| (1, x)),
            };
        }
        let d: u32 = next(1)?.parse().ok()?;
        return match year_word(next(2), numeric(3)) {
            Some(y) => NaiveDate::from_ymd_opt(y, m, d).map(|x| (3, x)),
            None => without_year(today, m, d).map(|x| (2, x)),
        };
    }
    if let (Ok(d), Some(m)) = (w.parse::<u32>(), next(1).and_then(month)) {
        return match year_word(next(2), numeric(3)) {
            Some(y) => NaiveDate::from_ymd_opt(y, m, d).map(|x| (3, x)),
            None => without_year(today, m, d).map(|x| (2, x)),
        };
    }
    None
}

fn kind_word(s: &str) -> Option<PositionKind> {
    match norm(s).as_str() {
        "c" | "call" | "calls" => Some(PositionKind::Call),
        "p" | "put" | "puts" => Some(PositionKind::Put),
        "stock" | "equity" | "shares" | "etf" => Some(PositionKind::Stock),
        _ => None,
    }
}

fn ticker(s: &str) -> Option<String> {
    let t = s.trim();
    let ok = (1..=6).contains(&t.len())
        && t.chars().any(|c| c.is_ascii_uppercase())
        && t.chars().all(|c| c.is_ascii_uppercase() || c == '.')
        && !NOT_TICKERS.contains(&t);
    ok.then(|| t.to_string())
}

/// Words in capitals that head lines which are not positions.
const NOT_TICKERS: &[&str] = &[
    "TOTAL", "TOTALS", "CASH", "STOCKS", "STOCK", "OPTIONS", "OPTION", "USD", "ETF", "ETFS",
    "EQUITY", "EQUITIES", "CALL", "PUT", "CALLS", "PUTS",
];

/// What a symbol cell says, each with the confidence of the word it came
/// from: the ticker, and for an option its kind, strike and expiration when
/// the cell carries them. `rest` counts the words it could not place.
struct Described {
    underlying: Option<(String, f32)>,
    kind: Option<(PositionKind, f32)>,
    strike: Option<(f64, f32)>,
    expiration: Option<(NaiveDate, f32)>,
    rest: usize,
}

fn describe(cell: &[&Word], today: NaiveDate) -> Described {
    let mut out = Described {
        underlying: None,
        kind: None,
        strike: None,
        expiration: None,
        rest: 0,
    };
    // OCR often prints typographic quotes.
    let words: Vec<String> = cell
        .iter()
        .map(|w| w.text.replace(['\u{2019}', '\u{2018}'], "'"))
        .collect();
    let conf = |i: usize| cell[i].confidence;
    // An OCC symbol in one word, or split after the root ("SPY 240719P00540000").
    for i in 0..words.len() {
        let joined = match words.get(i + 1) {
            Some(n) if words[i].len() <= 6 => format!("{}{}", words[i], n),
            _ => String::new(),
        };
        for (text, n) in [(words[i].clone(), 1), (joined, 2)] {
            let Some(c) = OptionContract::parse_occ(&text) else {
                continue;
            };
            if !c
                .underlying
                .chars()
                .all(|x| x.is_ascii_alphanumeric() || x == '.')
            {
                continue;
            }
            let cf = (i..i + n).map(conf).fold(1.0f32, f32::min);
            out.underlying = Some((c.underlying.clone(), cf));
            out.kind = Some((
                match c.kind {
                    OptionKind::Call => PositionKind::Call,
                    OptionKind::Put => PositionKind::Put,
                },
                cf,
            ));
            out.strike = Some((c.strike, cf));
            out.expiration = Some((c.expiration, cf));
            out.rest = words.len() - n;
            return out;
        }
    }
    let mut numbers: Vec<(f64, f32)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        if out.underlying.is_none() {
            if let Some(t) = ticker(w) {
                out.underlying = Some((t, conf(i)));
                i += 1;
                continue;
            }
        }
        if out.expiration.is_none() {
            if let Some((n, d)) = date_at(&words, i, today) {
                let cf = (i..i + n).map(conf).fold(1.0f32, f32::min);
                out.expiration = Some((d, cf));
                i += n;
                continue;
            }
        }
        if let Some(k) = kind_word(w) {
            out.kind = Some((k, conf(i)));
        } else if let Some(v) = number(w).filter(|x| *x > 0.0) {
            numbers.push((v, conf(i)));
        } else {
            out.rest += 1;
        }
        i += 1;
    }
    // The strike is the last number (thinkorswim writes the multiplier first:
    // "AAPL 100 (Weeklys) 16 AUG 24 230 CALL").
    out.strike = numbers.last().copied();
    if numbers.len() > 1 {
        out.rest += numbers.len() - 1;
    }
    out
}

/// Reads the positions table in `lines`. `today` dates what is shown
/// without a year (the next such date that has not passed).
pub fn parse(lines: &[Line], today: NaiveDate) -> Extraction {
    let mut warnings = Vec::new();
    let Some((at, cols)) = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, header(l)))
        .find(|(_, c)| {
            c.iter().filter(|c| c.role != Role::Ignore).count() >= 3
                && c.iter().any(|c| c.role == Role::Symbol)
        })
    else {
        return Extraction {
            broker: "unknown".into(),
            positions: vec![],
            warnings: vec![
                "no positions table was found (no header naming a symbol and two more columns)"
                    .into(),
            ],
            totals: None,
        };
    };
    let mut positions = Vec::new();
    let mut row = 0;
    for line in lines.iter().skip(at + 1) {
        let mut cells: Vec<Vec<&Word>> = vec![vec![]; cols.len()];
        for w in &line.words {
            cells[column_of(&cols, (w.left + w.width) as f32)].push(w);
        }
        let cell = |role: Role| -> Option<(String, f32)> {
            let i = cols.iter().position(|c| c.role == role)?;
            let ws = &cells[i];
            if ws.is_empty() {
                return None;
            }
            let text = ws
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let conf = ws.iter().map(|w| w.confidence).fold(1.0f32, f32::min);
            Some((text, conf)).filter(|(t, _)| !norm(t).is_empty() && t.trim() != "-")
        };
        let Some(si) = cols.iter().position(|c| c.role == Role::Symbol) else {
            continue;
        };
        let d = describe(&cells[si], today);
        let Some((underlying, u_conf)) = d.underlying.clone() else {
            // Section titles, blank rows.
            continue;
        };
        let quantity = cell(Role::Quantity).and_then(|(t, c)| number(&t).map(|v| (v, c)));
        let price = cell(Role::Price).and_then(|(t, c)| number(&t).map(|v| (v, c)));
        if quantity.is_none() && price.is_none() && d.kind.is_none() && d.strike.is_none() {
            // Nothing of a position on it (a total, a note).
            continue;
        }
        row += 1;
        let mut conf = FieldConfidence {
            underlying: u_conf,
            quantity: quantity.map_or(0.0, |q| q.1),
            price: price.map_or(0.0, |p| p.1),
            ..FieldConfidence::default()
        };
        let mut kind = cell(Role::Kind)
            .and_then(|(t, c)| kind_word(&t).map(|k| (k, c)))
            .or(d.kind);
        let strike = cell(Role::Strike)
            .and_then(|(t, c)| number(&t).map(|v| (v, c)))
            .or(d.strike);
        let expiration = cell(Role::Expiration)
            .and_then(|(t, c)| {
                let ws: Vec<String> = t.split_whitespace().map(str::to_string).collect();
                date_at(&ws, 0, today).map(|(_, v)| (v, c))
            })
            .or(d.expiration);
        // Stock only when nothing says otherwise: no strike, no expiration,
        // and no word of the symbol cell left unread.
        if kind.is_none() && strike.is_none() && expiration.is_none() && d.rest == 0 {
            kind = Some((PositionKind::Stock, u_conf));
        }
        conf.kind = kind.map_or(0.0, |k| k.1);
        let is_stock = matches!(kind, Some((PositionKind::Stock, _)));
        if is_stock {
            // A stock has no strike or expiration to doubt.
            conf.strike = 1.0;
            conf.expiration = 1.0;
        } else {
            conf.strike = strike.map_or(0.0, |s| s.1);
            conf.expiration = expiration.map_or(0.0, |e| e.1);
        }
        let kind = kind.map(|k| k.0);
        let (strike, expiration) = if is_stock {
            (None, None)
        } else {
            (strike.map(|s| s.0), expiration.map(|e| e.0))
        };
        let symbol = match (kind, strike, expiration) {
            (Some(k @ (PositionKind::Call | PositionKind::Put)), Some(s), Some(e)) => {
                OptionContract {
                    underlying: underlying.clone(),
                    expiration: e,
                    kind: if k == PositionKind::Call {
                        OptionKind::Call
                    } else {
                        OptionKind::Put
                    },
                    strike: s,
                }
                .occ()
            }
            _ => underlying.clone(),
        };
        let option = !is_stock;
        for (what, missing) in [
            ("the type (call, put or stock)", kind.is_none()),
            ("the quantity", quantity.is_none()),
            ("the price", price.is_none()),
            ("the strike", option && strike.is_none()),
            ("the expiration", option && expiration.is_none()),
        ] {
            if missing {
                warnings.push(format!(
                    "row {row} of the table ({underlying}): {what} could not be read"
                ));
            }
        }
        positions.push(ExtractedPosition {
            symbol,
            underlying: Some(underlying),
            kind,
            strike,
            expiration,
            quantity: quantity.map(|q| q.0),
            price: price.map(|p| p.0),
            confidence: conf,
            checks: vec![],
        });
    }
    if positions.is_empty() {
        warnings.push("the table has a header but no position rows were read".into());
    }
    Extraction {
        broker: "unknown".into(),
        positions,
        warnings,
        totals: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words laid out at fixed character columns (10 px a character).
    fn line(text: &str) -> Line {
        let mut words = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (c == ' ', start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    words.push(Word {
                        text: text[s..i].to_string(),
                        confidence: 0.9,
                        left: s as u32 * 10,
                        width: (i - s) as u32 * 10,
                    });
                    start = None;
                }
                _ => {}
            }
        }
        Line { words }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_table_with_columns_reads_options_and_stock() {
        let lines = [
            line("Symbol        Type    Qty    Strike    Expiration      Avg Price"),
            line("AAPL          Call      2     230.00    2024-08-16      4.35"),
            line("SPY           Put      -1     540.00    2024-07-19      2.10"),
            line("MSFT          Stock   100          -              -      441.20"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        assert_eq!(x.positions.len(), 3);
        let a = &x.positions[0];
        assert_eq!(a.symbol, "AAPL240816C00230000");
        assert_eq!(
            (a.kind, a.strike, a.expiration),
            (Some(PositionKind::Call), Some(230.0), Some(d("2024-08-16")))
        );
        assert_eq!((a.quantity, a.price), (Some(2.0), Some(4.35)));
        assert_eq!(x.positions[1].quantity, Some(-1.0));
        assert_eq!(x.positions[1].kind, Some(PositionKind::Put));
        let m = &x.positions[2];
        assert_eq!(
            (m.symbol.as_str(), m.kind, m.strike, m.expiration),
            ("MSFT", Some(PositionKind::Stock), None, None)
        );
        assert_eq!(m.price, Some(441.2));
        assert_eq!(m.confidence.strike, 1.0, "a stock has no strike to doubt");
    }

    #[test]
    fn a_symbol_cell_may_carry_the_whole_contract() {
        let lines = [
            line("Financial Instrument           Position    Avg Price"),
            line("AAPL Aug16'24 230 CALL              2          4.35"),
            line("SPY 240719P00540000                (1)         2.10"),
            line("QQQ 08/16/2024 480.00 C            -3         $1,012.50"),
            line("IWM Aug 16 210 Put                  5          0.95"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        let syms: Vec<&str> = x.positions.iter().map(|p| p.symbol.as_str()).collect();
        assert_eq!(
            syms,
            [
                "AAPL240816C00230000",
                "SPY240719P00540000",
                "QQQ240816C00480000",
                "IWM240816P00210000"
            ]
        );
        assert_eq!(x.positions[1].quantity, Some(-1.0), "(1) is short one");
        assert_eq!(x.positions[2].price, Some(1012.5));
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    }

    #[test]
    fn what_cannot_be_read_is_left_empty_with_no_confidence_and_named() {
        let mut lines = vec![
            line("Symbol    Type    Qty    Strike    Exp          Price"),
            line("AAPL      Call    2x     230       2024-08-16   4.35"),
            line("Total                                            12.00"),
        ];
        lines[1].words[1].confidence = 0.31;
        let x = parse(&lines, d("2024-07-01"));
        assert_eq!(x.positions.len(), 1, "a totals line is not a position");
        let a = &x.positions[0];
        assert_eq!(a.quantity, None);
        assert_eq!(a.confidence.quantity, 0.0);
        assert_eq!(
            a.confidence.kind, 0.31,
            "a field carries its words' confidence"
        );
        assert_eq!(
            x.warnings,
            ["row 1 of the table (AAPL): the quantity could not be read"]
        );
        let none = parse(
            &[line("Welcome back"), line("Your account is up 2 %")],
            d("2024-07-01"),
        );
        assert!(none.positions.is_empty());
        assert!(none.warnings[0].contains("no positions table"));
    }

    #[test]
    fn an_unreadable_contract_is_not_taken_for_stock() {
        let lines = [
            line("Financial Instrument           Position    Avg Price"),
            line("SPY 240719P0054000O                 -1         2.10"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        let p = &x.positions[0];
        assert_eq!(
            p.kind, None,
            "an option whose contract OCR garbled is not stock"
        );
        assert_eq!(p.confidence.kind, 0.0);
        assert!(
            x.warnings.iter().any(|w| w.contains("the type")),
            "{:?}",
            x.warnings
        );
    }

    #[test]
    fn columns_this_reader_does_not_use_keep_their_values() {
        let lines = [
            line("Symbol   Qty   Mark   Last Price   Avg Price   P/L"),
            line("AAPL     2     4.80   4.81         4.35        +90.00"),
            line("TOTAL                                          +90.00"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        assert_eq!(
            x.positions.len(),
            1,
            "a total is not a position: {:?}",
            x.positions
        );
        let p = &x.positions[0];
        assert_eq!((p.quantity, p.price), (Some(2.0), Some(4.35)));
    }

    #[test]
    fn strikes_years_and_dates_without_a_year_are_told_apart() {
        let lines = [
            line("Instrument                                   Qty     Avg Price"),
            line("SPX Aug 16 5400 Put                            1      31.20"),
            line("F Sep 20 12 Call                               10     0.45"),
            line("AAPL 100 (Weeklys) 16 AUG 24 230 CALL          2      4.35"),
            line("SPY Jan 17 600 Call                            1      9.10"),
            line("NVDA Aug16\u{2019}24 130 CALL                      3      5.00"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        let syms: Vec<&str> = x.positions.iter().map(|p| p.symbol.as_str()).collect();
        assert_eq!(
            syms,
            [
                "SPX240816P05400000",
                "F240920C00012000",
                "AAPL240816C00230000",
                // January 17 has passed on July 1: the next one.
                "SPY250117C00600000",
                "NVDA240816C00130000",
            ]
        );
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    }

    #[test]
    fn a_wide_left_aligned_cell_stays_in_its_column() {
        // "Symbol" is short and far from "Qty": the contract runs past it.
        let lines = [
            line("Symbol                         Qty    Price"),
            line("AAPL Aug16'24 230 CALL           2    4.35"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        assert_eq!(x.positions[0].symbol, "AAPL240816C00230000");
        assert_eq!(x.positions[0].quantity, Some(2.0));
    }
}
