//! `index.html`: the write-up opened from disk, plots beside it.

use super::page::Template;

pub const HTML: Template = Template {
    file_name: "index.html",
    template: "index.html.tera",
};
