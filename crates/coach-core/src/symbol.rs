//! Ticker symbols as the user types them and as Massive spells them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A validated, upper-case equity ticker such as `SPY` or `BRK.B`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Symbol(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    #[error("a ticker symbol cannot be empty")]
    Empty,
    #[error("ticker symbol {0:?} is too long: at most 10 characters")]
    TooLong(String),
    #[error(
        "ticker symbol {input:?} has an invalid character {ch:?}: use letters, digits, '.' or '-'"
    )]
    InvalidChar { input: String, ch: char },
    #[error("ticker symbol {0:?} must start with a letter")]
    BadStart(String),
}

impl Symbol {
    pub const MAX_LEN: usize = 10;

    /// Parses user input: surrounding whitespace is ignored and letters are
    /// upper-cased, because traders type `spy` as often as `SPY`.
    pub fn parse(input: &str) -> Result<Symbol, SymbolError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(SymbolError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(SymbolError::TooLong(trimmed.to_string()));
        }
        if let Some(ch) = trimmed
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
        {
            return Err(SymbolError::InvalidChar {
                input: trimmed.to_string(),
                ch,
            });
        }
        if !trimmed.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(SymbolError::BadStart(trimmed.to_string()));
        }
        Ok(Symbol(trimmed.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Hashing a Symbol hashes its string, so maps keyed by Symbol can be queried
// with the `&str` a data feed hands us, without allocating.
impl std::borrow::Borrow<str> for Symbol {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Symbol {
    type Error = SymbolError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Symbol::parse(&value)
    }
}

impl From<Symbol> for String {
    fn from(s: Symbol) -> String {
        s.0
    }
}

impl std::str::FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_input_with_spaces_is_normalised() {
        assert_eq!(
            Symbol::parse("  spy ").unwrap().as_str(),
            "SPY",
            "traders type tickers in any case; the canonical form is upper-case"
        );
    }

    #[test]
    fn share_classes_keep_their_dot() {
        assert_eq!(Symbol::parse("brk.b").unwrap().as_str(), "BRK.B");
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        assert_eq!(Symbol::parse("   "), Err(SymbolError::Empty));
        assert_eq!(
            Symbol::parse("SP Y"),
            Err(SymbolError::InvalidChar {
                input: "SP Y".into(),
                ch: ' '
            }),
            "an inner space is not part of any ticker"
        );
        assert!(matches!(
            Symbol::parse("ABCDEFGHIJK"),
            Err(SymbolError::TooLong(_))
        ));
        assert!(matches!(
            Symbol::parse("1ABC"),
            Err(SymbolError::BadStart(_))
        ));
        let msg = Symbol::parse("SP$").unwrap_err().to_string();
        assert!(
            msg.contains("'$'"),
            "the message names the bad character: {msg}"
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        let s: Symbol = serde_json::from_str("\"aapl\"").unwrap();
        assert_eq!(s.as_str(), "AAPL");
        assert!(
            serde_json::from_str::<Symbol>("\"\"").is_err(),
            "deserialising must not bypass validation"
        );
    }
}
