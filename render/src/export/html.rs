//! `index.html`: the write-up opened from disk, plots beside it.

use super::page::Template;
use crate::sections::Format;

pub const HTML: Template = Template {
    file_name: "index.html",
    template: "index.html.tera",
    format: Format::Html,
};
