//! Chart timeframes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The bar sizes the chart and the coach work in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Timeframe {
    #[serde(rename = "1m")]
    M1,
    #[serde(rename = "5m")]
    M5,
    #[serde(rename = "15m")]
    M15,
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "1d")]
    D1,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown timeframe {0:?}: use one of 1m, 5m, 15m, 1h, 1d")]
pub struct TimeframeError(pub String);

impl Timeframe {
    pub const ALL: [Timeframe; 5] = [
        Timeframe::M1,
        Timeframe::M5,
        Timeframe::M15,
        Timeframe::H1,
        Timeframe::D1,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::M1 => "1m",
            Timeframe::M5 => "5m",
            Timeframe::M15 => "15m",
            Timeframe::H1 => "1h",
            Timeframe::D1 => "1d",
        }
    }

    /// Length of an intraday bar in minutes; `None` for daily bars, whose
    /// length follows the exchange session rather than the clock.
    pub fn intraday_minutes(self) -> Option<u32> {
        match self {
            Timeframe::M1 => Some(1),
            Timeframe::M5 => Some(5),
            Timeframe::M15 => Some(15),
            Timeframe::H1 => Some(60),
            Timeframe::D1 => None,
        }
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Timeframe {
    type Err = TimeframeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Timeframe::ALL
            .into_iter()
            .find(|tf| tf.as_str() == lower)
            .ok_or_else(|| TimeframeError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timeframe_round_trips_through_its_name() {
        for tf in Timeframe::ALL {
            assert_eq!(
                tf.as_str().parse::<Timeframe>(),
                Ok(tf),
                "{tf} must parse back"
            );
        }
        assert_eq!(
            "1D".parse::<Timeframe>(),
            Ok(Timeframe::D1),
            "case does not matter"
        );
    }

    #[test]
    fn unknown_timeframe_names_the_choices() {
        let err = "2m".parse::<Timeframe>().unwrap_err().to_string();
        assert!(err.contains("1m, 5m, 15m, 1h, 1d"), "{err}");
    }

    #[test]
    fn minutes_are_consistent() {
        assert_eq!(Timeframe::H1.intraday_minutes(), Some(60));
        assert_eq!(
            Timeframe::D1.intraday_minutes(),
            None,
            "daily bars follow the session"
        );
    }
}
