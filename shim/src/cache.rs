//! Ahead-of-time compilation cache for core wasm modules and components.
//!
//! Compiling with cranelift dominates a cold container start, so the compiled artifact
//! (`Module::serialize`, `Component::serialize`) is kept on the host and loaded back on
//! later starts.
//!
//! The cache is a *directory handle*, not a path: `run_wasi` runs inside the container,
//! after libcontainer has pivoted into the container's rootfs, where the host's
//! `/var/cache/...` is not visible (a path would silently land in the throw-away
//! container snapshot). So `main` opens the directory on the host before the shim forks
//! its zygote, the handle is inherited by every container process, and all file
//! operations here are relative to it (`openat`, `renameat`).

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rustix::fs::{AtFlags, Mode, OFlags};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

use wasmlab_shim_contract::CACHED_MODULE_EXTENSION;
/// Where compiled modules are kept, and the variable that overrides it. The variable is
/// read by the *shim* process, whose environment is containerd's (not the container's
/// `--env`), so set it where containerd starts.
pub use wasmlab_shim_contract::{CACHE_DIR_ENV, DEFAULT_CACHE_DIR};

/// The cache directory named by [`CACHE_DIR_ENV`], or [`DEFAULT_CACHE_DIR`].
pub fn dir_from_env() -> PathBuf {
    std::env::var_os(CACHE_DIR_ENV)
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_CACHE_DIR), PathBuf::from)
}

/// An open cache directory.
pub struct Cache {
    dir: OwnedFd,
}

impl Cache {
    /// Opens `path`, creating it if needed.
    ///
    /// Loading an artifact is only sound if nobody else can write one, so the directory
    /// must be owned by us and writable by nobody else (checked on the open handle, so
    /// the check and the use see the same directory).
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
        let dir = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let meta = dir.metadata()?;
        let euid = rustix::process::geteuid().as_raw();
        anyhow::ensure!(meta.is_dir(), "{} is not a directory", path.display());
        anyhow::ensure!(
            meta.uid() == euid && meta.mode() & 0o022 == 0,
            "{} must be owned by uid {euid} and writable only by its owner",
            path.display()
        );
        Ok(Self { dir: dir.into() })
    }

    /// The cache key of `wasm` compiled as a `T` for `engine`: a hex sha256 over the kind
    /// of artifact, the binary's sha256 and the engine's compatibility hash (wasmtime
    /// version, target, compiler settings), so a changed binary or a changed engine never
    /// picks up a stale artifact, and a module and a component never share an entry.
    pub fn key<T: Artifact>(engine: &Engine, wasm: &[u8]) -> String {
        let mut hasher = Sha256Hasher(Sha256::new());
        hasher.0.update(b"wasmlab-shim/v2\0");
        hasher.0.update(T::KIND.as_bytes());
        hasher.0.update(b"\0");
        hasher.0.update(Sha256::digest(wasm));
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hasher
            .0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The artifact stored under `key`, or `None` if there is none.
    pub fn load<T: Artifact>(&self, engine: &Engine, key: &str) -> Result<Option<T>> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let file = match rustix::fs::openat(&self.dir, file_name(key), flags, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(err) => return Err(io::Error::from(err)).context("opening cached artifact"),
        };
        // SAFETY: deserializing trusts the file to be an artifact that wasmtime itself
        // produced and that does not change while it is read or mapped. Both hold:
        // - `open` only accepts a directory owned by us (root under containerd) and not
        //   writable by anyone else, and the only writer is `store` below;
        // - `store` writes a complete serialized artifact under a temporary name and
        //   renames it into place, so a file under a key is never partial and never
        //   modified afterwards (a replacement is a new inode; a mapping keeps the old);
        // - the key covers the artifact's kind and the engine's compatibility hash, and
        //   wasmtime additionally checks the artifact's header against this engine and
        //   rejects a mismatch.
        let artifact = unsafe { T::deserialize(engine, file) }
            .with_context(|| format!("deserializing cached {}", T::KIND))?;
        Ok(Some(artifact))
    }

    /// Stores `artifact` under `key`, atomically: readers see the old file or the complete
    /// new one, never a partial write.
    pub fn store<T: Artifact>(&self, key: &str, artifact: &T) -> Result<()> {
        let bytes = artifact.serialize()?;
        // Unique per writer: containers may run in their own pid namespace (all pid 1),
        // so the pid alone does not tell two concurrent writers apart.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = format!(".{key}.{}.{nanos}.tmp", std::process::id());
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.dir, tmp.as_str(), flags, Mode::from_raw_mode(0o644))
            .map_err(io::Error::from)
            .context("creating temporary cache file")?;
        let mut file = File::from(fd);
        // Synced before the rename so that after a crash a key never names a file whose
        // data did not reach the disk.
        let written = file
            .write_all(&bytes)
            .and_then(|()| file.sync_data())
            .and_then(|()| {
                rustix::fs::renameat(&self.dir, tmp.as_str(), &self.dir, file_name(key))
                    .map_err(io::Error::from)
            });
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&self.dir, tmp.as_str(), AtFlags::empty());
        }
        written.context("writing cache file")
    }
}

/// What the cache holds: a compiled core module or component.
pub trait Artifact: Sized {
    /// Names the kind in keys and messages.
    const KIND: &'static str;

    fn compile(engine: &Engine, wasm: &[u8]) -> Result<Self>;

    fn serialize(&self) -> Result<Vec<u8>>;

    /// # Safety
    /// `file` must hold what [`Artifact::serialize`] wrote, unchanged (see [`Cache::load`]).
    unsafe fn deserialize(engine: &Engine, file: File) -> Result<Self>;
}

impl Artifact for Module {
    const KIND: &'static str = "module";

    fn compile(engine: &Engine, wasm: &[u8]) -> Result<Self> {
        Ok(Module::new(engine, wasm)?)
    }

    fn serialize(&self) -> Result<Vec<u8>> {
        Ok(Module::serialize(self)?)
    }

    unsafe fn deserialize(engine: &Engine, file: File) -> Result<Self> {
        // SAFETY: the caller's promise, as `deserialize_open_file` requires.
        Ok(unsafe { Module::deserialize_open_file(engine, file) }?)
    }
}

impl Artifact for Component {
    const KIND: &'static str = "component";

    fn compile(engine: &Engine, wasm: &[u8]) -> Result<Self> {
        Ok(Component::new(engine, wasm)?)
    }

    fn serialize(&self) -> Result<Vec<u8>> {
        Ok(Component::serialize(self)?)
    }

    unsafe fn deserialize(engine: &Engine, mut file: File) -> Result<Self> {
        // wasmtime 48 maps a component in from a path but not from an open file, and the
        // host's path is not visible in here: read it (a copy of a few MB at most).
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        // SAFETY: the caller's promise, as `deserialize` requires.
        Ok(unsafe { Component::deserialize(engine, &bytes) }?)
    }
}

fn file_name(key: &str) -> String {
    format!("{key}.{CACHED_MODULE_EXTENSION}")
}

/// Feeds `Hash` impls (the engine's compatibility hash) into sha256. Unlike
/// `DefaultHasher`, the result is stable across Rust releases and wide enough for a key.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid core module: just the header.
    const EMPTY: &[u8] = b"\0asm\x01\0\0\0";
    /// A module with one custom section, so different bytes but still valid.
    const WITH_CUSTOM: &[u8] = b"\0asm\x01\0\0\0\x00\x02\x01x";

    #[test]
    fn key_depends_on_module_bytes() {
        let engine = Engine::default();
        let key = Cache::key::<Module>(&engine, EMPTY);
        assert_eq!(key.len(), 64);
        assert_eq!(key, Cache::key::<Module>(&engine, EMPTY));
        assert_ne!(key, Cache::key::<Module>(&engine, WITH_CUSTOM));
    }

    #[test]
    fn key_depends_on_engine_settings() {
        let mut config = wasmtime::Config::new();
        config.cranelift_opt_level(wasmtime::OptLevel::None);
        let other = Engine::new(&config).unwrap();
        assert_ne!(
            Cache::key::<Module>(&Engine::default(), EMPTY),
            Cache::key::<Module>(&other, EMPTY)
        );
    }

    #[test]
    fn key_depends_on_the_kind_of_artifact() {
        // The same bytes never name both a compiled module and a compiled component.
        let engine = Engine::default();
        assert_ne!(
            Cache::key::<Module>(&engine, EMPTY),
            Cache::key::<Component>(&engine, EMPTY)
        );
    }

    #[test]
    fn store_then_load_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(&tmp.path().join("cache")).unwrap();
        let engine = Engine::default();
        let key = Cache::key::<Module>(&engine, WITH_CUSTOM);

        assert!(cache.load::<Module>(&engine, &key).unwrap().is_none());
        let module = Module::new(&engine, WITH_CUSTOM).unwrap();
        cache.store(&key, &module).unwrap();
        let loaded: Module = cache.load(&engine, &key).unwrap().expect("a cache hit");
        assert_eq!(loaded.serialize().unwrap(), module.serialize().unwrap());

        // Only the artifact is left behind, no temporary file.
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(format!("{key}.cwasm"))]);
    }

    #[test]
    fn components_round_trip_too() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path()).unwrap();
        let engine = Engine::default();
        let wasm = wat::parse_str("(component)").unwrap();
        let key = Cache::key::<Component>(&engine, &wasm);
        let component = Component::compile(&engine, &wasm).unwrap();
        cache.store(&key, &component).unwrap();
        let loaded: Component = cache.load(&engine, &key).unwrap().expect("a cache hit");
        assert_eq!(loaded.serialize().unwrap(), component.serialize().unwrap());
        // A component's artifact is not a module.
        assert!(cache.load::<Module>(&engine, &key).is_err());
    }

    #[test]
    fn corrupt_artifact_is_an_error_not_a_module() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path()).unwrap();
        let engine = Engine::default();
        std::fs::write(tmp.path().join("bad.cwasm"), b"not an artifact").unwrap();
        assert!(cache.load::<Module>(&engine, "bad").is_err());
        assert!(cache.load::<Component>(&engine, "bad").is_err());
    }

    #[test]
    fn refuses_a_world_writable_directory() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(Cache::open(tmp.path()).is_err());
    }
}
