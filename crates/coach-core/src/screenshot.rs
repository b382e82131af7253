//! Positions from the text of a broker's positions screen (#17): lines of
//! words with their confidence and position (from OCR) in, one row per
//! position out, each field with its own confidence. A table is read by its
//! header (which words name the symbol, type, quantity, strike, expiration
//! and price columns); a symbol cell may also carry the whole contract
//! ("AAPL 240816C00230000", "AAPL Aug 16 '24 230 Call", "AAPL 100 16 AUG 24
//! 230 CALL", "AAPL 240816 230.00C"). A screen without a table is read as a
//! list of cards (Robinhood's app: "AAPL $230 Call / 8/16 · 2 buys / Avg cost
//! $5.10"). The broker is told by the screen's vocabulary. Text is data:
//! nothing in it is obeyed.

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

impl FieldConfidence {
    /// The fields by name, in the contract's order.
    pub const FIELDS: [&'static str; 6] = [
        "underlying",
        "kind",
        "strike",
        "expiration",
        "quantity",
        "price",
    ];

    /// Each field's confidence, in [`FieldConfidence::FIELDS`]' order.
    pub fn values(&self) -> [f32; 6] {
        [
            self.underlying,
            self.kind,
            self.strike,
            self.expiration,
            self.quantity,
            self.price,
        ]
    }

    /// The lowest of them.
    pub fn lowest(&self) -> f32 {
        self.values().into_iter().fold(1.0, f32::min)
    }

    /// A field's confidence by name (none for a name that is not a field).
    pub fn get_mut(&mut self, field: &str) -> Option<&mut f32> {
        Some(match field {
            "underlying" => &mut self.underlying,
            "kind" => &mut self.kind,
            "strike" => &mut self.strike,
            "expiration" => &mut self.expiration,
            "quantity" => &mut self.quantity,
            "price" => &mut self.price,
            _ => return None,
        })
    }
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
    /// Market value: only its sign is used, to check a quantity's.
    MarketValue,
}

/// Header words (lower case) and the column they name; two-word names first.
const HEADERS: &[(&str, Role)] = &[
    ("last price", Role::Ignore),
    ("market price", Role::Ignore),
    ("mark price", Role::Ignore),
    ("cost basis", Role::Ignore),
    ("market value", Role::MarketValue),
    ("net liq", Role::Ignore),
    ("mkt value", Role::MarketValue),
    ("mkt val", Role::MarketValue),
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
    // OCR runs the two words together.
    ("expdate", Role::Expiration),
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
        // Webull's "Symbol/Name": the first name counts.
        let one = match one.split_once('/') {
            Some((first, _)) if HEADERS.iter().any(|(name, _)| *name == first) => first.to_string(),
            _ => one,
        };
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
        // A second symbol column (Symbol, then Description) is kept: the
        // contract may be written there.
        let role = if !matches!(role, Role::Ignore | Role::Symbol)
            && cols.iter().any(|c| c.role == role)
        {
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
    let w = words.get(at)?.trim_end_matches([',', ':', ';']);
    if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
        return Some((1, d));
    }
    // Webull's "240816" (YYMMDD).
    if w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(w, "%y%m%d").ok().map(|d| (1, d));
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
    // "BRK.B" has a dot; "MSFT." has one OCR added.
    let t = s.trim().trim_end_matches('.');
    let ok = (1..=6).contains(&t.len())
        && t.chars().any(|c| c.is_ascii_uppercase())
        && t.chars().all(|c| c.is_ascii_uppercase() || c == '.')
        && !NOT_TICKERS.contains(&t);
    ok.then(|| t.to_string())
}

/// A ticker from a word as read: in capitals; or, when OCR was unsure of it
/// (below LOW_CONFIDENCE) and read some of its letters in lower case
/// ("QaQ"), in capitals with the confidence it had, so a garbled ticker is
/// kept and flagged rather than its row dropped.
fn ticker_conf(s: &str, confidence: f32) -> Option<(String, f32)> {
    if let Some(t) = ticker(s) {
        return Some((t, confidence));
    }
    let t = s.trim();
    let garbled = confidence < LOW_CONFIDENCE
        && (1..=5).contains(&t.len())
        && t.chars().all(|c| c.is_ascii_alphabetic())
        && t.chars().any(|c| c.is_ascii_uppercase());
    garbled
        .then(|| ticker(&t.to_ascii_uppercase()).map(|t| (t, confidence)))
        .flatten()
}

fn ticker_of(w: &Word) -> Option<(String, f32)> {
    ticker_conf(&w.text, w.confidence)
}

/// A strike with its type stuck to it, as Webull writes it: `230.00C`.
fn strike_with_kind(s: &str) -> Option<(f64, PositionKind)> {
    let kind = match s.chars().last()? {
        'C' | 'c' => PositionKind::Call,
        'P' | 'p' => PositionKind::Put,
        _ => return None,
    };
    let n = &s[..s.len() - 1];
    if !n.contains('.') && n.len() > 5 {
        return None;
    }
    number(n).filter(|v| *v > 0.0).map(|v| (v, kind))
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
            if let Some(t) = ticker_conf(w, conf(i)) {
                out.underlying = Some(t);
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
        } else if let Some((v, k)) = strike_with_kind(w) {
            out.kind = Some((k, conf(i)));
            numbers.push((v, conf(i)));
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

/// A field whose confidence is below this is "low": it may be wrong, and the
/// extraction card highlights it for the trader to check.
pub const LOW_CONFIDENCE: f32 = 0.6;

/// The fields of one position as read, each with its confidence, before
/// the position is put together.
struct Fields {
    underlying: (String, f32),
    kind: Option<(PositionKind, f32)>,
    strike: Option<(f64, f32)>,
    expiration: Option<(NaiveDate, f32)>,
    quantity: Option<(f64, f32)>,
    price: Option<(f64, f32)>,
    /// Words of the contract that could not be placed.
    rest: usize,
}

/// One position from its fields; what is missing is named in `warnings`
/// under `place` ("row 2 of the table").
fn position(f: Fields, place: &str, warnings: &mut Vec<String>) -> ExtractedPosition {
    let (underlying, u_conf) = f.underlying;
    let mut kind = f.kind;
    // Stock only when nothing says otherwise: no strike, no expiration, and
    // no word of the contract left unread.
    if kind.is_none() && f.strike.is_none() && f.expiration.is_none() && f.rest == 0 {
        kind = Some((PositionKind::Stock, u_conf));
    }
    let mut conf = FieldConfidence {
        underlying: u_conf,
        kind: kind.map_or(0.0, |k| k.1),
        quantity: f.quantity.map_or(0.0, |q| q.1),
        price: f.price.map_or(0.0, |p| p.1),
        ..FieldConfidence::default()
    };
    let is_stock = matches!(kind, Some((PositionKind::Stock, _)));
    if is_stock {
        // A stock has no strike or expiration to doubt.
        conf.strike = 1.0;
        conf.expiration = 1.0;
    } else {
        conf.strike = f.strike.map_or(0.0, |s| s.1);
        conf.expiration = f.expiration.map_or(0.0, |e| e.1);
    }
    let kind = kind.map(|k| k.0);
    let (strike, expiration) = if is_stock {
        (None, None)
    } else {
        (f.strike.map(|s| s.0), f.expiration.map(|e| e.0))
    };
    let symbol = match (kind, strike, expiration) {
        (Some(k @ (PositionKind::Call | PositionKind::Put)), Some(s), Some(e)) => OptionContract {
            underlying: underlying.clone(),
            expiration: e,
            kind: if k == PositionKind::Call {
                OptionKind::Call
            } else {
                OptionKind::Put
            },
            strike: s,
        }
        .occ(),
        _ => underlying.clone(),
    };
    let option = !is_stock;
    for (what, missing) in [
        ("the type (call, put or stock)", kind.is_none()),
        ("the quantity", f.quantity.is_none()),
        ("the price", f.price.is_none()),
        ("the strike", option && strike.is_none()),
        ("the expiration", option && expiration.is_none()),
    ] {
        if missing {
            warnings.push(format!("{place} ({underlying}): {what} could not be read"));
        }
    }
    ExtractedPosition {
        symbol,
        underlying: Some(underlying),
        kind,
        strike,
        expiration,
        quantity: f.quantity.map(|q| q.0),
        price: f.price.map(|p| p.0),
        confidence: conf,
        checks: vec![],
    }
}

/// Reads the positions in `lines`: a table found by its header, or else a
/// list of cards (Robinhood's phone app). `today` dates what is shown
/// without a year (the next such date that has not passed).
pub fn parse(lines: &[Line], today: NaiveDate) -> Extraction {
    let broker = detect_broker(lines).to_string();
    let table = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, header(l)))
        .find(|(_, c)| {
            let mut roles: Vec<Role> = c
                .iter()
                .map(|c| c.role)
                .filter(|r| *r != Role::Ignore)
                .collect();
            roles.dedup();
            roles.sort_by_key(|r| *r as u8);
            roles.dedup();
            roles.len() >= 3 && c.iter().any(|c| c.role == Role::Symbol)
        });
    let read = match table {
        Some((at, cols)) => Some(read_table(&lines[at + 1..], &cols, today)),
        None => read_cards(lines, today),
    };
    let Some((positions, warnings, totals)) = read else {
        return Extraction {
            broker,
            positions: vec![],
            warnings: vec![
                "no positions table was found (no header naming a symbol and two more columns)"
                    .into(),
            ],
            totals: None,
        };
    };
    Extraction {
        broker,
        positions,
        warnings,
        totals,
    }
}

type Read = (Vec<ExtractedPosition>, Vec<String>, Option<Totals>);

/// The rows under a table's header.
fn read_table(lines: &[Line], cols: &[Column], today: NaiveDate) -> Read {
    let mut warnings = Vec::new();
    let mut positions = Vec::new();
    let mut totals = None;
    let mut row = 0;
    for line in lines {
        let mut cells: Vec<Vec<&Word>> = vec![vec![]; cols.len()];
        for w in &line.words {
            cells[column_of(cols, (w.left + w.width) as f32)].push(w);
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
        let quantity = cell(Role::Quantity);
        // The total row: its quantity, when it shows one; never a position.
        if cells[si]
            .first()
            .is_some_and(|w| matches!(norm(&w.text).as_str(), "total" | "totals"))
        {
            if let Some((t, c)) = &quantity {
                let q = number(t);
                totals = Some(Totals {
                    quantity: q,
                    confidence: if q.is_some() { *c } else { 0.0 },
                });
            }
            continue;
        }
        let mut d = describe(&cells[si], today);
        // A second symbol-like column (a Description beside a bare Symbol)
        // may carry the contract: it is used when it reads as a whole option
        // (call or put, strike and expiration) and the Symbol column does
        // not. The ticker stays the Symbol column's: a description names the
        // company too ("SPDR S&P 500 ETF TRUST", "CALL NVIDIA CORP $185").
        let option = |x: &Described| {
            matches!(x.kind, Some((PositionKind::Call | PositionKind::Put, _)))
                && x.strike.is_some()
                && x.expiration.is_some()
        };
        if !option(&d) {
            for (oi, c) in cols.iter().enumerate().skip(si + 1) {
                if c.role != Role::Symbol {
                    continue;
                }
                let o = describe(&cells[oi], today);
                if option(&o) {
                    let underlying = d.underlying.take().or(o.underlying.clone());
                    d = Described { underlying, ..o };
                    break;
                }
            }
        }
        let Some(underlying) = d.underlying.clone() else {
            // Section titles, blank rows.
            continue;
        };
        let mut quantity = quantity.and_then(|(t, c)| number(&t).map(|v| (v, c)));
        // A negative market value is a short: a long quantity beside it lost
        // its minus sign (OCR drops a thin "-" more often than any digit).
        let value = cell(Role::MarketValue).and_then(|(t, _)| number(&t));
        let mut sign_doubt = false;
        if let (Some((q, c)), Some(v)) = (quantity.as_mut(), value) {
            if *q > 0.0 && v < 0.0 {
                *c = c.min(LOW_CONFIDENCE / 2.0);
                sign_doubt = true;
            }
        }
        let price = cell(Role::Price).and_then(|(t, c)| number(&t).map(|v| (v, c)));
        if quantity.is_none() && price.is_none() && d.kind.is_none() && d.strike.is_none() {
            // Nothing of a position on it (a total, a note).
            continue;
        }
        row += 1;
        let kind = cell(Role::Kind)
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
        positions.push(position(
            Fields {
                underlying,
                kind,
                strike,
                expiration,
                quantity,
                price,
                rest: d.rest,
            },
            &format!("row {row} of the table"),
            &mut warnings,
        ));
        if sign_doubt {
            warnings.push(format!(
                "row {row} of the table: the quantity is long but the market value is negative (a short?)"
            ));
        }
    }
    if positions.is_empty() {
        warnings.push("the table has a header but no position rows were read".into());
    }
    (positions, warnings, totals)
}

/// A list of cards, one per position, as Robinhood's app shows them:
///
/// ```text
/// AAPL $230 Call                 $1,080.00
/// 8/16 · 2 buys                     +$60.00
/// Avg cost $5.10
/// MSFT   10 shares   Avg cost $412.30
/// ```
///
/// A card starts at a line that starts with a ticker; the contract is on
/// that line (the `$` strike before Call or Put), the expiration, `N buys`,
/// `N sells` or `N shares`, and `Avg cost $X` anywhere in the card. None
/// when the lines hold no card.
fn read_cards(lines: &[Line], today: NaiveDate) -> Option<Read> {
    let mut cards: Vec<Vec<&Word>> = Vec::new();
    let mut heads: Vec<(String, f32)> = Vec::new();
    for line in lines {
        let Some(first) = line.words.first() else {
            continue;
        };
        if let Some(t) = ticker_of(first) {
            heads.push(t);
            cards.push(line.words.iter().skip(1).collect());
        } else if let Some(card) = cards.last_mut() {
            card.extend(line.words.iter());
        }
    }
    let mut warnings = Vec::new();
    let mut positions = Vec::new();
    for (underlying, card) in heads.into_iter().zip(cards) {
        let words: Vec<String> = card
            .iter()
            .map(|w| w.text.replace(['\u{2019}', '\u{2018}'], "'"))
            .collect();
        let conf = |i: usize| card[i].confidence;
        let lower = |i: usize| words.get(i).map(|w| norm(w)).unwrap_or_default();
        let mut f = Fields {
            underlying,
            kind: None,
            strike: None,
            expiration: None,
            quantity: None,
            price: None,
            rest: 0,
        };
        let mut i = 0;
        while i < words.len() {
            let w = lower(i);
            match w.as_str() {
                "call" | "put" if f.kind.is_none() => {
                    f.kind = kind_word(&w).map(|k| (k, conf(i)));
                    // The strike is written just before: "$230 Call".
                    f.strike = i
                        .checked_sub(1)
                        .and_then(|j| number(&words[j]).map(|v| (v, conf(j))));
                }
                "buy" | "buys" | "sell" | "sells" | "share" | "shares" | "contract"
                | "contracts"
                    if f.quantity.is_none() =>
                {
                    let sign = if w.starts_with("sell") { -1.0 } else { 1.0 };
                    f.quantity = i
                        .checked_sub(1)
                        .and_then(|j| number(&words[j]).map(|v| (sign * v, conf(j).min(conf(i)))));
                    if w.starts_with("share") && f.kind.is_none() {
                        f.kind = Some((PositionKind::Stock, conf(i)));
                    }
                }
                "cost" if f.price.is_none() && i > 0 && lower(i - 1).starts_with("av") => {
                    f.price = words
                        .get(i + 1)
                        .and_then(|n| number(n))
                        .map(|v| (v, conf(i + 1)));
                }
                _ => {
                    if f.expiration.is_none() && !words[i].starts_with('$') {
                        if let Some((n, d)) = date_at(&words, i, today) {
                            let cf = (i..i + n).map(conf).fold(1.0f32, f32::min);
                            f.expiration = Some((d, cf));
                            i += n;
                            continue;
                        }
                    }
                }
            }
            i += 1;
        }
        if f.kind.is_none() && f.quantity.is_none() && f.price.is_none() {
            // A ticker on a line of its own (a watchlist, a heading).
            continue;
        }
        let options = f
            .kind
            .is_some_and(|k| matches!(k.0, PositionKind::Call | PositionKind::Put));
        if !options && f.kind.is_none() && f.expiration.is_some() {
            // A date but no call or put: an option whose type was not read.
            f.rest = 1;
        }
        let n = positions.len() + 1;
        positions.push(position(f, &format!("card {n}"), &mut warnings));
    }
    (!positions.is_empty()).then_some((positions, warnings, None))
}

/// Which broker's screen the lines come from, by its vocabulary: its name,
/// its titles and column names, and how it writes contracts. "unknown" when
/// nothing is telling.
pub fn detect_broker(lines: &[Line]) -> &'static str {
    let text: String = lines
        .iter()
        .map(|l| {
            l.words
                .iter()
                .map(|w| w.text.replace(['\u{2019}', '\u{2018}'], "'").to_lowercase())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let words: Vec<&str> = text.split_whitespace().collect();
    let has = |s: &str| text.contains(s);
    let word = |s: &str| {
        words
            .iter()
            .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == s)
    };
    let count = |f: &dyn Fn(&str) -> bool| words.iter().filter(|w| f(w)).count();
    // thinkorswim writes the multiplier and the day first: "100 16 AUG 24".
    let tos_contract = words.windows(4).any(|w| {
        w[0] == "100"
            && w[1].len() <= 2
            && w[1].chars().all(|c| c.is_ascii_digit())
            && month(w[2]).is_some()
            && w[2].len() == 3
    });
    // IBKR: "Aug16'24".
    let ibkr_contract = count(&|w| {
        w.is_ascii()
            && w.len() == 8
            && month(w).is_some()
            && w.as_bytes()[5] == b'\''
            && w[3..5].chars().all(|c| c.is_ascii_digit())
    }) > 0;
    // Webull: "240816 230.00C".
    let webull_contract = words.windows(2).any(|w| {
        w[0].len() == 6
            && NaiveDate::parse_from_str(w[0], "%y%m%d").is_ok()
            && strike_with_kind(w[1]).is_some()
    });
    let robinhood_counts = count(&|w| matches!(w, "buys" | "sells" | "buy" | "sell"))
        + count(&|w| w.trim_end_matches(',') == "shares");
    let scores: [(&'static str, f32); 5] = [
        (
            "thinkorswim",
            5.0 * f32::from(word("thinkorswim") as u8)
                + 3.0 * f32::from(has("position statement") as u8)
                + 2.0 * f32::from(tos_contract as u8)
                + f32::from(has("(weeklys)") as u8)
                + f32::from(has("p/l day") as u8),
        ),
        (
            "tastytrade",
            5.0 * f32::from((word("tastytrade") || word("tastyworks")) as u8)
                + 2.0 * f32::from(word("dte") as u8)
                + f32::from(has("exp date") as u8)
                + 0.5 * f32::from(has("p/l open") as u8),
        ),
        (
            "ibkr",
            5.0 * f32::from(
                (has("interactive brokers") || has("trader workstation") || word("ibkr")) as u8,
            ) + 3.0 * f32::from(has("financial instrument") as u8)
                + 2.0 * f32::from(ibkr_contract as u8)
                + f32::from(has("unrealized p&l") as u8),
        ),
        (
            "robinhood",
            5.0 * f32::from(word("robinhood") as u8)
                + 2.0 * f32::from((robinhood_counts > 0) as u8)
                + f32::from((robinhood_counts > 1) as u8)
                + f32::from(has("avg cost $") as u8),
        ),
        (
            "webull",
            5.0 * f32::from(word("webull") as u8)
                + 2.0 * f32::from(has("mkt value") as u8)
                + 2.0 * f32::from(webull_contract as u8)
                + f32::from(has("open p&l") as u8),
        ),
    ];
    let best = scores
        .iter()
        .fold(("unknown", 0.0f32), |a, b| if b.1 > a.1 { *b } else { a });
    let tied = scores.iter().filter(|s| s.1 == best.1).count() > 1;
    if best.1 >= 2.0 && !tied {
        best.0
    } else {
        "unknown"
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
    fn a_description_beside_a_bare_symbol_carries_the_contract() {
        let lines = [
            line("Symbol  Description                           Quantity  Avg Cost  Last    Market Value"),
            line("NVDA    NVDA JUL 19 2024 185 CALL             3         $4.20     $4.55   $1,365.00"),
            line("QQQ     QQ AUG 16 2024 570 PUT                -2        $6.10     $5.80   -$1,160.00"),
            line("AMZN    AMAZON.COM INC                        25        $181.35   $182.6  $4,565.00"),
            line("QQQ     INVESCO QQQ TRUST SERIES 1            10        $480.10   $482    $4,820.00"),
            line("SPY     SPDR S&P 500 ETF TRUST                5         $540.00   $545    $2,725.00"),
            line("NVDA    CALL NVIDIA CORP $190 EXP 08/16/24    1         $3.10     $3.00   $300.00"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        let syms: Vec<&str> = x.positions.iter().map(|p| p.symbol.as_str()).collect();
        assert_eq!(
            syms,
            [
                "NVDA240719C00185000",
                "QQQ240816P00570000",
                "AMZN",
                "QQQ",
                "SPY",
                "NVDA240816C00190000"
            ],
            "the Symbol column's ticker, the Description's contract; names of funds are not contracts"
        );
        assert_eq!(x.positions[1].quantity, Some(-2.0));
        for p in &x.positions[2..5] {
            assert_eq!(p.kind, Some(PositionKind::Stock), "{p:?}");
            assert!(p.confidence.underlying > LOW_CONFIDENCE, "{p:?}");
        }
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

    fn brokers(screens: &[&[&str]]) -> Vec<&'static str> {
        screens
            .iter()
            .map(|ls| detect_broker(&ls.iter().map(|l| line(l)).collect::<Vec<_>>()))
            .collect()
    }

    #[test]
    fn the_broker_is_told_by_its_vocabulary() {
        let got = brokers(&[
            &[
                "Position Statement",
                "Instrument                         Qty   Trade Price   Mark   P/L Open",
                "AAPL 100 16 AUG 24 235 CALL         +2   6.85          7.20   +70.00",
            ],
            &[
                "Symbol  Type  Qty  Exp Date  DTE  Strike  Trade Price  Mark  P/L Open",
                "QQQ     Put   -2   Jul 19    18   565     3.45         2.80  +130.00",
            ],
            &[
                "Financial Instrument      Position  Avg Price  Last  Market Value  Unrealized P&L",
                "AAPL Aug16'24 230 CALL    2         7.45       7.95  1,590.00      100.00",
            ],
            &[
                "AAPL $232.50 Call             $1,440.00",
                "8/16 · 2 buys",
                "Avg cost $6.90",
                "MSFT   10 shares   Avg cost $455.60",
            ],
            &[
                "Symbol               Qty  Avg Cost  Last Price  Mkt Value  Open P&L",
                "AAPL 240816 235.00C  2    5.95      6.10        1,220.00   +30.00",
            ],
            &[
                "Symbol  Type  Qty  Strike  Expiration  Avg Price",
                "AAPL    Call  2    230.00  2024-08-16  4.35",
            ],
            // The name alone says it.
            &["tastytrade   Positions   Activity"],
            &["Welcome back"],
        ]);
        assert_eq!(
            got,
            [
                "thinkorswim",
                "tastytrade",
                "ibkr",
                "robinhood",
                "webull",
                "unknown",
                "tastytrade",
                "unknown"
            ]
        );
    }

    #[test]
    fn robinhood_cards_read_without_a_table() {
        let lines = [
            line("Investing"),
            line("$28,412.75"),
            line("Options"),
            line("AAPL $232.50 Call                    $1,440.00"),
            line("8/16 · 2 buys                          +$60.00"),
            line("Avg cost $6.90"),
            line("SPY $575 Put                           $290.00"),
            line("7/19 · 1 sell                          +$50.00"),
            line("Avg cost $3.40"),
            line("Stocks"),
            line("MSFT    10 shares    Avg cost $455.60"),
            line("META                                 $5,009.25"),
            line("5 shares · Avg cost $985.20"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        assert_eq!(x.broker, "robinhood");
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        let got: Vec<_> = x
            .positions
            .iter()
            .map(|p| (p.symbol.as_str(), p.kind, p.quantity, p.price))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "AAPL240816C00232500",
                    Some(PositionKind::Call),
                    Some(2.0),
                    Some(6.9)
                ),
                (
                    "SPY240719P00575000",
                    Some(PositionKind::Put),
                    Some(-1.0),
                    Some(3.4)
                ),
                ("MSFT", Some(PositionKind::Stock), Some(10.0), Some(455.6)),
                ("META", Some(PositionKind::Stock), Some(5.0), Some(985.2)),
            ]
        );
        // A card whose count was not read is named by its place.
        let x = parse(
            &[
                line("NVDA $190 Call"),
                line("7/26 · three buys"),
                line("Avg cost $4.25"),
            ],
            d("2024-07-01"),
        );
        assert_eq!(x.positions[0].quantity, None);
        assert_eq!(x.positions[0].confidence.quantity, 0.0);
        assert_eq!(
            x.warnings,
            ["card 1 (NVDA): the quantity could not be read"]
        );
    }

    #[test]
    fn webull_contracts_and_the_total_row() {
        let lines = [
            line("Symbol/Name                Qty  Avg Cost  Last Price  Mkt Value  Open P&L"),
            line("AAPL 240816 235.00C          2  5.95      6.10        1,220.00   +30.00"),
            line("QQQ 240719 570.00P          -1  6.20      5.35        -535.00    +85.00"),
            line("TSLA 145 Call 08/02/2024     4  7.40      6.95        2,780.00   -180.00"),
            line("NVDA                        30  176.55    180.83      5,424.90   +128.40"),
            line("Total                       35                        9,889.90   +63.40"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        assert_eq!(x.broker, "webull");
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        let syms: Vec<&str> = x.positions.iter().map(|p| p.symbol.as_str()).collect();
        assert_eq!(
            syms,
            [
                "AAPL240816C00235000",
                "QQQ240719P00570000",
                "TSLA240802C00145000",
                "NVDA"
            ],
            "the total is not a position"
        );
        assert_eq!(
            x.totals,
            Some(Totals {
                quantity: Some(35.0),
                confidence: 0.9
            })
        );
    }

    #[test]
    fn a_long_quantity_beside_a_negative_market_value_is_doubted() {
        let lines = [
            line("Financial Instrument      Position  Avg Price  Market Value"),
            line("SPY Jul26'24 600 CALL            3  3.15       -720.00"),
        ];
        let x = parse(&lines, d("2024-07-01"));
        let p = &x.positions[0];
        assert_eq!(p.quantity, Some(3.0), "the value as read is kept");
        assert!(p.confidence.quantity < LOW_CONFIDENCE);
        assert!(
            x.warnings[0].contains("market value is negative"),
            "{:?}",
            x.warnings
        );
    }

    #[test]
    fn a_ticker_ocr_was_unsure_of_is_kept_and_flagged() {
        let mut lines = vec![
            line("Symbol  Type  Qty  Exp Date  Strike  Trade Price"),
            line("QaQ     Put   -2   Jul 19    565     3.45"),
            line("MSFT.   Stock 50                     452.10"),
            line("Webull  Call  1    Aug 16    240     3.20"),
        ];
        lines[1].words[0].confidence = 0.5;
        let x = parse(&lines, d("2024-07-01"));
        let got: Vec<(&str, f32)> = x
            .positions
            .iter()
            .map(|p| (p.underlying.as_deref().unwrap(), p.confidence.underlying))
            .collect();
        assert_eq!(
            got,
            [("QAQ", 0.5), ("MSFT", 0.9)],
            "a sure word in lower case is not a ticker"
        );
    }
}
