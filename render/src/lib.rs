//! Turns results.json, and nothing else, into the write-up: `index.html` from the tera
//! templates and SVG plots. Nothing here runs a command or measures.
//!
//! The modules form one direction: `keys` (what the report names, through the catalogue),
//! `status`, `figure` (typed values and the one way each is written), `verdict`,
//! `baseline` and `quoted` are leaves; `compare` and `analysis` weigh through `verdict`;
//! `plot` draws from the results; `view` builds the one model every export reads from all
//! of them, its numbers typed; `export` writes it, formatting them at the template edge
//! (`export::filters`). This file only runs them in order.

mod analysis;
pub mod apps;
mod baseline;
mod compare;
mod engines;
mod export;
mod figure;
mod findings;
#[cfg(test)]
#[path = "../tests/support/fixtures.rs"]
mod fixtures;
mod keys;
mod pivot;
mod plot;
mod quoted;
mod sections;
mod status;
mod substitutions;
pub mod templates;
mod verdict;
mod view;

use crate::templates::Templates;
use anyhow::{Context as _, Result};
use std::path::Path;
use wasmlab_model::results::Results;

/// The index of the first item that `matches`, a new one pushed when there is none: the
/// groups of a table or chart keep the order in which the results file first names them.
fn slot<T>(items: &mut Vec<T>, matches: impl Fn(&T) -> bool, new: impl FnOnce() -> T) -> usize {
    items.iter().position(matches).unwrap_or_else(|| {
        items.push(new());
        items.len() - 1
    })
}

/// Renders `results` into `out`: index.html, lab12.md, results.csv and plots/. With a
/// `baseline`, every figure also shows its change against that earlier run.
pub fn render(
    results: &Path,
    out: &Path,
    templates: &Templates,
    baseline: Option<&Path>,
) -> Result<()> {
    let data = Results::load(results)?;
    let baseline = baseline
        .map(|path| {
            if !path.exists() {
                anyhow::bail!(
                    "--baseline {} does not exist: name the results.json of an earlier run",
                    path.display()
                );
            }
            Ok((Results::load(path)?, path.display().to_string()))
        })
        .transpose()?;
    let plots_dir = out.join("plots");
    std::fs::create_dir_all(&plots_dir)
        .with_context(|| format!("cannot create {}", plots_dir.display()))?;
    let inputs = view::Inputs {
        plots: plot::draw_all(&data, &plots_dir)?,
        results_link: relative_link(results, out),
        // The default app's notebook sits beside the comparison, another app's one below.
        compare_link: [apps::FILE.to_owned(), format!("../{}", apps::FILE)]
            .into_iter()
            .find(|link| out.join(link).is_file()),
        quoted: quoted::Quoted::load(templates)?,
        baseline,
    };
    let view = view::View::build(&data, inputs);
    export::write_all(&view, &data, templates, out)
}

/// Writes `compare.html` into `out`: the apps whose results are in `files`, side by side.
pub fn render_comparison(
    files: &[std::path::PathBuf],
    out: &Path,
    templates: &Templates,
) -> Result<()> {
    let quoted = quoted::Quoted::load(templates)?;
    let comparison = apps::compare(files, out, &quoted)?;
    export::write_comparison(&comparison, templates, out)
}

/// A link from a page in `out` to `file`: its name when it sits in `out`, else its path.
fn relative_link(file: &Path, out: &Path) -> String {
    match (file.parent(), file.file_name()) {
        (Some(dir), Some(name)) if same_dir(dir, out) => name.to_string_lossy().into_owned(),
        _ => std::fs::canonicalize(file)
            .unwrap_or_else(|_| file.to_path_buf())
            .to_string_lossy()
            .into_owned(),
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| {
        std::fs::canonicalize(if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        })
        .ok()
    };
    canon(a).is_some() && canon(a) == canon(b)
}
