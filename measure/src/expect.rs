//! What a correct run prints, checked before a sample counts.

use crate::app::CliCheck;
use crate::runner::{Exit, Run};
use moscow_time::MoscowTime;

/// What the app's CLI context (`MODE=once`) must do: exit 0 with what its manifest's
/// check asks for on stdout (the default app: one Moscow Time JSON line).
pub fn cli_run(run: &Run) -> Result<(), String> {
    exited_zero(run)?;
    cli_output(&run.stdout)
}

/// The app's answer, checked as its manifest says: the CLI context's stdout, and the body of
/// `/api/time` from its server and its WAGI handler (the lab's program gives the same JSON
/// line in all three).
pub fn cli_output(stdout: &str) -> Result<(), String> {
    match crate::app::cli_check() {
        CliCheck::MoscowTimeJson => moscow_json(stdout),
        CliCheck::ExitZero => Ok(()),
        CliCheck::Regex(pattern) => {
            // Compiled once per process: the check holds for the whole run.
            static COMPILED: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
            let re = COMPILED.get_or_init(|| regex::Regex::new(pattern).ok());
            if re.as_ref().is_some_and(|re| re.is_match(stdout)) {
                Ok(())
            } else {
                Err(format!("output does not match /{pattern}/: {stdout:?}"))
            }
        }
    }
}

/// Exit status 0 and nothing on stdout.
pub fn silent_success(run: &Run) -> Result<(), String> {
    exited_zero(run)?;
    if run.stdout.is_empty() {
        Ok(())
    } else {
        Err(format!("expected no output, got {:?}", run.stdout))
    }
}

fn exited_zero(run: &Run) -> Result<(), String> {
    if run.exit == Exit::Code(0) {
        Ok(())
    } else {
        Err(format!("{}: {}", run.exit, run.stderr_tail()))
    }
}

/// One line `{"moscow_time":"YYYY-MM-DD HH:MM:SS MSK","timestamp":N}` whose text is the
/// timestamp in UTC+3.
pub fn moscow_json(stdout: &str) -> Result<(), String> {
    let line = stdout.strip_suffix('\n').unwrap_or(stdout);
    if line.contains('\n') {
        return Err(format!("expected one line, got {stdout:?}"));
    }
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line:?}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| format!("not a JSON object: {line}"))?;
    let shown = object.get("moscow_time").and_then(|v| v.as_str());
    let timestamp = object.get("timestamp").and_then(|v| v.as_i64());
    match (shown, timestamp, object.len()) {
        (Some(shown), Some(ts), 2) if shown == MoscowTime::from_unix(ts).formatted() => Ok(()),
        _ => Err(format!("not the Moscow Time JSON: {line}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_service_output_and_rejects_others() {
        let good = MoscowTime::from_unix(1_700_000_000).to_json() + "\n";
        assert_eq!(moscow_json(&good), Ok(()));
        let wrong_offset = r#"{"moscow_time":"2023-11-14 22:13:20 MSK","timestamp":1700000000}"#;
        assert!(moscow_json(wrong_offset).is_err());
        assert!(moscow_json("hello").is_err());
        assert!(moscow_json(&format!("{good}{good}")).is_err());
    }
}
