//! `index.html`: the write-up opened from disk, plots beside it.

use super::{template, Exporter, Page};
use anyhow::Result;

pub struct Html;

impl Exporter for Html {
    fn file_name(&self) -> &'static str {
        "index.html"
    }

    fn render(&self, page: &Page) -> Result<String> {
        template(page, "index.html.tera")
    }
}
