//! What each artifact is made of: the sections of the native ELF binary and of the wasm
//! module, in bytes, so the report can say where the size difference comes from instead
//! of guessing. Ids: `size.section.<artifact>.<section>`.

use super::{Claim, Probe};
use crate::ctx::Ctx;
use anyhow::{Context as _, Result};
use object::{Object as _, ObjectSection as _};
use std::path::Path;
use wasmlab_model::metric::{SECTION_UNCOVERED, SIZE_SECTION};
use wasmlab_model::results::Observation;

pub struct SectionsProbe;

/// Reads an artifact's sections: (name, bytes in the file).
type ReadSections = fn(&[u8]) -> Result<Vec<(String, u64)>>;

impl Probe for SectionsProbe {
    fn id(&self) -> &'static str {
        "sections"
    }

    fn claims(&self) -> &'static [Claim] {
        &[Claim::All(&SIZE_SECTION)]
    }

    fn run(&self, ctx: &Ctx) -> Vec<Observation> {
        let artifacts: [(&str, &str, &Path, ReadSections); 2] = [
            ("native", "native binary", &ctx.native, elf_sections),
            ("wasm", "wasm module", &ctx.wasm, wasm_sections),
        ];
        artifacts
            .into_iter()
            .flat_map(|(artifact, what, path, read)| {
                let command = format!("section headers of {}", path.display());
                let read = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))
                    .and_then(|bytes| Ok((bytes.len() as u64, read(&bytes)?)));
                match read {
                    Ok((total, sections)) => {
                        observations(artifact, what, &command, total, sections)
                    }
                    Err(e) => vec![SIZE_SECTION
                        .named(format!("{artifact}.all"), format!("{what}: sections"))
                        .failed(command, format!("{e:#}"))],
                }
            })
            .collect()
    }
}

/// One observation per section, plus what no section covers, so they sum to the file size.
fn observations(
    artifact: &str,
    what: &str,
    command: &str,
    total: u64,
    sections: Vec<(String, u64)>,
) -> Vec<Observation> {
    let covered: u64 = sections.iter().map(|(_, size)| size).sum();
    sections
        .into_iter()
        .chain(std::iter::once((
            SECTION_UNCOVERED.to_owned(),
            total.saturating_sub(covered),
        )))
        .map(|(name, size)| {
            SIZE_SECTION
                .named(
                    format!("{artifact}.{}", slug(&name)),
                    format!("{what}: {name}"),
                )
                .measured(command, vec![size as f64])
        })
        .collect()
}

/// Sections that occupy bytes in the file, by name.
fn elf_sections(bytes: &[u8]) -> Result<Vec<(String, u64)>> {
    let file = object::File::parse(bytes).context("not an object file this probe can read")?;
    let mut sections = Vec::new();
    for section in file.sections() {
        // `.bss` and other sections without file contents have no range.
        if let Some((_, size)) = section.file_range().filter(|(_, size)| *size > 0) {
            sections.push((section.name().unwrap_or("(unnamed)").to_owned(), size));
        }
    }
    Ok(sections)
}

/// Every section of the module, with its header, by its name in the spec (custom sections
/// by their own name), merged when a name repeats.
fn wasm_sections(bytes: &[u8]) -> Result<Vec<(String, u64)>> {
    let mut sections: Vec<(String, u64)> = Vec::new();
    let mut offset = 8u64; // magic and version
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.context("not a valid wasm module")?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        let name = match &payload {
            wasmparser::Payload::CustomSection(c) => format!("custom {}", c.name()),
            _ => section_name(id).to_owned(),
        };
        // The section's id byte and size field precede its contents.
        let size = range.end as u64 - offset;
        offset = range.end as u64;
        match sections.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total += size,
            None => sections.push((name, size)),
        }
    }
    Ok(sections)
}

fn section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data count",
        13 => "tag",
        _ => "unknown",
    }
}

/// `.text` → `text`, `custom name` → `custom-name`: a stable id part.
fn slug(name: &str) -> String {
    let slug: String = name
        .trim_start_matches('.')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    slug.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_sections_sum_to_the_file() {
        // (module (func (export "f")) (@custom "hello" "abc"))
        let module = [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type
            0x03, 0x02, 0x01, 0x00, // function
            0x07, 0x05, 0x01, 0x01, b'f', 0x00, 0x00, // export
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code
            0x00, 0x09, 0x05, b'h', b'e', b'l', b'l', b'o', b'a', b'b', b'c', // custom
        ];
        let sections = wasm_sections(&module).unwrap();
        let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["type", "function", "export", "code", "custom hello"]
        );
        let sum: u64 = sections.iter().map(|(_, s)| s).sum();
        assert_eq!(sum + 8, module.len() as u64);
        assert_eq!(sections[3], ("code".to_owned(), 6));
    }

    #[test]
    fn a_file_that_is_not_wasm_is_an_error() {
        assert!(wasm_sections(b"\x7fELF nonsense").is_err());
    }

    #[test]
    fn slugs_are_stable_id_parts() {
        assert_eq!(slug(".text"), "text");
        assert_eq!(slug("custom producers"), "custom-producers");
        assert_eq!(slug(".data.rel.ro"), "data-rel-ro");
    }
}
