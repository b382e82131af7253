//! The one set of error codes the UI branches on. Every engine error says
//! which code it is; the IPC layer (`ipc::IpcError`) carries it across with
//! the message. Generated to TypeScript as a string union, so a code the UI
//! compares against that does not exist fails the type check.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What kind of failure it was, for the UI to branch on. Only add a variant
/// when a consumer does something different with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request was wrong: fix it and try again (the message says how).
    InvalidInput,
    /// What was asked for does not exist (a symbol, a session, a position).
    NotFound,
    /// The provider, the network or the engine is not available right now;
    /// retrying may help.
    Unavailable,
    /// The database failed.
    Database,
    /// A newer request replaced this one: ignore the answer.
    Superseded,
    /// A bug: it should not happen.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Database => "database",
            ErrorCode::Superseded => "superseded",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that knows its [`ErrorCode`].
pub trait Coded: std::error::Error {
    fn code(&self) -> ErrorCode;
}
