//! Bars from CSV text: the header `time,open,high,low,close,volume`, time as
//! unix seconds, unix milliseconds or RFC 3339. Every problem names its line.

use crate::candles::Candle;

/// A bar's time as the file wrote it, kept for echoing back.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeText {
    /// Unix seconds or milliseconds, echoed as a number.
    Number(i64),
    /// RFC 3339, echoed as a string.
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub message: String,
}

const HEADER: [&str; 6] = ["time", "open", "high", "low", "close", "volume"];

/// Parses the whole text or nothing: the first bad line is the error.
pub fn parse(text: &str) -> Result<Vec<(TimeText, Candle)>, CsvError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (first_no, header) =
        lines
            .by_ref()
            .find(|(_, l)| !l.trim().is_empty())
            .ok_or(CsvError {
                line: 1,
                message: "the file is empty; expected the header time,open,high,low,close,volume"
                    .into(),
            })?;
    let cols: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    if cols != HEADER {
        return Err(CsvError {
            line: first_no,
            message: format!(
                "the header must be time,open,high,low,close,volume, not {:?}",
                header.trim()
            ),
        });
    }
    let mut out = Vec::new();
    let mut last_time: Option<i64> = None;
    for (no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let err = |message: String| CsvError { line: no, message };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 6 {
            return Err(err(format!(
                "expected 6 fields (time,open,high,low,close,volume), found {}",
                fields.len()
            )));
        }
        let (time_text, time_ms) = parse_time(fields[0]).map_err(err)?;
        let mut num = [0.0f64; 5];
        for (i, slot) in num.iter_mut().enumerate() {
            let name = HEADER[i + 1];
            let raw = fields[i + 1];
            *slot = raw
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| err(format!("{name} {raw:?} is not a number")))?;
        }
        let [open, high, low, close, volume] = num;
        if volume < 0.0 {
            return Err(err(format!("volume {volume} is negative")));
        }
        // Real feeds now and then print an open or close a hair outside the
        // high–low range; only an inverted range is rejected.
        if high < low {
            return Err(err(format!("high {high} is below low {low}")));
        }
        if let Some(prev) = last_time {
            if time_ms <= prev {
                return Err(err(format!(
                    "time {} is not after the previous bar's; bars must be in ascending time order",
                    fields[0]
                )));
            }
        }
        last_time = Some(time_ms);
        out.push((
            time_text,
            Candle {
                time: time_ms,
                open,
                high,
                low,
                close,
                volume,
                vwap: None,
                extended: false,
            },
        ));
    }
    Ok(out)
}

/// Unix seconds below this are read as seconds; from it on, as milliseconds
/// (1e11 seconds is the year 5138; 1e11 ms is 1973).
const MS_THRESHOLD: i64 = 100_000_000_000;

fn parse_time(raw: &str) -> Result<(TimeText, i64), String> {
    if let Ok(n) = raw.parse::<i64>() {
        let ms = if n.abs() < MS_THRESHOLD {
            n.checked_mul(1000)
        } else {
            Some(n)
        };
        return ms
            .filter(|ms| chrono::DateTime::from_timestamp_millis(*ms).is_some())
            .map(|ms| (TimeText::Number(n), ms))
            .ok_or_else(|| format!("time {raw:?} is out of range"));
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| (TimeText::Text(raw.to_string()), t.timestamp_millis()))
        .map_err(|_| {
            format!(
                "time {raw:?} is not unix seconds, unix milliseconds or RFC 3339 (2024-07-02T13:30:00Z)"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_time_forms_read_to_the_same_instant() {
        let text = "time,open,high,low,close,volume\n\
                    1719927000,1,2,0.5,1.5,10\n\
                    1719927060000,1,2,0.5,1.5,10\n\
                    2024-07-02T13:32:00Z,1,2,0.5,1.5,10\n";
        let bars = parse(text).unwrap();
        let times: Vec<i64> = bars.iter().map(|(_, c)| c.time).collect();
        assert_eq!(times, [1719927000000, 1719927060000, 1719927120000]);
        assert_eq!(bars[0].0, TimeText::Number(1719927000));
        assert_eq!(bars[2].0, TimeText::Text("2024-07-02T13:32:00Z".into()));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let head = "time,open,high,low,close,volume\n";
        let cases = [
            ("1,1,2,0.5,1.5,10\n2,1,2,0.5,abc,10\n", 3, "close \"abc\""),
            ("1,1,2,0.5,1.5\n", 2, "expected 6 fields"),
            ("1,1,2,0.5,1.5,10\n\n1,1,2,0.5,1.5,10\n", 4, "ascending"),
            ("yesterday,1,2,0.5,1.5,10\n", 2, "RFC 3339"),
            ("1,1,0.4,0.5,1.5,10\n", 2, "below low"),
            ("1,1,2,0.5,1.5,-1\n", 2, "negative"),
            ("1,1,2,0.5,NaN,1\n", 2, "not a number"),
        ];
        for (body, line, needle) in cases {
            let e = parse(&format!("{head}{body}")).unwrap_err();
            assert_eq!(e.line, line, "{body:?}: {e}");
            assert!(e.to_string().contains(needle), "{body:?}: {e}");
        }
        let e = parse("date,o,h,l,c,v\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(parse("").unwrap_err().message.contains("empty"));
    }
}
