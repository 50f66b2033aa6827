//! What every format is made from, and the one way a template becomes a file.

use crate::view::View;
use anyhow::{Context as _, Result};
use wasmlab_model::results::Results;

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

/// A format written by one tera template with the view as its context.
pub struct Template {
    pub file_name: &'static str,
    pub template: &'static str,
}

impl Exporter for Template {
    fn file_name(&self) -> &'static str {
        self.file_name
    }

    fn render(&self, page: &Page) -> Result<String> {
        let context = tera::Context::from_serialize(page.view)?;
        page.tera
            .render(self.template, &context)
            .with_context(|| format!("cannot render {}", self.template))
    }
}
