//! The report's templates and quoted figures (`templates/`), compiled into the binary, so a
//! copied or `cargo install`ed `measure` renders the same write-up as the checkout it was
//! built from, wherever it runs. `measure render --templates DIR` reads a directory
//! instead, to edit them without rebuilding.

use anyhow::{bail, Context as _, Result};
use std::path::PathBuf;

/// Where the templates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Templates {
    /// The copies in this binary.
    Embedded,
    /// A directory laid out as `templates/` (`--templates DIR`).
    Dir(PathBuf),
}

/// `(name, text)` of every file of `templates/`, named as tera and the renderer look it up
/// (`sections/app.html.tera`), in the order of their names: listed by `build.rs` from the
/// folder, so a file added there is built in without an edit.
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/templates.rs"));

impl Templates {
    /// `--templates`: a directory when given, the embedded copies otherwise.
    pub fn from_option(dir: Option<PathBuf>) -> Self {
        dir.map_or(Self::Embedded, Self::Dir)
    }

    /// Every `*.tera` template, loaded into a fresh tera.
    pub fn tera(&self) -> Result<tera::Tera> {
        match self {
            Self::Embedded => {
                let mut tera = tera::Tera::default();
                tera.add_raw_templates(
                    EMBEDDED
                        .iter()
                        .filter(|(name, _)| name.ends_with(".tera"))
                        .copied(),
                )
                .context("the templates built into measure do not load")?;
                Ok(tera)
            }
            Self::Dir(dir) => {
                if !dir.is_dir() {
                    bail!(
                        "{} is not a directory (--templates): name a copy of the repository's \
                         templates/, or leave --templates out to use the ones built in",
                        dir.display()
                    );
                }
                let glob = dir.join("**").join("*.tera");
                tera::Tera::new(&glob.to_string_lossy())
                    .with_context(|| format!("cannot load the templates in {}", dir.display()))
            }
        }
    }

    /// The text of the data file `name` (such as quoted.json) and where it came from, or
    /// `None` when the directory has no such file.
    pub fn read(&self, name: &str) -> Result<Option<(String, String)>> {
        match self {
            Self::Embedded => Ok(EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, text)| (format!("{n} (built into measure)"), (*text).to_owned()))),
            Self::Dir(dir) => {
                let path = dir.join(name);
                match std::fs::read_to_string(&path) {
                    Ok(text) => Ok(Some((path.display().to_string(), text))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every file of templates/ is built in, named by its path there, so an installed
    /// measure renders what the checkout does.
    #[test]
    fn every_file_of_templates_is_built_in() {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    let name = path.strip_prefix(root).unwrap();
                    out.push(name.to_string_lossy().into_owned());
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
        let mut on_disk = Vec::new();
        walk(&root, &root, &mut on_disk);
        on_disk.sort();
        let built_in: Vec<String> = EMBEDDED.iter().map(|(n, _)| (*n).to_owned()).collect();
        assert_eq!(built_in, on_disk);
    }

    #[test]
    fn the_built_in_templates_load_and_quoted_json_is_there() {
        let tera = Templates::Embedded.tera().unwrap();
        let names: Vec<&str> = tera.get_template_names().collect();
        assert!(names.contains(&"index.html.tera") && names.contains(&"sections/spin.html.tera"));
        let (from, text) = Templates::Embedded.read("quoted.json").unwrap().unwrap();
        assert!(from.contains("built into measure") && text.contains("figures"));
        assert!(Templates::Embedded.read("nothing.json").unwrap().is_none());
    }

    #[test]
    fn a_templates_option_that_is_no_directory_names_the_option() {
        let e = Templates::Dir("/nonexistent/templates".into())
            .tera()
            .unwrap_err();
        let e = format!("{e:#}");
        assert!(e.contains("--templates") && !e.contains('\n'), "{e}");
    }
}
