//! Webull's orders CSV.
//!
//! Header `Name,Symbol,Side,Status,Filled,Total Qty,Price,Avg Price,
//! Time-in-Force,Placed Time,Filled Time` (the options export titles some
//! columns differently: they are found by name). One row per order: rows with
//! a filled quantity are executions, cancelled / failed / pending orders are
//! skipped. Times carry a zone word (`EDT`, `EST`, `GMT-04`). Options are
//! unpadded OCC symbols (`SPY240719C00550000`). No fees, no ids, and no
//! expiration or assignment rows in this export.

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;

use super::common::{
    execution, field, header_near_top, in_zone_or, missing, missing_error, naive_in, only_error,
    signed_offset, us_zone_hours,
};
use super::{columns, csv_records, finish, money, ImportOptions};
use crate::journal::{
    Broker, Effect, Execution, Instrument, OptionContract, Parsed, RowError, Side, SkippedRow,
};

/// The columns a Webull file cannot be read without.
const REQUIRED: [&str; 5] = ["Symbol", "Side", "Status", "Filled", "Filled Time"];

pub fn looks_like(text: &str) -> bool {
    let names = [
        "Side",
        "Status",
        "Filled",
        "Total Qty",
        "Placed Time",
        "Filled Time",
    ];
    header_near_top(text, 5, 1, names)
}

/// Hours east of UTC of the zone words Webull writes (US zones, UTC, GMT±h[h][:mm]).
fn zone_offset(word: &str) -> Option<i32> {
    let w = word.trim().to_ascii_uppercase();
    let hours = match w.as_str() {
        "AKDT" => -8,
        "AKST" => -9,
        "HST" => -10,
        _ => match us_zone_hours(&w) {
            Some(h) => h,
            None => {
                let rest = w.strip_prefix("GMT").or_else(|| w.strip_prefix("UTC"))?;
                let (sign, h, m) = signed_offset(rest)?;
                if h > 14 || m >= 60 {
                    return None;
                }
                return Some(sign * (h * 3600 + m * 60));
            }
        },
    };
    Some(hours * 3600)
}

/// `07/19/2024 10:31:22 EDT`, `… GMT-04`, or without a zone (read in `tz`).
fn filled_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let bad = || format!("Filled Time \"{t}\" is not a time");
    let mut words: Vec<&str> = t.split_whitespace().collect();
    let zone = match words.last() {
        Some(w)
            if w.chars().any(|c| c.is_ascii_alphabetic())
                && !w.eq_ignore_ascii_case("AM")
                && !w.eq_ignore_ascii_case("PM") =>
        {
            let w = *w;
            words.pop();
            Some(
                zone_offset(w)
                    .ok_or_else(|| format!("Filled Time \"{t}\" has an unknown zone \"{w}\""))?,
            )
        }
        _ => None,
    };
    let local = words.join(" ");
    let naive = naive_in(
        &local,
        &[
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %H:%M",
            "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%Y %I:%M %p",
            "%Y-%m-%d %H:%M:%S",
        ],
    )
    .ok_or_else(bad)?;
    let offset = match zone {
        None => None,
        Some(secs) => Some(FixedOffset::east_opt(secs).ok_or_else(bad)?),
    };
    in_zone_or(naive, offset, tz).ok_or_else(bad)
}

/// A price as Webull writes it: `124.00`, `@124.00`.
fn price_of(text: &str) -> Option<f64> {
    money(text.trim().trim_start_matches('@')).filter(|p| *p >= 0.0)
}

pub fn parse(text: &str, opts: &ImportOptions) -> Parsed {
    let records = match csv_records(text) {
        Ok(r) => r,
        Err(e) => return only_error(e),
    };
    let header_at = records.iter().position(|r| !r.is_blank());
    let header = header_at.map(|i| &records[i]);
    let found = header.map(|h| columns(h, REQUIRED)).unwrap_or([None; 5]);
    let [c_avg, c_price] = header
        .map(|h| columns(h, ["Avg Price", "Price"]))
        .unwrap_or([None; 2]);
    let mut lacks = missing(&REQUIRED, &found);
    if c_avg.is_none() && c_price.is_none() {
        lacks.push("Avg Price");
    }
    if let Some(e) = missing_error("not a readable file", 1, &lacks) {
        return only_error(e);
    }
    let [c_symbol, c_side, c_status, c_filled, c_time] = found.map(|c| c.unwrap_or(usize::MAX));
    let account = opts.account_or(None);

    let mut execs = Vec::new();
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut n_rows = 0;

    for rec in &records[header_at.unwrap_or(0) + 1..] {
        if rec.is_blank() {
            continue;
        }
        n_rows += 1;
        let line = rec.line;
        let mut err = |message: String| errors.push(RowError { line, message });

        let status = rec.get(c_status);
        let status_l = status.to_ascii_lowercase();
        let filled_text = rec.get(c_filled);
        let filled = money(filled_text);
        let is_fill_status = status_l == "filled" || status_l == "partially filled";
        if !is_fill_status {
            // An order that did not fill: skipped. One that filled in part
            // before it ended keeps its filled part.
            if !filled.is_some_and(|q| q > 0.0) {
                let what = match status_l.as_str() {
                    "cancelled" | "canceled" => "cancelled order".to_string(),
                    "" => "order without a status".to_string(),
                    s => format!("{s} order"),
                };
                skipped.push(SkippedRow {
                    line,
                    reason: format!("{what} (not a fill)"),
                });
                continue;
            }
            warnings.push(format!(
                "line {line}: a {status_l} order with {filled_text} filled: the filled part is imported"
            ));
        }
        let quantity = match filled {
            Some(q) if q > 0.0 => q,
            _ => {
                err(format!("Filled \"{filled_text}\" is not a filled quantity"));
                continue;
            }
        };
        let side_text = rec.get(c_side);
        // Webull writes a short sale as "Short": a plain sale closes a long.
        let (side, effect) = match side_text.to_ascii_lowercase().as_str() {
            "buy" => (Side::Buy, Effect::Unknown),
            "sell" => (Side::Sell, Effect::Close),
            "short" | "sell short" => (Side::Sell, Effect::Open),
            _ => {
                err(format!("Side \"{side_text}\" is not Buy or Sell"));
                continue;
            }
        };
        let symbol = rec.get(c_symbol);
        if symbol.is_empty() {
            err("Symbol is missing".into());
            continue;
        }
        let instrument = match OptionContract::parse_occ(symbol) {
            Some(o) => Instrument::Option(o),
            None if symbol.chars().any(|c| c.is_ascii_digit()) => {
                err(format!(
                    "Symbol \"{symbol}\" is neither a ticker nor an OCC option symbol like \"SPY240719C00550000\""
                ));
                continue;
            }
            None => Instrument::stock(symbol),
        };
        let avg = field(rec, c_avg);
        let limit = field(rec, c_price);
        // The average fill price; the order's price only when that is blank.
        let avg_blank = matches!(avg.trim_start_matches('@').trim(), "" | "--");
        let price = match (avg_blank, price_of(avg), price_of(limit)) {
            (false, Some(p), _) | (true, _, Some(p)) => p,
            (false, None, _) => {
                err(format!("Avg Price \"{avg}\" is not a price"));
                continue;
            }
            (true, _, None) => {
                err(format!(
                    "Avg Price is blank and Price \"{limit}\" is not a price"
                ));
                continue;
            }
        };
        let time = match filled_time(rec.get(c_time), opts.tz) {
            Ok(t) => t,
            Err(m) => {
                err(m);
                continue;
            }
        };
        // An option sale may open a short (the export does not say): only a
        // stock sale is known to close.
        let effect = match &instrument {
            Instrument::Option(_) if effect == Effect::Close => Effect::Unknown,
            _ => effect,
        };
        execs.push(Execution {
            instrument,
            side,
            quantity,
            price,
            effect,
            ..execution(Broker::Webull, account.clone(), time, line)
        });
        rows.push(rec.canonical());
    }
    finish(execs, rows, n_rows, skipped, errors, warnings)
}

#[cfg(test)]
mod tests {
    use super::super::common::test_util::{opt, utc};
    use super::*;
    use crate::journal::{Effect, ExecKind, OptionKind};

    const MAIN: &str = include_str!("../../../../../tests/fixtures/journal/webull/orders.csv");
    const BAD: &str = include_str!("../../../../../tests/fixtures/journal/webull/bad_rows.csv");

    fn at(p: &Parsed, line: usize) -> &Execution {
        p.executions.iter().find(|e| e.line == line).unwrap()
    }

    #[test]
    fn recognises_webull_files_only() {
        assert!(looks_like(MAIN));
        assert!(looks_like(BAD));
        assert!(!looks_like("a,b\n1,2\n"));
        assert!(!looks_like(
            "Symbol,Side,Quantity,Price,Time\nSPY,Buy,1,2,3\n"
        ));
    }

    #[test]
    fn counts_fills_and_skips_orders_that_did_not_fill() {
        let p = parse(MAIN, &ImportOptions::default());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows, 11);
        assert_eq!(
            p.skipped,
            vec![
                SkippedRow {
                    line: 7,
                    reason: "cancelled order (not a fill)".into()
                },
                SkippedRow {
                    line: 9,
                    reason: "failed order (not a fill)".into()
                },
                SkippedRow {
                    line: 10,
                    reason: "pending order (not a fill)".into()
                },
            ]
        );
        let lines: Vec<usize> = p.executions.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 8, 11, 12]);
        for e in &p.executions {
            // A stock sale closes (Webull writes a short sale as "Short"); an
            // option sale may open, so the export leaves it unknown.
            let effect = match (e.side, &e.instrument) {
                (Side::Sell, Instrument::Stock { .. }) => Effect::Close,
                _ => Effect::Unknown,
            };
            assert_eq!((e.fees, e.effect, e.kind), (0.0, effect, ExecKind::Trade));
            assert!(e.order_id.is_none() && e.exec_id.is_none());
            assert_eq!(e.account, "default");
        }
        assert_eq!(p.warnings.len(), 1, "the cancelled order with 2 filled");
        assert!(p.warnings[0].starts_with("line 8:"), "{}", p.warnings[0]);
    }

    #[test]
    fn stock_round_trip_in_edt() {
        let p = parse(MAIN, &ImportOptions::default());
        let buy = at(&p, 2);
        assert_eq!(buy.instrument, Instrument::stock("NVDA"));
        assert_eq!(
            (buy.side, buy.quantity, buy.price),
            (Side::Buy, 10.0, 124.0)
        );
        assert_eq!(buy.time, utc("2024-07-03T13:45:11Z"), "09:45:11 EDT");
        let sell = at(&p, 3);
        assert_eq!(
            (sell.side, sell.quantity, sell.price),
            (Side::Sell, 10.0, 128.41),
            "Avg Price, not the limit"
        );
        assert_eq!(sell.time, utc("2024-07-08T18:02:03Z"));
    }

    #[test]
    fn option_round_trip_with_gmt_offset() {
        let p = parse(MAIN, &ImportOptions::default());
        let spy = opt("SPY", (2024, 7, 19), OptionKind::Call, 550.0);
        let open = at(&p, 4);
        assert_eq!(open.instrument, spy);
        assert_eq!(
            (open.side, open.quantity, open.price),
            (Side::Buy, 1.0, 2.48)
        );
        assert_eq!(open.time, utc("2024-07-10T14:31:22Z"), "10:31:22 GMT-04");
        let close = at(&p, 5);
        assert_eq!(close.instrument, spy);
        assert_eq!(
            (close.side, close.quantity, close.price),
            (Side::Sell, 1.0, 4.1)
        );
        assert_eq!(close.time, utc("2024-07-12T15:05:09Z"));
    }

    #[test]
    fn partial_fills_in_est_keep_the_filled_quantity() {
        let p = parse(MAIN, &ImportOptions::default());
        let part = at(&p, 6);
        assert_eq!(part.instrument, Instrument::stock("AMD"));
        assert_eq!(
            (part.side, part.quantity, part.price),
            (Side::Buy, 3.0, 149.98),
            "3 of 5"
        );
        assert_eq!(part.time, utc("2025-01-17T15:31:22Z"), "10:31:22 EST");
        let cut = at(&p, 8);
        assert_eq!(
            (cut.side, cut.quantity, cut.price),
            (Side::Sell, 2.0, 152.05),
            "2 of 5, then cancelled"
        );
        assert_eq!(cut.time, utc("2025-01-17T16:00:30Z"));
    }

    #[test]
    fn gmt_plus_zone_price_fallback_and_naive_times_in_the_import_zone() {
        let p = parse(MAIN, &ImportOptions::default());
        let east = at(&p, 11);
        assert_eq!(east.time, utc("2024-07-19T13:31:05Z"), "21:31:05 GMT+08");
        assert_eq!(east.price, 225.0, "Avg Price blank: the order's @225.00");
        let naive = at(&p, 12);
        assert_eq!(
            naive.time,
            utc("2024-07-22T14:00:02Z"),
            "no zone: New York, EDT"
        );
        assert_eq!(naive.price, 226.1);
        let chicago = ImportOptions {
            account: Some("wb".into()),
            tz: chrono_tz::America::Chicago,
        };
        let p = parse(MAIN, &chicago);
        assert_eq!(
            at(&p, 12).time,
            utc("2024-07-22T15:00:02Z"),
            "no zone: Chicago, CDT"
        );
        assert_eq!(
            at(&p, 2).time,
            utc("2024-07-03T13:45:11Z"),
            "an explicit zone wins"
        );
        assert!(p.executions.iter().all(|e| e.account == "wb"));
    }

    #[test]
    fn zone_words() {
        assert_eq!(zone_offset("EDT"), Some(-4 * 3600));
        assert_eq!(zone_offset("EST"), Some(-5 * 3600));
        assert_eq!(zone_offset("GMT-04"), Some(-4 * 3600));
        assert_eq!(zone_offset("GMT+8"), Some(8 * 3600));
        assert_eq!(zone_offset("GMT+05:30"), Some(5 * 3600 + 30 * 60));
        assert_eq!(zone_offset("GMT+99"), None);
        assert_eq!(zone_offset("XYZ"), None);
    }

    #[test]
    fn columns_are_found_by_name() {
        let text = "Contract,Side,Symbol,Filled Time,Status,Filled,Total Qty,Avg Price,Price,Placed Time\n\
                    SPY Jul 19 500 Put,Sell,SPY240719P00500000,07/19/2024 15:59:00 EDT,Filled,2,2,1.05,@1.00,07/19/2024 15:58:00 EDT\n";
        assert!(looks_like(text));
        let p = parse(text, &ImportOptions::default());
        assert_eq!(p.executions.len(), 1);
        let e = &p.executions[0];
        assert_eq!(e.instrument.symbol(), "SPY240719P00500000");
        assert_eq!((e.side, e.quantity, e.price), (Side::Sell, 2.0, 1.05));
        assert_eq!(e.time, utc("2024-07-19T19:59:00Z"));
    }

    #[test]
    fn bad_rows_are_errors_with_their_lines() {
        let p = parse(BAD, &ImportOptions::default());
        assert_eq!(p.rows, 7);
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7]);
        let m: Vec<&str> = p.errors.iter().map(|e| e.message.as_str()).collect();
        assert!(m[0].contains("Filled \"ten\""), "{}", m[0]);
        assert!(m[1].contains("unknown zone \"XYZ\""), "{}", m[1]);
        assert!(m[2].contains("Symbol \"SPY24071C0055000\""), "{}", m[2]);
        assert!(m[3].contains("Side \"Hold\""), "{}", m[3]);
        assert!(m[4].contains("Avg Price \"abc\""), "{}", m[4]);
        assert!(
            m[5].contains("Filled Time \"07/08/2024 25:02:03 EDT\""),
            "{}",
            m[5]
        );
        assert_eq!(p.executions.len(), 1);
        assert_eq!(p.executions[0].line, 8);
    }

    #[test]
    fn a_file_without_the_header_is_one_error_at_line_1() {
        let p = parse("a,b\n1,2\n", &ImportOptions::default());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 1);
        assert!(
            p.errors[0].message.contains("Filled Time"),
            "{}",
            p.errors[0].message
        );
        assert!(parse("", &ImportOptions::default()).errors.len() == 1);
    }
}
