//! One output format per file, behind one trait: the page, the hand-in Markdown, the CSV.

mod csv;
mod html;
mod markdown;

use super::view::View;
use crate::results::Results;
use anyhow::Result;

pub use markdown::md_filter;

/// What every format is made from.
pub struct Page<'a> {
    pub view: &'a View,
    pub results: &'a Results,
    pub tera: &'a tera::Tera,
}

pub trait Exporter {
    /// The file it writes in the output directory.
    fn file_name(&self) -> &'static str;
    fn render(&self, page: &Page) -> Result<String>;
}

pub fn all() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(html::Html),
        Box::new(markdown::Markdown),
        Box::new(csv::Csv),
    ]
}

/// Renders a tera template with the view as its context.
fn template(page: &Page, name: &str) -> Result<String> {
    use anyhow::Context as _;
    let context = tera::Context::from_serialize(page.view)?;
    page.tera
        .render(name, &context)
        .with_context(|| format!("cannot render {name}"))
}
