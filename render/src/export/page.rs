//! What every format is made from, and the one way a template becomes a file.

use crate::sections::{Format, Section, SECTIONS};
use crate::view::View;
use anyhow::{Context as _, Result};
use serde::Serialize;
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

/// A format written by one tera template with the view as its context, and `parts`: the
/// sections it shows ([`SECTIONS`]), in order, each rendered from its partial for
/// `format`, for the template to link and place.
pub struct Template {
    pub file_name: &'static str,
    pub template: &'static str,
    pub format: Format,
}

/// One section as the page template sees it: its line of the list and its rendered text.
#[derive(Serialize)]
struct Part {
    #[serde(flatten)]
    section: Section,
    text: String,
}

impl Exporter for Template {
    fn file_name(&self) -> &'static str {
        self.file_name
    }

    fn render(&self, page: &Page) -> Result<String> {
        let mut context = tera::Context::from_serialize(page.view)?;
        let parts = SECTIONS
            .iter()
            .filter_map(|s| Some((s, s.partial(self.format)?)))
            .map(|(section, partial)| {
                let text = page
                    .tera
                    .render(&partial, &context)
                    .with_context(|| format!("cannot render {partial}"))?;
                Ok(Part {
                    section: *section,
                    text,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        context.insert("parts", &parts);
        page.tera
            .render(self.template, &context)
            .with_context(|| format!("cannot render {}", self.template))
    }
}
