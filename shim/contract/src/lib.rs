//! What `containerd-shim-wasmtime-v1` and `measure` must agree on, in one place: the
//! bench empties and checks the shim's compile cache, names its runtime to containerd, and
//! configures the shim's `wasi:http` server through the container's environment.
//! No dependencies, so `measure` builds without the shim's.

/// containerd's runtime name for the shim (cranelift); containerd maps it to
/// [`SHIM_BINARY`] on its PATH.
pub const RUNTIME_NAME: &str = "io.containerd.wasmtime.v1";

/// The shim's binary name (cranelift).
pub const SHIM_BINARY: &str = "containerd-shim-wasmtime-v1";

/// How the shim turns a module into machine code. containerd cannot pass a shim a setting
/// of its own, but it maps each runtime name to a binary name, so the one shim binary is
/// installed once per engine and reads its engine from the name it was started as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShimEngine {
    /// wasmtime's name for the strategy: `cranelift`, `winch` or `pulley`.
    pub engine: &'static str,
    /// What containerd is given (`ctr run --runtime`).
    pub runtime: &'static str,
    /// The binary containerd starts for [`Self::runtime`].
    pub binary: &'static str,
}

impl ShimEngine {
    /// The shim's own name for itself (`wasmtime`, `wasmtime-winch`, ...): the middle of
    /// its binary name, which is also what containerd derives that name from.
    pub fn shim_name(&self) -> &'static str {
        let rest = &self.binary["containerd-shim-".len()..];
        &rest[..rest.len() - "-v1".len()]
    }

    /// The shim's entry for wasmtime's strategy `engine` (`cranelift`, `winch`, `pulley`).
    pub fn by_engine(engine: &str) -> Option<&'static ShimEngine> {
        SHIM_ENGINES.iter().find(|e| e.engine == engine)
    }

    /// The engine whose binary is called `binary` (a path or a bare name).
    pub fn by_binary(binary: &str) -> Option<&'static ShimEngine> {
        let name = binary.rsplit('/').next().unwrap_or(binary);
        SHIM_ENGINES.iter().find(|e| e.binary == name)
    }
}

/// Cranelift (wasmtime's optimizing compiler, its default), Winch (its baseline compiler:
/// one pass, faster to compile, slower code) and Pulley (its interpreter: the module is
/// compiled to Pulley bytecode, which is cached like machine code).
pub const SHIM_ENGINES: [ShimEngine; 3] = [
    ShimEngine {
        engine: "cranelift",
        runtime: RUNTIME_NAME,
        binary: SHIM_BINARY,
    },
    ShimEngine {
        engine: "winch",
        runtime: "io.containerd.wasmtime-winch.v1",
        binary: "containerd-shim-wasmtime-winch-v1",
    },
    ShimEngine {
        engine: "pulley",
        runtime: "io.containerd.wasmtime-pulley.v1",
        binary: "containerd-shim-wasmtime-pulley-v1",
    },
];

/// Where the shim keeps compiled modules unless [`CACHE_DIR_ENV`] is set in containerd's
/// environment.
pub const DEFAULT_CACHE_DIR: &str = "/var/cache/wasmlab-shim";

/// Overrides [`DEFAULT_CACHE_DIR`].
pub const CACHE_DIR_ENV: &str = "WASMLAB_SHIM_CACHE_DIR";

/// The extension of a compiled module in the cache.
pub const CACHED_MODULE_EXTENSION: &str = "cwasm";

/// How a container configures the shim's `wasi:http` server, in its environment (`ctr run
/// --env`). The shim removes these variables before the guest sees the environment.
///
/// The address to listen on (runwasi's name), [`DEFAULT_HTTP_PROXY_ADDR`] when unset.
pub const HTTP_PROXY_ADDR_ENV: &str = "WASMTIME_HTTP_PROXY_SOCKET_ADDR";

/// The server's address when [`HTTP_PROXY_ADDR_ENV`] is unset.
pub const DEFAULT_HTTP_PROXY_ADDR: &str = "0.0.0.0:8080";

/// The listen backlog: runwasi reads the first name, its README documents the second; the
/// first wins when both are set.
pub const HTTP_BACKLOG_ENVS: [&str; 2] = ["WASMTIME_HTTP_BACKLOG", "WASMTIME_HTTP_PROXY_BACKLOG"];

/// How long one request may run, in seconds (a decimal: `5`, `0.5`); past it the guest is
/// stopped and the client gets `504 Gateway Timeout`. [`DEFAULT_REQUEST_TIMEOUT_SECS`]
/// when unset.
pub const REQUEST_TIMEOUT_ENV: &str = "WASMLAB_REQUEST_TIMEOUT";

/// The request deadline when [`REQUEST_TIMEOUT_ENV`] is unset.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 5;

/// How many requests one instance serves, one after another, before it is dropped: `1`
/// (when unset) is a fresh instance per request, runwasi's way; more saves instantiating
/// but lets a guest's state carry from one request to the next.
pub const INSTANCE_REUSE_ENV: &str = "WASMLAB_HTTP_INSTANCE_REUSE";

/// Of those, how many one instance serves at once: `1` when unset. Only a `wasi:http@0.3`
/// component's handler (async) can take more than one; a 0.2 one takes them in turn.
pub const INSTANCE_AT_ONCE_ENV: &str = "WASMLAB_HTTP_INSTANCE_AT_ONCE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containerd_maps_each_runtime_name_to_its_binary() {
        // containerd: `io.containerd.<name>.<version>` -> `containerd-shim-<name>-<version>`.
        for e in SHIM_ENGINES {
            let parts: Vec<&str> = e.runtime.split('.').collect();
            let [.., name, version] = parts[..] else {
                panic!("{}", e.runtime)
            };
            assert_eq!(e.binary, format!("containerd-shim-{name}-{version}"));
            assert_eq!(e.shim_name(), name);
            assert_eq!(
                ShimEngine::by_binary(&format!("/usr/bin/{}", e.binary)),
                Some(&e)
            );
        }
        assert_eq!(ShimEngine::by_binary("containerd-shim-runc-v2"), None);
        // The first is cranelift, wasmtime's default, under the lab's runtime name.
        assert_eq!(SHIM_ENGINES[0].runtime, RUNTIME_NAME);
        assert_eq!(ShimEngine::by_engine("cranelift"), Some(&SHIM_ENGINES[0]));
    }
}
