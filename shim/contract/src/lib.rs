//! What `containerd-shim-wasmtime-v1` and `measure` must agree on, in one place: the
//! bench empties and checks the shim's compile cache, and names its runtime to containerd.
//! No dependencies, so `measure` builds without the shim's.

/// containerd's runtime name for the shim; containerd maps it to [`SHIM_BINARY`] on its
/// PATH.
pub const RUNTIME_NAME: &str = "io.containerd.wasmtime.v1";

/// The shim's binary name.
pub const SHIM_BINARY: &str = "containerd-shim-wasmtime-v1";

/// Where the shim keeps compiled modules unless [`CACHE_DIR_ENV`] is set in containerd's
/// environment.
pub const DEFAULT_CACHE_DIR: &str = "/var/cache/wasmlab-shim";

/// Overrides [`DEFAULT_CACHE_DIR`].
pub const CACHE_DIR_ENV: &str = "WASMLAB_SHIM_CACHE_DIR";

/// The extension of a compiled module in the cache.
pub const CACHED_MODULE_EXTENSION: &str = "cwasm";
