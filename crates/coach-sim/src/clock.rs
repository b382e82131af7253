//! The simulator's notion of "now".

use chrono::{DateTime, Utc};

/// Real time, or a fixed instant (tests and replays never read the wall clock).
#[derive(Debug, Clone, Copy, Default)]
pub enum SimClock {
    #[default]
    Real,
    Fixed(DateTime<Utc>),
}

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            SimClock::Real => Utc::now(),
            SimClock::Fixed(t) => *t,
        }
    }
}
