//! Live candles for every chart timeframe at once, from trades, second
//! aggregates and final minute bars.
//!
//! The hot path (a trade or a second aggregate inside the current minute) only
//! touches the minute in progress; the candles of the larger timeframes are the
//! fold of their completed minutes with that partial minute, computed when
//! read. Minute bars are authoritative: when the final bar of a minute arrives
//! it replaces whatever the trades had built.
//!
//! Late data never produces an update for a bar older than the last one sent
//! (lightweight-charts rejects those): it is handed back as [`Late`] so the
//! caller can reconcile it into history.
//!
//! Bucketing follows Massive's aggregates: 1m/5m/15m/1h buckets are aligned to
//! the clock (in UTC, which for New York's whole-hour offsets is the same as
//! aligning in New York time) and include extended hours; 1D is the regular
//! NYSE session only.

use serde::{Deserialize, Serialize};

use crate::calendar::{self, Session};
use crate::timeframe::Timeframe;

/// One OHLCV candle. `time` is the bar's start in unix milliseconds. The one
/// bar type: history, the live stream and the UI all use it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Candle {
    /// Bar start, unix milliseconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    /// Volume-weighted average price when known.
    pub vwap: Option<f64>,
    /// Every minute in it is pre-market or after-hours.
    pub extended: bool,
}

impl Candle {
    pub fn from_trade(time: i64, price: f64, size: f64, extended: bool) -> Candle {
        Candle {
            time,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: size,
            vwap: Some(price),
            extended,
        }
    }

    /// Folds a later candle into this one (same bucket).
    pub fn merge(&mut self, later: &Candle) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        let v = self.volume + later.volume;
        self.vwap = match (self.vwap, later.vwap) {
            (Some(a), Some(b)) if v > 0.0 => Some((a * self.volume + b * later.volume) / v),
            _ => None,
        };
        self.volume = v;
        self.extended &= later.extended;
    }

    fn merged(mut self, later: &Candle) -> Candle {
        self.merge(later);
        self
    }
}

/// A candle as it changed, for one timeframe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CandleUpdate {
    pub timeframe: Timeframe,
    pub candle: Candle,
    /// The bar is complete and will not change again.
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// Data that arrived for a bar older than the last one already sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Late {
    pub candle: Candle,
}

const MINUTE: i64 = 60_000;

/// Candles for one symbol, all five timeframes.
#[derive(Debug, Clone)]
pub struct CandleAggregator {
    /// The minute in progress, built from trades/second aggregates.
    partial: Option<Candle>,
    /// Per timeframe (index of `Timeframe::ALL`): completed minutes of the
    /// current bucket, and the bucket's end.
    done: [Option<(Candle, i64)>; 5],
    /// Start of the last final minute folded in.
    last_final_minute: i64,
    /// Per timeframe: a bar that closed because a later bucket began, not yet taken.
    closed: [Option<Candle>; 5],
    session: Option<Session>,
}

impl Default for CandleAggregator {
    fn default() -> Self {
        CandleAggregator {
            partial: None,
            done: [None; 5],
            last_final_minute: i64::MIN,
            closed: [None; 5],
            session: None,
        }
    }
}

fn tf_index(tf: Timeframe) -> usize {
    match tf {
        Timeframe::M1 => 0,
        Timeframe::M5 => 1,
        Timeframe::M15 => 2,
        Timeframe::H1 => 3,
        Timeframe::D1 => 4,
    }
}

impl CandleAggregator {
    pub fn new() -> CandleAggregator {
        CandleAggregator::default()
    }

    /// The regular session containing minute `t`, cached across calls.
    fn session_for(&mut self, t: i64) -> Option<Session> {
        if let Some(s) = self.session {
            if t >= s.pre_open.timestamp_millis() && t < s.post_close.timestamp_millis() {
                return Some(s);
            }
        }
        let at = chrono::DateTime::from_timestamp_millis(t)?;
        self.session = calendar::session_containing(at).ok().flatten();
        self.session
    }

    fn is_regular(&mut self, minute: i64) -> bool {
        match self.session_for(minute) {
            Some(s) => minute >= s.open.timestamp_millis() && minute < s.close.timestamp_millis(),
            None => false,
        }
    }

    /// Start of the bucket that minute `t` falls in, and its end; `None` when the
    /// minute belongs to no bar of that timeframe (extended hours on 1D).
    fn bucket(&mut self, tf: Timeframe, t: i64) -> Option<(i64, i64)> {
        match tf.intraday_minutes() {
            Some(m) => {
                let len = m as i64 * MINUTE;
                let start = t.div_euclid(len) * len;
                Some((start, start + len))
            }
            None => {
                let s = self.session_for(t)?;
                let (open, close) = (s.open.timestamp_millis(), s.close.timestamp_millis());
                (t >= open && t < close).then(|| (calendar::midnight_ny(s.date), close))
            }
        }
    }

    /// A trade at `t` (ms). Returns `Err(Late)` when it belongs to a finished minute.
    #[inline]
    pub fn on_trade(&mut self, t: i64, price: f64, size: f64) -> Result<(), Late> {
        let minute = t.div_euclid(MINUTE) * MINUTE;
        match &mut self.partial {
            Some(p) if p.time == minute => {
                p.high = p.high.max(price);
                p.low = p.low.min(price);
                p.close = price;
                let v = p.volume + size;
                p.vwap = p.vwap.map(|w| (w * p.volume + price * size) / v);
                p.volume = v;
                Ok(())
            }
            _ => self.start_minute(Candle::from_trade(minute, price, size, false)),
        }
    }

    /// A second (or any sub-minute) aggregate starting at `start`.
    pub fn on_partial(&mut self, start: i64, part: &Candle) -> Result<(), Late> {
        let minute = start.div_euclid(MINUTE) * MINUTE;
        match &mut self.partial {
            Some(p) if p.time == minute => {
                p.merge(part);
                Ok(())
            }
            _ => self.start_minute(Candle {
                time: minute,
                ..*part
            }),
        }
    }

    fn start_minute(&mut self, mut c: Candle) -> Result<(), Late> {
        if c.time <= self.last_final_minute || self.partial.is_some_and(|p| c.time < p.time) {
            return Err(Late { candle: c });
        }
        c.extended = !self.is_regular(c.time);
        // A previous partial minute whose final bar never came is folded as it was.
        if let Some(prev) = self.partial.take() {
            self.fold_final(prev);
        }
        self.partial = Some(c);
        Ok(())
    }

    /// The final bar of a minute (`bar.time` is its start). Authoritative: it
    /// replaces the partial minute built from trades.
    pub fn on_minute_bar(&mut self, bar: &Candle) -> Result<(), Late> {
        let minute = bar.time.div_euclid(MINUTE) * MINUTE;
        if minute <= self.last_final_minute {
            return Err(Late { candle: *bar });
        }
        if let Some(p) = self.partial {
            if p.time < minute {
                // The minute before never got its final bar: keep what the trades built.
                self.fold_final(p);
            } else if p.time > minute {
                return Err(Late { candle: *bar });
            }
        }
        self.partial = None;
        let mut c = Candle {
            time: minute,
            ..*bar
        };
        c.extended = !self.is_regular(minute);
        self.fold_final(c);
        Ok(())
    }

    fn fold_final(&mut self, minute: Candle) {
        for tf in Timeframe::ALL {
            let i = tf_index(tf);
            let Some((start, end)) = self.bucket(tf, minute.time) else {
                continue;
            };
            self.done[i] = match self.done[i] {
                Some((d, e)) if d.time == start => Some((d.merged(&minute), e)),
                previous => {
                    if let Some((d, _)) = previous {
                        self.closed[i] = Some(d);
                    }
                    Some((
                        Candle {
                            time: start,
                            ..minute
                        },
                        end,
                    ))
                }
            };
        }
        self.last_final_minute = minute.time;
    }

    /// A bar of `tf` that was closed by the start of a later one since the last
    /// call: the caller sends it as final before the new bar, so no bar is left
    /// without its final update even when its last minute had no bar of its own.
    pub fn take_closed(&mut self, tf: Timeframe) -> Option<CandleUpdate> {
        self.closed[tf_index(tf)].take().map(|candle| CandleUpdate {
            timeframe: tf,
            candle,
            is_final: true,
        })
    }

    /// The live candle of a timeframe, and whether it is complete.
    pub fn current(&mut self, tf: Timeframe) -> Option<CandleUpdate> {
        let i = tf_index(tf);
        let partial = self.partial;
        let partial_bucket = partial.and_then(|p| self.bucket(tf, p.time).map(|b| (p, b)));
        let (candle, end, has_partial) = match (self.done[i], partial_bucket) {
            (Some((d, end)), Some((p, (start, _)))) if d.time == start => (d.merged(&p), end, true),
            (_, Some((p, (start, end)))) => (Candle { time: start, ..p }, end, true),
            (Some((d, end)), None) => (d, end, false),
            (None, None) => return None,
        };
        Some(CandleUpdate {
            timeframe: tf,
            candle,
            // Complete when no minute of it is in progress and its last minute is final.
            is_final: !has_partial && self.last_final_minute + MINUTE >= end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    fn bar(t: &str, o: f64, h: f64, l: f64, c: f64, v: f64) -> Candle {
        Candle {
            time: ms(t),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: v,
            vwap: Some((o + c) / 2.0),
            extended: false,
        }
    }

    #[test]
    fn trades_build_the_live_minute_and_every_larger_candle() {
        let mut agg = CandleAggregator::new();
        agg.on_trade(ms("2024-07-02T13:31:05Z"), 100.0, 10.0)
            .unwrap();
        agg.on_trade(ms("2024-07-02T13:31:20Z"), 101.5, 5.0)
            .unwrap();
        agg.on_trade(ms("2024-07-02T13:31:40Z"), 99.5, 5.0).unwrap();
        let m1 = agg.current(Timeframe::M1).unwrap();
        assert_eq!(m1.candle.time, ms("2024-07-02T13:31:00Z"));
        assert_eq!(
            (
                m1.candle.open,
                m1.candle.high,
                m1.candle.low,
                m1.candle.close,
                m1.candle.volume
            ),
            (100.0, 101.5, 99.5, 99.5, 20.0)
        );
        assert!(!m1.is_final, "the minute is still open");
        let m5 = agg.current(Timeframe::M5).unwrap();
        assert_eq!(
            m5.candle.time,
            ms("2024-07-02T13:30:00Z"),
            "5m buckets are clock-aligned"
        );
        let d1 = agg.current(Timeframe::D1).unwrap();
        assert_eq!(
            d1.candle.time,
            ms("2024-07-02T04:00:00Z"),
            "a daily bar is stamped at midnight New York time"
        );
        let vwap = m1.candle.vwap.unwrap();
        assert!((vwap - (100.0 * 10.0 + 101.5 * 5.0 + 99.5 * 5.0) / 20.0).abs() < 1e-12);
    }

    #[test]
    fn the_final_minute_bar_replaces_what_trades_built_and_folds_into_larger_bars() {
        let mut agg = CandleAggregator::new();
        agg.on_trade(ms("2024-07-02T13:30:05Z"), 100.0, 10.0)
            .unwrap();
        agg.on_minute_bar(&bar(
            "2024-07-02T13:30:00Z",
            100.0,
            102.0,
            99.0,
            101.0,
            500.0,
        ))
        .unwrap();
        let m1 = agg.current(Timeframe::M1).unwrap();
        assert!(m1.is_final);
        assert_eq!(m1.candle.volume, 500.0, "the minute bar is authoritative");
        agg.on_minute_bar(&bar(
            "2024-07-02T13:31:00Z",
            101.0,
            103.0,
            100.5,
            102.5,
            300.0,
        ))
        .unwrap();
        let m5 = agg.current(Timeframe::M5).unwrap();
        assert_eq!(
            (
                m5.candle.open,
                m5.candle.high,
                m5.candle.low,
                m5.candle.close,
                m5.candle.volume
            ),
            (100.0, 103.0, 99.0, 102.5, 800.0)
        );
        assert!(!m5.is_final, "13:30–13:35 has three minutes to go");
        for (i, t) in ["13:32", "13:33", "13:34"].iter().enumerate() {
            let c = 102.5 + i as f64;
            agg.on_minute_bar(&bar(
                &format!("2024-07-02T{t}:00Z"),
                c,
                c + 1.0,
                c - 1.0,
                c + 0.5,
                100.0,
            ))
            .unwrap();
        }
        let m5 = agg.current(Timeframe::M5).unwrap();
        assert!(
            m5.is_final,
            "the 13:34 minute completes the 13:30 five-minute bar"
        );
        assert_eq!(m5.candle.volume, 1100.0);
    }

    #[test]
    fn a_bar_closed_by_a_later_one_is_handed_out_once_as_final() {
        let mut agg = CandleAggregator::new();
        agg.on_minute_bar(&bar("2024-07-02T13:30:00Z", 1.0, 2.0, 0.5, 1.5, 10.0))
            .unwrap();
        assert!(
            agg.take_closed(Timeframe::M5).is_none(),
            "nothing has closed yet"
        );
        // No bar for 13:31–13:34 (an illiquid stretch); 13:35 starts the next bucket.
        agg.on_minute_bar(&bar("2024-07-02T13:35:00Z", 1.5, 1.6, 1.4, 1.45, 5.0))
            .unwrap();
        let closed = agg
            .take_closed(Timeframe::M5)
            .expect("the 13:30 bar closed");
        assert!(closed.is_final);
        assert_eq!(
            (closed.candle.time, closed.candle.volume),
            (ms("2024-07-02T13:30:00Z"), 10.0)
        );
        assert!(agg.take_closed(Timeframe::M5).is_none(), "handed out once");
        assert_eq!(
            agg.current(Timeframe::M5).unwrap().candle.time,
            ms("2024-07-02T13:35:00Z")
        );
    }

    #[test]
    fn late_data_never_updates_an_older_bar() {
        let mut agg = CandleAggregator::new();
        agg.on_minute_bar(&bar("2024-07-02T13:31:00Z", 1.0, 1.0, 1.0, 1.0, 1.0))
            .unwrap();
        let late = agg.on_minute_bar(&bar("2024-07-02T13:30:00Z", 2.0, 2.0, 2.0, 2.0, 2.0));
        assert!(
            late.is_err(),
            "a bar older than the last one sent is handed back for history"
        );
        assert!(
            agg.on_trade(ms("2024-07-02T13:31:30Z"), 5.0, 1.0).is_err(),
            "a trade inside a finished minute is late too"
        );
        assert_eq!(
            agg.current(Timeframe::M1).unwrap().candle.time,
            ms("2024-07-02T13:31:00Z")
        );
        agg.on_trade(ms("2024-07-02T13:32:10Z"), 3.0, 1.0).unwrap();
        assert!(agg.on_trade(ms("2024-07-02T13:31:59Z"), 9.0, 1.0).is_err());
        assert_eq!(
            agg.current(Timeframe::M1).unwrap().candle.high,
            3.0,
            "the late trade changed nothing"
        );
    }

    #[test]
    fn extended_hours_are_flagged_and_left_out_of_the_daily_bar() {
        let mut agg = CandleAggregator::new();
        agg.on_minute_bar(&bar("2024-07-02T13:29:00Z", 50.0, 60.0, 40.0, 55.0, 10.0))
            .unwrap();
        let m1 = agg.current(Timeframe::M1).unwrap();
        assert!(m1.candle.extended, "09:29 ET is pre-market");
        assert!(
            agg.current(Timeframe::D1).is_none(),
            "no regular minute yet, so no daily bar"
        );
        agg.on_minute_bar(&bar("2024-07-02T13:30:00Z", 55.0, 56.0, 54.0, 55.5, 100.0))
            .unwrap();
        let d1 = agg.current(Timeframe::D1).unwrap();
        assert_eq!(
            (
                d1.candle.open,
                d1.candle.high,
                d1.candle.low,
                d1.candle.volume
            ),
            (55.0, 56.0, 54.0, 100.0),
            "the pre-market minute is not in the daily bar"
        );
        assert!(!d1.candle.extended);
        let h1 = agg.current(Timeframe::H1).unwrap();
        assert_eq!(
            h1.candle.volume, 110.0,
            "hourly bars include extended hours, like Massive's"
        );
        assert!(
            !h1.candle.extended,
            "an hour with a regular minute is not an extended-hours bar"
        );
    }
}
