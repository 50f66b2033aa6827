//! OCI image layouts of one file, written without docker or a registry, for
//! `ctr images import`: the wasm module (platform wasi/wasm, run by the wasmtime shim) or the
//! static native binary (linux/amd64, run by runc).
//!
//! The layout tar holds `oci-layout`, `index.json` and `blobs/sha256/<hex>`: one
//! uncompressed tar layer with the file at the rootfs root (mode 0755, owner 0:0, mtime 0),
//! the image config (its Entrypoint is that file) and the manifest. Everything is
//! deterministic: the same file gives the same digests, so an image already imported can be
//! recognised by its manifest digest.

use anyhow::{ensure, Context as _, Result};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
pub const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// The platform an image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// A wasm32-wasip1 module, for a wasm shim.
    WasiWasm,
    /// A native x86-64 Linux binary, for runc.
    LinuxAmd64,
}

impl Platform {
    pub fn os(self) -> &'static str {
        match self {
            Platform::WasiWasm => "wasi",
            Platform::LinuxAmd64 => "linux",
        }
    }

    pub fn architecture(self) -> &'static str {
        match self {
            Platform::WasiWasm => "wasm",
            Platform::LinuxAmd64 => "amd64",
        }
    }

    /// As `ctr --platform` takes it: `wasi/wasm`, `linux/amd64`.
    pub fn as_ctr(self) -> &'static str {
        match self {
            Platform::WasiWasm => "wasi/wasm",
            Platform::LinuxAmd64 => "linux/amd64",
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Full reference, as `ctr images ls` shows it.
    pub name: String,
    pub platform: Platform,
    /// `sha256:<hex>` of the manifest: the DIGEST column of `ctr images ls`.
    pub manifest_digest: String,
    pub manifest_bytes: u64,
    pub config_bytes: u64,
    /// `sha256:<hex>` of the layer (also its diff_id: it is not compressed).
    pub layer_digest: String,
    /// The layer as stored: uncompressed, so its compressed and uncompressed sizes are one.
    pub layer_bytes: u64,
    /// The one file in the image.
    pub file_bytes: u64,
    /// The OCI layout tar on disk.
    pub tar_bytes: u64,
}

impl ImageInfo {
    /// Manifest, config and layer: what containerd stores for the image and what
    /// `ctr images ls` sums into its SIZE column.
    pub fn content_bytes(&self) -> u64 {
        self.manifest_bytes + self.config_bytes + self.layer_bytes
    }
}

/// Writes an image named `name` (for example `docker.io/wasmlab/moscow-time-wasm:latest`)
/// to the OCI layout tar `out`: `file` lands at `/<entry_name>` and is the Entrypoint.
pub fn write_image(
    out: &Path,
    name: &str,
    file: &Path,
    entry_name: &str,
    platform: Platform,
) -> Result<ImageInfo> {
    write_image_with_entrypoint(
        out,
        name,
        file,
        entry_name,
        &format!("/{entry_name}"),
        platform,
    )
}

/// As [`write_image`], with an Entrypoint of its own (a broken image for a test names a
/// file that is not there).
pub fn write_image_with_entrypoint(
    out: &Path,
    name: &str,
    file: &Path,
    entry_name: &str,
    entrypoint: &str,
    platform: Platform,
) -> Result<ImageInfo> {
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    ensure!(
        !entry_name.is_empty() && !entry_name.contains('/'),
        "the entry name {entry_name:?} must be a plain file name"
    );
    let tag = name
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map(|(_, tag)| tag)
        .with_context(|| format!("the image name {name:?} has no tag"))?;

    let mut layer = Vec::new();
    tar_entry(&mut layer, entry_name, 0o755, &data)?;
    tar_end(&mut layer);

    let config = serde_json::to_vec(&json!({
        "architecture": platform.architecture(),
        "os": platform.os(),
        "config": { "Entrypoint": [entrypoint] },
        // Uncompressed: the diff_id is the layer's own digest.
        "rootfs": { "type": "layers", "diff_ids": [digest(&layer)] },
    }))?;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": { "mediaType": CONFIG_TYPE, "digest": digest(&config), "size": config.len() },
        "layers": [{ "mediaType": LAYER_TYPE, "digest": digest(&layer), "size": layer.len() }],
    }))?;
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [{
            "mediaType": MANIFEST_TYPE,
            "digest": digest(&manifest),
            "size": manifest.len(),
            "platform": { "architecture": platform.architecture(), "os": platform.os() },
            "annotations": {
                "io.containerd.image.name": name,
                "org.opencontainers.image.ref.name": tag,
            },
        }],
    }))?;

    let mut tar = Vec::new();
    tar_entry(
        &mut tar,
        "oci-layout",
        0o644,
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    tar_entry(&mut tar, "index.json", 0o644, &index)?;
    for blob in [&layer, &config, &manifest] {
        let path = format!("blobs/sha256/{}", &digest(blob)["sha256:".len()..]);
        tar_entry(&mut tar, &path, 0o644, blob)?;
    }
    tar_end(&mut tar);

    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Written aside and renamed, so a reader never sees half an image.
    static WRITES: AtomicUsize = AtomicUsize::new(0);
    let mut partial = out.as_os_str().to_owned();
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    partial.push(format!(".{}-{n}.partial", std::process::id()));
    let partial = std::path::PathBuf::from(partial);
    std::fs::write(&partial, &tar)
        .and_then(|()| std::fs::rename(&partial, out))
        .with_context(|| format!("cannot write {}", out.display()))
        .inspect_err(|_| drop(std::fs::remove_file(&partial)))?;

    Ok(ImageInfo {
        name: name.to_owned(),
        platform,
        manifest_digest: digest(&manifest),
        manifest_bytes: manifest.len() as u64,
        config_bytes: config.len() as u64,
        layer_digest: digest(&layer),
        layer_bytes: layer.len() as u64,
        file_bytes: data.len() as u64,
        tar_bytes: tar.len() as u64,
    })
}

/// `sha256:<hex>` of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Appends one regular file to a ustar archive: a 512-byte header (owner 0:0, mtime 0), the
/// data, and zeros up to the next 512-byte boundary.
fn tar_entry(out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) -> Result<()> {
    ensure!(
        name.len() < 100,
        "tar entry name {name:?} is too long for a plain ustar header"
    );
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut header[100..108], u64::from(mode)); // mode
    octal(&mut header[108..116], 0); // uid
    octal(&mut header[116..124], 0); // gid
    octal(&mut header[124..136], data.len() as u64); // size
    octal(&mut header[136..148], 0); // mtime
    header[156] = b'0'; // regular file
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    // The checksum is computed with its own field as spaces, then written as six octal
    // digits, NUL, space.
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..154].copy_from_slice(format!("{sum:06o}").as_bytes());
    header[154] = 0;
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(512), 0);
    Ok(())
}

/// The end of an archive: two zero blocks.
fn tar_end(out: &mut Vec<u8>) {
    out.resize(out.len() + 1024, 0);
}

/// A numeric header field: zero-padded octal digits, then a NUL.
fn octal(field: &mut [u8], value: u64) {
    let digits = format!("{value:0width$o}", width = field.len() - 1);
    field[..digits.len()].copy_from_slice(digits.as_bytes());
    field[digits.len()] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeMap;
    use std::process::Command;

    /// The regular files of a ustar archive, read back from the headers (path -> (mode, data)).
    fn untar(bytes: &[u8]) -> BTreeMap<String, (u32, Vec<u8>)> {
        let mut files = BTreeMap::new();
        let mut at = 0;
        while at + 512 <= bytes.len() && bytes[at..at + 512].iter().any(|&b| b != 0) {
            let header = &bytes[at..at + 512];
            let field = |range: std::ops::Range<usize>| {
                let text = std::str::from_utf8(&header[range]).unwrap();
                text.trim_end_matches(['\0', ' ']).to_owned()
            };
            let number = |range| u64::from_str_radix(&field(range), 8).unwrap();
            let stored = number(148..156);
            let mut blank = header.to_vec();
            blank[148..156].fill(b' ');
            assert_eq!(stored, blank.iter().map(|&b| u64::from(b)).sum::<u64>());
            assert_eq!(&header[257..263], b"ustar\0");
            assert_eq!(header[156], b'0');
            let (name, size) = (field(0..100), number(124..136) as usize);
            let data = bytes[at + 512..at + 512 + size].to_vec();
            files.insert(name, (number(100..108) as u32, data));
            at += 512 + size.next_multiple_of(512);
        }
        assert_eq!(bytes.len(), at + 1024, "two zero blocks end the archive");
        files
    }

    fn blob<'a>(files: &'a BTreeMap<String, (u32, Vec<u8>)>, digest: &str) -> &'a [u8] {
        let hex = digest.strip_prefix("sha256:").unwrap();
        &files[&format!("blobs/sha256/{hex}")].1
    }

    fn write(platform: Platform) -> (tempfile::TempDir, ImageInfo, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("input");
        std::fs::write(&file, b"\0asm\x01\0\0\0 not really a module").unwrap();
        let out = dir.path().join("sub/image.tar");
        let info = write_image(&out, "docker.io/wasmlab/t:v1", &file, "t.wasm", platform).unwrap();
        let tar = std::fs::read(&out).unwrap();
        (dir, info, tar)
    }

    #[test]
    fn every_blob_is_named_by_its_digest_and_referenced_with_its_size() {
        let (_dir, info, tar) = write(Platform::WasiWasm);
        assert_eq!(info.tar_bytes, tar.len() as u64);
        let files = untar(&tar);
        for (path, (_, data)) in &files {
            if let Some(hex) = path.strip_prefix("blobs/sha256/") {
                assert_eq!(digest(data), format!("sha256:{hex}"), "{path}");
            }
        }
        assert_eq!(files.len(), 5, "{:?}", files.keys());
        assert_eq!(files["oci-layout"].1, br#"{"imageLayoutVersion":"1.0.0"}"#);

        let index: Value = serde_json::from_slice(&files["index.json"].1).unwrap();
        assert_eq!(index["schemaVersion"], 2);
        let entry = &index["manifests"][0];
        assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
        assert_eq!(entry["mediaType"], MANIFEST_TYPE);
        assert_eq!(entry["digest"], info.manifest_digest.as_str());
        assert_eq!(
            entry["platform"],
            json!({"architecture": "wasm", "os": "wasi"})
        );
        assert_eq!(
            entry["annotations"]["io.containerd.image.name"],
            "docker.io/wasmlab/t:v1"
        );
        assert_eq!(
            entry["annotations"]["org.opencontainers.image.ref.name"],
            "v1"
        );

        let manifest_bytes = blob(&files, &info.manifest_digest);
        assert_eq!(entry["size"], manifest_bytes.len());
        let manifest: Value = serde_json::from_slice(manifest_bytes).unwrap();
        assert_eq!(manifest["mediaType"], MANIFEST_TYPE);
        assert_eq!(manifest["config"]["mediaType"], CONFIG_TYPE);
        assert_eq!(manifest["layers"][0]["mediaType"], LAYER_TYPE);
        assert_eq!(manifest["layers"][0]["digest"], info.layer_digest.as_str());
        let config_digest = manifest["config"]["digest"].as_str().unwrap();
        let config_bytes = blob(&files, config_digest);
        assert_eq!(manifest["config"]["size"], config_bytes.len());
        assert_eq!(
            manifest["layers"][0]["size"],
            blob(&files, &info.layer_digest).len()
        );

        let config: Value = serde_json::from_slice(config_bytes).unwrap();
        assert_eq!(config["os"], "wasi");
        assert_eq!(config["architecture"], "wasm");
        assert_eq!(config["config"]["Entrypoint"], json!(["/t.wasm"]));
        assert_eq!(config["rootfs"]["type"], "layers");
        assert_eq!(
            config["rootfs"]["diff_ids"],
            json!([info.layer_digest.as_str()])
        );

        assert_eq!(
            info.content_bytes(),
            (manifest_bytes.len() + config_bytes.len() + blob(&files, &info.layer_digest).len())
                as u64
        );
    }

    #[test]
    fn the_layer_holds_the_file_executable_at_the_root() {
        let (_dir, info, tar) = write(Platform::LinuxAmd64);
        let files = untar(&tar);
        let layer = untar(blob(&files, &info.layer_digest));
        assert_eq!(layer.len(), 1);
        let (mode, data) = &layer["t.wasm"];
        assert_eq!(*mode, 0o755);
        assert_eq!(data.as_slice(), b"\0asm\x01\0\0\0 not really a module");
        assert_eq!(info.file_bytes, data.len() as u64);
        let config: Value = serde_json::from_slice(blob(
            &files,
            serde_json::from_slice::<Value>(blob(&files, &info.manifest_digest)).unwrap()["config"]
                ["digest"]
                .as_str()
                .unwrap(),
        ))
        .unwrap();
        assert_eq!(
            (config["os"].as_str(), config["architecture"].as_str()),
            (Some("linux"), Some("amd64"))
        );
    }

    #[test]
    fn tar_reads_both_archives() {
        let (dir, info, _) = write(Platform::WasiWasm);
        let outer = dir.path().join("outer");
        std::fs::create_dir(&outer).unwrap();
        let status = Command::new("tar")
            .arg("-xf")
            .arg(dir.path().join("sub/image.tar"))
            .arg("-C")
            .arg(&outer)
            .status()
            .unwrap();
        assert!(status.success());
        let hex = info.layer_digest.strip_prefix("sha256:").unwrap();
        let listing = Command::new("tar")
            .args(["--numeric-owner", "-tvf"])
            .arg(outer.join("blobs/sha256").join(hex))
            .output()
            .unwrap();
        assert!(listing.status.success());
        let line = String::from_utf8(listing.stdout).unwrap();
        assert!(line.starts_with("-rwxr-xr-x 0/0"), "{line}");
        assert!(line.trim_end().ends_with(" t.wasm"), "{line}");
        assert!(line.contains("1970-01-01"), "{line}");
    }

    #[test]
    fn the_same_file_gives_the_same_image() {
        let (_a, first, _) = write(Platform::WasiWasm);
        let (_b, second, _) = write(Platform::WasiWasm);
        assert_eq!(first, second);
        let (_c, native, _) = write(Platform::LinuxAmd64);
        assert_ne!(first.manifest_digest, native.manifest_digest);
        assert_eq!(first.layer_digest, native.layer_digest);
    }

    #[test]
    fn a_name_without_a_tag_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let out = dir.path().join("o.tar");
        let err =
            write_image(&out, "localhost:5000/x", &file, "f", Platform::WasiWasm).unwrap_err();
        assert!(err.to_string().contains("no tag"), "{err}");
    }
}
