//! Massive's WebSocket wire format: a frame is a JSON array of events, each
//! tagged by `ev`. Parsed borrowing from the frame, into one flat shape, so a
//! frame of many events costs one pass and no per-event allocation beyond the
//! symbol.

use serde::Deserialize;

/// One market event, as the hub hands it to subscribers.
#[derive(Debug, Clone, PartialEq)]
pub enum MarketEvent {
    Trade {
        sym: String,
        price: f64,
        size: f64,
        /// Unix ms.
        t: i64,
    },
    Quote {
        sym: String,
        bid: f64,
        ask: f64,
        t: i64,
    },
    /// A second (`A`) or minute (`AM`) aggregate; `start`/`end` in unix ms.
    Aggregate {
        sym: String,
        minute: bool,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
        vwap: Option<f64>,
        start: i64,
        end: i64,
        /// Filled in by REST after a gap rather than received live.
        backfill: bool,
    },
    Status {
        status: String,
        message: String,
    },
}

impl MarketEvent {
    pub fn symbol(&self) -> Option<&str> {
        match self {
            MarketEvent::Trade { sym, .. }
            | MarketEvent::Quote { sym, .. }
            | MarketEvent::Aggregate { sym, .. } => Some(sym),
            MarketEvent::Status { .. } => None,
        }
    }
}

/// Every field any event kind uses; `s` is a size for trades and a start time for aggregates.
#[derive(Deserialize)]
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

/// Parses one frame. Events of kinds we do not use are skipped; an event of a
/// kind we use but with missing fields is skipped and counted in `skipped`.
pub fn parse_frame(text: &str, out: &mut Vec<MarketEvent>) -> Result<usize, FrameError> {
    // The common case, one pass over the frame; only a frame with a bad event
    // pays for parsing event by event.
    if let Ok(wires) = serde_json::from_str::<Vec<Wire>>(text) {
        let mut skipped = 0;
        for w in wires {
            skipped += convert(w, out);
        }
        return Ok(skipped);
    }
    let raw: Vec<&serde_json::value::RawValue> =
        serde_json::from_str(text).map_err(|e| FrameError(e.to_string()))?;
    let mut skipped = 0;
    for r in raw {
        match serde_json::from_str::<Wire>(r.get()) {
            Ok(w) => skipped += convert(w, out),
            Err(_) => skipped += 1,
        }
    }
    Ok(skipped)
}

/// Turns one wire event into a MarketEvent; returns 1 when it had to be skipped.
fn convert(w: Wire<'_>, out: &mut Vec<MarketEvent>) -> usize {
    {
        let ev = match w.ev {
            "T" => match (w.sym, w.p, w.s, w.t) {
                (Some(sym), Some(price), Some(size), Some(t)) => Some(MarketEvent::Trade {
                    sym: sym.to_string(),
                    price,
                    size,
                    t,
                }),
                _ => None,
            },
            "Q" => match (w.sym, w.bp, w.ap, w.t) {
                (Some(sym), Some(bid), Some(ask), Some(t)) => Some(MarketEvent::Quote {
                    sym: sym.to_string(),
                    bid,
                    ask,
                    t,
                }),
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
                ) => Some(MarketEvent::Aggregate {
                    sym: sym.to_string(),
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
                }),
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
            "/../../../shared/reference/massive/ws_events.json"
        );
        serde_json::from_str(
            &std::fs::read_to_string(path).expect("the Massive WS fixtures are in ../shared"),
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
            MarketEvent::Trade {
                sym: "MSFT".into(),
                price: 114.125,
                size: 100.0,
                t: 1536036818784
            }
        );
        assert!(
            matches!(&out[1], MarketEvent::Quote { bid, ask, .. } if *bid == 114.125 && *ask == 114.128)
        );
        match &out[3] {
            MarketEvent::Aggregate {
                sym,
                minute,
                close,
                start,
                end,
                vwap,
                ..
            } => {
                assert_eq!(sym, "GTE");
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
}
