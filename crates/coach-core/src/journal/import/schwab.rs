//! Charles Schwab's transaction history CSV.
//!
//! A title line (`"Transactions  for account XXXX-1234 as of …"`), the header
//! `"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"`,
//! the rows (newest first), and a `"Transactions Total"` footer. Dates only
//! (`07/22/2024 as of 07/19/2024`: the "as of" date is the trade date).
//! Options are written `SPY 07/19/2024 550.00 C`; quantities are shares or
//! contracts; prices per share. The file has no order or execution ids.

use chrono::NaiveDate;

use super::common::{
    deliver_stock, execution, fee, find_header, header_near_top, instrument_of, missing_columns,
    only_error, price, share_quantity, skip_reason, Act,
};
use super::{columns, csv_records, date_only, finish, money, us_date, ImportOptions, Record};
use crate::journal::{
    Broker, Effect, ExecKind, Execution, OptionContract, OptionKind, Parsed, RowError, Side,
    SkippedRow,
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
    header_near_top(text, 20, 3, REQUIRED)
}

fn classify(action: &str) -> Act {
    let a = action.trim().to_ascii_lowercase();
    match a.as_str() {
        "buy" => Act::Trade(Side::Buy, Effect::Unknown),
        // Schwab writes a short sale as "Sell Short": a plain sale closes a long.
        "sell" => Act::Trade(Side::Sell, Effect::Close),
        "buy to open" => Act::Trade(Side::Buy, Effect::Open),
        "sell to open" | "sell short" => Act::Trade(Side::Sell, Effect::Open),
        "buy to close" | "buy to cover" => Act::Trade(Side::Buy, Effect::Close),
        "sell to close" => Act::Trade(Side::Sell, Effect::Close),
        "expired" => Act::Expired,
        "assigned" => Act::Assigned,
        "exchange or exercise" | "exercised" => Act::Exercised,
        _ => Act::Skip(skip_reason(action)),
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
        Err(e) => return only_error(e),
    };
    let header_at = find_header(&records, REQUIRED);
    if let Some(e) = missing_columns(header_at.map(|i| &records[i]), REQUIRED) {
        return only_error(e);
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
        let (side, effect, kind) = match classify(rec.get(c_action)).into_parts() {
            Ok(parts) => parts,
            Err(reason) => {
                skipped.push(SkippedRow { line, reason });
                continue;
            }
        };
        let mut err = |message: String| errors.push(RowError { line, message });

        let date_text = rec.get(c_date);
        let Some(date) = trade_date(date_text) else {
            err(format!("Date \"{date_text}\" is not a date"));
            continue;
        };
        let symbol = rec.get(c_symbol);
        let is_option = symbol.contains(char::is_whitespace) || kind != ExecKind::Trade;
        let example = "SPY 07/19/2024 550.00 C";
        let instrument = match instrument_of(symbol, is_option, option_symbol, example) {
            Ok(i) => i,
            Err(m) => {
                err(m);
                continue;
            }
        };
        let (quantity, price, fees) = match amounts(rec, kind, [c_qty, c_price, c_fees]) {
            Ok(v) => v,
            Err(m) => {
                err(m);
                continue;
            }
        };
        execs.push(Execution {
            instrument,
            side,
            quantity,
            price,
            fees,
            effect,
            kind,
            ..execution(
                Broker::Schwab,
                account.clone(),
                date_only(date, opts.tz),
                line,
            )
        });
        rows.push(rec.canonical());
        dates.push(date);
    }

    let mut warnings = Vec::new();
    let (execs, rows) = deliver_stock(execs, rows, &dates, &mut warnings);
    finish(execs, rows, n_rows, skipped, errors, warnings)
}

/// Quantity, price (0 for a removal) and fees of a row, from the columns of
/// each.
fn amounts(rec: &Record, kind: ExecKind, cols: [usize; 3]) -> Result<(f64, f64, f64), String> {
    let quantity = share_quantity(rec.get(cols[0]))?.abs();
    let price = match kind {
        ExecKind::Trade => price("Price", rec.get(cols[1]))?,
        _ => 0.0,
    };
    Ok((quantity, price, fee("Fees & Comm", rec.get(cols[2]))?))
}

#[cfg(test)]
mod tests {
    use super::super::common::test_util::{at, distinct_fingerprints, opt, utc};
    use super::*;
    use crate::journal::Instrument;

    const MAIN: &str =
        include_str!("../../../../../tests/fixtures/journal/schwab/transactions.csv");
    const BAD: &str = include_str!("../../../../../tests/fixtures/journal/schwab/bad_rows.csv");

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
        assert_eq!(distinct_fingerprints(&p), 13);
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
