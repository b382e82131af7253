//! The grounding check: every number in an answer must come from a tool
//! result or from the user's own words.
//!
//! A number written with `d` decimals matches a source value when the value
//! rounds to it at `d` decimals (so `512.4` matches `512.4031`, `512` does
//! not match `512.61`). Percentages also match a fraction (`1.2%` ↔ `0.012`),
//! `K`/`M`/`B` suffixes scale, and signs are ignored (`down 3.65` ↔ `-3.65`).
//! Not checked: digits inside words (`R1`, `OR15`, `sma_50`), list markers at
//! the start of a line (`1.`), and whole numbers from 0 to 10 without
//! decimals (counts such as "2 tests" that need no source).

use serde_json::Value;

use super::types::Unverified;

/// A number as written in text.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub text: String,
    pub value: f64,
    /// The place value of the last digit written: 0.01 for `512.40`, 100,000
    /// for `68.8M` — a source matches when it rounds to the number at that place.
    pub unit: f64,
    pub percent: bool,
}

fn digits_at(b: &[u8], i: usize, min: usize, max: usize) -> Option<usize> {
    let n = b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (n >= min && n <= max).then_some(i + n)
}

/// Byte spans of dates and times (`2024-07-02`, `7/2/2024`, `10:30`, `10:30:05`),
/// which are not quoted numbers.
fn date_time_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let fresh = b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit());
        if !fresh {
            i += 1;
            continue;
        }
        let sep = |p: usize, c: u8| b.get(p) == Some(&c);
        let end_ok = |e: usize| !b.get(e).is_some_and(u8::is_ascii_digit);
        let mut found = None;
        // YYYY-MM-DD
        if let Some(e) = digits_at(b, i, 4, 4).filter(|&e| sep(e, b'-')) {
            if let Some(e) = digits_at(b, e + 1, 2, 2).filter(|&e| sep(e, b'-')) {
                found = digits_at(b, e + 1, 2, 2).filter(|&e| end_ok(e));
            }
        }
        // M/D/YYYY
        if found.is_none() {
            if let Some(e) = digits_at(b, i, 1, 2).filter(|&e| sep(e, b'/')) {
                if let Some(e) = digits_at(b, e + 1, 1, 2).filter(|&e| sep(e, b'/')) {
                    found = digits_at(b, e + 1, 2, 4).filter(|&e| end_ok(e));
                }
            }
        }
        // H:MM or H:MM:SS
        if found.is_none() {
            if let Some(e) = digits_at(b, i, 1, 2).filter(|&e| sep(e, b':')) {
                if let Some(e) = digits_at(b, e + 1, 2, 2) {
                    found = match digits_at(b, e + 1, 2, 2).filter(|_| sep(e, b':')) {
                        Some(e2) if end_ok(e2) => Some(e2),
                        _ => Some(e).filter(|&e| end_ok(e)),
                    };
                }
            }
        }
        match found {
            Some(e) => {
                spans.push((i, e));
                i = e;
            }
            None => i += 1,
        }
    }
    spans
}

/// Numbers in `text`, skipping those glued to letters (tickers, labels),
/// dates and times, and list markers.
pub fn numbers_in(text: &str) -> Vec<Written> {
    let b = text.as_bytes();
    let skip = date_time_spans(b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(&(_, e)) = skip.iter().find(|(s, _)| *s == i) {
            i = e;
            continue;
        }
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let glued_before = i > 0 && (b[i - 1].is_ascii_alphabetic() || b[i - 1] == b'_');
        let start = i;
        let mut j = i;
        let mut int_part = String::new();
        // Digits with thousands separators: 1,234,567
        while j < b.len() {
            if b[j].is_ascii_digit() {
                int_part.push(b[j] as char);
                j += 1;
            } else if b[j] == b','
                && b.get(j + 1..j + 4)
                    .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                && !b.get(j + 4).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let mut frac = String::new();
        if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
            j += 1;
            while j < b.len() && b[j].is_ascii_digit() {
                frac.push(b[j] as char);
                j += 1;
            }
        }
        let mut value: f64 = format!("{int_part}.{}", if frac.is_empty() { "0" } else { &frac })
            .parse()
            .unwrap_or(0.0);
        let mut unit = 10f64.powi(-(frac.len() as i32));
        let mut end = j;
        let mut percent = false;
        let mut scale = 1.0;
        if end < b.len() && b[end] == b'%' {
            percent = true;
            end += 1;
        } else if end < b.len()
            && matches!(b[end], b'K' | b'M' | b'B' | b'k')
            && !b.get(end + 1).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            scale = match b[end] {
                b'K' | b'k' => 1e3,
                b'M' => 1e6,
                _ => 1e9,
            };
            end += 1;
        }
        let glued_after = !percent
            && scale == 1.0
            && end < b.len()
            && (b[end].is_ascii_alphabetic() || b[end] == b'_');
        // "1." or "2)" opening a line is a list marker.
        let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
        let list_marker = text[line_start..start].trim().is_empty()
            && frac.is_empty()
            && (b.get(j) == Some(&b'.') || b.get(j) == Some(&b')'))
            && b.get(j + 1).is_none_or(|c| c.is_ascii_whitespace());
        if !(glued_before || glued_after || list_marker) {
            value *= scale;
            unit *= scale;
            let s = if start > 0 && b[start - 1] == b'$' {
                start - 1
            } else {
                start
            };
            out.push(Written {
                text: text[s..end].to_string(),
                value,
                unit,
                percent,
            });
        }
        i = end.max(i + 1);
    }
    out
}

/// Every number in a JSON value: numeric values, and numbers written inside
/// strings (labels such as "OR15 low", provenance text).
pub fn collect_sources(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.push(x);
            }
        }
        Value::String(s) => out.extend(loose_numbers(s)),
        Value::Array(a) => a.iter().for_each(|x| collect_sources(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                out.extend(loose_numbers(k));
                collect_sources(x, out);
            }
        }
        _ => {}
    }
}

/// Numbers anywhere in a string, glued or not.
fn loose_numbers(s: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() || (ch == '.' && !cur.is_empty()) {
            cur.push(ch);
        } else if ch == ',' && !cur.is_empty() {
            continue;
        } else if !cur.is_empty() {
            if let Ok(x) = cur.trim_end_matches('.').parse::<f64>() {
                out.push(x);
            }
            cur.clear();
        }
    }
    out
}

fn rounds_to(source: f64, written: f64, unit: f64) -> bool {
    (source.abs() - written).abs() <= unit / 2.0 + written.abs() * 1e-12 + 1e-12
}

/// Whether `w` is backed by one of `sources`.
pub fn is_backed(w: &Written, sources: &[f64]) -> bool {
    if w.unit == 1.0 && w.value <= 10.0 && !w.percent {
        return true;
    }
    sources.iter().any(|&s| {
        rounds_to(s, w.value, w.unit) || (w.percent && rounds_to(s * 100.0, w.value, w.unit))
    })
}

/// Checks `answer` against the tool results and the user's prompt. Returns
/// how many numbers were checked and those that nothing backs.
pub fn check(answer: &str, tool_results: &[&Value], user_text: &str) -> (u32, Vec<Unverified>) {
    let mut sources = Vec::new();
    for r in tool_results {
        collect_sources(r, &mut sources);
    }
    sources.extend(loose_numbers(user_text));
    let written = numbers_in(answer);
    let unverified = written
        .iter()
        .filter(|w| !is_backed(w, &sources))
        .map(|w| Unverified {
            text: w.text.clone(),
            value: w.value,
        })
        .collect();
    (written.len() as u32, unverified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(s: &str) -> Vec<String> {
        numbers_in(s).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn numbers_are_found_as_written_and_labels_are_skipped() {
        assert_eq!(
            texts("SPY is at $512.40, up 1.2% on 68,840,127 shares; R1 at 515 and OR15 low."),
            vec!["$512.40", "1.2%", "68,840,127", "515"]
        );
        assert_eq!(
            texts("At 10:30 on 2024-07-02 it held."),
            Vec::<String>::new(),
            "times and dates are not prices"
        );
        assert_eq!(
            texts("1. First\n2. Second at 99.5"),
            vec!["99.5"],
            "list markers are skipped"
        );
        assert_eq!(numbers_in("volume 1.2M")[0].value, 1.2e6);
    }

    #[test]
    fn a_number_matches_a_source_it_rounds_from() {
        let result =
            json!({"price": 512.4031, "change_pct": -0.0123, "label": "OR15 high", "prev": 509.87});
        let (checked, bad) = check(
            "SPY trades at 512.40 (down 1.23%), prior close 509.87, OR15 window, 15 minutes.",
            &[&result],
            "",
        );
        assert_eq!(checked, 4, "512.40, 1.23%, 509.87 and 15 (OR15 is a label)");
        assert!(bad.is_empty(), "all backed: {bad:?}");
        let (_, bad) = check("Resistance at 514.20 and the price 512.5.", &[&result], "");
        assert_eq!(
            bad.iter().map(|u| u.text.as_str()).collect::<Vec<_>>(),
            vec!["514.20", "512.5"],
            "514.20 is nowhere; 512.4031 does not round to 512.5"
        );
    }

    #[test]
    fn scaled_numbers_match_at_their_written_precision() {
        let result = json!({"day_volume": 68840127.0});
        let (_, bad) = check(
            "Volume 68.8M today, or 68,840,127 shares; not 69.5M.",
            &[&result],
            "",
        );
        assert_eq!(
            bad.iter().map(|u| u.text.as_str()).collect::<Vec<_>>(),
            vec!["69.5M"],
            "68.8M rounds from 68,840,127; 69.5M does not"
        );
    }

    #[test]
    fn the_users_own_numbers_count_as_sources() {
        let (_, bad) = check(
            "If you buy at 500 with a stop at 495.5, you risk 4.5 a share.",
            &[],
            "I bought at 500, stop 495.5",
        );
        assert_eq!(bad.len(), 1, "4.5 is the model's own arithmetic: {bad:?}");
        assert_eq!(bad[0].text, "4.5");
    }
}
