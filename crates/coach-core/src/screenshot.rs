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

impl Word {
    fn center(&self) -> f32 {
        self.left as f32 + self.width as f32 / 2.0
    }
}

/// One line of words, left to right.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    pub words: Vec<Word>,
}

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Symbol,
    Kind,
    Quantity,
    Strike,
    Expiration,
    Price,
}

/// Header words (lower case) and the column they name; two-word names first.
const HEADERS: &[(&str, Role)] = &[
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

/// The header's columns: each role with the horizontal centre of its name.
fn header(line: &Line) -> Vec<(Role, f32)> {
    let w = &line.words;
    let mut cols: Vec<(Role, f32)> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let two = w
            .get(i + 1)
            .map(|n| format!("{} {}", norm(&w[i].text), norm(&n.text)));
        let one = norm(&w[i].text);
        let hit = HEADERS.iter().find_map(|(name, role)| {
            if name.contains(' ') {
                (two.as_deref() == Some(*name)).then_some((*role, 2))
            } else {
                (one == *name).then_some((*role, 1))
            }
        });
        match hit {
            Some((role, n)) => {
                let (a, b) = (&w[i], &w[i + n - 1]);
                let center = (a.left as f32 + (b.left + b.width) as f32) / 2.0;
                if !cols.iter().any(|(r, _)| *r == role) {
                    cols.push((role, center));
                }
                i += n;
            }
            None => i += 1,
        }
    }
    cols
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

/// A date as screens write it, from the words at `at`: the number of words it
/// took and the date. `year` is used when the screen shows none.
fn date_at(words: &[&str], at: usize, year: i32) -> Option<(usize, NaiveDate)> {
    let w = words.get(at)?.trim_end_matches(',');
    if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
        return Some((1, d));
    }
    let parts: Vec<&str> = w.split('/').collect();
    if parts.len() >= 2
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
    {
        let (m, d) = (parts[0].parse().ok()?, parts[1].parse().ok()?);
        let y = match parts.get(2) {
            Some(y) => full_year(y.parse().ok()?),
            None => year,
        };
        return NaiveDate::from_ymd_opt(y, m, d).map(|x| (1, x));
    }
    // "Aug 16 2024", "Aug 16 '24", "Aug16'24", "16 AUG 24", "Aug 16".
    let next = |i: usize| words.get(at + i).map(|s| s.trim_end_matches(','));
    let year_word = |s: Option<&str>| -> Option<i32> {
        let s = s?.trim_start_matches('\'');
        (s.len() == 2 || s.len() == 4)
            .then(|| s.parse::<i32>().ok().map(full_year))
            .flatten()
    };
    if let Some(m) = month(w) {
        let rest = &w[3..];
        if let Some((d, y)) = rest.split_once('\'') {
            return NaiveDate::from_ymd_opt(full_year(y.parse().ok()?), m, d.parse().ok()?)
                .map(|x| (1, x));
        }
        let d: u32 = next(1)?.parse().ok()?;
        return match year_word(next(2)) {
            Some(y) => NaiveDate::from_ymd_opt(y, m, d).map(|x| (3, x)),
            None => NaiveDate::from_ymd_opt(year, m, d).map(|x| (2, x)),
        };
    }
    if let (Ok(d), Some(m)) = (w.parse::<u32>(), next(1).and_then(month)) {
        return match year_word(next(2)) {
            Some(y) => NaiveDate::from_ymd_opt(y, m, d).map(|x| (3, x)),
            None => NaiveDate::from_ymd_opt(year, m, d).map(|x| (2, x)),
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
    (1..=6)
        .contains(&t.len())
        .then_some(())
        .filter(|_| t.chars().all(|c| c.is_ascii_uppercase() || c == '.'))
        .map(|_| t.to_string())
}

/// What a symbol cell says: the ticker, and for an option its kind, strike
/// and expiration when the cell carries them.
struct Described {
    underlying: Option<String>,
    kind: Option<PositionKind>,
    strike: Option<f64>,
    expiration: Option<NaiveDate>,
}

fn describe(cell: &str, year: i32) -> Described {
    let mut out = Described {
        underlying: None,
        kind: None,
        strike: None,
        expiration: None,
    };
    let squeezed: String = cell.split_whitespace().collect();
    if let Some(c) = OptionContract::parse_occ(&squeezed) {
        out.underlying = Some(c.underlying.clone());
        out.kind = Some(match c.kind {
            OptionKind::Call => PositionKind::Call,
            OptionKind::Put => PositionKind::Put,
        });
        out.strike = Some(c.strike);
        out.expiration = Some(c.expiration);
        return out;
    }
    let words: Vec<&str> = cell.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if out.underlying.is_none() {
            if let Some(t) = ticker(w) {
                out.underlying = Some(t);
                i += 1;
                continue;
            }
        }
        if out.expiration.is_none() {
            if let Some((n, d)) = date_at(&words, i, year) {
                out.expiration = Some(d);
                i += n;
                continue;
            }
        }
        if let Some(k) = kind_word(w) {
            out.kind = Some(k);
        } else if out.strike.is_none() {
            out.strike = number(w).filter(|x| *x > 0.0);
        }
        i += 1;
    }
    out
}

/// Reads the positions table in `lines`. `year` stands in for a date shown
/// without one.
pub fn parse(lines: &[Line], year: i32) -> Extraction {
    let mut warnings = Vec::new();
    let Some((at, cols)) = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, header(l)))
        .find(|(_, c)| c.len() >= 3 && c.iter().any(|(r, _)| *r == Role::Symbol))
    else {
        return Extraction {
            broker: "unknown".into(),
            positions: vec![],
            warnings: vec![
                "no positions table was found (no header naming a symbol and two more columns)"
                    .into(),
            ],
        };
    };
    let mut cols = cols;
    cols.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut positions = Vec::new();
    for (n, line) in lines.iter().enumerate().skip(at + 1) {
        // Each word goes to the column whose header centre is nearest.
        let mut cells: Vec<(Role, Vec<&Word>)> = cols.iter().map(|(r, _)| (*r, vec![])).collect();
        for w in &line.words {
            let c = w.center();
            let (i, _) = cols
                .iter()
                .enumerate()
                .min_by(|a, b| (a.1 .1 - c).abs().total_cmp(&(b.1 .1 - c).abs()))
                .expect("a header has columns");
            cells[i].1.push(w);
        }
        let cell = |role: Role| -> Option<(String, f32)> {
            let ws = &cells.iter().find(|(r, _)| *r == role)?.1;
            if ws.is_empty() {
                return None;
            }
            let text = ws
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let conf = ws.iter().map(|w| w.confidence).fold(1.0f32, f32::min);
            Some((text, conf))
        };
        let Some((sym_text, sym_conf)) = cell(Role::Symbol) else {
            continue;
        };
        let d = describe(&sym_text, year);
        let Some(underlying) = d.underlying.clone() else {
            // Totals, section titles and the like.
            continue;
        };
        let row = n + 1;
        let mut conf = FieldConfidence {
            underlying: sym_conf,
            ..FieldConfidence::default()
        };
        let from_cell =
            |role: Role| cell(role).filter(|(t, _)| !norm(t).is_empty() && t.trim() != "-");
        let kind = match from_cell(Role::Kind).and_then(|(t, c)| kind_word(&t).map(|k| (k, c))) {
            Some((k, c)) => {
                conf.kind = c;
                Some(k)
            }
            None => {
                conf.kind = if d.kind.is_some() { sym_conf } else { 0.0 };
                d.kind
            }
        };
        let strike = match from_cell(Role::Strike).and_then(|(t, c)| number(&t).map(|v| (v, c))) {
            Some((v, c)) => {
                conf.strike = c;
                Some(v)
            }
            None => {
                conf.strike = if d.strike.is_some() { sym_conf } else { 0.0 };
                d.strike
            }
        };
        let expiration = match from_cell(Role::Expiration).and_then(|(t, c)| {
            let ws: Vec<&str> = t.split_whitespace().collect();
            date_at(&ws, 0, year).map(|(_, v)| (v, c))
        }) {
            Some((v, c)) => {
                conf.expiration = c;
                Some(v)
            }
            None => {
                conf.expiration = if d.expiration.is_some() {
                    sym_conf
                } else {
                    0.0
                };
                d.expiration
            }
        };
        let quantity = from_cell(Role::Quantity).and_then(|(t, c)| number(&t).map(|v| (v, c)));
        conf.quantity = quantity.map_or(0.0, |q| q.1);
        let price = from_cell(Role::Price).and_then(|(t, c)| number(&t).map(|v| (v, c)));
        conf.price = price.map_or(0.0, |p| p.1);
        // A row with neither strike nor expiration (nor an option's type) is stock.
        let kind = match kind {
            Some(k) => Some(k),
            None if strike.is_none() && expiration.is_none() => {
                conf.kind = sym_conf;
                Some(PositionKind::Stock)
            }
            None => None,
        };
        if kind == Some(PositionKind::Stock) {
            conf.strike = 1.0;
            conf.expiration = 1.0;
        }
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
        for (what, missing) in [
            ("the type (call, put or stock)", kind.is_none()),
            ("the quantity", quantity.is_none()),
            ("the price", price.is_none()),
            (
                "the strike",
                matches!(kind, Some(PositionKind::Call | PositionKind::Put)) && strike.is_none(),
            ),
            (
                "the expiration",
                matches!(kind, Some(PositionKind::Call | PositionKind::Put))
                    && expiration.is_none(),
            ),
        ] {
            if missing {
                warnings.push(format!(
                    "line {row} ({underlying}): {what} could not be read"
                ));
            }
        }
        positions.push(ExtractedPosition {
            symbol,
            underlying: Some(underlying),
            kind,
            strike: if kind == Some(PositionKind::Stock) {
                None
            } else {
                strike
            },
            expiration: if kind == Some(PositionKind::Stock) {
                None
            } else {
                expiration
            },
            quantity: quantity.map(|q| q.0),
            price: price.map(|p| p.0),
            confidence: conf,
        });
    }
    if positions.is_empty() {
        warnings.push("the table has a header but no position rows were read".into());
    }
    Extraction {
        broker: "unknown".into(),
        positions,
        warnings,
    }
}

/// The current year, for dates shown without one.
pub fn this_year(today: NaiveDate) -> i32 {
    today.year()
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
        let x = parse(&lines, 2024);
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
        let x = parse(&lines, 2024);
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
        let x = parse(&lines, 2024);
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
            ["line 2 (AAPL): the quantity could not be read"]
        );
        let none = parse(
            &[line("Welcome back"), line("Your account is up 2 %")],
            2024,
        );
        assert!(none.positions.is_empty());
        assert!(none.warnings[0].contains("no positions table"));
    }
}
