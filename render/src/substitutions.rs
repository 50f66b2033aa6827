//! What this run puts in place of what the lab names, said once at the top of both
//! documents before any figure: the language of the app, the containerd shim, and Spin
//! when it is not installed. Each sentence follows from the results (the tools the run
//! recorded, whether Spin's own series were measured), so a run with Spin on PATH says so.

use crate::status;
use wasmlab_model::metric::{SPIN, SPIN_COLD_START};
use wasmlab_model::results::Results;

/// The substitutions, one sentence each.
pub fn substitutions(results: &Results) -> Vec<String> {
    // The latest invocation that recorded the tool says its version.
    let tool = |name: &str| {
        results
            .invocations
            .iter()
            .rev()
            .find_map(|i| i.provenance.tools.get(name))
    };
    let version = |name: &str| tool(name).map(|v| format!(" ({v})")).unwrap_or_default();
    let app = crate::view::AppView::of(results);
    let (source, toolchain) = (&app.source, &app.toolchain);
    let language = if app.default {
        format!(
            "The app is Rust, not Go: one `{source}`, built by {toolchain} natively and to \
             `wasm32-wasip1`, where the lab uses Go and TinyGo."
        )
    } else if app.tinygo {
        format!(
            "The app is the lab's program in Go (`{source}`), built by {toolchain}: natively, \
             to `wasm32-wasip1` with standard Go (`GOOS=wasip1`), and with TinyGo, the lab's \
             compiler, whose module is measured beside standard Go's."
        )
    } else if app.language == "Go" {
        format!(
            "The app is the lab's program in Go (`{source}`), built by {toolchain} natively \
             and to `wasm32-wasip1` (`GOOS=wasip1`): standard Go stands in for the lab's \
             TinyGo, which no package source here provides."
        )
    } else {
        format!(
            "The app is {} in {} (`{source}`), built by {toolchain} natively and to \
             `wasm32-wasip1`, where the lab uses Go and TinyGo.",
            app.name, app.language
        )
    };
    let mut out = vec![
        language,
        "The WASM runtime under `ctr` is this project's containerd shim \
         (`io.containerd.wasmtime.v1`), not runwasi's, which no package source here provides."
            .to_owned(),
    ];
    let spin = results.get(&SPIN_COLD_START.id(&SPIN));
    out.push(match spin {
        Some(o) if o.is_measured() => {
            format!("The Bonus ran under Spin itself{}.", version("spin"))
        }
        other => {
            // The reason in brief: its first clause (the skipped list has it whole).
            let why = other
                .and_then(|o| status::reason(&o.status))
                .and_then(|why| why.split(';').next())
                .map(|why| format!(" ({why})"))
                .unwrap_or_default();
            format!(
                "Spin did not run here{why}: the embedded WAGI host (`measure wagi`) serves the \
                 same `spin.toml` in its place, labelled with its own name."
            )
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::results;

    #[test]
    fn spin_is_named_only_when_it_ran() {
        let skipped = results([SPIN_COLD_START
            .of(&SPIN)
            .skipped("spin up", "spin is not on PATH")]);
        let said = substitutions(&skipped);
        assert_eq!(said.len(), 3);
        assert!(
            said[2]
                .starts_with("Spin did not run here (spin is not on PATH): the embedded WAGI host"),
            "{}",
            said[2]
        );
        let ran = results([SPIN_COLD_START.of(&SPIN).measured("spin up", vec![0.05; 6])]);
        assert_eq!(substitutions(&ran)[2], "The Bonus ran under Spin itself.");
        assert!(said[0].starts_with("The app is Rust, not Go"));
    }
}
