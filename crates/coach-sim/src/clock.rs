//! The simulator's notion of "now".
//!
//! The demo market is always alive: while New York's market day is on
//! (04:00–20:00 ET on a session day) it runs in real time; at night, on weekends
//! and on holidays it replays the last session from 10:00 ET, and says so.
//! Tests use a manual clock that only moves when they move it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use coach_core::calendar::{self, MarketPhase};

#[derive(Debug, Clone, Default)]
pub enum SimClock {
    #[default]
    Real,
    Fixed(DateTime<Utc>),
    /// Plays from `start` at `speed` × real time, counting from `wall_start`.
    Replay {
        start: DateTime<Utc>,
        wall_start: std::time::Instant,
        speed: f64,
    },
    /// Moves only when its [`ManualClock`] is advanced.
    Manual(ManualClock),
}

/// The handle a test holds to move a manual clock.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(start.timestamp_millis())))
    }
    pub fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0.load(Ordering::SeqCst))
            .single()
            .unwrap_or_default()
    }
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
    pub fn set(&self, t: DateTime<Utc>) {
        self.0.store(t.timestamp_millis(), Ordering::SeqCst);
    }
}

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            SimClock::Real => Utc::now(),
            SimClock::Fixed(t) => *t,
            SimClock::Replay {
                start,
                wall_start,
                speed,
            } => {
                let elapsed = wall_start.elapsed().as_secs_f64() * speed;
                *start + Duration::milliseconds((elapsed * 1000.0) as i64)
            }
            SimClock::Manual(m) => m.now(),
        }
    }

    /// The demo market's clock for a user opening the app at `real_now`.
    pub fn demo(real_now: DateTime<Utc>) -> SimClock {
        match calendar::phase_at(real_now) {
            Ok(MarketPhase::PreMarket | MarketPhase::Regular | MarketPhase::AfterHours) => {
                SimClock::Real
            }
            _ => SimClock::Replay {
                start: replay_start(real_now),
                wall_start: std::time::Instant::now(),
                speed: 1.0,
            },
        }
    }

    /// True when the clock is not the real time (the UI labels simulated time).
    pub fn is_simulated(&self) -> bool {
        !matches!(self, SimClock::Real)
    }

    /// Simulated seconds per real second (0 for a clock that only moves when told).
    pub fn speed(&self) -> f64 {
        match self {
            SimClock::Real => 1.0,
            SimClock::Replay { speed, .. } => *speed,
            SimClock::Fixed(_) | SimClock::Manual(_) => 0.0,
        }
    }
}

/// 10:00 New York time of the last session that started before `now`: half an
/// hour into the session, so a chart has bars and the open's bustle is still on.
pub fn replay_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let date = now
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let session = match calendar::session(date) {
        Ok(Some(s)) if s.open <= now => Some(s),
        _ => calendar::previous_session(date).ok(),
    };
    session
        .map(|s| s.open + Duration::minutes(30))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn nights_weekends_and_holidays_replay_the_last_session_from_ten() {
        // Saturday 2024-07-06 noon: the last session is Friday 07-05.
        assert_eq!(
            replay_start(utc("2024-07-06T16:00:00Z")),
            utc("2024-07-05T14:00:00Z")
        );
        // Independence Day 2024 (a Thursday): the last session is the early-close 07-03.
        assert_eq!(
            replay_start(utc("2024-07-04T15:00:00Z")),
            utc("2024-07-03T14:00:00Z")
        );
        // 02:00 ET on a Tuesday: Monday's session.
        assert_eq!(
            replay_start(utc("2024-03-12T06:00:00Z")),
            utc("2024-03-11T14:00:00Z"),
            "after DST: 10:00 EDT is 14:00Z"
        );
        match SimClock::demo(utc("2024-07-06T16:00:00Z")) {
            SimClock::Replay { speed, .. } => assert_eq!(speed, 1.0),
            other => panic!("a Saturday replays: {other:?}"),
        }
    }

    #[test]
    fn during_the_market_day_the_demo_runs_in_real_time() {
        assert!(matches!(
            SimClock::demo(utc("2024-07-02T15:00:00Z")),
            SimClock::Real
        ));
        assert!(
            matches!(SimClock::demo(utc("2024-07-02T09:00:00Z")), SimClock::Real),
            "05:00 ET is pre-market"
        );
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let m = ManualClock::new(utc("2024-07-02T14:00:00Z"));
        let c = SimClock::Manual(m.clone());
        assert_eq!(c.now(), utc("2024-07-02T14:00:00Z"));
        m.advance(Duration::minutes(5));
        assert_eq!(c.now(), utc("2024-07-02T14:05:00Z"));
    }
}
