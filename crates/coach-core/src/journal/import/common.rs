//! Pieces several importers share: finding the header and naming the columns
//! it lacks, building an execution, the stock an assignment or exercise
//! moves, zone words after a time, the reasons non-trade rows are skipped,
//! and small number readers.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{columns, csv_records, finish, in_zone, money, Record};
use crate::journal::{
    Broker, Effect, ExecKind, Execution, Instrument, OptionContract, OptionKind, Parsed, RowError,
    Side,
};

// ---------------------------------------------------------------------------
// Headers and columns
// ---------------------------------------------------------------------------

/// A parse that read nothing: one error.
pub(super) fn only_error(e: RowError) -> Parsed {
    finish(vec![], vec![], 0, vec![], vec![e], vec![])
}

/// Whether one of the first `records` non-blank records of the first `lines`
/// lines of `text` names every column of `required`.
pub(super) fn header_near_top<const N: usize>(
    text: &str,
    lines: usize,
    records: usize,
    required: [&str; N],
) -> bool {
    let head: String = text.lines().take(lines).collect::<Vec<_>>().join("\n");
    let Ok(recs) = csv_records(&head) else {
        return false;
    };
    recs.iter()
        .filter(|r| !r.is_blank())
        .take(records)
        .any(|r| columns(r, required).iter().all(Option::is_some))
}

/// The header record: the first of the first few non-blank records naming
/// most of `required`, else the first non-blank record.
pub(super) fn find_header<const N: usize>(
    records: &[Record],
    required: [&str; N],
) -> Option<usize> {
    let non_blank: Vec<usize> = (0..records.len())
        .filter(|&i| !records[i].is_blank())
        .collect();
    non_blank
        .iter()
        .take(10)
        .copied()
        .find(|&i| {
            columns(&records[i], required)
                .iter()
                .filter(|c| c.is_some())
                .count()
                >= 3.min(N)
        })
        .or_else(|| non_blank.first().copied())
}

/// The names whose column was not found (`found[i]` is `names[i]`'s).
pub(super) fn missing<'a>(names: &[&'a str], found: &[Option<usize>]) -> Vec<&'a str> {
    names
        .iter()
        .zip(found)
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect()
}

/// `"{what}: missing columns A, B"` at `line`, if any are missing.
pub(super) fn missing_error(what: &str, line: usize, missing: &[&str]) -> Option<RowError> {
    (!missing.is_empty()).then(|| RowError {
        line,
        message: format!("{what}: missing columns {}", missing.join(", ")),
    })
}

/// One RowError at line 1 naming the columns `header` lacks, if any.
pub(super) fn missing_columns<const N: usize>(
    header: Option<&Record>,
    required: [&str; N],
) -> Option<RowError> {
    let found = header.map(|h| columns(h, required)).unwrap_or([None; N]);
    missing_error("not a readable file", 1, &missing(&required, &found))
}

/// The field in column `col`, "" when the column is not there.
pub(super) fn field(rec: &Record, col: Option<usize>) -> &str {
    col.map(|i| rec.get(i)).unwrap_or("")
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// `text` as money that `ok` accepts, else `{label} "text" is not a number`.
pub(super) fn number_where(
    label: &str,
    text: &str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, String> {
    money(text)
        .filter(|v| ok(*v))
        .ok_or_else(|| format!("{label} {text:?} is not a number"))
}

/// A signed, non-zero quantity of shares or contracts.
pub(super) fn share_quantity(text: &str) -> Result<f64, String> {
    match money(text) {
        Some(q) if q != 0.0 => Ok(q),
        _ => Err(format!(
            "Quantity \"{text}\" is not a number of shares or contracts"
        )),
    }
}

/// A price, 0 or more.
pub(super) fn price(label: &str, text: &str) -> Result<f64, String> {
    match money(text) {
        Some(p) if p >= 0.0 => Ok(p),
        _ => Err(format!("{label} \"{text}\" is not a price")),
    }
}

/// A fee column: blank is 0, else its amount (paid, so positive).
pub(super) fn fee(label: &str, text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Ok(0.0);
    }
    money(text)
        .map(f64::abs)
        .ok_or_else(|| format!("{label} \"{text}\" is not a number"))
}

// ---------------------------------------------------------------------------
// Executions
// ---------------------------------------------------------------------------

/// An execution with what a row did not say at its default: a trade, buying
/// nothing at 0 without fees, effect unknown, no ids (the importer sets the rest).
pub(super) fn execution(
    broker: Broker,
    account: String,
    time: DateTime<Utc>,
    line: usize,
) -> Execution {
    Execution {
        broker,
        account,
        time,
        instrument: Instrument::stock(""),
        side: Side::Buy,
        quantity: 0.0,
        price: 0.0,
        fees: 0.0,
        effect: Effect::Unknown,
        kind: ExecKind::Trade,
        order_id: None,
        exec_id: None,
        line,
        fingerprint: String::new(),
    }
}

/// The instrument `symbol` names: the option `read_option` reads from it when
/// the row is about an option (an error naming `example` when it cannot),
/// else the stock.
pub(super) fn instrument_of(
    symbol: &str,
    is_option: bool,
    read_option: fn(&str) -> Option<OptionContract>,
    example: &str,
) -> Result<Instrument, String> {
    if symbol.is_empty() {
        return Err("Symbol is missing".into());
    }
    if !is_option {
        return Ok(Instrument::stock(symbol));
    }
    read_option(symbol)
        .map(Instrument::Option)
        .ok_or_else(|| format!("Symbol \"{symbol}\" is not an option symbol like \"{example}\""))
}

/// What a row's action says (Schwab's and Fidelity's actions).
pub(super) enum Act {
    Trade(Side, Effect),
    Expired,
    Assigned,
    Exercised,
    Skip(String),
}

impl Act {
    /// Side, effect and kind, or the reason a row is skipped. Removals are
    /// Sell / Close here: the importer corrects the side where the file says it.
    pub(super) fn into_parts(self) -> Result<(Side, Effect, ExecKind), String> {
        Ok(match self {
            Act::Skip(reason) => return Err(reason),
            Act::Trade(side, effect) => (side, effect, ExecKind::Trade),
            Act::Expired => (Side::Sell, Effect::Close, ExecKind::Expiration),
            Act::Assigned => (Side::Sell, Effect::Close, ExecKind::Assignment),
            Act::Exercised => (Side::Sell, Effect::Close, ExecKind::Exercise),
        })
    }
}

/// What an assignment or exercise moves: its option, the side of the stock
/// (short call assigned or long put exercised: sold; short put assigned or
/// long call exercised: bought) and the shares (`per_contract` a contract).
pub(super) fn stock_moved(
    e: &Execution,
    per_contract: f64,
) -> Option<(&OptionContract, Side, f64)> {
    let o = e.instrument.option()?;
    let side = match (e.kind, o.kind) {
        (ExecKind::Assignment, OptionKind::Put) | (ExecKind::Exercise, OptionKind::Call) => {
            Side::Buy
        }
        (ExecKind::Assignment, OptionKind::Call) | (ExecKind::Exercise, OptionKind::Put) => {
            Side::Sell
        }
        _ => return None,
    };
    Some((o, side, e.quantity * per_contract))
}

/// "assignment" or "exercise".
pub(super) fn event_word(kind: ExecKind) -> &'static str {
    if kind == ExecKind::Assignment {
        "assignment"
    } else {
        "exercise"
    }
}

/// The stock an assignment or exercise `e` of `o` moves, made up at the
/// strike when the file has no row for it (no fees, no id of its own).
pub(super) fn stock_at_strike(
    e: &Execution,
    o: &OptionContract,
    side: Side,
    shares: f64,
) -> Execution {
    Execution {
        instrument: Instrument::stock(&o.underlying),
        side,
        quantity: shares,
        price: o.strike,
        fees: 0.0,
        effect: Effect::Unknown,
        kind: ExecKind::Trade,
        exec_id: None,
        fingerprint: String::new(),
        ..e.clone()
    }
}

/// The row text of a made-up stock execution, from its option's row.
pub(super) fn stock_row(option_row: &str) -> String {
    format!("{option_row}|stock")
}

/// `execs` and `rows` with each `extra[i]` right after the `i`th.
pub(super) fn interleave(
    execs: Vec<Execution>,
    rows: Vec<String>,
    extra: Vec<Option<(Execution, String)>>,
) -> (Vec<Execution>, Vec<String>) {
    let mut out_e = Vec::with_capacity(execs.len());
    let mut out_r = Vec::with_capacity(rows.len());
    for ((e, r), x) in execs.into_iter().zip(rows).zip(extra) {
        out_e.push(e);
        out_r.push(r);
        if let Some((e, r)) = x {
            out_e.push(e);
            out_r.push(r);
        }
    }
    (out_e, out_r)
}

/// The stock an assignment or exercise moves: the file's own stock row for it
/// when there is one (same underlying and side, 100 shares a contract, at the
/// strike, dated that day or up to three days later; each row used once),
/// else a stock execution made here at the strike, with a warning.
/// `dates[i]` is the date of `execs[i]`.
pub(super) fn deliver_stock(
    execs: Vec<Execution>,
    rows: Vec<String>,
    dates: &[NaiveDate],
    warnings: &mut Vec<String>,
) -> (Vec<Execution>, Vec<String>) {
    let mut claimed = vec![false; execs.len()];
    let mut made: Vec<Option<(Execution, String)>> = vec![None; execs.len()];
    for i in 0..execs.len() {
        let e = &execs[i];
        let Some((o, side, shares)) = stock_moved(e, 100.0) else {
            continue;
        };
        let found = (0..execs.len()).find(|&j| {
            let s = &execs[j];
            !claimed[j]
                && s.kind == ExecKind::Trade
                && matches!(&s.instrument, Instrument::Stock { symbol } if *symbol == o.underlying)
                && s.side == side
                && (s.quantity - shares).abs() < 1e-6
                && (s.price - o.strike).abs() < 0.005
                && dates[j] >= dates[i]
                && dates[j] <= dates[i] + Duration::days(3)
        });
        match found {
            Some(j) => claimed[j] = true,
            None => {
                let verb = if side == Side::Buy { "bought" } else { "sold" };
                warnings.push(format!(
                    "line {}: the {} of {} has no stock row in the file: {shares} {} {verb} at {} added",
                    e.line,
                    event_word(e.kind),
                    o.occ(),
                    o.underlying,
                    o.strike
                ));
                let stock = stock_at_strike(e, o, side, shares);
                made[i] = Some((stock, stock_row(&rows[i])));
            }
        }
    }
    interleave(execs, rows, made)
}

// ---------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------

/// The first of `formats` that reads `text`.
pub(super) fn naive_in(text: &str, formats: &[&str]) -> Option<NaiveDateTime> {
    formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

/// Hours east of UTC of the US zone words (`EDT`, `EST`, …, `UTC`, `GMT`).
pub(super) fn us_zone_hours(word: &str) -> Option<i32> {
    Some(match word.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => return None,
    })
}

/// `+8`, `-04`, `+05:30`, `-0400`: the sign, hours and minutes.
pub(super) fn signed_offset(text: &str) -> Option<(i32, i32, i32)> {
    let (sign, digits) = match text.chars().next()? {
        '+' => (1, &text[1..]),
        '-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        let (h, m) = digits.split_at(digits.len() - 2);
        (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
    };
    Some((sign, h, m))
}

/// `local` at a fixed `offset`, as UTC.
pub(super) fn at_offset(local: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    offset
        .from_local_datetime(&local)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// `local` at the zone written after it, else read in `tz`.
pub(super) fn in_zone_or(
    local: NaiveDateTime,
    offset: Option<FixedOffset>,
    tz: Tz,
) -> Option<DateTime<Utc>> {
    match offset {
        Some(off) => at_offset(local, off),
        None => Some(in_zone(local, tz)),
    }
}

// ---------------------------------------------------------------------------
// Rows that are not trades
// ---------------------------------------------------------------------------

/// `"{what} (not a trade)"`.
pub(super) fn not_a_trade(what: &str) -> String {
    format!("{what} (not a trade)")
}

/// The label of the first rule with a word that `lower` contains.
pub(super) fn label_of<'a>(lower: &str, rules: &[(&[&str], &'a str)]) -> Option<&'a str> {
    rules
        .iter()
        .find(|(words, _)| words.iter().any(|w| lower.contains(w)))
        .map(|(_, label)| *label)
}

/// Why a row whose action is not a trade is passed over (Schwab's and
/// Fidelity's actions).
pub(super) fn skip_reason(action: &str) -> String {
    const RULES: [(&[&str], &str); 5] = [
        (&["reinvest"], "dividend reinvestment"),
        (&["dividend", "div ", "distribution"], "dividend"),
        (&["interest"], "interest"),
        (&["transfer", "moneylink", "wire", "journal"], "transfer"),
        (&["fee"], "fee"),
    ];
    let original = action.trim();
    if original.is_empty() {
        return not_a_trade("row without an action");
    }
    match label_of(&original.to_ascii_lowercase(), &RULES) {
        Some(what) => not_a_trade(what),
        None => not_a_trade(&original.chars().take(40).collect::<String>()),
    }
}

#[cfg(test)]
pub(super) mod test_util {
    //! What the importers' tests share.

    use chrono::{DateTime, NaiveDate, Utc};

    use crate::journal::{
        Broker, Effect, ExecKind, Execution, Instrument, OptionContract, OptionKind, Parsed, Side,
    };

    /// An RFC 3339 time as UTC.
    pub fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// An equity option as an instrument.
    pub fn opt(root: &str, exp: (i32, u32, u32), kind: OptionKind, strike: f64) -> Instrument {
        Instrument::Option(OptionContract {
            underlying: root.into(),
            kind,
            strike,
            expiration: NaiveDate::from_ymd_opt(exp.0, exp.1, exp.2).unwrap(),
        })
    }

    /// The executions read from `line`.
    pub fn at(p: &Parsed, line: usize) -> Vec<&Execution> {
        p.executions.iter().filter(|e| e.line == line).collect()
    }

    /// Equal but for float noise.
    pub fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// How many different fingerprints the executions have.
    pub fn distinct_fingerprints(p: &Parsed) -> usize {
        let mut prints: Vec<&str> = p
            .executions
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        prints.sort_unstable();
        prints.dedup();
        prints.len()
    }

    /// What a test expects of one execution besides its line and instrument.
    pub struct Fill<'a> {
        pub broker: Broker,
        pub side: Side,
        pub quantity: f64,
        pub price: f64,
        pub fees: f64,
        pub effect: Effect,
        pub kind: ExecKind,
        pub time: &'a str,
    }

    /// Asserts `e` is the fill `want`, naming `line` when it is not.
    pub fn assert_fill(e: &Execution, line: usize, want: &Fill) {
        let at = format!("line {line}");
        assert_eq!(e.line, line, "line of {e:?}");
        assert_eq!(e.side, want.side, "{at}");
        assert!(
            near(e.quantity, want.quantity),
            "{at}: quantity {}",
            e.quantity
        );
        assert!(near(e.price, want.price), "{at}: price {}", e.price);
        assert!(near(e.fees, want.fees), "{at}: fees {}", e.fees);
        assert_eq!(e.effect, want.effect, "{at}");
        assert_eq!(e.kind, want.kind, "{at}");
        assert_eq!(e.time, utc(want.time), "{at}");
        assert_eq!(e.broker, want.broker);
    }
}
