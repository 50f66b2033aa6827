//! Reading the files a user names (results, baselines, modules, manifests): each must be a
//! regular file no larger than a bound the caller states, so a device (`/dev/zero`), a
//! fifo or a directory given by mistake is one line of error, never a read without end.

use anyhow::{bail, Context as _, Result};
use std::fs;
use std::io::Read as _;
use std::path::Path;

/// The largest results file read (or baseline): a full run holds a few MiB of samples.
pub const MAX_RESULTS_BYTES: u64 = 256 << 20;
/// The largest wasm module or component read (a Go module is about 11 MB).
pub const MAX_MODULE_BYTES: u64 = 256 << 20;
/// The largest manifest read (spin.toml, an app manifest).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// The bytes of `path`, a regular file (through symlinks) of at most `limit` bytes; `what`
/// names it in errors ("results file", "wasm module").
pub fn read_regular(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let meta = fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        bail!("{} is {kind}: name a {what}", path.display());
    }
    if meta.len() > limit {
        bail!(
            "{} is {} bytes, more than the {limit} a {what} may be",
            path.display(),
            meta.len()
        );
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", path.display()))?;
    // A file that grew while being read.
    if bytes.len() as u64 > limit {
        bail!(
            "{} grew past the {limit} bytes a {what} may be",
            path.display()
        );
    }
    Ok(bytes)
}

/// The same, as UTF-8 text.
pub fn read_regular_text(path: &Path, limit: u64, what: &str) -> Result<String> {
    String::from_utf8(read_regular(path, limit, what)?)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text: name a {what}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_large_files_are_refused_on_one_line() {
        for (path, says) in [
            ("/dev/zero", "not a regular file"),
            ("/dev/null", "not a regular file"),
            ("/tmp", "a directory"),
        ] {
            let err = format!(
                "{:#}",
                read_regular(Path::new(path), 10, "results file").unwrap_err()
            );
            assert!(err.contains(says), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        fs::write(&big, [0u8; 11]).unwrap();
        let err = format!("{:#}", read_regular(&big, 10, "wasm module").unwrap_err());
        assert!(err.contains("more than the 10"), "{err}");
        fs::write(&big, [0xffu8; 3]).unwrap();
        assert_eq!(read_regular(&big, 10, "x").unwrap().len(), 3);
        let err = format!("{:#}", read_regular_text(&big, 10, "manifest").unwrap_err());
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
