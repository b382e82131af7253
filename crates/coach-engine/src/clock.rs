//! The market's "now". Real time against Massive; the simulator's clock on the
//! demo market (which replays a session at night); a manual clock in tests.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

impl Clock for coach_sim::SimClock {
    fn now(&self) -> DateTime<Utc> {
        coach_sim::SimClock::now(self)
    }
}
