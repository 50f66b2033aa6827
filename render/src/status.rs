//! An observation's status in words, written once for every export: the page, lab12.md and
//! results.csv all say "skipped" or "failed" and give the reason the same way.

use serde::{Deserialize, Serialize};
use wasmlab_model::results::Status;

/// What became of a figure the report names: the status of its observation, or missing
/// when no probe recorded it. Templates compare it by its word (`measured`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Measured,
    Skipped,
    Failed,
    /// No probe recorded it in this run.
    Missing,
}

impl State {
    pub fn of(status: &Status) -> Self {
        match status {
            Status::Measured => Self::Measured,
            Status::Skipped { .. } => Self::Skipped,
            Status::Failed { .. } => Self::Failed,
        }
    }

    /// `measured`, `skipped`, `failed` or `missing`, as results.json names the first three.
    pub fn word(self) -> &'static str {
        match self {
            Self::Measured => "measured",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::Missing => "missing",
        }
    }
}

/// `measured`, `skipped` or `failed`, as results.json names it.
pub fn word(status: &Status) -> &'static str {
    State::of(status).word()
}

/// Why it was skipped or failed; None when measured.
pub fn reason(status: &Status) -> Option<&str> {
    match status {
        Status::Measured => None,
        Status::Skipped { reason } => Some(reason),
        Status::Failed { error } => Some(error),
    }
}

/// "skipped: <reason>", "failed: <error>"; None when measured.
pub fn text(status: &Status) -> Option<String> {
    reason(status).map(|why| format!("{}: {why}", word(status)))
}

/// What stands in place of a figure no probe recorded.
pub fn not_recorded(id: &str) -> String {
    format!("not recorded in this run ({id})")
}
