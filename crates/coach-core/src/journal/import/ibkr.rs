//! Interactive Brokers, in both of its forms:
//!
//! - the Activity Flex Query as XML (`<FlexQueryResponse>` → `<FlexStatements>`
//!   → `<FlexStatement accountId=…>` → `<Trades><Trade …/></Trades>` and
//!   `<OptionEAE><OptionEAE …/></OptionEAE>`): every value is an attribute;
//! - the Activity Statement as CSV: every line starts with its section's name
//!   and `Header`, `Data`, `SubTotal`, `Total` or `Notes`; each section has its
//!   own header (a section may repeat its header, e.g. once per asset class).
//!
//! Times carry no zone in either form (IBKR writes them in the account's
//! zone): they are read in the import zone unless they name an offset.
//!
//! Exercises, assignments and expirations may be booked twice: as rows of
//! Trades (a `BookTrade`, codes `Ep`/`A`/`Ex`) and as rows of the Option
//! Exercises, Assignments and Expirations section. Each event is imported
//! once; see [`assemble`] for the rule.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::common::{
    at_offset, event_word, execution, field, interleave, label_of, naive_in, not_a_trade,
    number_where, only_error, signed_offset, stock_at_strike, stock_moved, stock_row,
    us_zone_hours,
};
use super::{
    columns, csv_records, date_only, finish, in_zone, money, us_date, ImportOptions, Record,
};
use crate::journal::{
    Broker, Effect, ExecKind, Execution, Instrument, OptionContract, OptionKind, Parsed, RowError,
    Side, SkippedRow,
};

/// The CSV section of exercises, assignments and expirations.
const EAE_SECTION: &str = "Option Exercises, Assignments and Expirations";

/// CSV sections whose rows move cash without a trade: listed as skipped.
const CASH_SECTIONS: [(&str, &str); 9] = [
    (
        "Deposits & Withdrawals",
        "deposit or withdrawal (not a trade)",
    ),
    ("Dividends", "dividend (not a trade)"),
    (
        "Payment In Lieu Of Dividends",
        "payment in lieu of dividend (not a trade)",
    ),
    ("Withholding Tax", "withholding tax (not a trade)"),
    ("Interest", "interest (not a trade)"),
    ("Broker Interest Paid", "interest (not a trade)"),
    ("Broker Interest Received", "interest (not a trade)"),
    ("Fees", "fee (not a trade)"),
    ("Transfers", "transfer (not a trade)"),
];

/// True for a Flex Query XML or an Activity Statement CSV.
pub fn looks_like(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        let head: String = t.chars().take(4096).collect();
        return head.contains("<FlexQueryResponse") || head.contains("<FlexStatements");
    }
    let first = t.lines().next().unwrap_or("");
    first.starts_with("Statement,Header,Field Name,Field Value")
        || t.lines()
            .any(|l| l.starts_with("Trades,Header,DataDiscriminator,"))
}

/// Reads a Flex Query XML (text starting with `<`) or an Activity Statement CSV.
pub fn parse(text: &str, opts: &ImportOptions) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('<') {
        parse_xml(text, opts)
    } else {
        parse_csv(text, opts)
    }
}

// ---------------------------------------------------------------------------
// What both forms share
// ---------------------------------------------------------------------------

/// Where a candidate execution was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Trades,
    /// The Option Exercises, Assignments and Expirations section.
    Eae,
}

/// An execution read from a row, with what the once-only rule needs.
struct Cand {
    exec: Execution,
    canon: String,
    /// The trade date as written (no zone conversion): events match on it.
    date: NaiveDate,
    source: Source,
    /// A Trades row that books an expiration, assignment or exercise.
    booking: bool,
    /// Stock moved by an assignment or exercise.
    delivery: bool,
    /// Shares per contract (1 for stock).
    multiplier: f64,
}

/// Why a row gives no execution.
enum Reject {
    Skip(String),
    Error(String),
}

type Res<T> = Result<T, Reject>;

fn err<T>(msg: String) -> Res<T> {
    Err(Reject::Error(msg))
}

/// A required number: `label "value" is not a number` when it is not one.
fn num(label: &str, v: &str) -> Res<f64> {
    if v.trim().is_empty() {
        return err(format!("{label} is missing"));
    }
    number_where(label, v.trim(), |_| true).map_err(Reject::Error)
}

/// An optional number (empty is 0).
fn opt_num(label: &str, v: &str) -> Res<f64> {
    if v.trim().is_empty() {
        Ok(0.0)
    } else {
        num(label, v)
    }
}

/// The codes of a `notes`/`Code` field: `C;Ep` → `["C", "Ep"]`.
fn codes(text: &str) -> Vec<String> {
    text.split([';', ','])
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

fn has(codes: &[String], code: &str) -> bool {
    codes.iter().any(|c| c == code)
}

/// The event an option row's codes name (`Ep`, `A`, `Ex`).
fn event_of(codes: &[String]) -> Option<ExecKind> {
    if has(codes, "Ep") {
        Some(ExecKind::Expiration)
    } else if has(codes, "A") {
        Some(ExecKind::Assignment)
    } else if has(codes, "Ex") {
        Some(ExecKind::Exercise)
    } else {
        None
    }
}

fn effect_of(codes: &[String]) -> Effect {
    match (has(codes, "O"), has(codes, "C")) {
        (true, false) => Effect::Open,
        (false, true) => Effect::Close,
        _ => Effect::Unknown,
    }
}

/// A date as IBKR writes it: `20240719`, `2024-07-19`, `07/19/2024`, `19-Jul-24`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    us_date(t).or_else(|| {
        ["%d-%b-%y", "%d-%b-%Y", "%d%b%y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
    })
}

/// The offset a zone name stands for: `EDT`, `EST`, `UTC`, `GMT-04`, `-04:00`.
fn zone_offset(name: &str) -> Option<FixedOffset> {
    let n = name.trim().to_ascii_uppercase();
    if let Some(h) = us_zone_hours(&n) {
        return FixedOffset::east_opt(h * 3600);
    }
    let rest = n
        .strip_prefix("GMT")
        .or_else(|| n.strip_prefix("UTC"))
        .unwrap_or(&n);
    let (sign, h, m) = signed_offset(rest)?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

const NAIVE_FORMATS: [&str; 8] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y%m%d %H%M%S",
    "%Y%m%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d-%b-%y %H:%M:%S",
    "%d-%b-%Y %H:%M:%S",
];

fn naive(text: &str) -> Option<NaiveDateTime> {
    naive_in(text, &NAIVE_FORMATS)
}

/// A time as IBKR writes it (`20240719;103122`, `2024-07-19 10:31:22`,
/// `2024-07-19, 10:31:22`, with or without an offset or zone name), or a
/// date alone (16:00 in the zone). Returns the UTC time and the date as
/// written.
fn parse_time(text: &str, tz: Tz) -> Option<(DateTime<Utc>, NaiveDate)> {
    let mut s = text.trim().replace(", ", " ").replace(';', " ");
    if s.len() > 10 && s.as_bytes()[10] == b'T' {
        s.replace_range(10..11, " ");
    }
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(d) = parse_date(s) {
        return Some((date_only(d, tz), d));
    }
    if let Some(t) = naive(s) {
        return Some((in_zone(t, tz), t.date()));
    }
    // A zone written after the time: `… EDT`, `… GMT-04`, `…-04:00`, `…Z`.
    let split = s
        .rfind(' ')
        .filter(|&i| zone_offset(&s[i + 1..]).is_some())
        .map(|i| (&s[..i], &s[i + 1..]))
        .or_else(|| {
            s.char_indices()
                .skip(11)
                .find(|(_, c)| matches!(c, '+' | '-' | 'Z' | 'z'))
                .map(|(i, _)| (&s[..i], &s[i..]))
        });
    let (local, zone) = split?;
    let off = zone_offset(zone)?;
    let t = naive(local.trim())?;
    Some((at_offset(t, off)?, t.date()))
}

/// `SPY 19JUL24 550 C`: underlying, DDMMMYY expiry, strike, C/P.
fn statement_option(symbol: &str) -> Option<OptionContract> {
    let parts: Vec<&str> = symbol.split_whitespace().collect();
    let n = parts.len();
    if n < 4 {
        return None;
    }
    let kind = match parts[n - 1].to_ascii_uppercase().as_str() {
        "C" | "CALL" => OptionKind::Call,
        "P" | "PUT" => OptionKind::Put,
        _ => return None,
    };
    let strike = money(parts[n - 2]).filter(|s| *s > 0.0)?;
    let expiration = NaiveDate::parse_from_str(parts[n - 3], "%d%b%y").ok()?;
    Some(OptionContract {
        underlying: parts[..n - 3].join(" ").to_ascii_uppercase(),
        kind,
        strike,
        expiration,
    })
}

fn same_event(t: &Cand, e: &Cand) -> bool {
    if let (Some(a), Some(b)) = (&t.exec.exec_id, &e.exec.exec_id) {
        if a == b {
            return true;
        }
    }
    t.exec.instrument == e.exec.instrument
        && t.date == e.date
        && (t.exec.quantity - e.exec.quantity).abs() < 1e-9
}

/// Applies the once-only rule, adds missing stock deliveries, and finishes.
fn assemble(
    cands: Vec<Cand>,
    n_rows: usize,
    mut skipped: Vec<SkippedRow>,
    mut errors: Vec<RowError>,
    mut warnings: Vec<String>,
) -> Parsed {
    // Once only. IBKR states an exercise, assignment or expiration in two
    // places: as a booking in Trades (transactionType `BookTrade`, codes
    // `Ep`/`A`/`Ex`, also for the stock it delivers) and as a row of the
    // Option Exercises, Assignments and Expirations section (`OptionEAE`).
    // The section's row is kept: it is the statement of the event itself (its
    // transaction type names it; Trades only hints it in codes). A Trades
    // booking is dropped, and listed as skipped, when the section has an
    // unmatched row with the same broker id (tradeID), or the same instrument,
    // trade date and quantity; a booking the section lacks (the section was
    // not exported) is imported from Trades.
    let mut used = vec![false; cands.len()];
    let mut dropped = vec![false; cands.len()];
    for i in 0..cands.len() {
        if cands[i].source != Source::Trades || !cands[i].booking {
            continue;
        }
        let found = (0..cands.len()).find(|&j| {
            cands[j].source == Source::Eae && !used[j] && same_event(&cands[i], &cands[j])
        });
        if let Some(j) = found {
            used[j] = true;
            dropped[i] = true;
            skipped.push(SkippedRow {
                line: cands[i].exec.line,
                reason: format!(
                    "same event as line {} (Option Exercises, Assignments and Expirations)",
                    cands[j].exec.line
                ),
            });
        }
    }
    let kept: Vec<Cand> = cands
        .into_iter()
        .zip(dropped)
        .filter(|(_, d)| !d)
        .map(|(c, _)| c)
        .collect();

    // Assignment and exercise move stock at the strike: the file's own
    // delivery row where there is one, else one made here (with a warning).
    let mut taken = vec![false; kept.len()];
    let mut added: Vec<Option<(Execution, String)>> = vec![None; kept.len()];
    for i in 0..kept.len() {
        let c = &kept[i];
        // Short call assigned → sell; short put assigned → buy; long call
        // exercised → buy; long put exercised → sell.
        let Some((o, side, shares)) = stock_moved(&c.exec, c.multiplier) else {
            continue;
        };
        let stock = Instrument::stock(&o.underlying);
        let found = (0..kept.len()).find(|&j| {
            !taken[j]
                && kept[j].delivery
                && kept[j].exec.instrument == stock
                && kept[j].date == c.date
                && (kept[j].exec.quantity - shares).abs() < 1e-6
        });
        if let Some(j) = found {
            taken[j] = true;
            continue;
        }
        warnings.push(format!(
            "line {}: {} of {} has no stock row in the file; added {} {} shares of {} at the strike {}",
            c.exec.line,
            event_word(c.exec.kind),
            o.occ(),
            if side == Side::Buy { "buy of" } else { "sale of" },
            shares,
            o.underlying,
            o.strike
        ));
        added[i] = Some((
            stock_at_strike(&c.exec, o, side, shares),
            stock_row(&c.canon),
        ));
    }
    // Each made-up delivery right after its option.
    let (execs, rows) = kept.into_iter().map(|c| (c.exec, c.canon)).unzip();
    let (execs, rows) = interleave(execs, rows, added);
    let mut out: Vec<(Execution, String)> = execs.into_iter().zip(rows).collect();
    // Rows in file order (the XML sections may come in any order).
    out.sort_by_key(|(e, _)| e.line);
    // A broker id stands for one execution: should a file repeat one, later
    // holders fall back to their row's fields.
    let mut seen = HashSet::new();
    for (e, _) in out.iter_mut() {
        if let Some(id) = &e.exec_id {
            if !seen.insert(id.clone()) {
                e.exec_id = None;
            }
        }
    }
    let (execs, rows): (Vec<_>, Vec<_>) = out.into_iter().unzip();
    skipped.sort_by_key(|s| s.line);
    errors.sort_by_key(|e| e.line);
    finish(execs, rows, n_rows, skipped, errors, warnings)
}

// ---------------------------------------------------------------------------
// Flex Query XML
// ---------------------------------------------------------------------------

type Attrs = Vec<(String, String)>;

fn attr<'a>(a: &'a Attrs, name: &str) -> &'a str {
    a.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn read_attrs(e: &BytesStart) -> Result<Attrs, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|x| format!("attribute not readable: {x}"))?;
        let key = a.key.local_name().as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|x| format!("attribute {key} not readable: {x}"))?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

/// The attributes sorted: a row's identity whatever their order.
fn xml_canon(a: &Attrs) -> String {
    let mut v: Vec<String> = a.iter().map(|(k, v)| format!("{k}={}", v.trim())).collect();
    v.sort();
    v.join("\u{1f}")
}

/// 1-based line of a byte offset, counted forward as the reader moves on.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, p: usize) -> usize {
        let p = p.min(self.text.len());
        if p < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.text[self.pos..p]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.pos = p;
        self.line
    }
}

fn parse_xml(text: &str, opts: &ImportOptions) -> Parsed {
    let mut reader = Reader::from_str(text);
    let mut lines = Lines {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut stack: Vec<String> = Vec::new();
    let mut account: Option<String> = None;
    let mut saw_statement = false;
    let mut n_rows = 0;
    let mut trade_rows = 0;
    let mut cands = Vec::new();
    let mut orders: Vec<(usize, Attrs)> = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    let warnings = Vec::new();

    loop {
        let start = reader.buffer_position() as usize;
        let (e, empty) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(_)) => {
                stack.pop();
                continue;
            }
            Ok(Event::Eof) => break,
            Ok(_) => continue,
            Err(x) => {
                let line = lines.at(reader.error_position() as usize);
                errors.push(RowError {
                    line,
                    message: format!("not readable as XML: {x}"),
                });
                break;
            }
        };
        let name = e.local_name().as_ref().to_string();
        let parent = stack.last().map(String::as_str).unwrap_or("");
        let line = lines.at(start);
        let is_trades_row = parent == "Trades"
            && matches!(
                name.as_str(),
                "Trade" | "Order" | "Lot" | "SymbolSummary" | "AssetSummary"
            );
        let is_eae_row = parent == "OptionEAE" && name == "OptionEAE";
        let is_cash_row = parent == "CashTransactions" && name == "CashTransaction";
        if name == "FlexStatement" || is_trades_row || is_eae_row || is_cash_row {
            if is_trades_row || is_eae_row {
                n_rows += 1;
            }
            match read_attrs(&e) {
                Err(message) => errors.push(RowError { line, message }),
                Ok(a) if name == "FlexStatement" => {
                    saw_statement = true;
                    account = Some(attr(&a, "accountId").to_string()).filter(|s| !s.is_empty());
                }
                Ok(a) if is_cash_row => skipped.push(SkippedRow {
                    line,
                    reason: cash_reason(attr(&a, "type")),
                }),
                Ok(a) => {
                    let read = match name.as_str() {
                        "Trade" => {
                            trade_rows += 1;
                            xml_trade(&a, line, account.as_deref(), opts)
                        }
                        "Order" => {
                            orders.push((line, a));
                            Err(Reject::Skip(String::new()))
                        }
                        "Lot" => Err(Reject::Skip("closed lot detail (not an execution)".into())),
                        "OptionEAE" => xml_eae(&a, line, account.as_deref(), opts),
                        _ => Err(Reject::Skip("summary row (not an execution)".into())),
                    };
                    match read {
                        Ok(c) => cands.push(c),
                        Err(Reject::Skip(r)) if r.is_empty() => {}
                        Err(Reject::Skip(reason)) => skipped.push(SkippedRow { line, reason }),
                        Err(Reject::Error(message)) => errors.push(RowError { line, message }),
                    }
                }
            }
        }
        if !empty {
            stack.push(name);
        }
    }

    // `<Order>` rows sum an order's executions: read only when the query
    // exported orders and no executions.
    for (line, a) in orders {
        if trade_rows > 0 {
            skipped.push(SkippedRow {
                line,
                reason: "order summary (its executions are imported)".into(),
            });
            continue;
        }
        match xml_trade(&a, line, account.as_deref(), opts) {
            Ok(c) => cands.push(c),
            Err(Reject::Skip(reason)) => skipped.push(SkippedRow { line, reason }),
            Err(Reject::Error(message)) => errors.push(RowError { line, message }),
        }
    }

    if !saw_statement && errors.is_empty() {
        return only_error(RowError {
            line: 1,
            message: "not an Interactive Brokers Flex Query: no <FlexStatement> element".into(),
        });
    }
    assemble(cands, n_rows, skipped, errors, warnings)
}

fn cash_reason(kind: &str) -> String {
    const RULES: [(&[&str], &str); 5] = [
        (&["deposit", "withdraw"], "deposit or withdrawal"),
        (&["withholding"], "withholding tax"),
        (&["dividend"], "dividend"),
        (&["interest"], "interest"),
        (&["fee"], "fee"),
    ];
    not_a_trade(label_of(&kind.to_ascii_lowercase(), &RULES).unwrap_or("cash transaction"))
}

/// The instrument of a Flex row (other asset classes are `Reject::Skip`).
fn xml_instrument(a: &Attrs) -> Res<Instrument> {
    let symbol = attr(a, "symbol");
    if symbol.is_empty() {
        return err("symbol is missing".into());
    }
    let cat = attr(a, "assetCategory").to_ascii_uppercase();
    let is_option = match cat.as_str() {
        "STK" => false,
        "OPT" => true,
        "" => !attr(a, "putCall").is_empty() || OptionContract::parse_occ(symbol).is_some(),
        other => {
            return Err(Reject::Skip(format!(
                "asset category {other} (only stocks and options are imported)"
            )))
        }
    };
    if !is_option {
        return Ok(Instrument::stock(symbol));
    }
    let underlying = attr(a, "underlyingSymbol");
    let kind = match attr(a, "putCall").to_ascii_uppercase().as_str() {
        "C" | "CALL" => Some(OptionKind::Call),
        "P" | "PUT" => Some(OptionKind::Put),
        _ => None,
    };
    let strike = money(attr(a, "strike")).filter(|s| *s > 0.0);
    let expiration = parse_date(attr(a, "expiry"));
    if let (false, Some(kind), Some(strike), Some(expiration)) =
        (underlying.is_empty(), kind, strike, expiration)
    {
        return Ok(Instrument::Option(OptionContract {
            underlying: underlying.to_ascii_uppercase(),
            kind,
            strike,
            expiration,
        }));
    }
    OptionContract::parse_occ(symbol)
        .map(Instrument::Option)
        .ok_or_else(|| {
            Reject::Error(format!(
                "option symbol {symbol:?} cannot be read (not OCC, and underlyingSymbol/putCall/strike/expiry are incomplete: {:?}/{:?}/{:?}/{:?})",
                underlying,
                attr(a, "putCall"),
                attr(a, "strike"),
                attr(a, "expiry")
            ))
        })
}

/// The time of a Flex row: `dateTime`, else the date fields given.
fn xml_time(a: &Attrs, dates: &[&str], tz: Tz) -> Res<(DateTime<Utc>, NaiveDate)> {
    let dt = attr(a, "dateTime");
    let (t, d) = if !dt.is_empty() {
        parse_time(dt, tz)
            .ok_or_else(|| Reject::Error(format!("dateTime {dt:?} is not a date and time")))?
    } else {
        let Some((field, v)) = dates
            .iter()
            .map(|f| (*f, attr(a, f)))
            .find(|(_, v)| !v.is_empty())
        else {
            return err(format!("dateTime and {} are missing", dates.join("/")));
        };
        let d =
            parse_date(v).ok_or_else(|| Reject::Error(format!("{field} {v:?} is not a date")))?;
        (date_only(d, tz), d)
    };
    // The trade date as stated wins for matching events.
    let day = parse_date(attr(a, "tradeDate")).unwrap_or(d);
    Ok((t, day))
}

fn id(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v != "0").then(|| v.to_string())
}

fn multiplier_of(a: &Attrs, instrument: &Instrument) -> f64 {
    match instrument {
        Instrument::Stock { .. } => 1.0,
        Instrument::Option(_) => money(attr(a, "multiplier"))
            .filter(|m| *m > 0.0)
            .unwrap_or(100.0),
    }
}

fn xml_trade(a: &Attrs, line: usize, statement: Option<&str>, opts: &ImportOptions) -> Res<Cand> {
    let detail = attr(a, "levelOfDetail");
    if !detail.is_empty()
        && !detail.eq_ignore_ascii_case("EXECUTION")
        && !detail.eq_ignore_ascii_case("ORDER")
    {
        return Err(Reject::Skip(format!("{detail} row (not an execution)")));
    }
    let ttype = attr(a, "transactionType");
    let notes = codes(attr(a, "notes"));
    if ttype.eq_ignore_ascii_case("TradeCancel")
        || has(&notes, "Ca")
        || attr(a, "buySell").contains("Ca.")
    {
        return Err(Reject::Skip("cancelled trade".into()));
    }
    let instrument = xml_instrument(a)?;
    let qty = num("quantity", attr(a, "quantity"))?;
    if qty == 0.0 {
        return err(format!("quantity {:?} is zero", attr(a, "quantity")));
    }
    let side = match attr(a, "buySell").to_ascii_uppercase() {
        s if s.starts_with("BUY") => Side::Buy,
        s if s.starts_with("SELL") => Side::Sell,
        _ if qty > 0.0 => Side::Buy,
        _ => Side::Sell,
    };
    let is_option = instrument.option().is_some();
    let event = if is_option { event_of(&notes) } else { None };
    let price = match event {
        Some(_) => 0.0,
        None => num("tradePrice", attr(a, "tradePrice"))?.abs(),
    };
    let fees = opt_num("ibCommission", attr(a, "ibCommission"))?.abs()
        + opt_num("taxes", attr(a, "taxes"))?.abs();
    let (time, date) = xml_time(a, &["tradeDate"], opts.tz)?;
    let effect = match attr(a, "openCloseIndicator").to_ascii_uppercase().as_str() {
        "O" => Effect::Open,
        "C" => Effect::Close,
        _ => effect_of(&notes),
    };
    let booking = ttype.eq_ignore_ascii_case("BookTrade")
        || has(&notes, "Ep")
        || has(&notes, "A")
        || has(&notes, "Ex");
    let multiplier = multiplier_of(a, &instrument);
    if instrument.option().is_some() && (multiplier - 100.0).abs() > 1e-9 {
        return Err(Reject::Error(format!(
            "multiplier {multiplier}: only options of 100 shares are supported (adjusted or mini contracts are not)"
        )));
    }
    let acct = Some(attr(a, "accountId"))
        .filter(|s| !s.is_empty())
        .or(statement);
    Ok(Cand {
        exec: Execution {
            instrument,
            side,
            quantity: qty.abs(),
            price,
            fees,
            effect,
            kind: event.unwrap_or(ExecKind::Trade),
            order_id: id(attr(a, "ibOrderID")),
            exec_id: id(attr(a, "ibExecID")).or_else(|| id(attr(a, "tradeID"))),
            ..execution(Broker::Ibkr, opts.account_or(acct), time, line)
        },
        canon: xml_canon(a),
        date,
        source: Source::Trades,
        booking,
        delivery: !is_option && booking,
        multiplier,
    })
}

fn xml_eae(a: &Attrs, line: usize, statement: Option<&str>, opts: &ImportOptions) -> Res<Cand> {
    let ttype = attr(a, "transactionType");
    let kind = match ttype.to_ascii_lowercase().as_str() {
        "assignment" => Some(ExecKind::Assignment),
        "exercise" => Some(ExecKind::Exercise),
        "expiration" => Some(ExecKind::Expiration),
        "buy" | "sell" => None,
        "" => return err("transactionType is missing".into()),
        _ => {
            return err(format!(
                "transactionType {ttype:?} is not Assignment, Exercise, Expiration, Buy or Sell"
            ))
        }
    };
    let instrument = xml_instrument(a)?;
    let qty = num("quantity", attr(a, "quantity"))?;
    if qty == 0.0 {
        return err(format!("quantity {:?} is zero", attr(a, "quantity")));
    }
    let (side, price) = match kind {
        Some(_) => {
            if instrument.option().is_none() {
                return err(format!(
                    "{ttype} row for {:?}, which is not an option",
                    attr(a, "symbol")
                ));
            }
            // The signed quantity says which way the option left.
            (if qty > 0.0 { Side::Buy } else { Side::Sell }, 0.0)
        }
        None => (
            if ttype.eq_ignore_ascii_case("buy") {
                Side::Buy
            } else {
                Side::Sell
            },
            num("tradePrice", attr(a, "tradePrice"))?.abs(),
        ),
    };
    let tax = if attr(a, "commisionsAndTax").is_empty() {
        ("commissionsAndTax", attr(a, "commissionsAndTax"))
    } else {
        ("commisionsAndTax", attr(a, "commisionsAndTax"))
    };
    let fees = opt_num(tax.0, tax.1)?.abs();
    let (time, date) = xml_time(a, &["date", "tradeDate", "reportDate"], opts.tz)?;
    let multiplier = multiplier_of(a, &instrument);
    if instrument.option().is_some() && (multiplier - 100.0).abs() > 1e-9 {
        return Err(Reject::Error(format!(
            "multiplier {multiplier}: only options of 100 shares are supported (adjusted or mini contracts are not)"
        )));
    }
    let is_option = instrument.option().is_some();
    let acct = Some(attr(a, "accountId"))
        .filter(|s| !s.is_empty())
        .or(statement);
    Ok(Cand {
        exec: Execution {
            instrument,
            side,
            quantity: qty.abs(),
            price,
            fees,
            effect: effect_of(&codes(attr(a, "notes"))),
            kind: kind.unwrap_or(ExecKind::Trade),
            exec_id: id(attr(a, "tradeID")),
            ..execution(Broker::Ibkr, opts.account_or(acct), time, line)
        },
        canon: xml_canon(a),
        date,
        source: Source::Eae,
        booking: false,
        delivery: kind.is_none() && !is_option,
        multiplier,
    })
}

// ---------------------------------------------------------------------------
// Activity Statement CSV
// ---------------------------------------------------------------------------

fn is_eae_section(name: &str) -> bool {
    name.eq_ignore_ascii_case(EAE_SECTION)
}

/// A header of Trades or of the exercises section, with its columns.
struct CsvHeader {
    rec: Record,
    /// Required columns it lacks (its rows are errors then).
    missing: Vec<&'static str>,
}

fn csv_header(rec: &Record, eae: bool) -> CsvHeader {
    let [symbol, quantity, dt, date, price] =
        columns(rec, ["Symbol", "Quantity", "Date/Time", "Date", "T. Price"]);
    let mut missing = Vec::new();
    if symbol.is_none() {
        missing.push("Symbol");
    }
    if quantity.is_none() {
        missing.push("Quantity");
    }
    if eae {
        if dt.is_none() && date.is_none() {
            missing.push("Date/Time");
        }
    } else {
        if dt.is_none() {
            missing.push("Date/Time");
        }
        if price.is_none() {
            missing.push("T. Price");
        }
    }
    CsvHeader {
        rec: rec.clone(),
        missing,
    }
}

fn parse_csv(text: &str, opts: &ImportOptions) -> Parsed {
    let recs = match csv_records(text) {
        Ok(r) => r,
        Err(e) => return only_error(e),
    };
    let shaped = recs
        .iter()
        .find(|r| !r.is_blank())
        .is_some_and(|r| matches!(r.get(1), "Header" | "Data"));
    if !shaped {
        return only_error(RowError {
            line: 1,
            message: "not an Interactive Brokers Activity Statement: lines must start with a section name and Header or Data (e.g. Statement,Header,Field Name,Field Value)".into(),
        });
    }
    let account = recs
        .iter()
        .find(|r| r.get(0) == "Account Information" && r.get(1) == "Data" && r.get(2) == "Account")
        .map(|r| r.get(3).to_string());

    // Should Trades hold both order rows and execution rows, an order row sums
    // executions listed beside it: the executions are read, the orders skipped.
    let mut has_exec = false;
    let mut has_order = false;
    let mut header: Option<CsvHeader> = None;
    for r in &recs {
        match (r.get(0), r.get(1)) {
            ("Trades", "Header") => header = Some(csv_header(r, false)),
            ("Trades", "Data") => {
                if let Some(h) = &header {
                    let [disc] = columns(&h.rec, ["DataDiscriminator"]);
                    match disc.map(|i| r.get(i).to_ascii_lowercase()).as_deref() {
                        Some("order") => has_order = true,
                        Some("trade") | Some("execution") => has_exec = true,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let prefer_exec = has_exec && has_order;

    let mut trades_header: Option<CsvHeader> = None;
    let mut eae_header: Option<CsvHeader> = None;
    let mut saw_trades = false;
    let mut n_rows = 0;
    let mut cands = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for r in &recs {
        if r.is_blank() {
            continue;
        }
        let section = r.get(0);
        let eae = is_eae_section(section);
        let trades = section == "Trades";
        match r.get(1) {
            "Header" if trades || eae => {
                saw_trades = true;
                let h = csv_header(r, eae);
                if !h.missing.is_empty() {
                    errors.push(RowError {
                        line: r.line,
                        message: format!(
                            "{section} header lacks the columns {}",
                            h.missing.join(", ")
                        ),
                    });
                }
                if eae {
                    eae_header = Some(h);
                } else {
                    trades_header = Some(h);
                }
            }
            "Data" if trades || eae => {
                n_rows += 1;
                let h = if eae { &eae_header } else { &trades_header };
                let read = match h {
                    None => err(format!("{section} row before its Header row")),
                    Some(h) if !h.missing.is_empty() => err(format!(
                        "cannot be read: the {section} header at line {} lacks {}",
                        h.rec.line,
                        h.missing.join(", ")
                    )),
                    Some(h) if eae => csv_eae(r, &h.rec, account.as_deref(), opts),
                    Some(h) => csv_trade(r, &h.rec, account.as_deref(), opts, prefer_exec),
                };
                match read {
                    Ok(c) => cands.push(c),
                    Err(Reject::Skip(reason)) => skipped.push(SkippedRow {
                        line: r.line,
                        reason,
                    }),
                    Err(Reject::Error(message)) => errors.push(RowError {
                        line: r.line,
                        message,
                    }),
                }
            }
            "Data" => {
                let total = [r.get(2), r.get(3)]
                    .iter()
                    .any(|f| f.to_ascii_lowercase().starts_with("total"));
                if let Some((_, reason)) = CASH_SECTIONS
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(section))
                {
                    if !total {
                        skipped.push(SkippedRow {
                            line: r.line,
                            reason: reason.to_string(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    if !saw_trades {
        warnings.push("the statement has no Trades section: no executions in it".into());
    }
    if prefer_exec {
        warnings.push(
            "Trades lists both orders and their executions: the executions were imported".into(),
        );
    }
    assemble(cands, n_rows, skipped, errors, warnings)
}

/// The instrument of a statement row from its asset category and symbol.
fn csv_instrument(category: &str, symbol: &str) -> Res<Instrument> {
    if symbol.is_empty() {
        return err("Symbol is missing".into());
    }
    let cat = category.to_ascii_lowercase();
    let option = || {
        statement_option(symbol)
            .or_else(|| OptionContract::parse_occ(symbol))
            .map(Instrument::Option)
    };
    if cat.contains("option") {
        option().ok_or_else(|| {
            Reject::Error(format!(
                "Symbol {symbol:?} is not an option symbol (UNDERLYING DDMMMYY STRIKE C/P)"
            ))
        })
    } else if cat == "stocks" || cat == "stock" {
        Ok(Instrument::stock(symbol))
    } else if cat.is_empty() {
        Ok(option().unwrap_or_else(|| Instrument::stock(symbol)))
    } else {
        Err(Reject::Skip(format!(
            "{category} (only stocks and options are imported)"
        )))
    }
}

fn csv_time(value: &str, label: &str, tz: Tz) -> Res<(DateTime<Utc>, NaiveDate)> {
    if value.is_empty() {
        return err(format!("{label} is missing"));
    }
    parse_time(value, tz)
        .ok_or_else(|| Reject::Error(format!("{label} {value:?} is not a date and time")))
}

fn csv_trade(
    r: &Record,
    h: &Record,
    account: Option<&str>,
    opts: &ImportOptions,
    prefer_exec: bool,
) -> Res<Cand> {
    let [disc, cat, symbol, dt, qty, price, comm, comm_usd, code, code2] = columns(
        h,
        [
            "DataDiscriminator",
            "Asset Category",
            "Symbol",
            "Date/Time",
            "Quantity",
            "T. Price",
            "Comm/Fee",
            "Comm in USD",
            "Code",
            "Notes/Codes",
        ],
    );
    let get = |c: Option<usize>| field(r, c);
    match get(disc).to_ascii_lowercase().as_str() {
        "order" if prefer_exec => {
            return Err(Reject::Skip(
                "order summary (its executions are imported)".into(),
            ))
        }
        "order" | "trade" | "execution" | "" => {}
        "closedlot" => return Err(Reject::Skip("closed lot detail (not an execution)".into())),
        other => return Err(Reject::Skip(format!("{other} row (not an execution)"))),
    }
    let notes = codes(get(code.or(code2)));
    if has(&notes, "Ca") {
        return Err(Reject::Skip("cancelled trade".into()));
    }
    let instrument = csv_instrument(get(cat), get(symbol))?;
    let q = num("Quantity", get(qty))?;
    if q == 0.0 {
        return err(format!("Quantity {:?} is zero", get(qty)));
    }
    let is_option = instrument.option().is_some();
    let event = if is_option { event_of(&notes) } else { None };
    let p = match event {
        Some(_) => 0.0,
        None => num("T. Price", get(price))?.abs(),
    };
    let fee_col = if comm.is_some() {
        ("Comm/Fee", comm)
    } else {
        ("Comm in USD", comm_usd)
    };
    let fees = opt_num(fee_col.0, get(fee_col.1))?.abs();
    let (time, date) = csv_time(get(dt), "Date/Time", opts.tz)?;
    let booking = has(&notes, "Ep") || has(&notes, "A") || has(&notes, "Ex");
    Ok(Cand {
        exec: Execution {
            instrument,
            side: if q > 0.0 { Side::Buy } else { Side::Sell },
            quantity: q.abs(),
            price: p,
            fees,
            effect: effect_of(&notes),
            kind: event.unwrap_or(ExecKind::Trade),
            ..execution(Broker::Ibkr, opts.account_or(account), time, r.line)
        },
        canon: r.canonical(),
        date,
        source: Source::Trades,
        booking,
        delivery: !is_option && booking,
        multiplier: if is_option { 100.0 } else { 1.0 },
    })
}

fn csv_eae(r: &Record, h: &Record, account: Option<&str>, opts: &ImportOptions) -> Res<Cand> {
    let [cat, symbol, dt, date, ttype, qty, price, comm_tax, comm_fee, code, group] = columns(
        h,
        [
            "Asset Category",
            "Symbol",
            "Date/Time",
            "Date",
            "Transaction Type",
            "Quantity",
            "T. Price",
            "Comm/Tax",
            "Comm/Fee",
            "Code",
            "Type",
        ],
    );
    let get = |c: Option<usize>| field(r, c);
    let notes = codes(get(code));
    let instrument = csv_instrument(get(cat), get(symbol))?;
    let is_option = instrument.option().is_some();
    let q = num("Quantity", get(qty))?;
    if q == 0.0 {
        return err(format!("Quantity {:?} is zero", get(qty)));
    }
    let tt = get(ttype);
    let grouped = get(group).to_ascii_lowercase();
    let kind = match tt.to_ascii_lowercase().as_str() {
        "assignment" => Some(ExecKind::Assignment),
        "exercise" => Some(ExecKind::Exercise),
        "expiration" => Some(ExecKind::Expiration),
        "buy" | "sell" => None,
        "" if is_option => event_of(&notes).or(if grouped.starts_with("assignment") {
            Some(ExecKind::Assignment)
        } else if grouped.starts_with("exercise") {
            Some(ExecKind::Exercise)
        } else if grouped.starts_with("expiration") {
            Some(ExecKind::Expiration)
        } else {
            return err(format!(
                "option row without a Transaction Type or an Ep/A/Ex code (Code {:?})",
                get(code)
            ));
        }),
        "" => None,
        _ => {
            return err(format!(
                "Transaction Type {tt:?} is not Assignment, Exercise, Expiration, Buy or Sell"
            ))
        }
    };
    if kind.is_some() && !is_option {
        return err(format!(
            "{tt} row for {:?}, which is not an option",
            get(symbol)
        ));
    }
    let side = match tt.to_ascii_lowercase().as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ if q > 0.0 => Side::Buy,
        _ => Side::Sell,
    };
    let p = match kind {
        Some(_) => 0.0,
        None => num("T. Price", get(price))?.abs(),
    };
    let fee_col = if comm_tax.is_some() {
        ("Comm/Tax", comm_tax)
    } else {
        ("Comm/Fee", comm_fee)
    };
    let fees = opt_num(fee_col.0, get(fee_col.1))?.abs();
    let (time, day) = if dt.is_some() {
        csv_time(get(dt), "Date/Time", opts.tz)?
    } else {
        csv_time(get(date), "Date", opts.tz)?
    };
    Ok(Cand {
        exec: Execution {
            instrument,
            side,
            quantity: q.abs(),
            price: p,
            fees,
            effect: effect_of(&notes),
            kind: kind.unwrap_or(ExecKind::Trade),
            ..execution(Broker::Ibkr, opts.account_or(account), time, r.line)
        },
        canon: r.canonical(),
        date: day,
        source: Source::Eae,
        booking: false,
        delivery: kind.is_none() && !is_option,
        multiplier: if is_option { 100.0 } else { 1.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::super::common::test_util::{assert_fill, opt, utc, Fill};
    use super::*;

    const FLEX: &str = include_str!("../../../../../tests/fixtures/journal/ibkr/flex_activity.xml");
    const FLEX_BAD: &str =
        include_str!("../../../../../tests/fixtures/journal/ibkr/flex_bad_rows.xml");
    const CSV: &str =
        include_str!("../../../../../tests/fixtures/journal/ibkr/activity_statement.csv");
    const CSV_BAD: &str =
        include_str!("../../../../../tests/fixtures/journal/ibkr/activity_bad_rows.csv");

    fn opts() -> ImportOptions {
        ImportOptions::default()
    }

    /// (line, instrument, side, quantity, price, fees, effect, kind, UTC time)
    type Want = (
        usize,
        Instrument,
        Side,
        f64,
        f64,
        f64,
        Effect,
        ExecKind,
        &'static str,
    );

    fn check(p: &Parsed, want: &[Want]) {
        assert_eq!(p.executions.len(), want.len(), "{:#?}", p.executions);
        for (e, w) in p.executions.iter().zip(want) {
            let fill = Fill {
                broker: Broker::Ibkr,
                side: w.2,
                quantity: w.3,
                price: w.4,
                fees: w.5,
                effect: w.6,
                kind: w.7,
                time: w.8,
            };
            assert_fill(e, w.0, &fill);
            assert_eq!(e.instrument, w.1, "line {}", w.0);
        }
    }

    fn lines_of(skipped: &[SkippedRow]) -> Vec<usize> {
        skipped.iter().map(|s| s.line).collect()
    }

    #[test]
    fn flex_xml_reads_trades_and_events_once() {
        let p = parse(FLEX, &opts());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.rows, 14, "11 Trade rows + 3 OptionEAE rows");
        use Effect::*;
        use ExecKind::*;
        use OptionKind::*;
        use Side::*;
        let spy = opt("SPY", (2024, 7, 19), Call, 550.0);
        check(
            &p,
            &[
                (
                    7,
                    Instrument::stock("AAPL"),
                    Buy,
                    100.0,
                    190.5,
                    1.0,
                    Open,
                    Trade,
                    "2024-07-01T14:30:00Z",
                ),
                (
                    8,
                    Instrument::stock("AAPL"),
                    Sell,
                    100.0,
                    195.25,
                    1.05,
                    Close,
                    Trade,
                    "2024-07-03T15:15:00Z",
                ),
                (
                    9,
                    spy.clone(),
                    Buy,
                    2.0,
                    2.5,
                    1.3,
                    Open,
                    Trade,
                    "2024-07-10T13:35:00Z",
                ),
                (
                    10,
                    spy,
                    Sell,
                    2.0,
                    3.1,
                    1.31,
                    Close,
                    Trade,
                    "2024-07-12T19:10:00Z",
                ),
                (
                    11,
                    Instrument::stock("MSFT"),
                    Buy,
                    30.0,
                    450.1,
                    1.0,
                    Open,
                    Trade,
                    "2024-07-15T14:00:01Z",
                ),
                (
                    12,
                    Instrument::stock("MSFT"),
                    Buy,
                    20.0,
                    450.12,
                    0.35,
                    Open,
                    Trade,
                    "2024-07-15T14:00:03Z",
                ),
                (
                    13,
                    opt("QQQ", (2024, 7, 26), Put, 470.0),
                    Buy,
                    1.0,
                    5.2,
                    0.7,
                    Open,
                    Trade,
                    "2024-07-16T17:30:00Z",
                ),
                (
                    14,
                    opt("QQQ", (2024, 7, 26), Put, 460.0),
                    Sell,
                    1.0,
                    3.05,
                    0.71,
                    Open,
                    Trade,
                    "2024-07-16T17:30:00Z",
                ),
                (
                    21,
                    opt("IWM", (2024, 7, 19), Call, 220.0),
                    Sell,
                    3.0,
                    0.0,
                    0.0,
                    Unknown,
                    Expiration,
                    "2024-07-19T20:00:00Z",
                ),
                (
                    22,
                    opt("AAPL", (2024, 7, 19), Put, 200.0),
                    Buy,
                    2.0,
                    0.0,
                    0.0,
                    Unknown,
                    Assignment,
                    "2024-07-19T20:00:00Z",
                ),
                (
                    23,
                    Instrument::stock("AAPL"),
                    Buy,
                    200.0,
                    200.0,
                    0.0,
                    Unknown,
                    Trade,
                    "2024-07-19T20:00:00Z",
                ),
            ],
        );
        let e = &p.executions;
        assert!(e.iter().all(|x| x.account == "U7654321"));
        let orders: Vec<Option<&str>> = e.iter().map(|x| x.order_id.as_deref()).collect();
        assert_eq!(
            orders,
            [
                Some("5001"),
                Some("5002"),
                Some("5003"),
                Some("5004"),
                Some("5005"),
                Some("5005"),
                Some("5006"),
                Some("5006"),
                None,
                None,
                None
            ]
        );
        assert_eq!(e[0].exec_id.as_deref(), Some("0000a001.0001.01.01"));
        assert_eq!(e[0].fingerprint, "id:0000a001.0001.01.01");
        assert_eq!(e[5].fingerprint, "id:0000a005.0002.01.01");
        assert_eq!(e[8].fingerprint, "id:9009", "OptionEAE tradeID");
        // The three BookTrade rows (same events as the OptionEAE rows) and the
        // three cash transactions are skipped, not errors.
        assert_eq!(lines_of(&p.skipped), [15, 16, 17, 26, 27, 28]);
        assert!(
            p.skipped[0].reason.contains("line 21"),
            "{}",
            p.skipped[0].reason
        );
        assert!(
            p.skipped[2].reason.contains("line 23"),
            "{}",
            p.skipped[2].reason
        );
        assert_eq!(p.skipped[3].reason, "deposit or withdrawal (not a trade)");
        assert_eq!(p.skipped[4].reason, "dividend (not a trade)");
        assert_eq!(p.skipped[5].reason, "interest (not a trade)");
    }

    #[test]
    fn activity_csv_reads_trades_and_events_once() {
        let p = parse(CSV, &opts());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(
            p.rows, 15,
            "12 Trades data rows + 3 exercise/assignment rows"
        );
        use Effect::*;
        use ExecKind::*;
        use OptionKind::*;
        use Side::*;
        let spy = opt("SPY", (2024, 7, 19), Call, 550.0);
        check(
            &p,
            &[
                (
                    13,
                    Instrument::stock("AAPL"),
                    Buy,
                    100.0,
                    190.5,
                    1.0,
                    Open,
                    Trade,
                    "2024-07-01T14:30:00Z",
                ),
                (
                    14,
                    Instrument::stock("AAPL"),
                    Sell,
                    100.0,
                    195.25,
                    1.05,
                    Close,
                    Trade,
                    "2024-07-03T15:15:00Z",
                ),
                (
                    17,
                    Instrument::stock("MSFT"),
                    Buy,
                    30.0,
                    450.1,
                    1.0,
                    Open,
                    Trade,
                    "2024-07-15T14:00:01Z",
                ),
                (
                    18,
                    Instrument::stock("MSFT"),
                    Buy,
                    20.0,
                    450.12,
                    0.35,
                    Open,
                    Trade,
                    "2024-07-15T14:00:03Z",
                ),
                (
                    22,
                    spy.clone(),
                    Buy,
                    2.0,
                    2.5,
                    1.3,
                    Open,
                    Trade,
                    "2024-07-10T13:35:00Z",
                ),
                (
                    23,
                    spy,
                    Sell,
                    2.0,
                    3.1,
                    1.31,
                    Close,
                    Trade,
                    "2024-07-12T19:10:00Z",
                ),
                (
                    24,
                    opt("QQQ", (2024, 7, 26), Put, 470.0),
                    Buy,
                    1.0,
                    5.2,
                    0.7,
                    Open,
                    Trade,
                    "2024-07-16T17:30:00Z",
                ),
                (
                    25,
                    opt("QQQ", (2024, 7, 26), Put, 460.0),
                    Sell,
                    1.0,
                    3.05,
                    0.71,
                    Open,
                    Trade,
                    "2024-07-16T17:30:00Z",
                ),
                (
                    30,
                    opt("IWM", (2024, 7, 19), Call, 220.0),
                    Sell,
                    3.0,
                    0.0,
                    0.0,
                    Close,
                    Expiration,
                    "2024-07-19T20:00:00Z",
                ),
                (
                    31,
                    opt("AAPL", (2024, 7, 19), Put, 200.0),
                    Buy,
                    2.0,
                    0.0,
                    0.0,
                    Close,
                    Assignment,
                    "2024-07-19T20:00:00Z",
                ),
                (
                    32,
                    Instrument::stock("AAPL"),
                    Buy,
                    200.0,
                    200.0,
                    0.0,
                    Open,
                    Trade,
                    "2024-07-19T20:00:00Z",
                ),
            ],
        );
        let e = &p.executions;
        assert!(e.iter().all(|x| x.account == "U2468013"));
        assert!(e
            .iter()
            .all(|x| x.order_id.is_none() && x.exec_id.is_none()));
        assert!(e
            .iter()
            .all(|x| x.fingerprint.starts_with("row:") && x.fingerprint.ends_with("#1")));
        // Deposit, closed lot, the three Trades bookings of the events,
        // dividend, interest; totals and other sections are not listed.
        assert_eq!(lines_of(&p.skipped), [10, 15, 19, 26, 27, 34, 37]);
        assert_eq!(p.skipped[0].reason, "deposit or withdrawal (not a trade)");
        assert_eq!(p.skipped[1].reason, "closed lot detail (not an execution)");
        assert!(
            p.skipped[2].reason.contains("line 32"),
            "{}",
            p.skipped[2].reason
        );
        assert!(
            p.skipped[3].reason.contains("line 30"),
            "{}",
            p.skipped[3].reason
        );
        assert!(
            p.skipped[4].reason.contains("line 31"),
            "{}",
            p.skipped[4].reason
        );
        assert_eq!(p.skipped[5].reason, "dividend (not a trade)");
        assert_eq!(p.skipped[6].reason, "interest (not a trade)");
    }

    #[test]
    fn bad_flex_rows_are_errors_with_their_lines() {
        let p = parse(FLEX_BAD, &opts());
        assert_eq!(p.rows, 4);
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [6, 7, 8], "{:?}", p.errors);
        assert_eq!(p.errors[0].message, r#"quantity "abc" is not a number"#);
        assert_eq!(
            p.errors[1].message,
            r#"dateTime "2024-13-45 10:30:00" is not a date and time"#
        );
        assert!(p.errors[2]
            .message
            .starts_with(r#"option symbol "WEIRD OPTION" cannot be read"#));
        check(
            &p,
            &[(
                9,
                Instrument::stock("MSFT"),
                Side::Sell,
                5.0,
                452.0,
                1.0,
                Effect::Unknown,
                ExecKind::Trade,
                "2024-07-02T15:00:00Z",
            )],
        );
        assert_eq!(p.executions[0].account, "U1112223");
        assert_eq!(p.executions[0].order_id.as_deref(), Some("4"));
    }

    #[test]
    fn bad_csv_rows_are_errors_with_their_lines() {
        let p = parse(CSV_BAD, &opts());
        assert_eq!(p.rows, 4);
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 5, 6], "{:?}", p.errors);
        assert_eq!(p.errors[0].message, r#"Quantity "abc" is not a number"#);
        assert_eq!(
            p.errors[1].message,
            r#"Date/Time "2024-07-01, 25:30:00" is not a date and time"#
        );
        assert!(p.errors[2]
            .message
            .starts_with(r#"Symbol "SPY JUL24 CALL" is not an option symbol"#));
        check(
            &p,
            &[(
                7,
                Instrument::stock("MSFT"),
                Side::Sell,
                5.0,
                452.0,
                1.0,
                Effect::Close,
                ExecKind::Trade,
                "2024-07-02T15:00:00Z",
            )],
        );
        assert_eq!(p.executions[0].account, "U3334445");
    }

    #[test]
    fn an_assignment_or_exercise_without_its_stock_row_gets_one_with_a_warning() {
        let xml = r#"<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">
<FlexStatement accountId="U5550001">
<OptionEAE>
<OptionEAE assetCategory="OPT" symbol="TSLA  240719C00250000" date="20240719" transactionType="Assignment" quantity="1" tradePrice="0" tradeID="77" />
<OptionEAE transactionType="Exercise" quantity="-2" date="2024-07-19" symbol="NVDA  240719P00120000" assetCategory="OPT" tradeID="78" />
</OptionEAE>
</FlexStatement></FlexStatements></FlexQueryResponse>"#;
        let p = parse(xml, &opts());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows, 2);
        let t = "2024-07-19T20:00:00Z";
        check(
            &p,
            &[
                (
                    4,
                    opt("TSLA", (2024, 7, 19), OptionKind::Call, 250.0),
                    Side::Buy,
                    1.0,
                    0.0,
                    0.0,
                    Effect::Unknown,
                    ExecKind::Assignment,
                    t,
                ),
                (
                    4,
                    Instrument::stock("TSLA"),
                    Side::Sell,
                    100.0,
                    250.0,
                    0.0,
                    Effect::Unknown,
                    ExecKind::Trade,
                    t,
                ),
                (
                    5,
                    opt("NVDA", (2024, 7, 19), OptionKind::Put, 120.0),
                    Side::Sell,
                    2.0,
                    0.0,
                    0.0,
                    Effect::Unknown,
                    ExecKind::Exercise,
                    t,
                ),
                (
                    5,
                    Instrument::stock("NVDA"),
                    Side::Sell,
                    200.0,
                    120.0,
                    0.0,
                    Effect::Unknown,
                    ExecKind::Trade,
                    t,
                ),
            ],
        );
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
        assert!(p.warnings[0].starts_with("line 4:"), "{}", p.warnings[0]);
        let fps: HashSet<&str> = p
            .executions
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        assert_eq!(
            fps.len(),
            4,
            "derived stock rows have their own fingerprints"
        );
        assert_eq!(p.executions[1].exec_id, None);
    }

    #[test]
    fn times_with_an_offset_keep_it_and_the_account_option_wins() {
        let xml = r#"<FlexQueryResponse><FlexStatements><FlexStatement accountId="U1">
<Trades><Trade symbol="AAPL" assetCategory="STK" quantity="1" tradePrice="1" dateTime="2024-07-19T10:31:22-05:00" /></Trades>
</FlexStatement></FlexStatements></FlexQueryResponse>"#;
        let o = ImportOptions {
            account: Some("mine".into()),
            tz: chrono_tz::Europe::London,
        };
        let p = parse(xml, &o);
        assert_eq!(p.executions.len(), 1, "{:?}", p.errors);
        assert_eq!(p.executions[0].time, utc("2024-07-19T15:31:22Z"));
        assert_eq!(p.executions[0].account, "mine");
        let t = |s: &str| parse_time(s, chrono_tz::America::New_York).map(|x| x.0);
        assert_eq!(
            t("2024-07-19, 10:31:22 EDT"),
            Some(utc("2024-07-19T14:31:22Z"))
        );
        assert_eq!(t("20240719;103122"), Some(utc("2024-07-19T14:31:22Z")));
        assert_eq!(
            t("2024-01-19 10:31:22 GMT-05"),
            Some(utc("2024-01-19T15:31:22Z"))
        );
        assert_eq!(t("19-Jan-18 16:20:00"), Some(utc("2018-01-19T21:20:00Z")));
        assert_eq!(t("2024-07-19 10:31"), Some(utc("2024-07-19T14:31:00Z")));
        assert_eq!(t("nonsense"), None);
    }

    #[test]
    fn recognises_both_forms_and_nothing_else() {
        assert!(looks_like(FLEX));
        assert!(looks_like(CSV));
        assert!(looks_like(FLEX_BAD));
        assert!(looks_like(CSV_BAD));
        assert!(looks_like(&format!("\u{feff}{CSV}")));
        assert!(!looks_like("a,b\n1,2\n"));
        assert!(!looks_like(
            "<?xml version=\"1.0\"?><OFX><BANKTRANLIST/></OFX>"
        ));
        assert!(!looks_like("Trades,Data,1,2\n"));
    }

    #[test]
    fn unrecognised_or_broken_files_are_one_error_not_a_panic() {
        let p = parse("a,b\n1,2\n", &opts());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        let p = parse("<html><body>hi</body></html>", &opts());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert!(p.errors[0].message.contains("FlexStatement"));
        let broken = "<FlexQueryResponse><FlexStatements><FlexStatement accountId=\"U1\">\n<Trades>\n<Trade symbol=\"AAPL\" </Trades></FlexQueryResponse>";
        let p = parse(broken, &opts());
        assert!(!p.errors.is_empty());
        assert!(p.executions.is_empty());
        for text in [
            "",
            "<",
            "Trades,Header\nTrades,Data,,,,",
            "\u{feff}",
            "<FlexStatement><Trades><Trade/></Trades>",
        ] {
            let _ = parse(text, &opts());
        }
    }

    #[test]
    fn statement_option_symbols_read() {
        let c = statement_option("SPY 19JUL24 552.5 P").unwrap();
        assert_eq!(c.underlying, "SPY");
        assert_eq!(c.kind, OptionKind::Put);
        assert_eq!(c.strike, 552.5);
        assert_eq!(c.expiration, NaiveDate::from_ymd_opt(2024, 7, 19).unwrap());
        assert!(statement_option("SPY JUL24 CALL").is_none());
    }
}
