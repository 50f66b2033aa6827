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
        hasher.0.update(b"wasmlab-shim/v3\0");
        hasher.0.update(T::KIND.as_bytes());
        hasher.0.update(b"\0");
        hasher.0.update(Sha256::digest(wasm));
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hex(&hasher.0.finalize())
    }

    /// The artifact stored under `key`, or `None` if there is none. A file that does not
    /// name `key` in its header, or whose artifact does not match the digest there (an
    /// artifact copied in from another entry, a file changed after it was written), is an
    /// error: the caller recompiles instead of running it.
    pub fn load<T: Artifact>(&self, engine: &Engine, key: &str) -> Result<Option<T>> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let mut file = match rustix::fs::openat(&self.dir, file_name(key), flags, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(err) => return Err(io::Error::from(err)).context("opening cached artifact"),
        };
        // Read whole, then checked: what is checked is what is deserialized (a mapping
        // of the file could change under the check).
        let mut stored = Vec::new();
        file.read_to_end(&mut stored)
            .context("reading cached artifact")?;
        let artifact = checked(&stored, key)?;
        // SAFETY: deserializing trusts the bytes to be an artifact that wasmtime itself
        // produced for this entry. They are:
        // - `open` only accepts a directory owned by us (root under containerd) and not
        //   writable by anyone else, and the only writer is `store` below;
        // - `store` writes the entry's key and the artifact's sha256 before the artifact,
        //   under a temporary name renamed into place, and `checked` has found both to
        //   match: the bytes are the artifact compiled for this key, complete and
        //   unchanged;
        // - the key covers the artifact's kind, the module's bytes and the engine's
        //   compatibility hash, and wasmtime additionally checks the artifact's header
        //   against this engine and rejects a mismatch.
        let artifact = unsafe { T::deserialize(engine, artifact) }
            .with_context(|| format!("deserializing cached {}", T::KIND))?;
        Ok(Some(artifact))
    }

    /// Stores `artifact` under `key`, atomically: readers see the old file or the complete
    /// new one, never a partial write. The file starts with a header naming the key and
    /// the artifact's sha256 (see [`checked`]).
    pub fn store<T: Artifact>(&self, key: &str, artifact: &T) -> Result<()> {
        let artifact = artifact.serialize()?;
        let mut bytes = header(key, &artifact).into_bytes();
        bytes.extend_from_slice(&artifact);
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
    /// `bytes` must be what [`Artifact::serialize`] wrote, unchanged (see [`Cache::load`]).
    unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Self>;
}

impl Artifact for Module {
    const KIND: &'static str = "module";

    fn compile(engine: &Engine, wasm: &[u8]) -> Result<Self> {
        Ok(Module::new(engine, wasm)?)
    }

    fn serialize(&self) -> Result<Vec<u8>> {
        Ok(Module::serialize(self)?)
    }

    unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Self> {
        // SAFETY: the caller's promise, as `deserialize` requires.
        Ok(unsafe { Module::deserialize(engine, bytes) }?)
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

    unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Self> {
        // SAFETY: the caller's promise, as `deserialize` requires.
        Ok(unsafe { Component::deserialize(engine, bytes) }?)
    }
}

fn file_name(key: &str) -> String {
    format!("{key}.{CACHED_MODULE_EXTENSION}")
}

/// What a cache file starts with, before the key and the artifact's digest.
const MAGIC: &str = "wasmlab-shim-artifact/v1\n";

/// A cache file's header: [`MAGIC`], the entry's key and the artifact's sha256, a line each.
fn header(key: &str, artifact: &[u8]) -> String {
    format!("{MAGIC}{key}\n{}\n", hex(&Sha256::digest(artifact)))
}

/// The artifact of the cache file `stored`, once its header names `key` and its sha256
/// matches the header's.
fn checked<'a>(stored: &'a [u8], key: &str) -> Result<&'a [u8]> {
    let rest = stored
        .strip_prefix(MAGIC.as_bytes())
        .context("the file has no wasmlab cache header")?;
    let mut lines = rest.splitn(3, |b| *b == b'\n');
    let (Some(named), Some(digest), Some(artifact)) = (lines.next(), lines.next(), lines.next())
    else {
        anyhow::bail!("the file's cache header is cut short");
    };
    anyhow::ensure!(
        named == key.as_bytes(),
        "the file belongs to another entry ({})",
        String::from_utf8_lossy(named)
    );
    anyhow::ensure!(
        digest == hex(&Sha256::digest(artifact)).as_bytes(),
        "the artifact does not match the digest it was stored with"
    );
    Ok(artifact)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

    /// An entry's file copied over another's, and a file changed after it was written:
    /// refused (the caller then recompiles), for modules and components alike.
    #[test]
    fn an_artifact_of_another_entry_or_changed_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path()).unwrap();
        let engine = Engine::default();
        let path = |key: &str| tmp.path().join(file_name(key));

        let (empty, custom) = (
            Cache::key::<Module>(&engine, EMPTY),
            Cache::key::<Module>(&engine, WITH_CUSTOM),
        );
        cache
            .store(&empty, &Module::new(&engine, EMPTY).unwrap())
            .unwrap();
        cache
            .store(&custom, &Module::new(&engine, WITH_CUSTOM).unwrap())
            .unwrap();
        std::fs::copy(path(&empty), path(&custom)).unwrap();
        let err = format!("{:#}", cache.load::<Module>(&engine, &custom).unwrap_err());
        assert!(err.contains("belongs to another entry"), "{err}");

        let wasm = wat::parse_str("(component)").unwrap();
        let component = Cache::key::<Component>(&engine, &wasm);
        cache
            .store(&component, &Component::compile(&engine, &wasm).unwrap())
            .unwrap();
        let mut bytes = std::fs::read(path(&component)).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(path(&component), bytes).unwrap();
        let err = format!(
            "{:#}",
            cache.load::<Component>(&engine, &component).unwrap_err()
        );
        assert!(err.contains("does not match the digest"), "{err}");
        std::fs::copy(path(&empty), path(&component)).unwrap();
        assert!(cache.load::<Component>(&engine, &component).is_err());
        // The untouched entry still loads.
        assert!(cache.load::<Module>(&engine, &empty).unwrap().is_some());
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
