//! Massive's WebSocket wire format: a frame is a JSON array of events, each
//! tagged by `ev`.
//!
//! Two readers share one conversion ([`convert`]): a scanner for the flat
//! events Massive sends (one pass over the bytes, numbers read without
//! allocation, symbols interned), and serde for everything else. The scanner
//! gives up on anything unusual — an escape in a string, a nested value where
//! a number belongs, a duplicate key, malformed JSON — and serde then decides,
//! so both readers accept and reject exactly the same frames.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

pub use coach_core::market_data::{MarketData, Sym};

/// One event of a frame: market data, or the provider's status message
/// (which stays here: subscribers only ever see [`MarketData`]).
#[derive(Debug, Clone, PartialEq)]
pub enum MarketEvent {
    Data(MarketData),
    Status { status: String, message: String },
}

#[path = "wire_scan.rs"]
mod scan;

/// Every field any event kind uses; `s` is a size for trades and a start time for aggregates.
#[derive(Deserialize, Default)]
struct Wire<'a> {
    ev: &'a str,
    #[serde(default, borrow)]
    sym: Option<&'a str>,
    #[serde(default)]
    p: Option<f64>,
    #[serde(default)]
    s: Option<f64>,
    #[serde(default)]
    t: Option<i64>,
    #[serde(default)]
    bp: Option<f64>,
    #[serde(default)]
    ap: Option<f64>,
    #[serde(default)]
    o: Option<f64>,
    #[serde(default)]
    h: Option<f64>,
    #[serde(default)]
    l: Option<f64>,
    #[serde(default)]
    c: NumberOrOther,
    #[serde(default)]
    v: Option<f64>,
    #[serde(default)]
    vw: Option<f64>,
    #[serde(default)]
    e: Option<i64>,
    #[serde(default, borrow)]
    status: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    message: Option<std::borrow::Cow<'a, str>>,
}

/// Aggregates carry the close in `c`; trades carry a list of conditions there.
/// A number is kept, anything else is read past.
#[derive(Default)]
struct NumberOrOther(Option<f64>);

impl<'de> Deserialize<'de> for NumberOrOther {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NumberOrOther;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or anything else")
            }
            fn visit_f64<E>(self, v: f64) -> Result<NumberOrOther, E> {
                Ok(NumberOrOther(Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<NumberOrOther, E> {
                Ok(NumberOrOther(Some(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<NumberOrOther, E> {
                Ok(NumberOrOther(Some(v as f64)))
            }
            fn visit_unit<E>(self) -> Result<NumberOrOther, E> {
                Ok(NumberOrOther(None))
            }
            fn visit_none<E>(self) -> Result<NumberOrOther, E> {
                Ok(NumberOrOther(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<NumberOrOther, E> {
                Ok(NumberOrOther(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<NumberOrOther, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(NumberOrOther(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<NumberOrOther, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(NumberOrOther(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("malformed market frame ({0})")]
pub struct FrameError(String);

/// Shares one `Arc<str>` per ticker between events. Bounded: a feed that
/// invents endless tickers only makes it start over.
#[derive(Default)]
pub struct Interner {
    map: HashMap<Box<str>, Sym>,
    /// Frames usually batch one ticker; the last one answers without hashing.
    last: Option<Sym>,
}

impl Interner {
    const MAX: usize = 20_000;

    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(last) = &self.last {
            if **last == *s {
                return last.clone();
            }
        }
        if let Some(sym) = self.map.get(s) {
            self.last = Some(sym.clone());
            return sym.clone();
        }
        if self.map.len() >= Self::MAX {
            self.map.clear();
        }
        let sym: Sym = Arc::from(s);
        self.map.insert(s.into(), sym.clone());
        self.last = Some(sym.clone());
        sym
    }
}

/// Reads frames; keep one per connection so symbols stay interned.
#[derive(Default)]
pub struct FrameParser {
    interner: Interner,
}

impl FrameParser {
    pub fn new() -> FrameParser {
        FrameParser::default()
    }

    /// Parses one frame, appending its events to `out`. Events of kinds we do
    /// not use are ignored; an event of a kind we use but with missing or
    /// mistyped fields is skipped and counted in the returned number. A frame
    /// that is not a JSON array is an error and adds nothing.
    pub fn parse(&mut self, text: &str, out: &mut Vec<MarketEvent>) -> Result<usize, FrameError> {
        let mark = out.len();
        if let Some(skipped) = scan::frame(text.as_bytes(), &mut self.interner, out) {
            return Ok(skipped);
        }
        out.truncate(mark);
        parse_with_serde(text, &mut self.interner, out)
    }
}

/// Parses one frame with a throwaway parser (tests and tools).
pub fn parse_frame(text: &str, out: &mut Vec<MarketEvent>) -> Result<usize, FrameError> {
    FrameParser::new().parse(text, out)
}

/// The serde reader alone: the reference the scanner is tested against.
#[doc(hidden)]
pub fn parse_frame_serde(text: &str, out: &mut Vec<MarketEvent>) -> Result<usize, FrameError> {
    parse_with_serde(text, &mut Interner::default(), out)
}

fn parse_with_serde(
    text: &str,
    interner: &mut Interner,
    out: &mut Vec<MarketEvent>,
) -> Result<usize, FrameError> {
    // One pass over the frame; only a frame with a bad event pays for parsing
    // event by event.
    if let Ok(wires) = serde_json::from_str::<Vec<Wire>>(text) {
        let mut skipped = 0;
        for w in wires {
            skipped += convert(w, interner, out);
        }
        return Ok(skipped);
    }
    let raw: Vec<&serde_json::value::RawValue> =
        serde_json::from_str(text).map_err(|e| FrameError(e.to_string()))?;
    let mut skipped = 0;
    for r in raw {
        match serde_json::from_str::<Wire>(r.get()) {
            Ok(w) => skipped += convert(w, interner, out),
            Err(_) => skipped += 1,
        }
    }
    Ok(skipped)
}

/// Turns one wire event into a MarketEvent; returns 1 when it had to be skipped.
fn convert(w: Wire<'_>, interner: &mut Interner, out: &mut Vec<MarketEvent>) -> usize {
    {
        let ev = match w.ev {
            "T" => match (w.sym, w.p, w.s, w.t) {
                (Some(sym), Some(price), Some(size), Some(t)) => {
                    Some(MarketEvent::Data(MarketData::Trade {
                        sym: interner.intern(sym),
                        price,
                        size,
                        t,
                    }))
                }
                _ => None,
            },
            "Q" => match (w.sym, w.bp, w.ap, w.t) {
                (Some(sym), Some(bid), Some(ask), Some(t)) => {
                    Some(MarketEvent::Data(MarketData::Quote {
                        sym: interner.intern(sym),
                        bid,
                        ask,
                        t,
                    }))
                }
                _ => None,
            },
            "A" | "AM" => match (w.sym, w.o, w.h, w.l, w.c.0, w.v, w.s, w.e) {
                (
                    Some(sym),
                    Some(open),
                    Some(high),
                    Some(low),
                    Some(close),
                    Some(volume),
                    Some(start),
                    Some(end),
                ) => Some(MarketEvent::Data(MarketData::Aggregate {
                    sym: interner.intern(sym),
                    minute: w.ev == "AM",
                    open,
                    high,
                    low,
                    close,
                    volume,
                    vwap: w.vw,
                    start: start as i64,
                    end,
                    backfill: false,
                })),
                _ => None,
            },
            "status" => Some(MarketEvent::Status {
                status: w.status.map(|s| s.into_owned()).unwrap_or_default(),
                message: w.message.map(|s| s.into_owned()).unwrap_or_default(),
            }),
            _ => return 0,
        };
        match ev {
            Some(ev) => {
                out.push(ev);
                0
            }
            None => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_events() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/massive/ws_events.json"
        );
        serde_json::from_str(
            &std::fs::read_to_string(path)
                .expect("the Massive WS fixtures are in tests/fixtures/massive"),
        )
        .unwrap()
    }

    #[test]
    fn massives_own_example_events_parse() {
        let fx = fixture_events();
        let frame = serde_json::Value::Array(vec![
            fx["/stocks/T"].clone(),
            fx["/stocks/Q"].clone(),
            fx["/stocks/A"].clone(),
            fx["/stocks/AM"].clone(),
            fx["/stocks/LULD"].clone(),
        ])
        .to_string();
        let mut out = Vec::new();
        let skipped = parse_frame(&frame, &mut out).unwrap();
        assert_eq!(
            skipped, 0,
            "events we do not use (LULD) are ignored, not errors"
        );
        assert_eq!(out.len(), 4);
        assert_eq!(
            out[0],
            MarketEvent::Data(MarketData::Trade {
                sym: "MSFT".into(),
                price: 114.125,
                size: 100.0,
                t: 1536036818784
            })
        );
        assert!(
            matches!(&out[1], MarketEvent::Data(MarketData::Quote { bid, ask, .. }) if *bid == 114.125 && *ask == 114.128)
        );
        match &out[3] {
            MarketEvent::Data(MarketData::Aggregate {
                sym,
                minute,
                close,
                start,
                end,
                vwap,
                ..
            }) => {
                assert_eq!(&**sym, "GTE");
                assert!(*minute, "AM is a minute aggregate");
                assert_eq!(
                    *close, 0.4486,
                    "c is the close for aggregates (and conditions for trades)"
                );
                assert_eq!((*start, *end), (1610144640000, 1610144700000));
                assert_eq!(*vwap, Some(0.4488));
            }
            other => panic!("expected an aggregate, got {other:?}"),
        }
    }

    #[test]
    fn a_malformed_frame_is_an_error_and_a_bad_event_is_skipped() {
        let mut out = Vec::new();
        assert!(
            parse_frame("[{\"ev\":\"AM\",\"sym\":", &mut out).is_err(),
            "a truncated frame is reported"
        );
        let skipped = parse_frame(
            r#"[{"ev":"T","sym":"SPY"},{"ev":"T","sym":"SPY","p":1.5,"s":10,"t":5}]"#,
            &mut out,
        )
        .unwrap();
        assert_eq!(skipped, 1, "the trade without a price is skipped");
        assert_eq!(out.len(), 1, "the good event in the same frame is kept");
    }

    #[test]
    fn status_messages_parse() {
        let mut out = Vec::new();
        parse_frame(
            r#"[{"ev":"status","status":"auth_success","message":"authenticated"}]"#,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out[0],
            MarketEvent::Status {
                status: "auth_success".into(),
                message: "authenticated".into()
            }
        );
    }

    /// Both readers on the same text: same events, same skip count, same
    /// verdict on malformed frames.
    fn both(text: &str) -> (Result<usize, String>, Vec<MarketEvent>) {
        let mut fast = Vec::new();
        let mut slow = Vec::new();
        let a = parse_frame(text, &mut fast).map_err(|e| e.to_string());
        let b = parse_frame_serde(text, &mut slow).map_err(|e| e.to_string());
        assert_eq!(a.is_ok(), b.is_ok(), "verdicts differ on {text}");
        if let (Ok(x), Ok(y)) = (&a, &b) {
            assert_eq!(x, y, "skip counts differ on {text}");
        }
        assert_eq!(fast, slow, "events differ on {text}");
        (a, fast)
    }

    #[test]
    fn the_scanner_reads_the_fixtures_exactly_as_serde_does() {
        let fx = fixture_events();
        // Stock and option events (what our sockets carry).
        let all: Vec<serde_json::Value> = fx
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with("/stocks/") || k.starts_with("/options/"))
            .map(|(_, v)| v.clone())
            .collect();
        let frame = serde_json::Value::Array(all).to_string();
        let (verdict, events) = both(&frame);
        assert!(verdict.is_ok());
        assert!(events.len() >= 4, "T, Q, A, AM at least: {}", events.len());
        assert!(
            scan::frame(frame.as_bytes(), &mut Interner::default(), &mut Vec::new()).is_some(),
            "Massive's own events take the fast path, not the serde fallback"
        );
        // Pretty-printed (whitespace everywhere) reads the same.
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&frame).unwrap(),
        )
        .unwrap();
        assert_eq!(both(&pretty).1, events);
    }

    #[test]
    fn the_scanner_agrees_with_serde_on_odd_and_broken_frames() {
        let cases = [
            "[]",
            " [ ] ",
            "[{}]",
            "{}",
            "",
            "[",
            r#"[{"ev":"T","sym":"SPY","p":1.5,"s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":1.5,"s":10,"t":5},]"#,
            r#"[{"ev":"T","sym":"SPY","p":1.5,"s":10,"t":5}] x"#,
            r#"[{"ev":"T","sym":"S\u0050Y","p":1.5,"s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":null,"s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":"1.5","s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":1.5,"p":2.5,"s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":1.5,"s":10,"t":5.0}]"#,
            r#"[{"ev":"T","sym":"SPY","p":1.5e2,"s":10,"t":5,"c":[12,37],"x":{"y":[true,false,null]}}]"#,
            r#"[{"ev":"T","sym":"SPY","p":-0.000001234567890123456789,"s":10,"t":-5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":123456789012345678901234567890,"s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":1.,"s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":01,"s":10,"t":5}]"#,
            r#"[{"ev":"T","sym":"SPY","p":1.5,"s":10,"t":99999999999999999999}]"#,
            r#"[{"ev":"AM","sym":"SPY","o":1,"h":2,"l":0.5,"c":1.5,"v":100,"s":60000,"e":120000,"vw":null}]"#,
            r#"[{"ev":"AM","sym":"SPY","o":1,"h":2,"l":0.5,"c":true,"v":100,"s":60000,"e":120000}]"#,
            r#"[{"ev":"status","status":"auth_failed","message":"bad \"key\""}]"#,
            r#"[{"ev":"LULD","T":"SPY","h":1,"l":2}, {"ev":7}]"#,
            r#"[{"ev":"Q","sym":"SPY","bp":1,"ap":2,"t":3} {"ev":"Q"}]"#,
        ];
        for c in cases {
            let _ = both(c);
        }
    }

    #[test]
    fn the_scanner_agrees_with_serde_on_generated_frames() {
        // Deterministic variety: prices with 0–8 decimals, big and small
        // volumes, optional fields dropped, unused fields added.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for _ in 0..2000 {
            let mut events = Vec::new();
            for _ in 0..(next() % 8) {
                let decimals = (next() % 9) as usize;
                let price = format!("{:.*}", decimals, (next() % 100_000_000) as f64 / 1e4);
                let kind = ["T", "Q", "A", "AM", "status", "XQ"][(next() % 6) as usize];
                let t = 1_700_000_000_000u64 + next() % 1_000_000_000;
                let mut fields = vec![
                    format!(r#""ev":"{kind}""#),
                    r#""sym":"AAPL""#.to_string(),
                    format!(r#""p":{price}"#),
                    format!(r#""s":{}"#, next() % 100_000),
                    format!(r#""t":{t}"#),
                    format!(r#""bp":{price},"ap":{price}"#),
                    format!(r#""o":{price},"h":{price},"l":{price},"c":{price}"#),
                    format!(r#""v":{}"#, next() % 10_000_000_000),
                    format!(r#""vw":{price}"#),
                    format!(r#""e":{}"#, t + 60_000),
                    r#""av":123,"z":60,"i":[1,2,3],"x":"y""#.to_string(),
                ];
                if next() % 4 == 0 {
                    let drop = (next() as usize) % fields.len();
                    fields.remove(drop);
                }
                events.push(format!("{{{}}}", fields.join(",")));
            }
            let _ = both(&format!("[{}]", events.join(",")));
        }
    }
}
