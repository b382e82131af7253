//! Fidelity's Accounts History CSV.
//!
//! Title and blank lines (`Brokerage`), the header
//! `Run Date,Action,Symbol,Description,Type,Quantity,Price ($),Commission ($),Fees ($),…`,
//! the rows, then quoted disclaimer lines (`"Date downloaded …"`), which are
//! not rows. Dates only. Actions are sentences (`YOU BOUGHT OPENING
//! TRANSACTION CALL (SPY) …`, `EXPIRED CALL (SPY) …`, `ASSIGNED PUT (MU) …`);
//! quantities are signed (negative when selling); options are written
//! `-MU250201P100` (root, yymmdd, C/P, the strike in dollars). No ids.

use chrono::NaiveDate;

use super::common::{
    deliver_stock, execution, fee, field, find_header, header_near_top, instrument_of,
    missing_columns, only_error, price, share_quantity, skip_reason, Act,
};
use super::{columns, csv_records, date_only, finish, us_date, ImportOptions};
use crate::journal::{
    Broker, Effect, ExecKind, Execution, OptionContract, OptionKind, Parsed, RowError, Side,
    SkippedRow,
};

/// The columns a Fidelity file cannot be read without.
const REQUIRED: [&str; 5] = ["Run Date", "Action", "Symbol", "Quantity", "Price ($)"];

pub fn looks_like(text: &str) -> bool {
    header_near_top(text, 20, 5, REQUIRED)
}

fn classify(action: &str) -> Act {
    let a = action.trim().to_ascii_uppercase();
    let effect = if a.contains("OPENING TRANSACTION") {
        Effect::Open
    } else if a.contains("CLOSING TRANSACTION") {
        Effect::Close
    } else {
        Effect::Unknown
    };
    if a.starts_with("YOU BOUGHT") {
        Act::Trade(Side::Buy, effect)
    } else if a.starts_with("YOU SOLD") {
        // A short sale says so; a plain sale closes a long.
        let effect = match effect {
            // "SHORT SALE" / "SOLD SHORT", not a fund's name ("PROSHARES SHORT QQQ").
            Effect::Unknown if a.contains("SHORT SALE") || a.starts_with("YOU SOLD SHORT") => {
                Effect::Open
            }
            Effect::Unknown => Effect::Close,
            e => e,
        };
        Act::Trade(Side::Sell, effect)
    } else if a.starts_with("EXPIRED") {
        Act::Expired
    } else if a.starts_with("ASSIGNED") {
        Act::Assigned
    } else if a.starts_with("EXERCISED") || a.starts_with("YOU EXERCISED") {
        Act::Exercised
    } else {
        Act::Skip(skip_reason(action))
    }
}

/// `-MU250201P100`, ` -SPY240719C550.5`: root, yymmdd, C or P, the strike in dollars.
fn option_symbol(text: &str) -> Option<OptionContract> {
    let t = text.trim().trim_start_matches('-').trim();
    let b = t.as_bytes();
    // The C/P: the last character that is not part of the strike.
    let k = t.rfind(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    if k < 7 || k + 1 >= t.len() || !matches!(b[k], b'C' | b'P' | b'c' | b'p') {
        return None;
    }
    if !b[k - 6..k].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let root = &t[..k - 6];
    if root.is_empty() || !root.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let expiration = NaiveDate::parse_from_str(&t[k - 6..k], "%y%m%d").ok()?;
    let strike: f64 = t[k + 1..].parse().ok().filter(|s: &f64| *s > 0.0)?;
    Some(OptionContract {
        underlying: root.to_ascii_uppercase(),
        kind: if matches!(b[k], b'C' | b'c') {
            OptionKind::Call
        } else {
            OptionKind::Put
        },
        strike,
        expiration,
    })
}

/// Whether a row is about an option contract.
fn is_option_row(action: &str, symbol: &str, kind: ExecKind) -> bool {
    let a = action.to_ascii_uppercase();
    kind != ExecKind::Trade
        || symbol.trim_start().starts_with('-')
        || a.contains("OPENING TRANSACTION")
        || a.contains("CLOSING TRANSACTION")
        || a.contains(" CALL (")
        || a.contains(" PUT (")
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
    let header = &records[header_at.unwrap_or(0)];
    let [c_date, c_action, c_symbol, c_qty, c_price] =
        columns(header, REQUIRED).map(|c| c.unwrap_or(usize::MAX));
    let [c_comm, c_fees, c_account, c_account_no] = columns(
        header,
        ["Commission ($)", "Fees ($)", "Account", "Account Number"],
    );
    let c_account = c_account.or(c_account_no);

    let mut execs = Vec::new();
    let mut rows = Vec::new();
    let mut dates = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    let mut n_rows = 0;
    let mut in_footer = false;

    for rec in &records[header_at.unwrap_or(0) + 1..] {
        if rec.is_blank() {
            continue;
        }
        // The disclaimer after the rows: a line with no date and no action;
        // once it starts, every dateless line after it belongs to it.
        let date_text = rec.get(c_date);
        let date = us_date(date_text);
        if date.is_none() && (in_footer || rec.get(c_action).is_empty()) {
            in_footer = true;
            continue;
        }
        n_rows += 1;
        let line = rec.line;
        let action = rec.get(c_action);
        // A removal's side comes from the signed quantity below.
        let (side, effect, kind) = match classify(action).into_parts() {
            Ok(parts) => parts,
            Err(reason) => {
                skipped.push(SkippedRow { line, reason });
                continue;
            }
        };
        let mut err = |message: String| errors.push(RowError { line, message });

        let Some(date) = date else {
            err(format!("Run Date \"{date_text}\" is not a date"));
            continue;
        };
        let symbol = rec.get(c_symbol);
        let is_option = is_option_row(action, symbol, kind);
        let instrument = match instrument_of(symbol, is_option, option_symbol, "-SPY240719C550") {
            Ok(i) => i,
            Err(m) => {
                err(m);
                continue;
            }
        };
        let signed = match share_quantity(rec.get(c_qty)) {
            Ok(q) => q,
            Err(m) => {
                err(m);
                continue;
            }
        };
        // An expiration or assignment says its direction only by the sign.
        let side = if kind == ExecKind::Trade {
            side
        } else if signed > 0.0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let price = match kind {
            ExecKind::Trade => match price("Price ($)", rec.get(c_price)) {
                Ok(p) => p,
                Err(m) => {
                    err(m);
                    continue;
                }
            },
            _ => 0.0,
        };
        let mut fees = 0.0;
        let mut bad_fee = None;
        for (name, col) in [("Commission ($)", c_comm), ("Fees ($)", c_fees)] {
            match fee(name, field(rec, col)) {
                Ok(v) => fees += v,
                Err(m) => bad_fee = Some(m),
            }
        }
        if let Some(m) = bad_fee {
            err(m);
            continue;
        }
        let account = opts.account_or(c_account.map(|c| rec.get(c)));
        execs.push(Execution {
            instrument,
            side,
            quantity: signed.abs(),
            price,
            fees: (fees * 1e6).round() / 1e6,
            effect,
            kind,
            ..execution(Broker::Fidelity, account, date_only(date, opts.tz), line)
        });
        rows.push(rec.canonical());
        dates.push(date);
    }

    let mut warnings = Vec::new();
    let (execs, rows) = deliver_stock(execs, rows, &dates, &mut warnings);
    finish(execs, rows, n_rows, skipped, errors, warnings)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_fund_named_short_is_sold_like_any_long_and_a_short_sale_opens() {
        use crate::journal::{Effect, ExecKind, Side};
        let parts = |a: &str| super::classify(a).into_parts();
        assert_eq!(
            parts("YOU SOLD PROSHARES SHORT QQQ (PSQ) (Cash)"),
            Ok((Side::Sell, Effect::Close, ExecKind::Trade))
        );
        assert_eq!(
            parts("YOU SOLD SHORT SALE TESLA INC (TSLA) (Short)"),
            Ok((Side::Sell, Effect::Open, ExecKind::Trade))
        );
    }

    use super::super::common::test_util::{at, distinct_fingerprints, opt, utc};
    use super::*;
    use crate::journal::Instrument;

    const MAIN: &str = include_str!("../../../../../tests/fixtures/journal/fidelity/history.csv");
    const BAD: &str = include_str!("../../../../../tests/fixtures/journal/fidelity/bad_rows.csv");

    #[test]
    fn recognises_fidelity_files_only() {
        assert!(looks_like(MAIN));
        assert!(looks_like(BAD));
        assert!(!looks_like("a,b\n1,2\n"));
        assert!(!looks_like(
            "\"Date\",\"Action\",\"Symbol\",\"Description\",\"Quantity\",\"Price\",\"Fees & Comm\",\"Amount\"\n"
        ));
    }

    #[test]
    fn fidelity_option_symbols() {
        let c = option_symbol("-MU250201P100").unwrap();
        assert_eq!(
            (c.underlying.as_str(), c.kind, c.strike),
            ("MU", OptionKind::Put, 100.0)
        );
        assert_eq!(c.expiration, NaiveDate::from_ymd_opt(2025, 2, 1).unwrap());
        assert_eq!(option_symbol(" -SPY240719C550.5").unwrap().strike, 550.5);
        assert!(option_symbol("-SPY24071C550").is_none());
        assert!(option_symbol("-SPY240719X550").is_none());
        assert!(option_symbol("SPY").is_none());
        assert!(option_symbol("-240719C550").is_none());
    }

    #[test]
    fn counts_rows_skips_non_trades_and_ignores_title_and_disclaimer() {
        let p = parse(MAIN, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        // Rows are lines 5..=18; 1–4 are blank, title and header, 19–23 blank and disclaimer.
        assert_eq!(p.rows, 14);
        assert_eq!(
            p.skipped,
            vec![
                SkippedRow {
                    line: 5,
                    reason: "dividend (not a trade)".into()
                },
                SkippedRow {
                    line: 17,
                    reason: "dividend reinvestment (not a trade)".into()
                },
                SkippedRow {
                    line: 18,
                    reason: "transfer (not a trade)".into()
                },
            ]
        );
        assert_eq!(p.executions.len(), 11);
        assert!(p.executions.iter().all(|e| e.account == "default"));
        assert!(p
            .executions
            .iter()
            .all(|e| e.order_id.is_none() && e.exec_id.is_none()));
        assert_eq!(distinct_fingerprints(&p), 11);
    }

    #[test]
    fn stock_buy_and_sell() {
        let p = parse(MAIN, &ImportOptions::default());
        let buy = at(&p, 16)[0];
        assert_eq!(buy.instrument, Instrument::stock("NVDA"));
        assert_eq!(
            (buy.side, buy.quantity, buy.price, buy.fees),
            (Side::Buy, 10.0, 124.0, 0.0)
        );
        assert_eq!((buy.effect, buy.kind), (Effect::Unknown, ExecKind::Trade));
        assert_eq!(buy.time, utc("2024-07-03T20:00:00Z"));
        let sell = at(&p, 15)[0];
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
        let open = at(&p, 14)[0];
        assert_eq!(open.instrument, spy550);
        assert_eq!(
            (open.side, open.effect, open.quantity, open.price, open.fees),
            (Side::Buy, Effect::Open, 1.0, 2.5, 0.65)
        );
        assert_eq!(open.time, utc("2024-07-10T20:00:00Z"));
        let close = at(&p, 13)[0];
        assert_eq!(close.instrument, spy550);
        assert_eq!(
            (
                close.side,
                close.effect,
                close.quantity,
                close.price,
                close.fees
            ),
            (Side::Sell, Effect::Close, 1.0, 4.1, 0.66)
        );
        assert_eq!(close.time, utc("2024-07-12T20:00:00Z"));

        // Partial fill: 3 then 2 AAPL 232.5 calls the same day; commission + fees each.
        let aapl = opt("AAPL", (2024, 8, 16), OptionKind::Call, 232.5);
        let (a, b) = (at(&p, 11)[0], at(&p, 12)[0]);
        assert_eq!(
            (&a.instrument, a.quantity, a.price, a.fees),
            (&aapl, 3.0, 4.15, 1.98)
        );
        assert_eq!(
            (&b.instrument, b.quantity, b.price, b.fees),
            (&aapl, 2.0, 4.2, 1.32)
        );
        assert_eq!(a.time, utc("2024-07-16T20:00:00Z"));
        assert_eq!(b.time, a.time);

        // Vertical: long 555 call and short 560 call the same day.
        let long = at(&p, 10)[0];
        let short = at(&p, 9)[0];
        assert_eq!(
            long.instrument,
            opt("SPY", (2024, 8, 16), OptionKind::Call, 555.0)
        );
        assert_eq!(
            short.instrument,
            opt("SPY", (2024, 8, 16), OptionKind::Call, 560.0)
        );
        assert_eq!(
            (long.side, long.effect, long.quantity, long.price, long.fees),
            (Side::Buy, Effect::Open, 1.0, 3.1, 0.66)
        );
        assert_eq!(
            (
                short.side,
                short.effect,
                short.quantity,
                short.price,
                short.fees
            ),
            (Side::Sell, Effect::Open, 1.0, 1.2, 0.66)
        );
        assert_eq!(short.time, utc("2024-07-17T20:00:00Z"));
    }

    #[test]
    fn expiration_and_assignment_with_its_stock_row() {
        let p = parse(MAIN, &ImportOptions::default());
        let exp = at(&p, 8)[0];
        assert_eq!(
            exp.instrument,
            opt("QQQ", (2024, 7, 19), OptionKind::Call, 480.0)
        );
        assert_eq!(
            (
                exp.kind,
                exp.side,
                exp.quantity,
                exp.price,
                exp.fees,
                exp.effect
            ),
            (
                ExecKind::Expiration,
                Side::Sell,
                2.0,
                0.0,
                0.0,
                Effect::Close
            ),
            "quantity -2: a long call leaving"
        );
        assert_eq!(exp.time, utc("2024-07-19T20:00:00Z"));

        let put = at(&p, 7);
        assert_eq!(put.len(), 1, "its stock row is in the file: nothing added");
        assert_eq!(
            put[0].instrument,
            opt("MU", (2024, 7, 19), OptionKind::Put, 100.0)
        );
        assert_eq!(
            (put[0].kind, put[0].side, put[0].quantity, put[0].price),
            (ExecKind::Assignment, Side::Buy, 1.0, 0.0),
            "quantity +1: a short put leaving"
        );
        assert_eq!(put[0].time, utc("2024-07-22T20:00:00Z"));
        let stock = at(&p, 6)[0];
        assert_eq!(stock.instrument, Instrument::stock("MU"));
        assert_eq!(
            (
                stock.kind,
                stock.side,
                stock.quantity,
                stock.price,
                stock.fees
            ),
            (ExecKind::Trade, Side::Buy, 100.0, 100.0, 0.0)
        );
        assert_eq!(stock.time, utc("2024-07-22T20:00:00Z"));
    }

    #[test]
    fn an_assignment_without_its_stock_row_adds_the_stock() {
        let text = "Run Date,Action,Symbol,Description,Type,Quantity,Price ($),Commission ($),Fees ($),Accrued Interest ($),Amount ($),Settlement Date\n\
                    01/17/2025,ASSIGNED CALL (AMD) ADVANCED MICRO DEVICES JAN 17 25 $150 (100 SHS) (Cash),-AMD250117C150,CALL (AMD),Cash,2,,,,,,\n";
        let p = parse(text, &ImportOptions::default());
        assert_eq!(p.executions.len(), 2);
        let s = &p.executions[1];
        assert_eq!(s.instrument, Instrument::stock("AMD"));
        assert_eq!(
            (s.side, s.quantity, s.price, s.kind, s.line),
            (Side::Sell, 200.0, 150.0, ExecKind::Trade, 2)
        );
        assert_eq!(s.time, utc("2025-01-17T21:00:00Z"), "16:00 EST");
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn bad_rows_are_errors_with_their_lines() {
        let p = parse(BAD, &ImportOptions::default());
        assert_eq!(p.rows, 4);
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 5, 6]);
        assert!(
            p.errors[0].message.contains("Price ($) \"12x.00\""),
            "{}",
            p.errors[0].message
        );
        assert!(
            p.errors[1].message.contains("Symbol \"-SPY24071C550\""),
            "{}",
            p.errors[1].message
        );
        assert!(
            p.errors[2].message.contains("Run Date \"07/32/2024\""),
            "{}",
            p.errors[2].message
        );
        assert_eq!(p.executions.len(), 1);
        assert_eq!(p.executions[0].line, 7);
        assert!(p.skipped.is_empty());
    }

    #[test]
    fn a_file_without_the_header_is_one_error_at_line_1() {
        let p = parse("a,b\n1,2\n", &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert!(
            p.errors[0].message.contains("Run Date"),
            "{}",
            p.errors[0].message
        );
    }
}
