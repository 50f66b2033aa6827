//! `lab12.md`: the same write-up in the lab's section structure, ready to hand in. Tool
//! output reaches it through the `md` filter, which keeps table cells whole and inline HTML
//! inert.

use super::page::Template;
use std::collections::HashMap;

pub const MARKDOWN: Template = Template {
    file_name: "lab12.md",
    template: "lab12.md.tera",
};

/// The `md` filter: escapes what would break a table cell or become markup.
pub fn md_filter(
    value: &tera::Value,
    _: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = match value {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(tera::Value::String(escape(&text)))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_stay_whole_and_markup_inert() {
        assert_eq!(super::escape("a|b\n<script>&"), "a\\|b &lt;script&gt;&amp;");
    }
}
