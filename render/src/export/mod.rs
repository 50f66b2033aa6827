//! One output format per file, behind one trait: the page, the hand-in Markdown, the CSV.

mod csv;
mod filters;
mod html;
mod markdown;
mod page;

use super::view::View;
use crate::templates::Templates;
use anyhow::{Context as _, Result};
use page::{Exporter, Page};
use std::path::Path;
use wasmlab_model::results::Results;

/// Writes every format of `view` into `out`, with the templates of `templates`.
pub fn write_all(view: &View, results: &Results, templates: &Templates, out: &Path) -> Result<()> {
    let tera = tera(templates)?;
    let page = Page {
        view,
        results,
        tera: &tera,
    };
    let formats: [&dyn Exporter; 3] = [&html::HTML, &markdown::MARKDOWN, &csv::Csv];
    for exporter in formats {
        let text = exporter.render(&page)?;
        let path = out.join(exporter.file_name());
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("measure: wrote {}", path.display());
    }
    Ok(())
}

/// The templates, with the filters and escaping every page uses.
fn tera(templates: &Templates) -> Result<tera::Tera> {
    let mut tera = templates.tera()?;
    // Tera escapes only names ending in .html by default; ours end in .tera. Tool output
    // (versions, errors) reaches the page, so everything is escaped; the Markdown escapes
    // through its own `md` filter.
    tera.autoescape_on(vec![".html.tera"]);
    tera.register_filter("md", markdown::md_filter);
    tera.register_filter("code", markdown::code_filter);
    tera.register_filter("spans", html::spans_filter);
    filters::register(&mut tera);
    Ok(tera)
}

/// Writes the comparison of several apps into `out` ([`crate::apps::FILE`]).
pub fn write_comparison(
    comparison: &crate::apps::Comparison,
    templates: &Templates,
    out: &Path,
) -> Result<()> {
    let tera = tera(templates)?;
    let context = tera::Context::from_serialize(comparison)?;
    let text = tera
        .render("compare.html.tera", &context)
        .context("cannot render compare.html.tera")?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join(crate::apps::FILE);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("measure: wrote {}", path.display());
    Ok(())
}
