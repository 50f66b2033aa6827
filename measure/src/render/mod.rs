//! Turns results.json, and nothing else, into the write-up: `index.html` from the tera
//! templates and SVG plots. Nothing here runs a command or measures.

mod analysis;
mod baseline;
mod compare;
mod export;
mod plot;
mod quoted;
pub(crate) mod view;

pub use crate::format::format_value;
use crate::results::Results;
use anyhow::{Context as _, Result};
use std::path::Path;

/// Renders `results` into `out`: index.html, lab12.md, results.csv and plots/. With a
/// `baseline`, every figure also shows its change against that earlier run.
pub fn render(results: &Path, out: &Path, templates: &Path, baseline: Option<&Path>) -> Result<()> {
    let data = Results::load(results)?;
    let baseline = baseline
        .map(|path| Ok::<_, anyhow::Error>((Results::load(path)?, path.display().to_string())))
        .transpose()?;
    let plots_dir = out.join("plots");
    std::fs::create_dir_all(&plots_dir)
        .with_context(|| format!("cannot create {}", plots_dir.display()))?;
    let inputs = view::Inputs {
        plots: plot::draw_all(&data, &plots_dir)?,
        results_link: relative_link(results, out),
        quoted: quoted::Quoted::load(templates)?,
        baseline,
    };
    let view = view::View::build(&data, inputs);
    let glob = templates.join("**").join("*.tera");
    let mut tera = tera::Tera::new(&glob.to_string_lossy())
        .with_context(|| format!("cannot load the templates in {}", templates.display()))?;
    // Tera escapes only names ending in .html by default; ours end in .tera. Tool output
    // (versions, errors) reaches the page, so everything is escaped; the Markdown escapes
    // through its own `md` filter.
    tera.autoescape_on(vec![".html.tera"]);
    tera.register_filter("md", export::md_filter);
    tera.register_function("fig", figure_lookup(&view)?);
    let page = export::Page {
        view: &view,
        results: &data,
        tera: &tera,
    };
    for exporter in export::all() {
        let text = exporter.render(&page)?;
        let path = out.join(exporter.file_name());
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("measure: wrote {}", path.display());
    }
    Ok(())
}

/// The `fig(id="...")` function of the templates: the row of one observation, so prose can
/// cite any figure by id; an id this run did not record reads as such instead of failing.
fn figure_lookup(view: &view::View) -> Result<impl tera::Function> {
    let rows = tera::to_value(&view.by_id)?;
    Ok(
        move |args: &std::collections::HashMap<String, tera::Value>| {
            let id = args
                .get("id")
                .and_then(tera::Value::as_str)
                .ok_or_else(|| tera::Error::msg("fig() needs id=\"<observation id>\""))?;
            Ok(rows.get(id).cloned().unwrap_or_else(|| {
                serde_json::json!({
                    "id": id, "status": "missing", "shown": null, "median": "", "n": 0,
                    "figure": format!("not recorded in this run ({id})"),
                })
            }))
        },
    )
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
