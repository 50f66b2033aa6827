//! What the container's entrypoint is, and so what the shim does with it: a core module
//! runs as a WASI preview 1 command, a component exporting `wasi:http/incoming-handler`
//! (WASI 0.2) or `wasi:http/handler` (0.3) is served over HTTP, one exporting only
//! `wasi:cli/run` runs as a command.
//!
//! Decided from the binary's own top-level exports, before an engine is made for it: the
//! server needs an engine of its own (pooling allocator, epoch interruption), and the
//! choice must not depend on the order of the exports. runwasi's shim takes the first
//! matching export it finds, so a component exporting `wasi:cli/run` first is run as a
//! command there even if it also exports the handler; here the handler wins.

use anyhow::{bail, Context, Result};
use wasmparser::{Chunk, Parser, Payload};

/// What to do with an entrypoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A core module: WASI preview 1, `_start` (or the entrypoint's `#func`).
    Module,
    /// A component to run once: `wasi:cli/run`.
    Command,
    /// A component to serve: `wasi:http/incoming-handler` or `wasi:http/handler`.
    HttpProxy,
}

/// The interface a served component exports, without its version.
pub const HTTP_HANDLER: &str = "wasi:http/incoming-handler";
/// The same in WASI 0.3.
pub const HTTP_HANDLER_0_3: &str = "wasi:http/handler";
/// The interface a command component exports, without its version.
pub const CLI_RUN: &str = "wasi:cli/run";

/// The role of `wasm`, or a one-line reason why it has none.
pub fn role(wasm: &[u8]) -> Result<Role> {
    if Parser::is_core_wasm(wasm) {
        return Ok(Role::Module);
    }
    if !Parser::is_component(wasm) {
        bail!("the entrypoint is not a wasm binary (neither a core module nor a component)");
    }
    let exports = component_exports(wasm).context("reading the component's exports")?;
    let served =
        |name: &String| is_interface(name, HTTP_HANDLER) || is_interface(name, HTTP_HANDLER_0_3);
    if exports.iter().any(served) {
        Ok(Role::HttpProxy)
    } else if exports.iter().any(|name| is_interface(name, CLI_RUN)) {
        Ok(Role::Command)
    } else {
        bail!(
            "the component exports neither {HTTP_HANDLER} or {HTTP_HANDLER_0_3} (to serve) \
             nor {CLI_RUN} (to run); it exports: {}",
            if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            }
        )
    }
}

/// The names a component exports at its top level, in the binary's order.
pub fn component_exports(wasm: &[u8]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut parser = Parser::new(0);
    let mut offset = 0;
    loop {
        let Chunk::Parsed { consumed, payload } = parser.parse(&wasm[offset..], true)? else {
            bail!("the binary is truncated");
        };
        offset += consumed;
        match payload {
            Payload::ComponentExportSection(section) => {
                for export in section {
                    names.push(export?.name.name.to_owned());
                }
            }
            // Nested modules and components have exports of their own; only the outer
            // component's say what it is. The outer parser resumes after them.
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                offset = unchecked_range.end;
                if offset > wasm.len() {
                    bail!("the binary is truncated");
                }
            }
            Payload::End(_) => return Ok(names),
            _ => {}
        }
    }
}

/// Whether export `name` is `interface` at any version (`wasi:cli/run@0.2.3`).
fn is_interface(name: &str, interface: &str) -> bool {
    name.strip_prefix(interface)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('@'))
}

/// The service's wasm32-wasip2 build (`make build`; `WASI_HTTP_COMPONENT` names it there).
#[cfg(test)]
pub fn service_component() -> Vec<u8> {
    let path = std::env::var_os("WASI_HTTP_COMPONENT").map_or_else(
        || {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/wasm32-wasip2/dist/moscow-time.wasm")
        },
        std::path::PathBuf::from,
    );
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; `make build` builds it", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component exporting one empty instance under each of `names`, in that order.
    fn exporting(names: &[&str]) -> Vec<u8> {
        let exports: String = names
            .iter()
            .enumerate()
            .map(|(i, name)| format!("(instance $i{i}) (export \"{name}\" (instance $i{i}))"))
            .collect();
        wat::parse_str(format!("(component {exports})")).unwrap()
    }

    #[test]
    fn a_core_module_is_a_module() {
        assert_eq!(role(b"\0asm\x01\0\0\0").unwrap(), Role::Module);
    }

    #[test]
    fn the_handler_is_served_whatever_the_order_of_the_exports() {
        for names in [
            &["wasi:http/incoming-handler@0.2.12"][..],
            &["wasi:cli/run@0.2.0", "wasi:http/incoming-handler@0.2.0"],
            &["wasi:http/incoming-handler@0.2.4", "wasi:cli/run@0.2.4"],
            &["wasi:http/incoming-handler"],
            &["wasi:http/handler@0.3.0"],
            &["wasi:cli/run@0.3.0", "wasi:http/handler@0.3.0"],
        ] {
            assert_eq!(
                role(&exporting(names)).unwrap(),
                Role::HttpProxy,
                "{names:?}"
            );
        }
    }

    #[test]
    fn only_wasi_cli_run_is_a_command() {
        let wasm = exporting(&["wasi:cli/run@0.2.3"]);
        assert_eq!(role(&wasm).unwrap(), Role::Command);
    }

    #[test]
    fn anything_else_is_a_one_line_error() {
        for (names, says) in [
            (&[][..], "it exports: nothing"),
            (
                &["wasi:http/incoming-handler-extra@0.2.0", "my:app/api"],
                "it exports: wasi:http/incoming-handler-extra@0.2.0, my:app/api",
            ),
        ] {
            let err = format!("{:#}", role(&exporting(names)).unwrap_err());
            assert!(err.contains(says), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
        let err = format!("{:#}", role(b"#!/bin/sh\n").unwrap_err());
        assert!(err.contains("not a wasm binary"), "{err}");
    }

    #[test]
    fn exports_of_nested_modules_and_components_do_not_count() {
        let wasm = wat::parse_str(
            r#"(component
                 (core module (func (export "wasi:cli/run@0.2.0")))
                 (component (instance $i) (export "wasi:http/incoming-handler@0.2.0" (instance $i)))
                 (instance $x)
                 (export "my:app/api" (instance $x)))"#,
        )
        .unwrap();
        assert_eq!(component_exports(&wasm).unwrap(), ["my:app/api"]);
        assert!(role(&wasm).is_err());
    }

    #[test]
    fn a_truncated_component_is_an_error() {
        let wasm = exporting(&["wasi:cli/run@0.2.0"]);
        assert!(role(&wasm[..wasm.len() - 3]).is_err());
    }

    #[test]
    fn the_service_component_exports_the_proxy_world_only() {
        // runwasi's shim runs the first of `wasi:cli/run` and the handler it finds, so a
        // `run` export listed first would make it run the server as a command (and fail).
        let exports = component_exports(&service_component()).unwrap();
        assert!(
            exports.iter().any(|name| is_interface(name, HTTP_HANDLER)),
            "{exports:?}"
        );
        assert!(
            !exports.iter().any(|name| is_interface(name, CLI_RUN)),
            "{exports:?}"
        );
    }
}
