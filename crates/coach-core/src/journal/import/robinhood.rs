//! Robinhood account activity report (CSV):
//! `"Activity Date","Process Date","Settle Date","Instrument","Description","Trans Code","Quantity","Price","Amount"`.
//!
//! Dates only (read as the session's close in `opts.tz`); no order or
//! execution ids; no fee column (Robinhood's regulatory fees are inside
//! `Amount` and are not split out here: fees are 0). Options are written in
//! the description (`SPY 7/19/2024 Call $550.00`). The file lists the newest
//! first; executions are returned oldest first, each with its own line.

use chrono::NaiveDate;

use super::common::{
    event_word, execution, missing, missing_error, number_where, only_error, stock_at_strike,
    stock_moved, stock_row,
};
use super::{columns, csv_records, date_only, finish, money, us_date, ImportOptions, Record};
use crate::journal::{
    Broker, Effect, ExecKind, Execution, Instrument, OptionContract, OptionKind, Parsed, RowError,
    Side, SkippedRow,
};

const HEADER: &str = "activitydate,processdate,settledate,instrument,description,transcode";

pub fn looks_like(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let norm: String = first
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect::<String>()
        .to_ascii_lowercase();
    norm.starts_with(HEADER) && norm.contains("quantity") && norm.contains("price")
}

/// Why a non-trade code is passed over.
fn non_trade(code: &str) -> Option<&'static str> {
    Some(match code {
        "ACH" => "bank transfer (not a trade)",
        "RTP" => "instant bank transfer (not a trade)",
        "CDIV" => "cash dividend (not a trade)",
        "DTAX" => "dividend tax (not a trade)",
        "ROC" => "return of capital (not a trade)",
        "INT" => "interest (not a trade)",
        "MINT" => "margin interest (not a trade)",
        "SLIP" => "stock lending income (not a trade)",
        "GOLD" => "Robinhood Gold fee (not a trade)",
        "JNLC" => "cash journal (not a trade)",
        "FUTSWP" => "futures sweep (not a trade)",
        "AFEE" | "DFEE" => "fee (not a trade)",
        _ => return None,
    })
}

/// The contract at the end of a description: `SPY 7/19/2024 Call $550.00`,
/// also after `Option Expiration for ` and the like.
fn contract(description: &str) -> Option<OptionContract> {
    let words: Vec<&str> = description.split_whitespace().collect();
    let [.., sym, date, kind, strike] = words.as_slice() else {
        return None;
    };
    let kind = match kind.to_ascii_lowercase().as_str() {
        "call" => OptionKind::Call,
        "put" => OptionKind::Put,
        _ => return None,
    };
    let strike = money(strike).filter(|s| *s > 0.0)?;
    let expiration = us_date(date)?;
    let underlying = sym.to_ascii_uppercase();
    if !underlying
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return None;
    }
    Some(OptionContract {
        underlying,
        kind,
        strike,
        expiration,
    })
}

/// Column indices.
struct Cols {
    date: usize,
    instrument: usize,
    description: usize,
    code: usize,
    quantity: usize,
    price: usize,
}

/// One readable row: its executions (an assignment may add a derived stock one).
struct Item {
    date: NaiveDate,
    execs: Vec<(Execution, String)>,
    /// An OASGN / OEXCS row: the stock it moves is found (or derived).
    delivery: bool,
}

fn quantity(rec: &Record, c: &Cols, short_suffix: bool) -> Result<(f64, bool), String> {
    let text = rec.get(c.quantity);
    let (body, short) = match text.strip_suffix(['S', 's']) {
        Some(b) if short_suffix => (b, true),
        _ => (text, false),
    };
    money(body)
        .filter(|q| *q != 0.0)
        .map(|q| (q.abs(), short))
        .ok_or_else(|| format!("Quantity {text:?} is not a number"))
}

fn price(rec: &Record, c: &Cols) -> Result<f64, String> {
    number_where("Price", rec.get(c.price), |p| p >= 0.0)
}

fn option_of(rec: &Record, c: &Cols) -> Result<OptionContract, String> {
    let d = rec.get(c.description);
    contract(d).ok_or_else(|| {
        format!(
            "Description {d:?} is not an option (expected \"SYMBOL M/D/YYYY Call|Put $STRIKE\")"
        )
    })
}

/// A trade row as an execution (time and account filled by the caller).
fn read_trade(
    rec: &Record,
    c: &Cols,
    code: &str,
    base: &Execution,
) -> Result<(Execution, bool), String> {
    let mut e = base.clone();
    let mut delivery = false;
    match code {
        "BUY" | "SELL" => {
            let sym = rec.get(c.instrument);
            if sym.is_empty() {
                return Err("Instrument is empty".into());
            }
            e.instrument = Instrument::stock(sym);
            e.side = if code == "BUY" { Side::Buy } else { Side::Sell };
            e.quantity = quantity(rec, c, false)?.0;
            e.price = price(rec, c)?;
            // Robinhood accounts cannot sell short: a sale closes a long.
            e.effect = if code == "BUY" {
                Effect::Unknown
            } else {
                Effect::Close
            };
        }
        "BTO" | "STO" | "BTC" | "STC" => {
            e.instrument = Instrument::Option(option_of(rec, c)?);
            e.side = if code.starts_with('B') {
                Side::Buy
            } else {
                Side::Sell
            };
            e.quantity = quantity(rec, c, false)?.0;
            e.price = price(rec, c)?;
            e.effect = if code.ends_with('O') {
                Effect::Open
            } else {
                Effect::Close
            };
        }
        _ => {
            // OEXP, OASGN, OEXCS: the option leaves at 0.
            e.instrument = Instrument::Option(option_of(rec, c)?);
            let (q, short) = quantity(rec, c, true)?;
            e.quantity = q;
            // A trailing S marks a short position: it leaves by a buy.
            e.side = if short { Side::Buy } else { Side::Sell };
            e.price = 0.0;
            e.effect = Effect::Close;
            e.kind = match code {
                "OEXP" => ExecKind::Expiration,
                "OASGN" => ExecKind::Assignment,
                _ => ExecKind::Exercise,
            };
            delivery = e.kind != ExecKind::Expiration;
        }
    }
    Ok((e, delivery))
}

pub fn parse(text: &str, opts: &ImportOptions) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let recs = match csv_records(text) {
        Ok(r) => r,
        Err(e) => return only_error(e),
    };
    let mut recs = recs.into_iter().skip_while(|r| r.is_blank());
    let missing_all = || RowError {
        line: 1,
        message: "not a Robinhood activity report: missing columns Activity Date, Instrument, \
                  Description, Trans Code, Quantity, Price"
            .into(),
    };
    let Some(header) = recs.next() else {
        return only_error(missing_all());
    };
    let names = [
        "Activity Date",
        "Instrument",
        "Description",
        "Trans Code",
        "Quantity",
        "Price",
    ];
    let found = columns(&header, names);
    let [Some(date), Some(instrument), Some(description), Some(code), Some(qty), Some(px)] = found
    else {
        let lacks = missing(&names, &found);
        let err = missing_error("not a Robinhood activity report", 1, &lacks);
        return only_error(err.unwrap_or_else(missing_all));
    };
    let c = Cols {
        date,
        instrument,
        description,
        code,
        quantity: qty,
        price: px,
    };
    let n_cols = header.fields.len();
    let account = opts.account_or(None);

    let mut items: Vec<Item> = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut n_rows = 0;
    for rec in recs {
        // The closing disclaimer has its text past the header's columns.
        if rec.fields.iter().take(n_cols).all(|f| f.trim().is_empty()) {
            continue;
        }
        n_rows += 1;
        let code = rec.get(c.code).to_ascii_uppercase();
        let is_trade = matches!(
            code.as_str(),
            "BUY" | "SELL" | "BTO" | "STO" | "BTC" | "STC" | "OEXP" | "OASGN" | "OEXCS"
        );
        if !is_trade {
            let reason = match non_trade(&code) {
                Some(r) => r.to_string(),
                None if code.is_empty() => "no Trans Code (not a trade)".to_string(),
                None => {
                    if !rec.get(c.quantity).is_empty() {
                        warnings.push(format!(
                            "line {}: Trans Code {code:?} (quantity {}) is not read; if it moved \
                             shares or contracts (split, merger, transfer), enter that by hand",
                            rec.line,
                            rec.get(c.quantity)
                        ));
                    }
                    format!("Trans Code {code:?} is not a trade")
                }
            };
            skipped.push(SkippedRow {
                line: rec.line,
                reason,
            });
            continue;
        }
        let date_text = rec.get(c.date);
        let Some(day) = us_date(date_text) else {
            errors.push(RowError {
                line: rec.line,
                message: format!("Activity Date {date_text:?} is not a date"),
            });
            continue;
        };
        let base = execution(
            Broker::Robinhood,
            account.clone(),
            date_only(day, opts.tz),
            rec.line,
        );
        match read_trade(&rec, &c, &code, &base) {
            Ok((e, delivery)) => items.push(Item {
                date: day,
                execs: vec![(e, rec.canonical())],
                delivery,
            }),
            Err(message) => errors.push(RowError {
                line: rec.line,
                message,
            }),
        }
    }

    deliveries(&mut items, &mut warnings);

    // Newest first (Robinhood's order, also when all rows share a day):
    // turn it round so that the day's executions run oldest first.
    let newest_first = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.date >= b.date,
        _ => false,
    };
    if newest_first {
        items.reverse();
    }
    items.sort_by_key(|i| i.date);
    let (execs, rows): (Vec<Execution>, Vec<String>) =
        items.into_iter().flat_map(|i| i.execs).unzip();
    finish(execs, rows, n_rows, skipped, errors, warnings)
}

/// For each assignment / exercise, the stock row that delivered the shares;
/// when the file has none, a derived stock execution at the strike.
fn deliveries(items: &mut [Item], warnings: &mut Vec<String>) {
    let mut claimed = vec![false; items.len()];
    for i in 0..items.len() {
        if !items[i].delivery {
            continue;
        }
        let (opt_exec, opt_row) = items[i].execs[0].clone();
        let Some((o, side, shares)) = stock_moved(&opt_exec, 100.0) else {
            continue;
        };
        let stock = Instrument::stock(&o.underlying);
        let day = items[i].date;
        let found = items
            .iter()
            .enumerate()
            .filter(|(j, it)| !claimed[*j] && !it.delivery && (it.date - day).num_days().abs() <= 3)
            .filter(|(_, it)| {
                let e = &it.execs[0].0;
                e.kind == ExecKind::Trade
                    && e.instrument == stock
                    && e.side == side
                    && (e.quantity - shares).abs() < 1e-9
                    && (e.price - o.strike).abs() < 0.005
            })
            .min_by_key(|(j, it)| ((it.date - day).num_days().abs(), j.abs_diff(i)))
            .map(|(j, _)| j);
        match found {
            Some(j) => claimed[j] = true,
            None => {
                warnings.push(format!(
                    "line {}: the {} of {} has no stock row in the file: added a {} of \
                     {shares} {} at the strike {:.2}",
                    opt_exec.line,
                    event_word(opt_exec.kind),
                    o.occ(),
                    if side == Side::Buy { "buy" } else { "sale" },
                    o.underlying,
                    o.strike
                ));
                let derived = stock_at_strike(&opt_exec, o, side, shares);
                items[i].execs.push((derived, stock_row(&opt_row)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::test_util::{near as close, opt};
    use super::*;

    const ACTIVITY: &str =
        include_str!("../../../../../tests/fixtures/journal/robinhood/activity.csv");
    const BAD: &str = include_str!("../../../../../tests/fixtures/journal/robinhood/bad_rows.csv");
    const HEAD: &str = "\"Activity Date\",\"Process Date\",\"Settle Date\",\"Instrument\",\
                        \"Description\",\"Trans Code\",\"Quantity\",\"Price\",\"Amount\"\n";

    #[test]
    fn detects_activity_reports_and_nothing_else() {
        assert!(looks_like(ACTIVITY));
        assert!(looks_like(BAD));
        assert!(!looks_like("a,b\n1,2\n"));
        assert!(!looks_like(
            ",Exec Time,Spread,Side,Qty,Pos Effect,Symbol\n"
        ));
    }

    #[test]
    fn reads_every_row_oldest_first_with_its_own_line() {
        let p = parse(ACTIVITY, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.rows, 14, "data rows; the closing disclaimer is not one");
        let lines: Vec<usize> = p.executions.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![18, 16, 15, 14, 13, 12, 11, 10, 9, 8, 5, 4]);
        let skipped: Vec<usize> = p.skipped.iter().map(|s| s.line).collect();
        assert_eq!(skipped, vec![2, 3], "ACH and CDIV");
        assert!(p.skipped[0].reason.contains("transfer"));
        assert!(p.skipped[1].reason.contains("dividend"));
        for e in &p.executions {
            assert_eq!(e.broker, Broker::Robinhood);
            assert_eq!(e.account, "default");
            assert_eq!(e.order_id, None);
            assert_eq!(e.exec_id, None);
            assert!(close(e.fees, 0.0), "no fee column: fees 0");
        }
    }

    #[test]
    fn stock_round_trip_on_dates_only() {
        let p = parse(ACTIVITY, &ImportOptions::default());
        let (buy, sell) = (&p.executions[0], &p.executions[1]);
        assert_eq!(buy.instrument, Instrument::stock("AAPL"));
        assert_eq!(buy.side, Side::Buy);
        assert!(close(buy.quantity, 10.0) && close(buy.price, 228.25));
        assert_eq!(buy.effect, Effect::Unknown);
        assert_eq!(buy.kind, ExecKind::Trade);
        assert_eq!(
            buy.time.to_rfc3339(),
            "2024-07-10T20:00:00+00:00",
            "16:00 EDT"
        );
        assert_eq!(sell.side, Side::Sell);
        assert!(close(sell.quantity, 10.0) && close(sell.price, 230.50));
        assert_eq!(sell.time.to_rfc3339(), "2024-07-12T20:00:00+00:00");
    }

    #[test]
    fn option_round_trip_with_a_partial_fill() {
        let p = parse(ACTIVITY, &ImportOptions::default());
        let nvda = opt("NVDA", (2024, 7, 26), OptionKind::Call, 125.0);
        let (a, b, shut) = (&p.executions[4], &p.executions[5], &p.executions[6]);
        for e in [a, b] {
            assert_eq!(e.instrument, nvda);
            assert_eq!(e.side, Side::Buy);
            assert_eq!(e.effect, Effect::Open);
            assert!(close(e.price, 3.55));
            assert_eq!(e.time.to_rfc3339(), "2024-07-16T20:00:00+00:00");
        }
        assert!(close(a.quantity, 1.0) && close(b.quantity, 2.0));
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(shut.instrument, nvda);
        assert_eq!(shut.side, Side::Sell);
        assert_eq!(shut.effect, Effect::Close);
        assert!(close(shut.quantity, 3.0) && close(shut.price, 4.10));
        assert_eq!(shut.time.to_rfc3339(), "2024-07-17T20:00:00+00:00");
    }

    #[test]
    fn vertical_is_two_legs_the_same_day() {
        let p = parse(ACTIVITY, &ImportOptions::default());
        let (long, short) = (&p.executions[7], &p.executions[8]);
        assert_eq!(
            long.instrument,
            opt("AMD", (2024, 8, 16), OptionKind::Call, 145.0)
        );
        assert_eq!(
            short.instrument,
            opt("AMD", (2024, 8, 16), OptionKind::Call, 150.0)
        );
        assert_eq!((long.side, short.side), (Side::Buy, Side::Sell));
        assert_eq!((long.effect, short.effect), (Effect::Open, Effect::Open));
        assert!(close(long.price, 5.40) && close(short.price, 3.20));
        assert!(close(long.quantity, 1.0) && close(short.quantity, 1.0));
        assert_eq!(long.time, short.time);
        assert_eq!(long.time.to_rfc3339(), "2024-07-18T20:00:00+00:00");
    }

    #[test]
    fn expiration_and_assignment_with_its_stock_row() {
        let p = parse(ACTIVITY, &ImportOptions::default());
        let spy = opt("SPY", (2024, 7, 19), OptionKind::Put, 540.0);
        let tsla = opt("TSLA", (2024, 7, 19), OptionKind::Put, 240.0);
        let sto_tsla = &p.executions[2];
        assert_eq!(sto_tsla.instrument, tsla);
        assert_eq!((sto_tsla.side, sto_tsla.effect), (Side::Sell, Effect::Open));
        assert!(close(sto_tsla.price, 4.00));
        let sto_spy = &p.executions[3];
        assert_eq!(sto_spy.instrument, spy);
        assert!(close(sto_spy.price, 1.20));
        let exp = &p.executions[9];
        assert_eq!(exp.instrument, spy);
        assert_eq!(exp.kind, ExecKind::Expiration);
        assert_eq!(exp.side, Side::Buy, "1S: a short position leaves");
        assert_eq!(exp.effect, Effect::Close);
        assert!(close(exp.quantity, 1.0) && close(exp.price, 0.0));
        assert_eq!(exp.time.to_rfc3339(), "2024-07-19T20:00:00+00:00");
        let stock = &p.executions[10];
        assert_eq!(stock.instrument, Instrument::stock("TSLA"));
        assert_eq!(stock.kind, ExecKind::Trade);
        assert_eq!(stock.side, Side::Buy, "short put assigned: shares bought");
        assert!(close(stock.quantity, 100.0) && close(stock.price, 240.0));
        assert_eq!(
            stock.line, 5,
            "the row's first line (its description spans 5–7)"
        );
        let asg = &p.executions[11];
        assert_eq!(asg.instrument, tsla);
        assert_eq!(asg.kind, ExecKind::Assignment);
        assert_eq!(asg.side, Side::Buy);
        assert!(close(asg.quantity, 1.0) && close(asg.price, 0.0));
        assert_eq!(
            p.executions.len(),
            12,
            "the stock row was found: nothing derived"
        );
    }

    #[test]
    fn assignment_without_a_stock_row_derives_it_with_a_warning() {
        let text = format!(
            "{HEAD}\"8/16/2024\",\"8/16/2024\",\"8/19/2024\",\"F\",\"F 8/16/2024 Call $12.00\",\"OASGN\",\"2\",\"\",\"\"\n\
             \"8/1/2024\",\"8/1/2024\",\"8/2/2024\",\"F\",\"F 8/16/2024 Call $12.00\",\"STO\",\"2\",\"$0.30\",\"$59.94\"\n"
        );
        let p = parse(&text, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows, 2);
        assert_eq!(p.executions.len(), 3);
        let (sto, asg, stock) = (&p.executions[0], &p.executions[1], &p.executions[2]);
        assert_eq!((sto.line, asg.line, stock.line), (3, 2, 2));
        assert_eq!(asg.kind, ExecKind::Assignment);
        assert_eq!(asg.side, Side::Sell, "no S suffix: the default side");
        assert_eq!(stock.instrument, Instrument::stock("F"));
        assert_eq!(stock.side, Side::Sell, "short call assigned: shares sold");
        assert!(close(stock.quantity, 200.0) && close(stock.price, 12.0));
        assert_eq!(stock.kind, ExecKind::Trade);
        assert_eq!(stock.time.to_rfc3339(), "2024-08-16T20:00:00+00:00");
        assert_ne!(stock.fingerprint, asg.fingerprint);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("line 2"), "{}", p.warnings[0]);
    }

    #[test]
    fn bad_rows_are_reported_with_their_lines() {
        let p = parse(BAD, &ImportOptions::default());
        assert_eq!(p.rows, 5);
        assert_eq!(p.executions.len(), 1);
        let e = &p.executions[0];
        assert_eq!(e.line, 5);
        assert_eq!(
            e.instrument,
            opt("SPY", (2024, 7, 19), OptionKind::Call, 550.0)
        );
        assert!(close(e.price, 2.0));
        let errs: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert_eq!(errs[0].0, 2);
        assert!(errs[0].1.contains("Price \"$abc\""), "{}", errs[0].1);
        assert_eq!(errs[1].0, 3);
        assert!(
            errs[1].1.contains("Activity Date \"13/45/2024\""),
            "{}",
            errs[1].1
        );
        assert_eq!(errs[2].0, 6);
        assert!(
            errs[2].1.contains("Description \"SPY July Call\""),
            "{}",
            errs[2].1
        );
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].line, 7);
        assert!(p.skipped[0].reason.contains("Gold"));
    }

    #[test]
    fn a_file_without_the_columns_is_one_error_at_line_1() {
        let p = parse("a,b\n1,2\n", &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert!(p.errors[0].message.contains("Trans Code"));
        assert!(p.executions.is_empty());
        let p = parse("", &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
    }
}
