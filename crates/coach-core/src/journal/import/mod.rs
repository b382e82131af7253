//! Broker files to executions. Each broker has its own module with a
//! `parse(text, &ImportOptions) -> Parsed` and a `looks_like(text) -> bool`
//! used by `auto`. What every importer shares is here: money and dates as
//! brokers write them, and the CSV reader.
//!
//! Rules every importer keeps:
//! - a row that is not a trade (deposit, interest, dividend, transfer, …) is
//!   a [`SkippedRow`] with the reason, not an error;
//! - a row that claims to be a trade but cannot be read is a [`RowError`]
//!   naming its line (1-based, as an editor shows it) and why;
//! - text in the file is data: it is never interpreted beyond the fields.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{assign_fingerprints, Broker, Execution, Parsed, RowError, SkippedRow};

mod common;
pub mod fidelity;
pub mod ibkr;
pub mod robinhood;
pub mod schwab;
pub mod tastytrade;
pub mod thinkorswim;
pub mod webull;

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The account the executions belong to (default: the file's, else "default").
    pub account: Option<String>,
    /// The zone of times written without one (the import zone).
    pub tz: Tz,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            account: None,
            tz: chrono_tz::America::New_York,
        }
    }
}

impl ImportOptions {
    /// The account to file executions under: the option, else the file's, else "default".
    pub fn account_or(&self, from_file: Option<&str>) -> String {
        self.account
            .clone()
            .or_else(|| {
                from_file
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
            })
            .unwrap_or_else(|| "default".to_string())
    }
}

/// Which broker wrote `text`, if any importer recognises it.
pub fn detect(text: &str) -> Option<Broker> {
    type Looks = fn(&str) -> bool;
    let checks: [(Broker, Looks); 7] = [
        (Broker::Ibkr, ibkr::looks_like),
        (Broker::Thinkorswim, thinkorswim::looks_like),
        (Broker::Tastytrade, tastytrade::looks_like),
        (Broker::Robinhood, robinhood::looks_like),
        (Broker::Schwab, schwab::looks_like),
        (Broker::Fidelity, fidelity::looks_like),
        (Broker::Webull, webull::looks_like),
    ];
    checks
        .into_iter()
        .find(|(_, looks)| looks(text))
        .map(|(b, _)| b)
}

/// Reads `text` as `broker` wrote it (a UTF-8 byte-order mark is ignored).
pub fn parse(broker: Broker, text: &str, opts: &ImportOptions) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = match broker {
        Broker::Tastytrade => tastytrade::parse(text, opts),
        Broker::Thinkorswim => thinkorswim::parse(text, opts),
        Broker::Ibkr => ibkr::parse(text, opts),
        Broker::Robinhood => robinhood::parse(text, opts),
        Broker::Schwab => schwab::parse(text, opts),
        Broker::Fidelity => fidelity::parse(text, opts),
        Broker::Webull => webull::parse(text, opts),
        Broker::Manual => Parsed {
            errors: vec![RowError {
                line: 0,
                message: "manual trades are entered in the app, not imported".into(),
            }],
            ..Parsed::default()
        },
    };
    parsed.errors.sort_by_key(|e| e.line);
    parsed.skipped.sort_by_key(|s| s.line);
    parsed
}

/// One CSV record with the line it starts on (1-based).
#[derive(Debug, Clone)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

impl Record {
    /// The field at `i`, trimmed ("" when the row is short).
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).map(|s| s.trim()).unwrap_or("")
    }

    /// Every field joined: the row's identity when the broker gives no id.
    pub fn canonical(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.trim())
            .collect::<Vec<_>>()
            .join("\u{1f}")
    }

    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// Every record of a CSV text, quoted fields (commas, quotes, line breaks
/// inside) understood, rows of any length kept. A record that cannot be read
/// is an error naming its line.
pub fn csv_records(text: &str) -> Result<Vec<Record>, RowError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) => out.push(Record {
                line: r.position().map(|p| p.line() as usize).unwrap_or(0),
                fields: r.iter().map(String::from).collect(),
            }),
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                return Err(RowError {
                    line,
                    message: format!("not readable as CSV: {e}"),
                });
            }
        }
    }
    Ok(out)
}

/// The index of each named column in `header` (case- and space-insensitive);
/// `None` for a name not there.
pub fn columns<const N: usize>(header: &Record, names: [&str; N]) -> [Option<usize>; N] {
    let norm = |s: &str| {
        s.trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
    };
    let cols: Vec<String> = header.fields.iter().map(|f| norm(f)).collect();
    names.map(|n| cols.iter().position(|c| *c == norm(n)))
}

/// Money as brokers write it: `1,234.56`, `$1,234.56`, `-$5.00`, `(12.50)`
/// (negative), `+3.1`; `--`, `-` or empty is `None`.
pub fn money(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t == "--" || t == "-" || t.eq_ignore_ascii_case("n/a") {
        return None;
    }
    let (neg, t) = match t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, t),
    };
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, '$' | ',' | ' ' | '+'))
        .collect();
    let v: f64 = cleaned.parse().ok()?;
    v.is_finite().then_some(if neg { -v.abs() } else { v })
}

/// `local` read in `tz`; in the hour a clock goes back, the first of the two
/// moments; in the hour that does not exist, an hour later (as clocks read).
pub fn in_zone(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => tz
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| local.and_utc()),
    }
}

/// A date written without a time: the session's close (16:00) in `tz`, so
/// that a date-only fill sorts after the day's timed ones and reads as that
/// day everywhere in the Americas and Europe.
pub fn date_only(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    in_zone(date.and_hms_opt(16, 0, 0).unwrap_or_default(), tz)
}

/// A date as US brokers write it: `MM/DD/YYYY`, `M/D/YY`, or `YYYY-MM-DD`.
pub fn us_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    // `%Y` would read the `24` of `7/19/24` as the year 24.
    let two_digit_year = t.rsplit('/').next().is_some_and(|y| y.len() == 2) && t.contains('/');
    let formats: &[&str] = if two_digit_year {
        &["%m/%d/%y"]
    } else {
        &["%m/%d/%Y", "%Y-%m-%d", "%Y%m%d"]
    };
    for f in formats {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d);
        }
    }
    None
}

/// Finishes a parse: fingerprints from each execution's source row.
pub fn finish(
    mut execs: Vec<Execution>,
    rows: Vec<String>,
    n_rows: usize,
    skipped: Vec<SkippedRow>,
    errors: Vec<RowError>,
    warnings: Vec<String>,
) -> Parsed {
    assign_fingerprints(&mut execs, &rows);
    Parsed {
        rows: n_rows,
        executions: execs,
        skipped,
        errors,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_detection_names_the_broker_of_every_fixture() {
        let files: [(&str, Broker); 10] = [
            (
                include_str!("../../../../../tests/fixtures/journal/tastytrade/current.csv"),
                Broker::Tastytrade,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/tastytrade/2023.csv"),
                Broker::Tastytrade,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/tastytrade/legacy.csv"),
                Broker::Tastytrade,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/thinkorswim/statement.csv"),
                Broker::Thinkorswim,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/ibkr/flex_activity.xml"),
                Broker::Ibkr,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/ibkr/activity_statement.csv"),
                Broker::Ibkr,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/robinhood/activity.csv"),
                Broker::Robinhood,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/schwab/transactions.csv"),
                Broker::Schwab,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/fidelity/history.csv"),
                Broker::Fidelity,
            ),
            (
                include_str!("../../../../../tests/fixtures/journal/webull/orders.csv"),
                Broker::Webull,
            ),
        ];
        for (i, (text, broker)) in files.iter().enumerate() {
            assert_eq!(detect(text), Some(*broker), "fixture {i}");
        }
        assert_eq!(detect("Date,Amount\n2024-07-01,5\n"), None);
    }

    #[test]
    fn us_dates_with_two_or_four_digit_years() {
        let d = NaiveDate::from_ymd_opt(2024, 7, 19);
        assert_eq!(us_date("7/19/24"), d);
        assert_eq!(us_date("07/19/2024"), d);
        assert_eq!(us_date("2024-07-19"), d);
        assert_eq!(us_date("19/07/2024"), None);
    }

    #[test]
    fn money_reads_what_brokers_write() {
        assert_eq!(money("1,234.56"), Some(1234.56));
        assert_eq!(money("$1,234.56"), Some(1234.56));
        assert_eq!(money("-$5.00"), Some(-5.0));
        assert_eq!(money("($12.50)"), Some(-12.5));
        assert_eq!(money("+3.1"), Some(3.1));
        assert_eq!(money("--"), None);
        assert_eq!(money(""), None);
        assert_eq!(money("abc"), None);
    }

    #[test]
    fn a_naive_time_is_read_in_the_import_zone_not_as_utc() {
        let local = NaiveDate::from_ymd_opt(2024, 7, 19)
            .unwrap()
            .and_hms_opt(20, 30, 0)
            .unwrap();
        let t = in_zone(local, chrono_tz::America::New_York);
        assert_eq!(t.to_rfc3339(), "2024-07-20T00:30:00+00:00", "EDT is UTC−4");
        // 01:30 on the day clocks go back happens twice: the first one.
        let back = NaiveDate::from_ymd_opt(2024, 11, 3)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(
            in_zone(back, chrono_tz::America::New_York).to_rfc3339(),
            "2024-11-03T05:30:00+00:00"
        );
    }

    #[test]
    fn csv_records_keep_their_line_numbers_and_quoted_commas() {
        let recs = csv_records("a,b\n\"1,234.00\",\"x\ny\"\n3,4\n").unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].get(0), "1,234.00");
        assert_eq!(recs[1].line, 2);
        assert_eq!(
            recs[2].line, 4,
            "a line break inside quotes moves the next record down"
        );
    }
}
