//! tastytrade (and tastyworks) transaction history CSV.
//!
//! Three header layouts, told apart by the header row:
//! - current: `Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,
//!   Value,Quantity,Average Price,Commissions,Fees,Multiplier,Root Symbol,
//!   Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #[,Currency]`;
//! - 2023: the same without `Sub Type` (and `Currency`);
//! - legacy tastyworks: `Date/Time,Transaction Code,Transaction Subcode,Symbol,
//!   Buy/Sell,Open/Close,Quantity,Expiration Date,Strike,Call/Put,Price,Fees,
//!   Amount,Description,Account Reference`.
//!
//! In the current and 2023 layouts `Value` is signed cash with the multiplier
//! applied (`-250.00` for one call bought at 2.50) and `Average Price` is signed
//! and multiplied too; the legacy `Price` is per share and `Amount` is the cash.
//! Dates carry an offset (`2024-07-19T10:31:22-0400`) except the legacy
//! `Date/Time` (`07/19/2024 10:31 AM`), read in the import zone. The files have
//! no id per execution; legs of one order share its `Order #`.
//!
//! Expirations, assignments and exercises are `Receive Deliver` rows removing
//! the option at 0; the stock of an assignment or exercise is its own
//! `Receive Deliver` row at the strike, imported as a trade (and made up at the
//! strike, with a warning, when the file lacks it).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::common::{
    event_word, execution, field, interleave, label_of, missing, missing_error, naive_in,
    not_a_trade, number_where, only_error, stock_at_strike, stock_moved, stock_row,
};
use super::{
    columns, csv_records, date_only, finish, in_zone, money, us_date, ImportOptions, Record,
};
use crate::journal::{
    Broker, Effect, ExecKind, Execution, Instrument, OptionContract, OptionKind, Parsed, RowError,
    Side, SkippedRow,
};

/// Which of tastytrade's header layouts a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// With `Sub Type` (2024 on).
    Current,
    /// The 2023 layout: no `Sub Type`.
    NoSubType,
    /// tastyworks' `Date/Time,Transaction Code,…` layout.
    Legacy,
}

const MODERN: [&str; 20] = [
    "Date",
    "Type",
    "Sub Type",
    "Action",
    "Symbol",
    "Instrument Type",
    "Description",
    "Value",
    "Quantity",
    "Average Price",
    "Commissions",
    "Fees",
    "Multiplier",
    "Root Symbol",
    "Underlying Symbol",
    "Expiration Date",
    "Strike Price",
    "Call or Put",
    "Order #",
    "Currency",
];
const MODERN_REQUIRED: [&str; 12] = [
    "Date",
    "Type",
    "Action",
    "Symbol",
    "Instrument Type",
    "Value",
    "Quantity",
    "Average Price",
    "Commissions",
    "Fees",
    "Multiplier",
    "Order #",
];
const LEGACY: [&str; 15] = [
    "Date/Time",
    "Transaction Code",
    "Transaction Subcode",
    "Symbol",
    "Buy/Sell",
    "Open/Close",
    "Quantity",
    "Expiration Date",
    "Strike",
    "Call/Put",
    "Price",
    "Fees",
    "Amount",
    "Description",
    "Account Reference",
];
const LEGACY_REQUIRED: [&str; 10] = [
    "Date/Time",
    "Transaction Code",
    "Transaction Subcode",
    "Symbol",
    "Buy/Sell",
    "Open/Close",
    "Quantity",
    "Price",
    "Fees",
    "Amount",
];

/// Where each field is, whichever the layout (`None`: not in this layout).
#[derive(Debug, Default)]
struct Cols {
    date: Option<usize>,
    typ: Option<usize>,
    sub: Option<usize>,
    action: Option<usize>,
    buy_sell: Option<usize>,
    open_close: Option<usize>,
    symbol: Option<usize>,
    inst: Option<usize>,
    desc: Option<usize>,
    /// Signed cash, multiplier applied (`Value`, legacy `Amount`).
    value: Option<usize>,
    qty: Option<usize>,
    /// Signed, multiplier applied (current and 2023).
    avg: Option<usize>,
    /// Per share (legacy).
    price: Option<usize>,
    comm: Option<usize>,
    fees: Option<usize>,
    mult: Option<usize>,
    root: Option<usize>,
    underlying: Option<usize>,
    exp: Option<usize>,
    strike: Option<usize>,
    cp: Option<usize>,
    order: Option<usize>,
    currency: Option<usize>,
    account: Option<usize>,
}

impl Cols {
    fn of(header: &Record, layout: Layout) -> Cols {
        match layout {
            Layout::Legacy => {
                let c = columns(header, LEGACY);
                Cols {
                    date: c[0],
                    typ: c[1],
                    sub: c[2],
                    symbol: c[3],
                    buy_sell: c[4],
                    open_close: c[5],
                    qty: c[6],
                    exp: c[7],
                    strike: c[8],
                    cp: c[9],
                    price: c[10],
                    fees: c[11],
                    value: c[12],
                    desc: c[13],
                    account: c[14],
                    ..Cols::default()
                }
            }
            Layout::Current | Layout::NoSubType => {
                let c = columns(header, MODERN);
                Cols {
                    date: c[0],
                    typ: c[1],
                    sub: c[2],
                    action: c[3],
                    symbol: c[4],
                    inst: c[5],
                    desc: c[6],
                    value: c[7],
                    qty: c[8],
                    avg: c[9],
                    comm: c[10],
                    fees: c[11],
                    mult: c[12],
                    root: c[13],
                    underlying: c[14],
                    exp: c[15],
                    strike: c[16],
                    cp: c[17],
                    order: c[18],
                    currency: c[19],
                    ..Cols::default()
                }
            }
        }
    }
}

/// The layout of `header`, if it is one of tastytrade's.
fn layout_of(header: &Record) -> Option<Layout> {
    if columns(header, LEGACY_REQUIRED).iter().all(Option::is_some) {
        return Some(Layout::Legacy);
    }
    if columns(header, MODERN_REQUIRED).iter().all(Option::is_some) {
        let [sub] = columns(header, ["Sub Type"]);
        return Some(if sub.is_some() {
            Layout::Current
        } else {
            Layout::NoSubType
        });
    }
    None
}

/// True for a tastytrade or tastyworks transaction history (by its header).
pub fn looks_like(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The header is the first line that is not blank.
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    match csv_records(first) {
        Ok(recs) => recs.first().and_then(layout_of).is_some(),
        Err(_) => false,
    }
}

/// What one row became.
enum Row {
    Exec(Execution),
    Skip(String),
}

pub fn parse(text: &str, opts: &ImportOptions) -> Parsed {
    let records = match csv_records(text) {
        Ok(r) => r,
        Err(e) => return only_error(e),
    };
    let mut recs = records.into_iter().filter(|r| !r.is_blank());
    let Some(header) = recs.next() else {
        return only_error(RowError {
            line: 1,
            message: "the file is empty: no tastytrade header row".into(),
        });
    };
    let Some(layout) = layout_of(&header) else {
        let legacy_like = columns(&header, ["Date/Time", "Transaction Code"])
            .iter()
            .any(Option::is_some);
        let lacks = if legacy_like {
            missing(&LEGACY_REQUIRED, &columns(&header, LEGACY_REQUIRED))
        } else {
            missing(&MODERN_REQUIRED, &columns(&header, MODERN_REQUIRED))
        };
        let what = "not a tastytrade transaction history";
        return match missing_error(what, header.line.max(1), &lacks) {
            Some(e) => only_error(e),
            None => Parsed::default(),
        };
    };
    let cols = Cols::of(&header, layout);

    let mut execs: Vec<Execution> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    // Executions that are stock delivered by a Receive Deliver row.
    let mut delivered: Vec<usize> = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut n_rows = 0;
    let mut currencies: Vec<String> = Vec::new();

    for rec in recs {
        n_rows += 1;
        match read_row(&rec, &cols, layout, opts) {
            Ok(Row::Exec(e)) => {
                if let Some(c) = cols.currency.map(|i| rec.get(i).to_ascii_uppercase()) {
                    if !c.is_empty() && c != "USD" && !currencies.contains(&c) {
                        currencies.push(c);
                    }
                }
                let is_delivery = is_receive_deliver(field(&rec, cols.typ))
                    && e.kind == ExecKind::Trade
                    && e.instrument.option().is_none();
                if is_delivery {
                    delivered.push(execs.len());
                }
                execs.push(e);
                rows.push(rec.canonical());
            }
            Ok(Row::Skip(reason)) => skipped.push(SkippedRow {
                line: rec.line,
                reason,
            }),
            Err(message) => errors.push(RowError {
                line: rec.line,
                message,
            }),
        }
    }
    for c in currencies {
        warnings.push(format!(
            "some rows are in {c}, not USD: their prices and fees are kept as written"
        ));
    }

    let (execs, rows) = add_missing_stock(execs, rows, &delivered, &mut warnings);
    finish(execs, rows, n_rows, skipped, errors, warnings)
}

fn is_receive_deliver(typ: &str) -> bool {
    let t: String = typ
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    t == "receivedeliver"
}

/// A number written in a money-like way; blank or `--` is `None`, anything
/// else that is not a number is an error naming the field.
fn number(text: &str, name: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() || t == "--" || t == "-" {
        return Ok(None);
    }
    number_where(name, t, |_| true).map(Some)
}

/// Rounds away the float noise of a division (prices and fees carry at most a
/// few decimals).
fn tidy(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// `BUY_TO_OPEN`, `Buy to Open`, `SELL_TO_CLOSE`, `BUY`, `SELL`, …
fn parse_action(text: &str) -> Option<(Side, Effect)> {
    let n: String = text
        .trim()
        .to_ascii_uppercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    Some(match n.as_str() {
        "BUY_TO_OPEN" => (Side::Buy, Effect::Open),
        "SELL_TO_OPEN" => (Side::Sell, Effect::Open),
        "BUY_TO_CLOSE" => (Side::Buy, Effect::Close),
        "SELL_TO_CLOSE" => (Side::Sell, Effect::Close),
        "BUY" | "BOUGHT" => (Side::Buy, Effect::Unknown),
        "SELL" | "SOLD" => (Side::Sell, Effect::Unknown),
        _ => return None,
    })
}

/// A date and time as the layouts write it: with an offset
/// (`2024-07-19T10:31:22-0400`) honoured, without one read in `tz`, a bare
/// date at the session's close.
fn parse_time(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let t = text.trim();
    for f in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let naive = naive_in(
        t,
        &[
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%y %I:%M %p",
            "%m/%d/%Y %H:%M",
            "%m/%d/%Y %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S",
        ],
    );
    match naive {
        Some(d) => Some(in_zone(d, tz)),
        None => us_date(t).map(|d| date_only(d, tz)),
    }
}

/// The option a row names: its OCC symbol, else its expiration, strike and
/// call/put columns.
fn option_of(rec: &Record, cols: &Cols) -> Option<OptionContract> {
    let symbol = field(rec, cols.symbol);
    if let Some(o) = OptionContract::parse_occ(symbol) {
        return Some(o);
    }
    let underlying = [cols.underlying, cols.root]
        .into_iter()
        .map(|c| field(rec, c))
        .find(|s| !s.is_empty())
        .or_else(|| symbol.split_whitespace().next())?;
    let expiration = us_date(field(rec, cols.exp))?;
    let strike = money(field(rec, cols.strike)).filter(|s| *s > 0.0)?;
    let kind = match field(rec, cols.cp).to_ascii_uppercase().chars().next()? {
        'C' => OptionKind::Call,
        'P' => OptionKind::Put,
        _ => return None,
    };
    Some(OptionContract {
        underlying: underlying.trim().to_ascii_uppercase(),
        kind,
        strike,
        expiration,
    })
}

/// Whether a row's instrument is an option (`Some(true)`), stock
/// (`Some(false)`), or something this journal does not hold.
fn is_option(rec: &Record, cols: &Cols, layout: Layout) -> Result<bool, String> {
    if layout == Layout::Legacy {
        return Ok(!field(rec, cols.cp).is_empty()
            || !field(rec, cols.strike).is_empty()
            || OptionContract::parse_occ(field(rec, cols.symbol)).is_some());
    }
    let inst = field(rec, cols.inst);
    let l = inst.to_ascii_lowercase();
    if l.is_empty() {
        return Ok(OptionContract::parse_occ(field(rec, cols.symbol)).is_some());
    }
    if l == "equity" {
        return Ok(false);
    }
    if l.contains("option") && !l.contains("future") {
        return Ok(true);
    }
    Err(format!(
        "Instrument Type {inst:?} is not supported (stocks and equity options only)"
    ))
}

/// The removal an option row describes (`Expiration`, `Assignment`,
/// `Exercise`), from its sub type, else its description.
fn removal_kind(text: &str) -> Option<ExecKind> {
    let t = text.to_ascii_lowercase();
    if t.contains("expir") {
        Some(ExecKind::Expiration)
    } else if t.contains("assign") {
        Some(ExecKind::Assignment)
    } else if t.contains("exercis") {
        Some(ExecKind::Exercise)
    } else {
        None
    }
}

/// Why a row that is not a trade was passed over.
fn skip_reason(typ: &str, sub: &str, desc: &str) -> String {
    const RULES: [(&[&str], &str); 8] = [
        (&["deposit", "funds received"], "deposit"),
        (&["withdraw", "disburse"], "withdrawal"),
        (&["dividend"], "dividend"),
        (&["interest"], "interest"),
        (&["transfer", "acat"], "transfer"),
        (&["split"], "split"),
        (&["symbol change"], "symbol change"),
        (&["fee", "commission"], "fee"),
    ];
    if let Some(what) = label_of(&format!("{sub} {desc}").to_ascii_lowercase(), &RULES) {
        return not_a_trade(what);
    }
    let label = if sub.is_empty() { desc } else { sub };
    let typ = if typ.is_empty() { "row" } else { typ };
    not_a_trade(&format!("{} {label:?}", typ.to_ascii_lowercase()))
}

fn read_row(
    rec: &Record,
    cols: &Cols,
    layout: Layout,
    opts: &ImportOptions,
) -> Result<Row, String> {
    let legacy = layout == Layout::Legacy;
    let (n_type, n_date, n_action, n_value) = if legacy {
        ("Transaction Code", "Date/Time", "Buy/Sell", "Amount")
    } else {
        ("Type", "Date", "Action", "Value")
    };
    let typ = field(rec, cols.typ);
    let sub = field(rec, cols.sub);
    let desc = field(rec, cols.desc);
    let is_trade = typ.eq_ignore_ascii_case("trade");
    let is_rd = is_receive_deliver(typ);
    if !is_trade && !is_rd {
        if typ.is_empty() {
            return Err(format!("{n_type} is empty"));
        }
        return Ok(Row::Skip(skip_reason(typ, sub, desc)));
    }
    let both = format!("{sub} {desc}").to_ascii_lowercase();
    if is_rd {
        for word in [
            "split",
            "symbol change",
            "acat",
            "transfer",
            "spin",
            "merger",
        ] {
            if both.contains(word) {
                return Ok(Row::Skip(skip_reason(typ, sub, desc)));
            }
        }
        if both.contains("cash settle") {
            return Err(format!(
                "cash-settled {} is not supported: the option's cash settlement is not imported",
                if sub.is_empty() { desc } else { sub }
            ));
        }
    }

    // What the file says of side and effect.
    let said = if legacy {
        let side = match field(rec, cols.buy_sell).to_ascii_lowercase().as_str() {
            "buy" => Some(Side::Buy),
            "sell" => Some(Side::Sell),
            _ => None,
        };
        let effect = match field(rec, cols.open_close).to_ascii_lowercase().as_str() {
            "open" => Some(Effect::Open),
            "close" => Some(Effect::Close),
            _ => None,
        };
        let from_sub = parse_action(sub);
        side.or(from_sub.map(|a| a.0)).map(|s| {
            (
                s,
                effect.or(from_sub.map(|a| a.1)).unwrap_or(Effect::Unknown),
            )
        })
    } else {
        parse_action(field(rec, cols.action)).or_else(|| parse_action(sub))
    };

    let option = is_option(rec, cols, layout)?;
    let removal = if is_rd && option {
        removal_kind(sub).or_else(|| removal_kind(desc))
    } else {
        None
    };
    if removal.is_none() && said.is_none() {
        if is_rd {
            return Ok(Row::Skip(skip_reason(typ, sub, desc)));
        }
        let shown = if legacy {
            field(rec, cols.buy_sell)
        } else {
            field(rec, cols.action)
        };
        return Err(format!("{n_action} {shown:?} is not a buy or sell"));
    }

    let date = field(rec, cols.date);
    let time = parse_time(date, opts.tz)
        .ok_or_else(|| format!("{n_date} {date:?} is not a date and time"))?;

    let qty_text = field(rec, cols.qty);
    let quantity = number(qty_text, "Quantity")?
        .ok_or_else(|| "Quantity is empty".to_string())?
        .abs();
    if quantity == 0.0 {
        return Err(format!("Quantity {qty_text:?} is zero"));
    }

    let instrument = if option {
        let o = option_of(rec, cols).ok_or_else(|| {
            let (e, s, c) = if legacy {
                ("Expiration Date", "Strike", "Call/Put")
            } else {
                ("Expiration Date", "Strike Price", "Call or Put")
            };
            format!(
                "Symbol {:?} is not an option symbol, and {e}/{s}/{c} do not describe an option",
                field(rec, cols.symbol)
            )
        })?;
        Instrument::Option(o)
    } else {
        let symbol = field(rec, cols.symbol);
        if symbol.is_empty() {
            return Err("Symbol is empty".into());
        }
        Instrument::stock(symbol)
    };

    let mult_text = field(rec, cols.mult);
    let multiplier = match number(mult_text, "Multiplier")? {
        Some(m) if m > 0.0 => m,
        Some(_) => return Err(format!("Multiplier {mult_text:?} is not positive")),
        None => instrument.multiplier(),
    };
    if option && multiplier != 100.0 {
        return Err(format!(
            "Multiplier {mult_text:?} is not 100: only standard equity options are supported"
        ));
    }

    let commissions = number(field(rec, cols.comm), "Commissions")?.unwrap_or(0.0);
    let fee = number(field(rec, cols.fees), "Fees")?.unwrap_or(0.0);
    let fees = tidy(commissions.abs() + fee.abs());

    let account = if legacy {
        opts.account_or(Some(field(rec, cols.account)))
    } else {
        opts.account_or(None)
    };
    let order_id = Some(field(rec, cols.order))
        .filter(|s| !s.is_empty())
        .map(String::from);

    let (side, effect, kind, price) = if let Some(kind) = removal {
        // The option leaves at 0; the side as the file says, else Sell.
        let (side, effect) = match said {
            Some((s, Effect::Unknown)) => (s, Effect::Close),
            Some((s, e)) => (s, e),
            None => (Side::Sell, Effect::Close),
        };
        (side, effect, kind, 0.0)
    } else {
        let (side, effect) = said.unwrap_or((Side::Buy, Effect::Unknown));
        let value = number(field(rec, cols.value), n_value)?;
        let price = if legacy {
            let per_share = number(field(rec, cols.price), "Price")?;
            match (per_share, value) {
                (Some(p), _) => p.abs(),
                (None, Some(v)) => v.abs() / (quantity * multiplier),
                (None, None) => return Err("Price and Amount are both empty".into()),
            }
        } else {
            let avg = number(field(rec, cols.avg), "Average Price")?;
            match (value, avg) {
                (Some(v), _) if v != 0.0 => v.abs() / (quantity * multiplier),
                (_, Some(a)) => a.abs() / multiplier,
                (Some(_), None) => 0.0,
                (None, None) => return Err("Value and Average Price are both empty".into()),
            }
        };
        (side, effect, ExecKind::Trade, tidy(price))
    };

    Ok(Row::Exec(Execution {
        instrument,
        side,
        quantity,
        price,
        fees,
        effect,
        kind,
        order_id,
        ..execution(Broker::Tastytrade, account, time, rec.line)
    }))
}

/// For each assignment or exercise, the stock that moves: taken from the
/// file's own Receive Deliver stock rows (same underlying and direction,
/// within four days) where they cover it, else made up at the strike with a
/// warning. Made-up stock follows its option in the list.
fn add_missing_stock(
    execs: Vec<Execution>,
    rows: Vec<String>,
    delivered: &[usize],
    warnings: &mut Vec<String>,
) -> (Vec<Execution>, Vec<String>) {
    let mut pool: Vec<(usize, f64)> = delivered.iter().map(|&i| (i, execs[i].quantity)).collect();
    let mut extra: Vec<Option<(Execution, String)>> = vec![None; execs.len()];
    for (i, e) in execs.iter().enumerate() {
        let Some((o, side, mut need)) = stock_moved(e, 100.0) else {
            continue;
        };
        for (j, left) in pool.iter_mut() {
            let s = &execs[*j];
            if *left <= 0.0
                || s.side != side
                || s.instrument.underlying() != o.underlying
                || (s.time - e.time).num_days().abs() > 4
            {
                continue;
            }
            let take = need.min(*left);
            *left -= take;
            need -= take;
            if need <= 1e-9 {
                break;
            }
        }
        if need > 1e-9 {
            warnings.push(format!(
                "line {}: the {} of {} {} has no stock row in the file; added {} {need} {} at the strike {}",
                e.line,
                event_word(e.kind),
                e.quantity,
                o.occ(),
                if side == Side::Buy { "a buy of" } else { "a sale of" },
                o.underlying,
                o.strike
            ));
            let stock = stock_at_strike(e, o, side, need);
            extra[i] = Some((stock, stock_row(&rows[i])));
        }
    }
    interleave(execs, rows, extra)
}

#[cfg(test)]
mod tests {
    use super::super::common::test_util::{assert_fill, distinct_fingerprints, utc, Fill};
    use super::*;

    const CURRENT: &str =
        include_str!("../../../../../tests/fixtures/journal/tastytrade/current.csv");
    const Y2023: &str = include_str!("../../../../../tests/fixtures/journal/tastytrade/2023.csv");
    const LEGACY: &str =
        include_str!("../../../../../tests/fixtures/journal/tastytrade/legacy.csv");
    const BAD: &str = include_str!("../../../../../tests/fixtures/journal/tastytrade/bad.csv");

    /// Checks one execution against values worked out by hand from the fixture.
    #[allow(clippy::too_many_arguments)]
    fn check(
        e: &Execution,
        line: usize,
        symbol: &str,
        side: Side,
        qty: f64,
        price: f64,
        fees: f64,
        effect: Effect,
        kind: ExecKind,
        order: Option<&str>,
        time: &str,
    ) {
        let fill = Fill {
            broker: Broker::Tastytrade,
            side,
            quantity: qty,
            price,
            fees,
            effect,
            kind,
            time,
        };
        assert_fill(e, line, &fill);
        assert_eq!(e.instrument.symbol(), symbol, "line {line}");
        assert_eq!(e.order_id.as_deref(), order, "line {line}");
        assert_eq!(e.exec_id, None, "line {line}");
    }

    use Effect::{Close, Open, Unknown};
    use ExecKind::{Assignment, Expiration, Trade};
    use Side::{Buy, Sell};

    #[test]
    fn looks_like_knows_all_three_headers_and_nothing_else() {
        assert!(looks_like(CURRENT));
        assert!(looks_like(Y2023));
        assert!(looks_like(LEGACY));
        assert!(looks_like(BAD));
        assert!(looks_like(&format!("\u{feff}{CURRENT}")));
        assert!(!looks_like("a,b\n1,2\n"));
        assert!(!looks_like(""));
        assert!(!looks_like(
            "Date,Type,Action,Symbol\n2024-07-19,Trade,BUY,SPY\n"
        ));
    }

    #[test]
    fn current_layout_reads_stock_options_partial_fills_verticals_expirations_and_assignments() {
        let p = parse(CURRENT, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.rows, 13);
        assert_eq!(
            p.skipped,
            vec![SkippedRow {
                line: 14,
                reason: "deposit (not a trade)".into()
            }]
        );
        let x = &p.executions;
        assert_eq!(x.len(), 12);
        // The vertical's two legs expire.
        check(
            &x[0],
            2,
            "AAPL240920C00240000",
            Buy,
            1.0,
            0.0,
            0.0,
            Close,
            Expiration,
            None,
            "2024-09-20T21:00:00Z",
        );
        check(
            &x[1],
            3,
            "AAPL240920C00230000",
            Sell,
            1.0,
            0.0,
            0.0,
            Close,
            Expiration,
            None,
            "2024-09-20T21:00:00Z",
        );
        // The assignment's own stock row: 300 IWM bought at the strike, -60,000.00 / 300.
        check(
            &x[2],
            4,
            "IWM",
            Buy,
            300.0,
            200.0,
            0.0,
            Open,
            Trade,
            None,
            "2024-08-16T21:00:00Z",
        );
        check(
            &x[3],
            5,
            "IWM240816P00200000",
            Buy,
            3.0,
            0.0,
            0.0,
            Close,
            Assignment,
            None,
            "2024-08-16T21:00:00Z",
        );
        // The vertical: two legs on order 4200, each with its own fees.
        check(
            &x[4],
            6,
            "AAPL240920C00230000",
            Buy,
            1.0,
            4.20,
            1.14,
            Open,
            Trade,
            Some("4200"),
            "2024-08-02T15:05:40Z",
        );
        check(
            &x[5],
            7,
            "AAPL240920C00240000",
            Sell,
            1.0,
            1.35,
            1.13,
            Open,
            Trade,
            Some("4200"),
            "2024-08-02T15:05:40Z",
        );
        // The partial fill: order 4150 in two rows (1 at 1.84, 2 at 370.00 / 200 = 1.85).
        check(
            &x[6],
            8,
            "IWM240816P00200000",
            Sell,
            1.0,
            1.84,
            1.14,
            Open,
            Trade,
            Some("4150"),
            "2024-07-22T17:12:09Z",
        );
        check(
            &x[7],
            9,
            "IWM240816P00200000",
            Sell,
            2.0,
            1.85,
            2.28,
            Open,
            Trade,
            Some("4150"),
            "2024-07-22T17:12:07Z",
        );
        // The single-leg round trip; -0400 honoured: 10:31:22 EDT is 14:31:22 UTC.
        check(
            &x[8],
            10,
            "SPY240719C00550000",
            Sell,
            1.0,
            3.10,
            0.14,
            Close,
            Trade,
            Some("4120"),
            "2024-07-19T14:31:22Z",
        );
        // Value -250.00 for 1 contract is 2.50 a share.
        check(
            &x[9],
            11,
            "SPY240719C00550000",
            Buy,
            1.0,
            2.50,
            1.14,
            Open,
            Trade,
            Some("4101"),
            "2024-07-16T13:45:03Z",
        );
        // Stock with "--" commissions (0) and quoted thousands.
        check(
            &x[10],
            12,
            "MSFT",
            Sell,
            2.0,
            520.15,
            0.05,
            Close,
            Trade,
            Some("4090"),
            "2024-07-12T19:20:45Z",
        );
        check(
            &x[11],
            13,
            "MSFT",
            Buy,
            2.0,
            512.40,
            0.08,
            Open,
            Trade,
            Some("4077"),
            "2024-07-10T14:02:11Z",
        );
        assert!(x.iter().all(|e| e.account == "default"));
        let o = x[3].instrument.option().unwrap();
        assert_eq!(
            (o.underlying.as_str(), o.kind, o.strike),
            ("IWM", OptionKind::Put, 200.0)
        );
        assert_eq!(
            o.expiration,
            chrono::NaiveDate::from_ymd_opt(2024, 8, 16).unwrap()
        );
        // Every execution has its own fingerprint, from its row.
        assert_eq!(distinct_fingerprints(&p), 12);
        assert!(x.iter().all(|e| e.fingerprint.starts_with("row:")));
    }

    #[test]
    fn layout_2023_reads_removals_from_the_description() {
        let p = parse(Y2023, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.rows, 8);
        let reasons: Vec<(usize, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            vec![(7, "interest (not a trade)"), (9, "deposit (not a trade)")]
        );
        let x = &p.executions;
        assert_eq!(x.len(), 6);
        // No Action on the removal: side Sell, effect Close.
        check(
            &x[0],
            2,
            "QQQ231020P00350000",
            Sell,
            2.0,
            0.0,
            0.0,
            Close,
            Expiration,
            None,
            "2023-10-20T21:00:00Z",
        );
        // The call assigned: its stock row at the strike, "5,500.00" / 100 = 55.
        check(
            &x[1],
            3,
            "KO",
            Sell,
            100.0,
            55.0,
            0.07,
            Close,
            Trade,
            None,
            "2023-10-20T21:00:00Z",
        );
        check(
            &x[2],
            4,
            "KO231020C00055000",
            Sell,
            1.0,
            0.0,
            0.0,
            Close,
            Assignment,
            None,
            "2023-10-20T21:00:00Z",
        );
        check(
            &x[3],
            5,
            "KO231020C00055000",
            Sell,
            1.0,
            0.62,
            1.13,
            Open,
            Trade,
            Some("3310"),
            "2023-10-02T14:15:30Z",
        );
        // -190.00 for 2 contracts is 0.95.
        check(
            &x[4],
            6,
            "QQQ231020P00350000",
            Buy,
            2.0,
            0.95,
            2.26,
            Open,
            Trade,
            Some("3301"),
            "2023-09-29T18:40:12Z",
        );
        // Plain BUY: no effect said; -0500 (EST) honoured.
        check(
            &x[5],
            8,
            "KO",
            Buy,
            100.0,
            52.10,
            0.0,
            Unknown,
            Trade,
            Some("3290"),
            "2022-12-15T16:00:00Z",
        );
    }

    #[test]
    fn legacy_layout_reads_the_import_zone_and_adds_missing_assignment_stock() {
        let p = parse(LEGACY, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows, 12);
        let reasons: Vec<(usize, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (12, "deposit (not a trade)"),
                (13, "interest (not a trade)")
            ]
        );
        let x = &p.executions;
        assert_eq!(x.len(), 11);
        // Short put assigned, no stock row in the file: 100 TSLA bought at 600.
        check(
            &x[0],
            2,
            "TSLA210618P00600000",
            Buy,
            1.0,
            0.0,
            0.0,
            Close,
            Assignment,
            None,
            "2021-06-18T21:00:00Z",
        );
        check(
            &x[1],
            2,
            "TSLA",
            Buy,
            100.0,
            600.0,
            0.0,
            Unknown,
            Trade,
            None,
            "2021-06-18T21:00:00Z",
        );
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("line 2"), "{}", p.warnings[0]);
        assert!(p.warnings[0].contains("TSLA"), "{}", p.warnings[0]);
        assert_ne!(x[0].fingerprint, x[1].fingerprint);
        assert!(
            x[1].fingerprint.ends_with("|stock#1"),
            "{}",
            x[1].fingerprint
        );
        // Expiration with no Buy/Sell: Sell.
        check(
            &x[2],
            3,
            "AMD210618C00090000",
            Sell,
            3.0,
            0.0,
            0.0,
            Close,
            Expiration,
            None,
            "2021-06-18T21:00:00Z",
        );
        // 10:31 AM in New York (EDT) is 14:31 UTC.
        check(
            &x[3],
            4,
            "AMD210618C00090000",
            Buy,
            3.0,
            1.05,
            3.39,
            Open,
            Trade,
            None,
            "2021-06-01T14:31:00Z",
        );
        check(
            &x[4],
            5,
            "TSLA210618P00600000",
            Sell,
            1.0,
            12.40,
            1.16,
            Open,
            Trade,
            None,
            "2021-05-20T18:45:00Z",
        );
        check(
            &x[5],
            6,
            "SPY210521P00400000",
            Buy,
            1.0,
            0.80,
            0.13,
            Close,
            Trade,
            None,
            "2021-05-14T19:30:00Z",
        );
        check(
            &x[6],
            7,
            "SPY210521P00395000",
            Sell,
            1.0,
            0.35,
            0.14,
            Close,
            Trade,
            None,
            "2021-05-14T19:30:00Z",
        );
        check(
            &x[7],
            8,
            "SPY210521P00400000",
            Sell,
            1.0,
            2.10,
            1.152,
            Open,
            Trade,
            None,
            "2021-05-10T15:15:00Z",
        );
        check(
            &x[8],
            9,
            "SPY210521P00395000",
            Buy,
            1.0,
            1.25,
            1.142,
            Open,
            Trade,
            None,
            "2021-05-10T15:15:00Z",
        );
        check(
            &x[9],
            10,
            "AMD",
            Sell,
            50.0,
            84.10,
            0.05,
            Close,
            Trade,
            None,
            "2021-04-28T17:10:00Z",
        );
        check(
            &x[10],
            11,
            "AMD",
            Buy,
            50.0,
            78.20,
            0.04,
            Open,
            Trade,
            None,
            "2021-04-05T13:35:00Z",
        );
        assert!(x.iter().all(|e| e.account == "Individual...7788"));

        // Another import zone and account: 10:31 AM in Chicago (CDT) is 15:31 UTC.
        let opts = ImportOptions {
            account: Some("main".into()),
            tz: chrono_tz::America::Chicago,
        };
        let p = parse(LEGACY, &opts);
        assert_eq!(p.executions[3].time, utc("2021-06-01T15:31:00Z"));
        assert!(p.executions.iter().all(|e| e.account == "main"));
    }

    #[test]
    fn bad_rows_are_errors_with_their_lines_and_the_rest_is_read() {
        let p = parse(BAD, &ImportOptions::default());
        assert_eq!(p.rows, 5);
        assert_eq!(p.executions.len(), 1);
        check(
            &p.executions[0],
            2,
            "SPY",
            Buy,
            1.0,
            548.20,
            0.0,
            Open,
            Trade,
            Some("5001"),
            "2024-07-19T14:31:22Z",
        );
        let errs: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert_eq!(errs[0], (3, "Quantity \"abc\" is not a number"));
        assert_eq!(
            errs[1],
            (4, "Date \"2024-07-19 sometime\" is not a date and time")
        );
        assert_eq!(errs[2].0, 5);
        assert!(
            errs[2]
                .1
                .starts_with("Symbol \"SPY   2407XXP00540000\" is not an option symbol"),
            "{}",
            errs[2].1
        );
        assert_eq!(
            p.skipped,
            vec![SkippedRow {
                line: 6,
                reason: "withdrawal (not a trade)".into()
            }]
        );
    }

    #[test]
    fn a_file_without_the_header_is_one_error_naming_the_missing_columns() {
        let p = parse(
            "Date,Type,Action,Symbol\n2024-07-19,Trade,BUY,SPY\n",
            &ImportOptions::default(),
        );
        assert_eq!(p.executions.len(), 0);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert_eq!(
            p.errors[0].message,
            "not a tastytrade transaction history: missing columns Instrument Type, Value, \
             Quantity, Average Price, Commissions, Fees, Multiplier, Order #"
        );
        let p = parse(
            "Date/Time,Transaction Code,Symbol\n",
            &ImportOptions::default(),
        );
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].message.contains("Transaction Subcode"));
        let p = parse("", &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
    }

    #[test]
    fn average_price_is_the_fallback_and_offsets_with_colons_are_read() {
        let text = "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #\n\
                    2024-07-19T10:31:22-04:00,Trade,Buy to Open,Buy to Open,NVDA,Equity,,,1,-512.40,--,--,1,,NVDA,,,,77\n";
        let p = parse(text, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        check(
            &p.executions[0],
            2,
            "NVDA",
            Buy,
            1.0,
            512.40,
            0.0,
            Open,
            Trade,
            Some("77"),
            "2024-07-19T14:31:22Z",
        );
        // A date without a zone is read in the import zone, not as UTC.
        assert_eq!(
            parse_time("2024-07-19 10:31:22", chrono_tz::America::New_York),
            Some(utc("2024-07-19T14:31:22Z"))
        );
        assert_eq!(
            parse_time("7/19/2024 9:05 AM", chrono_tz::America::New_York),
            Some(utc("2024-07-19T13:05:00Z"))
        );
    }

    #[test]
    fn cash_settled_and_unsupported_instruments_are_errors_not_silence() {
        let head = "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #\n";
        let text = format!(
            "{head}2024-07-19T16:00:00-0400,Receive Deliver,Cash Settled Assignment,,SPXW  240719P05500000,Equity Option,Removal of option due to cash settled assignment,-1200.00,1,,--,0.00,100,SPXW,SPX,7/19/24,5500,PUT,\n\
             2024-07-19T10:00:00-0400,Trade,Buy to Open,BUY_TO_OPEN,/ESU4,Future,Bought 1 /ESU4,,1,5600,-1.25,-1.00,50,/ES,/ES,,,,91\n\
             2024-07-19T10:00:00-0400,Receive Deliver,Forward Split,BUY_TO_OPEN,NVDA,Equity,Forward split,0.00,90,0.00,--,0.00,1,,NVDA,,,,\n"
        );
        let p = parse(&text, &ImportOptions::default());
        assert_eq!(p.executions.len(), 0);
        assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
        assert_eq!(p.errors[0].line, 2);
        assert!(p.errors[0].message.contains("cash-settled"));
        assert_eq!(p.errors[1].line, 3);
        assert!(p.errors[1].message.contains("Instrument Type \"Future\""));
        assert_eq!(
            p.skipped,
            vec![SkippedRow {
                line: 4,
                reason: "split (not a trade)".into()
            }]
        );
    }
}
