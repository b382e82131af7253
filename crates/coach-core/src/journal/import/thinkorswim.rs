//! thinkorswim "Account Statement" export (CSV). The file is several
//! sections one after another, each a title line, its own header row and its
//! data rows. Executions come from `Account Trade History` only; their fees
//! from the `TRD` rows of `Cash Balance`, matched to the order by date, time
//! (within a few seconds) and symbol. Expirations and assignments are not in
//! `Account Trade History` and are not imported.
//!
//! Trade rows split an option into columns (Symbol = underlying, Exp, Strike,
//! Type). The legs of a spread after its first leave `Exec Time` and `Spread`
//! blank: they belong to the row above. Times carry no zone: they are the
//! account's local time (`opts.tz`).

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::common::{
    execution, in_zone_or, missing, naive_in, number_where, only_error, us_zone_hours,
};
use super::{columns, csv_records, finish, money, us_date, ImportOptions, Record};
use crate::journal::{
    Broker, Effect, Execution, Instrument, OptionContract, OptionKind, Parsed, RowError, Side,
    SkippedRow,
};

const TRADE_TITLE: &str = "Account Trade History";
const CASH_TITLE: &str = "Cash Balance";
const STATEMENT_TITLE: &str = "Account Statement for";
/// How far a `Cash Balance` row's time may be from its trade's `Exec Time`.
const FEE_MATCH_SECONDS: i64 = 3;

pub fn looks_like(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lower = text.to_ascii_lowercase();
    let trade_header = lower.contains(",exec time,spread,side,qty,pos effect,symbol");
    let cash_header =
        lower.contains("date,time,type,ref #,description,misc fees,commissions & fees");
    let titled = text
        .lines()
        .take(5)
        .any(|l| l.trim().trim_matches('"').starts_with(STATEMENT_TITLE));
    trade_header || (titled && cash_header)
}

/// One titled section: its title, header row and data rows.
struct Section {
    title: String,
    header: Option<Record>,
    rows: Vec<Record>,
}

/// A title line: only its first field is filled.
fn is_title(rec: &Record) -> bool {
    !rec.get(0).is_empty() && rec.fields.iter().skip(1).all(|f| f.trim().is_empty())
}

fn sections(recs: Vec<Record>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for rec in recs {
        if rec.is_blank() {
            continue;
        }
        if is_title(&rec) {
            out.push(Section {
                title: rec.get(0).to_string(),
                header: None,
                rows: Vec::new(),
            });
            continue;
        }
        let Some(sec) = out.last_mut() else {
            continue; // rows before any title: not part of a section
        };
        if sec.header.is_none() {
            sec.header = Some(rec);
        } else {
            sec.rows.push(rec);
        }
    }
    out
}

/// `123456789SCHW` from `Account Statement for 123456789SCHW (Margin) since …`.
fn statement_account(secs: &[Section]) -> Option<String> {
    let title = secs.iter().find(|s| s.title.starts_with(STATEMENT_TITLE))?;
    let rest = title.title[STATEMENT_TITLE.len()..].trim();
    let end = [" (", " since "]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    let acct = rest[..end].trim();
    (!acct.is_empty()).then(|| acct.to_string())
}

/// A zone abbreviation written after a time, as a fixed offset.
fn zone_abbrev(s: &str) -> Option<FixedOffset> {
    FixedOffset::east_opt(us_zone_hours(s)? * 3600)
}

/// `7/19/24 10:31:22` (optionally with a zone abbreviation after it): the
/// local time as written, and the moment (a zone-less time is read in `tz`).
fn exec_time(text: &str, tz: chrono_tz::Tz) -> Option<(NaiveDateTime, DateTime<Utc>)> {
    let t = text.trim();
    let (body, zone) = match t.rsplit_once(' ') {
        Some((b, z)) if zone_abbrev(z).is_some() => (b.trim(), zone_abbrev(z)),
        _ => (t, None),
    };
    let naive = naive_in(
        body,
        &[
            "%m/%d/%y %H:%M:%S",
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%y %H:%M",
            "%m/%d/%Y %H:%M",
        ],
    )?;
    Some((naive, in_zone_or(naive, zone, tz)?))
}

/// `19 JUL 24` (also `19 JUL 2024` or a US date).
fn expiration(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    ["%d %b %y", "%d %b %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .or_else(|| us_date(t))
}

/// Column indices of the trade section.
struct TradeCols {
    time: usize,
    spread: usize,
    side: usize,
    qty: usize,
    effect: usize,
    symbol: usize,
    exp: usize,
    strike: usize,
    kind: usize,
    price: usize,
}

/// One row with `Exec Time` and the continuation rows under it.
struct Group {
    head_line: usize,
    time_text: String,
    time: Option<(NaiveDateTime, DateTime<Utc>)>,
    spread: String,
    legs: Vec<Record>,
}

impl Group {
    /// What makes two adjacent groups fills of one order: same time, same
    /// spread, same legs (side, effect, contract).
    fn signature(&self, c: &TradeCols) -> Vec<String> {
        let mut sig = vec![self.time_text.clone(), self.spread.to_ascii_uppercase()];
        for leg in &self.legs {
            for i in [c.side, c.effect, c.symbol, c.exp, c.strike, c.kind] {
                sig.push(leg.get(i).to_ascii_uppercase());
            }
        }
        sig
    }
}

/// One order: its id, time and the executions read from it.
struct Order {
    naive: NaiveDateTime,
    first_exec: usize,
    symbols: HashSet<String>,
    fees: f64,
    cash_rows: usize,
}

fn leg(rec: &Record, c: &TradeCols) -> Result<(Instrument, Side, f64, f64, Effect), String> {
    let qty = number_where("Qty", rec.get(c.qty), |q| q != 0.0)?;
    let side_text = rec.get(c.side);
    let side = match side_text.to_ascii_uppercase().as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        "" if qty > 0.0 => Side::Buy,
        "" => Side::Sell,
        _ => return Err(format!("Side {side_text:?} is not BUY or SELL")),
    };
    let symbol = rec.get(c.symbol);
    if symbol.is_empty() {
        return Err("Symbol is empty".into());
    }
    let kind_text = rec.get(c.kind);
    let instrument = match kind_text.to_ascii_uppercase().as_str() {
        "STOCK" | "ETF" => Instrument::stock(symbol),
        k @ ("CALL" | "PUT") => {
            let exp_text = rec.get(c.exp);
            let expiration =
                expiration(exp_text).ok_or_else(|| format!("Exp {exp_text:?} is not a date"))?;
            let strike = number_where("Strike", rec.get(c.strike), |s| s > 0.0)?;
            Instrument::Option(OptionContract {
                underlying: symbol.to_ascii_uppercase(),
                kind: if k == "CALL" {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                },
                strike,
                expiration,
            })
        }
        _ => {
            return Err(format!(
                "Type {kind_text:?} is not STOCK, ETF, CALL or PUT (not supported)"
            ))
        }
    };
    let price = number_where("Price", rec.get(c.price), |p| p >= 0.0)?;
    let effect = match rec.get(c.effect).to_ascii_uppercase().as_str() {
        "TO OPEN" => Effect::Open,
        "TO CLOSE" => Effect::Close,
        _ => Effect::Unknown,
    };
    Ok((instrument, side, qty.abs(), price, effect))
}

pub fn parse(text: &str, opts: &ImportOptions) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let recs = match csv_records(text) {
        Ok(r) => r,
        Err(e) => return only_error(e),
    };
    let secs = sections(recs);
    let account = opts.account_or(statement_account(&secs).as_deref());
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let skipped: Vec<SkippedRow> = Vec::new();

    let trade_secs: Vec<&Section> = secs
        .iter()
        .filter(|s| s.title.eq_ignore_ascii_case(TRADE_TITLE))
        .collect();
    if trade_secs.is_empty() {
        let statement = secs.iter().any(|s| s.title.starts_with(STATEMENT_TITLE));
        if !statement {
            errors.push(RowError {
                line: 1,
                message: format!(
                    "not a thinkorswim account statement: no \"{TRADE_TITLE}\" section with \
                     columns Exec Time, Spread, Side, Qty, Pos Effect, Symbol, Exp, Strike, Type, Price"
                ),
            });
            return finish(vec![], vec![], 0, skipped, errors, warnings);
        }
        warnings.push(format!(
            "the statement has no \"{TRADE_TITLE}\" section: no trades read"
        ));
    }

    let mut execs: Vec<Execution> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    let mut orders: Vec<Order> = Vec::new();
    let mut n_rows = 0;

    for sec in trade_secs {
        let Some(header) = &sec.header else {
            continue;
        };
        let names = [
            "Exec Time",
            "Spread",
            "Side",
            "Qty",
            "Pos Effect",
            "Symbol",
            "Exp",
            "Strike",
            "Type",
            "Price",
        ];
        let found = columns(header, names);
        let [Some(time), Some(spread), Some(side), Some(qty), Some(effect), Some(symbol), Some(exp), Some(strike), Some(kind), Some(price)] =
            found
        else {
            errors.push(RowError {
                line: 1,
                message: format!(
                    "the \"{TRADE_TITLE}\" section (line {}) lacks columns: {}",
                    header.line,
                    missing(&names, &found).join(", ")
                ),
            });
            continue;
        };
        let c = TradeCols {
            time,
            spread,
            side,
            qty,
            effect,
            symbol,
            exp,
            strike,
            kind,
            price,
        };

        // Rows into groups (a timed row and the continuation rows under it).
        let mut groups: Vec<Group> = Vec::new();
        for rec in &sec.rows {
            n_rows += 1;
            let time_text = rec.get(c.time);
            if time_text.is_empty() {
                match groups.last_mut() {
                    Some(g) => g.legs.push(rec.clone()),
                    None => errors.push(RowError {
                        line: rec.line,
                        message: "Exec Time is empty and there is no order row above it".into(),
                    }),
                }
                continue;
            }
            groups.push(Group {
                head_line: rec.line,
                time_text: time_text.to_string(),
                time: exec_time(time_text, opts.tz),
                spread: rec.get(c.spread).to_string(),
                legs: vec![rec.clone()],
            });
        }

        // Adjacent identical groups are fills of one order (a partial fill).
        let mut prev_sig: Option<Vec<String>> = None;
        let mut order_id = String::new();
        let mut order_idx: Option<usize> = None;
        for g in &groups {
            let sig = g.signature(&c);
            let same_order = prev_sig.as_ref() == Some(&sig);
            if !same_order {
                order_id = format!("tos-L{}", g.head_line);
                order_idx = None;
            }
            prev_sig = Some(sig);
            let Some((naive, utc)) = g.time else {
                errors.push(RowError {
                    line: g.head_line,
                    message: format!("Exec Time {:?} is not a date and time", g.time_text),
                });
                for l in g.legs.iter().skip(1) {
                    errors.push(RowError {
                        line: l.line,
                        message: format!(
                            "leg of the order on line {} whose Exec Time {:?} is unreadable",
                            g.head_line, g.time_text
                        ),
                    });
                }
                continue;
            };
            for rec in &g.legs {
                match leg(rec, &c) {
                    Err(message) => errors.push(RowError {
                        line: rec.line,
                        message,
                    }),
                    Ok((instrument, side, quantity, price, effect)) => {
                        let i = match order_idx {
                            Some(i) => i,
                            None => {
                                orders.push(Order {
                                    naive,
                                    first_exec: execs.len(),
                                    symbols: HashSet::new(),
                                    fees: 0.0,
                                    cash_rows: 0,
                                });
                                order_idx = Some(orders.len() - 1);
                                orders.len() - 1
                            }
                        };
                        orders[i]
                            .symbols
                            .insert(instrument.underlying().to_ascii_uppercase());
                        // A continuation leg leaves Exec Time blank: its identity
                        // carries its order's time, so two spreads with the same
                        // legs on different days stay apart across files (rows
                        // with their own time keep the identity they had).
                        rows.push(if rec.get(c.time).is_empty() {
                            format!("{}\u{1f}{}", g.time_text, rec.canonical())
                        } else {
                            rec.canonical()
                        });
                        execs.push(Execution {
                            instrument,
                            side,
                            quantity,
                            price,
                            effect,
                            order_id: Some(order_id.clone()),
                            ..execution(Broker::Thinkorswim, account.clone(), utc, rec.line)
                        });
                    }
                }
            }
        }
    }

    cash_fees(&secs, &mut orders, &mut warnings);
    for o in &orders {
        if let Some(e) = execs.get_mut(o.first_exec) {
            e.fees = (o.fees * 100.0).round() / 100.0;
        }
    }
    finish(execs, rows, n_rows, skipped, errors, warnings)
}

/// Fees of the `TRD` rows of `Cash Balance`, added to the orders they match.
fn cash_fees(secs: &[Section], orders: &mut [Order], warnings: &mut Vec<String>) {
    let cash: Vec<&Section> = secs
        .iter()
        .filter(|s| s.title.eq_ignore_ascii_case(CASH_TITLE))
        .collect();
    if cash.is_empty() {
        if !orders.is_empty() {
            warnings.push(format!(
                "the statement has no \"{CASH_TITLE}\" section: fees are 0"
            ));
        }
        return;
    }
    for sec in cash {
        let Some(header) = &sec.header else {
            continue;
        };
        let names = [
            "DATE",
            "TIME",
            "TYPE",
            "DESCRIPTION",
            "Misc Fees",
            "Commissions & Fees",
        ];
        let [Some(date), Some(time), Some(kind), Some(desc), Some(misc), Some(comm)] =
            columns(header, names)
        else {
            warnings.push(format!(
                "the \"{CASH_TITLE}\" section (line {}) lacks one of the columns {}: fees are 0",
                header.line,
                names.join(", ")
            ));
            continue;
        };
        for rec in &sec.rows {
            let description = rec.get(desc);
            if !rec.get(kind).eq_ignore_ascii_case("TRD") {
                let upper = description.to_ascii_uppercase();
                if ["EXPIRATION", "ASSIGNMENT", "EXERCISE"]
                    .iter()
                    .any(|w| upper.contains(w))
                {
                    warnings.push(format!(
                        "Cash Balance line {}: {description:?} is not in Account Trade History \
                         and is not imported",
                        rec.line
                    ));
                }
                continue;
            }
            let mut fee = 0.0;
            for i in [misc, comm] {
                let t = rec.get(i);
                match money(t) {
                    Some(v) => fee += v.abs(),
                    None if t.is_empty() || t == "--" => {}
                    None => warnings.push(format!(
                        "Cash Balance line {}: fee {t:?} is not a number and is not counted",
                        rec.line
                    )),
                }
            }
            let date_text = rec.get(date);
            let time_text = rec.get(time);
            let when = us_date(date_text).and_then(|d| {
                ["%H:%M:%S", "%H:%M"]
                    .iter()
                    .find_map(|f| NaiveTime::parse_from_str(time_text, f).ok())
                    .map(|t| d.and_time(t))
            });
            let Some(when) = when else {
                warnings.push(format!(
                    "Cash Balance line {}: date/time {date_text:?} {time_text:?} unreadable; \
                     its fees (${fee:.2}) are not counted",
                    rec.line
                ));
                continue;
            };
            let words: HashSet<String> = description
                .split('@')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(|w| w.to_ascii_uppercase())
                .collect();
            let best = orders
                .iter()
                .enumerate()
                .filter(|(_, o)| o.naive.date() == when.date())
                .map(|(i, o)| (i, (o.naive - when).num_seconds().abs(), o))
                .filter(|(_, dt, o)| {
                    *dt <= FEE_MATCH_SECONDS && o.symbols.iter().any(|s| words.contains(s))
                })
                .min_by_key(|(i, dt, o)| (*dt, o.cash_rows, *i))
                .map(|(i, _, _)| i);
            match best {
                Some(i) => {
                    orders[i].fees += fee;
                    orders[i].cash_rows += 1;
                }
                None => warnings.push(format!(
                    "Cash Balance line {}: trade {description:?} at {date_text} {time_text} \
                     matches no row of Account Trade History; its fees (${fee:.2}) are not counted",
                    rec.line
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::test_util::{near as close, opt};
    use super::*;
    use crate::journal::ExecKind;

    const STATEMENT: &str =
        include_str!("../../../../../tests/fixtures/journal/thinkorswim/statement.csv");
    const BAD: &str =
        include_str!("../../../../../tests/fixtures/journal/thinkorswim/bad_rows.csv");

    #[test]
    fn detects_statements_and_nothing_else() {
        assert!(looks_like(STATEMENT));
        assert!(looks_like(BAD));
        assert!(!looks_like("a,b\n1,2\n"));
        assert!(!looks_like(
            "\"Activity Date\",\"Process Date\",\"Settle Date\",\"Instrument\"\n"
        ));
    }

    #[test]
    fn reads_the_trade_history_section_only() {
        let p = parse(STATEMENT, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(
            p.skipped.is_empty(),
            "cash rows are not trade rows: {:?}",
            p.skipped
        );
        assert_eq!(
            p.rows, 8,
            "the 8 data rows of Account Trade History (lines 35–42)"
        );
        assert_eq!(p.executions.len(), 8);
        let lines: Vec<usize> = p.executions.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![35, 36, 37, 38, 39, 40, 41, 42]);
        for e in &p.executions {
            assert_eq!(e.account, "987654321SCHW");
            assert_eq!(e.broker, Broker::Thinkorswim);
            assert_eq!(e.kind, ExecKind::Trade);
            assert_eq!(e.exec_id, None);
            assert!(!e.fingerprint.is_empty());
        }
        // One warning: the expiration row of Cash Balance (line 14) is not imported.
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("line 14"));
    }

    #[test]
    fn stock_round_trip_in_the_account_zone_with_fees_from_cash_balance() {
        let p = parse(STATEMENT, &ImportOptions::default());
        let buy = &p.executions[7];
        assert_eq!(buy.instrument, Instrument::stock("AAPL"));
        assert_eq!(buy.side, Side::Buy);
        assert!(close(buy.quantity, 100.0));
        assert!(close(buy.price, 230.10));
        assert_eq!(buy.effect, Effect::Open);
        assert_eq!(
            buy.time.to_rfc3339(),
            "2024-07-15T13:45:10+00:00",
            "09:45:10 EDT"
        );
        assert!(close(buy.fees, 0.0), "its TRD row has no fees");
        assert_eq!(buy.order_id.as_deref(), Some("tos-L42"));
        let sell = &p.executions[6];
        assert_eq!(sell.side, Side::Sell);
        assert!(close(sell.quantity, 100.0));
        assert!(close(sell.price, 234.55));
        assert_eq!(sell.effect, Effect::Close);
        assert_eq!(sell.time.to_rfc3339(), "2024-07-17T18:02:33+00:00");
        assert!(close(sell.fees, 0.14), "TRD row one second later (line 8)");
        // The same file read in Chicago time.
        let chi = ImportOptions {
            account: Some("mine".into()),
            tz: chrono_tz::America::Chicago,
        };
        let p = parse(STATEMENT, &chi);
        assert_eq!(
            p.executions[7].time.to_rfc3339(),
            "2024-07-15T14:45:10+00:00"
        );
        assert_eq!(p.executions[7].account, "mine");
    }

    #[test]
    fn single_option_round_trip() {
        let p = parse(STATEMENT, &ImportOptions::default());
        let spy = opt("SPY", (2024, 7, 19), OptionKind::Call, 550.0);
        let open = &p.executions[5];
        assert_eq!(open.instrument, spy);
        assert_eq!(open.instrument.symbol(), "SPY240719C00550000");
        assert_eq!(open.side, Side::Buy);
        assert!(close(open.quantity, 2.0));
        assert!(close(open.price, 2.50));
        assert_eq!(open.effect, Effect::Open);
        assert_eq!(open.time.to_rfc3339(), "2024-07-18T14:31:22+00:00");
        assert!(close(open.fees, 1.40), "0.10 + 1.30");
        assert_eq!(open.order_id.as_deref(), Some("tos-L40"));
        let shut = &p.executions[4];
        assert_eq!(shut.instrument, spy);
        assert_eq!(shut.side, Side::Sell);
        assert!(close(shut.quantity, 2.0));
        assert!(close(shut.price, 3.10));
        assert_eq!(shut.effect, Effect::Close);
        assert_eq!(shut.time.to_rfc3339(), "2024-07-19T15:05:47+00:00");
        assert!(
            close(shut.fees, 1.42),
            "TRD row two seconds later: 0.12 + 1.30"
        );
        assert_eq!(shut.order_id.as_deref(), Some("tos-L39"));
    }

    #[test]
    fn partial_fill_is_one_order_with_its_fees_once() {
        let p = parse(STATEMENT, &ImportOptions::default());
        let qqq = opt("QQQ", (2024, 7, 26), OptionKind::Put, 480.0);
        let (a, b) = (&p.executions[2], &p.executions[3]);
        for e in [a, b] {
            assert_eq!(e.instrument, qqq);
            assert_eq!(e.side, Side::Buy);
            assert_eq!(e.effect, Effect::Open);
            assert_eq!(e.order_id.as_deref(), Some("tos-L37"));
            assert_eq!(e.time.to_rfc3339(), "2024-07-22T17:20:05+00:00");
        }
        assert!(close(a.quantity, 3.0) && close(a.price, 1.95));
        assert!(close(b.quantity, 2.0) && close(b.price, 1.96));
        assert!(
            close(a.fees, 3.35),
            "both TRD rows: 0.06 + 1.95 + 0.04 + 1.30"
        );
        assert!(close(b.fees, 0.0));
        assert_ne!(a.fingerprint, b.fingerprint);
    }

    #[test]
    fn vertical_legs_share_the_order_and_the_fee_sits_on_the_first_leg() {
        let p = parse(STATEMENT, &ImportOptions::default());
        let (short, long) = (&p.executions[0], &p.executions[1]);
        assert_eq!(
            short.instrument,
            opt("IWM", (2024, 8, 16), OptionKind::Call, 220.0)
        );
        assert_eq!(
            long.instrument,
            opt("IWM", (2024, 8, 16), OptionKind::Call, 225.0)
        );
        assert_eq!(short.side, Side::Sell);
        assert_eq!(long.side, Side::Buy);
        assert!(close(short.quantity, 1.0) && close(long.quantity, 1.0));
        assert!(close(short.price, 2.40) && close(long.price, 1.30));
        assert_eq!(short.effect, Effect::Open);
        assert_eq!(long.effect, Effect::Open);
        assert_eq!(short.order_id.as_deref(), Some("tos-L35"));
        assert_eq!(long.order_id.as_deref(), Some("tos-L35"));
        assert_eq!(short.time.to_rfc3339(), "2024-07-24T14:00:15+00:00");
        assert_eq!(
            long.time, short.time,
            "the continuation row takes the row above's time"
        );
        assert!(close(short.fees, 1.34), "TRD at 10:00:16: 0.04 + 1.30");
        assert!(close(long.fees, 0.0));
        let total: f64 = p.executions.iter().map(|e| e.fees).sum();
        assert!(
            close((total * 100.0).round() / 100.0, 7.65),
            "Cash Balance fees, each once"
        );
    }

    #[test]
    fn bad_rows_are_reported_with_their_lines() {
        let p = parse(BAD, &ImportOptions::default());
        assert_eq!(p.rows, 5);
        assert_eq!(p.executions.len(), 1);
        let f = &p.executions[0];
        assert_eq!(f.line, 10);
        assert_eq!(f.instrument, Instrument::stock("F"));
        assert!(close(f.quantity, 10.0) && close(f.price, 12.0) && close(f.fees, 0.0));
        assert_eq!(f.account, "111222333SCHW");
        let errs: Vec<(usize, &str)> = p
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert_eq!(errs[0].0, 11);
        assert!(errs[0].1.contains("Strike \"abc\""), "{}", errs[0].1);
        assert_eq!(errs[1].0, 12);
        assert!(errs[1].1.contains("Qty \"two\""), "{}", errs[1].1);
        assert_eq!(errs[2].0, 13);
        assert!(
            errs[2].1.contains("Exec Time \"7/19/24 25:61:00\""),
            "{}",
            errs[2].1
        );
        assert_eq!(errs[3].0, 14, "the leg under the unreadable order");
        // The 15:30 TRD row of line 6 has no trade.
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("line 6") && p.warnings[0].contains("0.67"));
    }

    #[test]
    fn a_file_without_the_trade_section_is_one_error_at_line_1() {
        let p = parse("a,b\n1,2\n", &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert!(p.executions.is_empty());
        let short = "Account Statement for 1SCHW (Cash) since 7/1/24 through 7/31/24\n\n\
                     Account Trade History\n,Exec Time,Side,Qty\n,7/19/24 10:00:00,BUY,+1\n";
        let p = parse(short, &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert!(
            p.errors[0].message.contains("Spread"),
            "{}",
            p.errors[0].message
        );
        assert!(p.errors[0].message.contains("Strike"));
    }

    #[test]
    fn explicit_zone_after_the_time_is_honoured() {
        let t = exec_time("7/19/24 10:31:22 EST", chrono_tz::America::New_York).unwrap();
        assert_eq!(t.1.to_rfc3339(), "2024-07-19T15:31:22+00:00");
        let t = exec_time("7/19/24 10:31:22", chrono_tz::America::New_York).unwrap();
        assert_eq!(t.1.to_rfc3339(), "2024-07-19T14:31:22+00:00");
    }
}
