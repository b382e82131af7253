//! Charles Schwab's transaction history CSV.
//!
//! A title line (`"Transactions  for account XXXX-1234 as of …"`), the header
//! `"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"`,
//! the rows (newest first), and a `"Transactions Total"` footer. Dates only
//! (`07/22/2024 as of 07/19/2024`: the "as of" date is the trade date).
//! Options are written `SPY 07/19/2024 550.00 C`; quantities are shares or
//! contracts; prices per share. The file has no order or execution ids.

use chrono::{Duration, NaiveDate};

use super::{columns, csv_records, date_only, finish, money, us_date, ImportOptions, Record};
use crate::journal::{
    Broker, Effect, ExecKind, Execution, Instrument, OptionContract, OptionKind, Parsed, RowError,
    Side, SkippedRow,
};

/// The columns a Schwab file cannot be read without.
const REQUIRED: [&str; 6] = [
    "Date",
    "Action",
    "Symbol",
    "Quantity",
    "Price",
    "Fees & Comm",
];

pub fn looks_like(text: &str) -> bool {
    let head: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    let Ok(records) = csv_records(&head) else {
        return false;
    };
    records
        .iter()
        .filter(|r| !r.is_blank())
        .take(3)
        .any(|r| columns(r, REQUIRED).iter().all(Option::is_some))
}

/// What a row's Action says.
enum Act {
    Trade(Side, Effect),
    Expired,
    Assigned,
    Exercised,
    Skip(String),
}

fn classify(action: &str) -> Act {
    let a = action.trim().to_ascii_lowercase();
    match a.as_str() {
        "buy" => Act::Trade(Side::Buy, Effect::Unknown),
        "sell" => Act::Trade(Side::Sell, Effect::Unknown),
        "buy to open" => Act::Trade(Side::Buy, Effect::Open),
        "sell to open" | "sell short" => Act::Trade(Side::Sell, Effect::Open),
        "buy to close" | "buy to cover" => Act::Trade(Side::Buy, Effect::Close),
        "sell to close" => Act::Trade(Side::Sell, Effect::Close),
        "expired" => Act::Expired,
        "assigned" => Act::Assigned,
        "exchange or exercise" | "exercised" => Act::Exercised,
        "" => Act::Skip("row without an action (not a trade)".into()),
        _ => Act::Skip(skip_reason(&a, action.trim())),
    }
}

/// Why a non-trade row is passed over, from its action (lower case).
pub(super) fn skip_reason(lower: &str, original: &str) -> String {
    let has = |w: &str| lower.contains(w);
    if has("reinvest") {
        "dividend reinvestment (not a trade)".into()
    } else if has("dividend") || has("div ") || has("distribution") {
        "dividend (not a trade)".into()
    } else if has("interest") {
        "interest (not a trade)".into()
    } else if has("transfer") || has("moneylink") || has("wire") || has("journal") {
        "transfer (not a trade)".into()
    } else if has("fee") {
        "fee (not a trade)".into()
    } else {
        let short: String = original.chars().take(40).collect();
        format!("{short} (not a trade)")
    }
}

/// `07/19/2024`, or `07/22/2024 as of 07/19/2024` (the trade date is the "as of" one).
fn trade_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    match lower.find(" as of ") {
        Some(i) => us_date(&t[i + " as of ".len()..]),
        None => us_date(t),
    }
}

/// `SPY 07/19/2024 550.00 C`.
fn option_symbol(text: &str) -> Option<OptionContract> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [root, date, strike, kind] = parts.as_slice() else {
        return None;
    };
    if !root
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/')
    {
        return None;
    }
    let expiration = us_date(date)?;
    let strike = money(strike).filter(|s| *s > 0.0)?;
    let kind = match kind.to_ascii_uppercase().as_str() {
        "C" | "CALL" => OptionKind::Call,
        "P" | "PUT" => OptionKind::Put,
        _ => return None,
    };
    Some(OptionContract {
        underlying: root.to_ascii_uppercase(),
        kind,
        strike,
        expiration,
    })
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

/// One RowError at line 1 naming the columns `header` lacks, if any.
pub(super) fn missing_columns<const N: usize>(
    header: Option<&Record>,
    required: [&str; N],
) -> Option<RowError> {
    let found = header.map(|h| columns(h, required)).unwrap_or([None; N]);
    let missing: Vec<&str> = required
        .iter()
        .zip(found)
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    (!missing.is_empty()).then(|| RowError {
        line: 1,
        message: format!(
            "not a readable file: missing columns {}",
            missing.join(", ")
        ),
    })
}

/// The account named in the title line (`… for account XXXX-1234 as of …`).
fn title_account(records: &[Record]) -> Option<String> {
    records.iter().take(5).find_map(|r| {
        let t = r.get(0);
        let lower = t.to_ascii_lowercase();
        let i = lower.find("for account ")?;
        t[i + "for account ".len()..]
            .split_whitespace()
            .next()
            .map(String::from)
    })
}

pub fn parse(text: &str, opts: &ImportOptions) -> Parsed {
    let records = match csv_records(text) {
        Ok(r) => r,
        Err(e) => return finish(vec![], vec![], 0, vec![], vec![e], vec![]),
    };
    let header_at = find_header(&records, REQUIRED);
    if let Some(e) = missing_columns(header_at.map(|i| &records[i]), REQUIRED) {
        return finish(vec![], vec![], 0, vec![], vec![e], vec![]);
    }
    let header_at = header_at.unwrap_or(0);
    let [c_date, c_action, c_symbol, c_qty, c_price, c_fees] =
        columns(&records[header_at], REQUIRED).map(|c| c.unwrap_or(usize::MAX));
    let account = opts.account_or(title_account(&records[..header_at]).as_deref());

    let mut execs = Vec::new();
    let mut rows = Vec::new();
    let mut dates = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    let mut n_rows = 0;

    for rec in &records[header_at + 1..] {
        if rec.is_blank()
            || rec
                .get(0)
                .to_ascii_lowercase()
                .starts_with("transactions total")
        {
            continue;
        }
        n_rows += 1;
        let line = rec.line;
        let act = classify(rec.get(c_action));
        let (side, effect, kind) = match act {
            Act::Skip(reason) => {
                skipped.push(SkippedRow { line, reason });
                continue;
            }
            Act::Trade(side, effect) => (side, effect, ExecKind::Trade),
            Act::Expired => (Side::Sell, Effect::Close, ExecKind::Expiration),
            Act::Assigned => (Side::Sell, Effect::Close, ExecKind::Assignment),
            Act::Exercised => (Side::Sell, Effect::Close, ExecKind::Exercise),
        };
        let mut err = |message: String| errors.push(RowError { line, message });

        let date_text = rec.get(c_date);
        let Some(date) = trade_date(date_text) else {
            err(format!("Date \"{date_text}\" is not a date"));
            continue;
        };
        let symbol = rec.get(c_symbol);
        if symbol.is_empty() {
            err("Symbol is missing".into());
            continue;
        }
        let instrument = if symbol.contains(char::is_whitespace) || kind != ExecKind::Trade {
            match option_symbol(symbol) {
                Some(o) => Instrument::Option(o),
                None => {
                    err(format!(
                        "Symbol \"{symbol}\" is not an option symbol like \"SPY 07/19/2024 550.00 C\""
                    ));
                    continue;
                }
            }
        } else {
            Instrument::stock(symbol)
        };
        let qty_text = rec.get(c_qty);
        let quantity = match money(qty_text) {
            Some(q) if q != 0.0 => q.abs(),
            _ => {
                err(format!(
                    "Quantity \"{qty_text}\" is not a number of shares or contracts"
                ));
                continue;
            }
        };
        let price = if kind == ExecKind::Trade {
            let price_text = rec.get(c_price);
            match money(price_text) {
                Some(p) if p >= 0.0 => p,
                _ => {
                    err(format!("Price \"{price_text}\" is not a price"));
                    continue;
                }
            }
        } else {
            0.0
        };
        let fees_text = rec.get(c_fees);
        let fees = if fees_text.is_empty() {
            0.0
        } else {
            match money(fees_text) {
                Some(f) => f.abs(),
                None => {
                    err(format!("Fees & Comm \"{fees_text}\" is not a number"));
                    continue;
                }
            }
        };
        execs.push(Execution {
            broker: Broker::Schwab,
            account: account.clone(),
            time: date_only(date, opts.tz),
            instrument,
            side,
            quantity,
            price,
            fees,
            effect,
            kind,
            order_id: None,
            exec_id: None,
            line,
            fingerprint: String::new(),
        });
        rows.push(rec.canonical());
        dates.push(date);
    }

    let mut warnings = Vec::new();
    let (execs, rows) = deliver_stock(execs, rows, &dates, &mut warnings);
    finish(execs, rows, n_rows, skipped, errors, warnings)
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
        let Some(o) = e.instrument.option() else {
            continue;
        };
        let side =
            match (e.kind, o.kind) {
                (ExecKind::Assignment, OptionKind::Put)
                | (ExecKind::Exercise, OptionKind::Call) => Side::Buy,
                (ExecKind::Assignment, OptionKind::Call)
                | (ExecKind::Exercise, OptionKind::Put) => Side::Sell,
                _ => continue,
            };
        let shares = e.quantity * 100.0;
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
                let what = if e.kind == ExecKind::Assignment {
                    "assignment"
                } else {
                    "exercise"
                };
                let verb = if side == Side::Buy { "bought" } else { "sold" };
                warnings.push(format!(
                    "line {}: the {what} of {} has no stock row in the file: {shares} {} {verb} at {} added",
                    e.line,
                    o.occ(),
                    o.underlying,
                    o.strike
                ));
                let stock = Execution {
                    instrument: Instrument::stock(&o.underlying),
                    side,
                    quantity: shares,
                    price: o.strike,
                    fees: 0.0,
                    effect: Effect::Unknown,
                    kind: ExecKind::Trade,
                    ..e.clone()
                };
                made[i] = Some((stock, format!("{}|stock", rows[i])));
            }
        }
    }
    let mut out_execs = Vec::with_capacity(execs.len());
    let mut out_rows = Vec::with_capacity(rows.len());
    for ((e, r), m) in execs.into_iter().zip(rows).zip(made) {
        out_execs.push(e);
        out_rows.push(r);
        if let Some((e, r)) = m {
            out_execs.push(e);
            out_rows.push(r);
        }
    }
    (out_execs, out_rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str =
        include_str!("../../../../../tests/fixtures/journal/schwab/transactions.csv");
    const BAD: &str = include_str!("../../../../../tests/fixtures/journal/schwab/bad_rows.csv");

    fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn opt(root: &str, exp: (i32, u32, u32), kind: OptionKind, strike: f64) -> Instrument {
        Instrument::Option(OptionContract {
            underlying: root.into(),
            kind,
            strike,
            expiration: NaiveDate::from_ymd_opt(exp.0, exp.1, exp.2).unwrap(),
        })
    }

    fn at(p: &Parsed, line: usize) -> Vec<&Execution> {
        p.executions.iter().filter(|e| e.line == line).collect()
    }

    #[test]
    fn recognises_schwab_files_only() {
        assert!(looks_like(MAIN));
        assert!(looks_like(BAD));
        assert!(!looks_like("a,b\n1,2\n"));
        assert!(!looks_like("Date,Action,Symbol,Quantity,Price,Amount\n"));
    }

    #[test]
    fn schwab_fidelity_and_webull_files_are_told_apart() {
        let fidelity = include_str!("../../../../../tests/fixtures/journal/fidelity/history.csv");
        let webull = include_str!("../../../../../tests/fixtures/journal/webull/orders.csv");
        assert!(!looks_like(fidelity) && !looks_like(webull));
        assert!(
            !super::super::fidelity::looks_like(MAIN)
                && !super::super::fidelity::looks_like(webull)
        );
        assert!(
            !super::super::webull::looks_like(MAIN) && !super::super::webull::looks_like(fidelity)
        );
    }

    #[test]
    fn counts_rows_skips_non_trades_and_ignores_title_and_footer() {
        let p = parse(MAIN, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        // Lines 3..=16 are rows; 1, 2 and 17 are title, header and footer.
        assert_eq!(p.rows, 14);
        assert_eq!(
            p.skipped,
            vec![
                SkippedRow {
                    line: 3,
                    reason: "dividend (not a trade)".into()
                },
                SkippedRow {
                    line: 16,
                    reason: "transfer (not a trade)".into()
                },
            ]
        );
        // Rows 4..=15 plus the stock the AMD assignment moved (no row of its own).
        assert_eq!(p.executions.len(), 13);
        assert!(p.executions.iter().all(|e| e.account == "XXXX-1234"));
        assert!(p
            .executions
            .iter()
            .all(|e| e.order_id.is_none() && e.exec_id.is_none()));
        let mut prints: Vec<&str> = p
            .executions
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        prints.sort();
        prints.dedup();
        assert_eq!(prints.len(), 13);
        let named = ImportOptions {
            account: Some("ira".into()),
            ..ImportOptions::default()
        };
        assert!(parse(MAIN, &named)
            .executions
            .iter()
            .all(|e| e.account == "ira"));
    }

    #[test]
    fn stock_buy_and_sell() {
        let p = parse(MAIN, &ImportOptions::default());
        let buy = at(&p, 15)[0];
        assert_eq!(buy.instrument, Instrument::stock("NVDA"));
        assert_eq!(
            (buy.side, buy.quantity, buy.price, buy.fees),
            (Side::Buy, 10.0, 124.0, 0.0)
        );
        assert_eq!(buy.effect, Effect::Unknown);
        assert_eq!(buy.kind, ExecKind::Trade);
        assert_eq!(buy.time, utc("2024-07-03T20:00:00Z"), "16:00 EDT");
        let sell = at(&p, 14)[0];
        assert_eq!(
            (sell.side, sell.quantity, sell.price, sell.fees),
            (Side::Sell, 10.0, 128.4, 0.02)
        );
        assert_eq!(sell.time, utc("2024-07-08T20:00:00Z"));
    }

    #[test]
    fn option_round_trip_partial_fill_and_vertical() {
        let p = parse(MAIN, &ImportOptions::default());
        let spy550 = opt("SPY", (2024, 7, 19), OptionKind::Call, 550.0);
        let open = at(&p, 13)[0];
        assert_eq!(open.instrument, spy550);
        assert_eq!(
            (open.side, open.quantity, open.price, open.fees),
            (Side::Buy, 1.0, 2.5, 0.65)
        );
        assert_eq!(open.effect, Effect::Open);
        assert_eq!(open.time, utc("2024-07-10T20:00:00Z"));
        let close = at(&p, 12)[0];
        assert_eq!(close.instrument, spy550);
        assert_eq!(
            (close.side, close.quantity, close.price, close.fees),
            (Side::Sell, 1.0, 4.1, 0.66)
        );
        assert_eq!(close.effect, Effect::Close);

        // Partial fill: 3 then 2 AAPL 232.5 calls the same day.
        let aapl = opt("AAPL", (2024, 8, 16), OptionKind::Call, 232.5);
        let (a, b) = (at(&p, 10)[0], at(&p, 11)[0]);
        assert_eq!(
            (&a.instrument, a.quantity, a.price, a.fees),
            (&aapl, 3.0, 4.15, 1.98)
        );
        assert_eq!(
            (&b.instrument, b.quantity, b.price, b.fees),
            (&aapl, 2.0, 4.2, 1.32)
        );
        assert_eq!(a.time, b.time);
        assert_ne!(a.fingerprint, b.fingerprint);

        // Vertical: long 555 call, short 560 call, same day, each with its own fee.
        let long = at(&p, 9)[0];
        let short = at(&p, 8)[0];
        assert_eq!(
            long.instrument,
            opt("SPY", (2024, 8, 16), OptionKind::Call, 555.0)
        );
        assert_eq!(
            short.instrument,
            opt("SPY", (2024, 8, 16), OptionKind::Call, 560.0)
        );
        assert_eq!(
            (long.side, long.effect, long.price, long.fees),
            (Side::Buy, Effect::Open, 3.1, 0.66)
        );
        assert_eq!(
            (short.side, short.effect, short.price, short.fees),
            (Side::Sell, Effect::Open, 1.2, 0.66)
        );
        assert_eq!(long.time, utc("2024-07-17T20:00:00Z"));
        assert_eq!(short.time, long.time);
    }

    #[test]
    fn expiration_and_assignments_use_the_as_of_date() {
        let p = parse(MAIN, &ImportOptions::default());
        let exp = at(&p, 7)[0];
        assert_eq!(
            exp.instrument,
            opt("QQQ", (2024, 7, 19), OptionKind::Call, 480.0)
        );
        assert_eq!(
            (exp.kind, exp.side, exp.quantity, exp.price, exp.fees),
            (ExecKind::Expiration, Side::Sell, 2.0, 0.0, 0.0)
        );
        assert_eq!(exp.time, utc("2024-07-19T20:00:00Z"));

        // MU put assigned, with Schwab's own stock row (line 4, "as of" 07/19).
        let put = at(&p, 5);
        assert_eq!(put.len(), 1, "the stock row is in the file: nothing added");
        assert_eq!(
            put[0].instrument,
            opt("MU", (2024, 7, 19), OptionKind::Put, 100.0)
        );
        assert_eq!(
            (put[0].kind, put[0].quantity, put[0].price, put[0].effect),
            (ExecKind::Assignment, 1.0, 0.0, Effect::Close)
        );
        assert_eq!(put[0].time, utc("2024-07-19T20:00:00Z"));
        let stock = at(&p, 4)[0];
        assert_eq!(stock.instrument, Instrument::stock("MU"));
        assert_eq!(
            (stock.kind, stock.side, stock.quantity, stock.price),
            (ExecKind::Trade, Side::Buy, 100.0, 100.0)
        );
        assert_eq!(stock.time, utc("2024-07-19T20:00:00Z"));

        // AMD call assigned (2 contracts) with no stock row: 200 shares sold at 150 added.
        let amd = at(&p, 6);
        assert_eq!(amd.len(), 2);
        assert_eq!(amd[0].kind, ExecKind::Assignment);
        assert_eq!(amd[0].quantity, 2.0);
        assert_eq!(amd[1].instrument, Instrument::stock("AMD"));
        assert_eq!(
            (
                amd[1].kind,
                amd[1].side,
                amd[1].quantity,
                amd[1].price,
                amd[1].fees
            ),
            (ExecKind::Trade, Side::Sell, 200.0, 150.0, 0.0)
        );
        assert_eq!(amd[1].time, utc("2024-07-19T20:00:00Z"));
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].starts_with("line 6:"), "{}", p.warnings[0]);
    }

    #[test]
    fn bad_rows_are_errors_with_their_lines() {
        let p = parse(BAD, &ImportOptions::default());
        assert_eq!(p.rows, 4);
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(
            p.errors[0].message.contains("Quantity \"ten\""),
            "{}",
            p.errors[0].message
        );
        assert!(
            p.errors[1]
                .message
                .contains("Symbol \"SPY 07/19/2024 C550\""),
            "{}",
            p.errors[1].message
        );
        assert!(
            p.errors[2].message.contains("Date \"13/45/2024\""),
            "{}",
            p.errors[2].message
        );
        assert_eq!(p.executions.len(), 1);
        assert_eq!(p.executions[0].line, 6);
        assert_eq!(p.executions[0].account, "XXXX-9876");
        assert!(p.skipped.is_empty());
    }

    #[test]
    fn a_file_without_the_header_is_one_error_at_line_1() {
        let p = parse("a,b\n1,2\n", &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert!(
            p.errors[0].message.contains("Fees & Comm"),
            "{}",
            p.errors[0].message
        );
        assert!(p.executions.is_empty());
        let empty = parse("", &ImportOptions::default());
        assert_eq!(empty.errors.len(), 1);
    }
}
