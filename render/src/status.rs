//! An observation's status in words, written once for every export: the page, lab12.md and
//! results.csv all say "skipped" or "failed" and give the reason the same way.

use wasmlab_model::results::Status;

/// `measured`, `skipped` or `failed`, as results.json names it.
pub fn word(status: &Status) -> &'static str {
    match status {
        Status::Measured => "measured",
        Status::Skipped { .. } => "skipped",
        Status::Failed { .. } => "failed",
    }
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

/// The status word of a figure no probe recorded.
pub const MISSING: &str = "missing";

/// What stands in place of a figure no probe recorded.
pub fn not_recorded(id: &str) -> String {
    format!("not recorded in this run ({id})")
}
